//! The secondary indexes of `logs` exactly as the migrations define them, shared by
//! `bench/ingest` (what each costs at COPY) and `bench/query` (dropped for the bulk load, then
//! created again).

/// The migrations that create indexes on `logs`, in order.
const MIGRATIONS: [&str; 3] = [
    include_str!("../migrations/0002_logs_indexes.sql"),
    include_str!("../migrations/0004_read_side_indexes.sql"),
    include_str!("../migrations/0015_logs_errors_index.sql"),
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
