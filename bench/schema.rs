//! The secondary indexes of `logs` and `spans` exactly as the migrations define them, shared by
//! `bench/ingest` (what each costs at COPY) and `bench/query` (dropped for the bulk load, then
//! created again).

/// The migrations that create indexes on `logs`, in order.
const MIGRATIONS: [&str; 3] = [
    include_str!("../migrations/0002_logs_indexes.sql"),
    include_str!("../migrations/0004_read_side_indexes.sql"),
    include_str!("../migrations/0015_logs_errors_index.sql"),
];

/// The migrations that create (and drop) indexes on `spans`, in order.
const SPAN_MIGRATIONS: [&str; 2] = [
    include_str!("../migrations/0017_spans_indexes.sql"),
    include_str!("../migrations/0018_spans_exactly_once.sql"),
];

/// One `CREATE INDEX ... ON logs` statement of a migration.
#[derive(Debug, Clone)]
pub struct IndexDefinition {
    pub name: String,
    /// The statement as the migration writes it, without comments and the final `;`.
    pub create: String,
}

/// Every index the migrations create on `logs`, in migration order.
pub fn log_indexes() -> Vec<IndexDefinition> {
    MIGRATIONS
        .iter()
        .flat_map(|migration| statements(migration))
        .filter(|statement| statement.starts_with("CREATE INDEX") && on_logs(statement))
        .filter_map(|create| {
            let name = create.split_whitespace().nth(2)?.to_string();
            Some(IndexDefinition { name, create })
        })
        .collect()
}

/// Every index the migrations leave on `spans` (created, not dropped again), in migration
/// order.
pub fn span_indexes() -> Vec<IndexDefinition> {
    let statements: Vec<String> = SPAN_MIGRATIONS.iter().flat_map(|m| statements(m)).collect();
    let dropped: Vec<&str> = (statements.iter())
        .filter_map(|statement| statement.strip_prefix("DROP INDEX "))
        .map(str::trim)
        .collect();
    (statements.iter())
        .filter_map(|statement| {
            let create = statement
                .strip_prefix("CREATE UNIQUE INDEX ")
                .or_else(|| statement.strip_prefix("CREATE INDEX "))?;
            let mut words = create.split_whitespace();
            let name = words.next()?.to_string();
            let on_spans = words.nth(1) == Some("spans") && !dropped.contains(&name.as_str());
            on_spans.then(|| IndexDefinition {
                name,
                create: statement.clone(),
            })
        })
        .collect()
}

/// The statements of a migration (one without plpgsql bodies): comment lines dropped, split at
/// `;`, as written otherwise.
fn statements(migration: &str) -> Vec<String> {
    let code: Vec<&str> = migration
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect();
    code.join("\n")
        .split(';')
        .map(|statement| statement.trim().to_string())
        .filter(|statement| !statement.is_empty())
        .collect()
}

fn on_logs(statement: &str) -> bool {
    statement.split_whitespace().nth(4) == Some("logs")
}
