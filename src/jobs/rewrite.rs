//! Rewriting stored log rows in place, page by page: what erasure and IP anonymization share.
//! Each page of rows is locked, rewritten in Rust and written back in one statement and one
//! transaction, so memory stays bounded and ingest never waits long on a table.

use serde_json::Value;
use sqlx::{AssertSqlSafe, PgPool};

/// Rows per page: one `SELECT ... FOR UPDATE` and one `UPDATE` each.
const PAGE_ROWS: i64 = 2000;

/// Text columns of a log row that may hold personal data; `attributes` and `resource` too.
const TEXT_COLUMNS: [&str; 9] = [
    "body",
    "severity_text",
    "scope",
    "http_route",
    "db_query",
    "exception_type",
    "exception_message",
    "exception_stacktrace",
    "user_id",
];

/// A rewrite of one text: the new text, or None to leave it as it is.
pub type TextRewrite<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// Applies `rewrite` to every text column and every JSON string and key of the rows of `table`
/// matching `condition` (SQL over the row alias `t`, with `binds` as `$2`, `$3`, ...); returns
/// how many rows changed. `table` must be a name from the catalogue, quoted where needed.
pub async fn rewrite_rows(
    pool: &PgPool,
    table: &str,
    condition: &str,
    binds: &[String],
    rewrite: TextRewrite<'_>,
) -> sqlx::Result<u64> {
    let select = format!(
        "SELECT t.ctid::text AS address, {}, attributes::text, resource::text FROM {table} t \
         WHERE t.ctid > $1::tid AND ({condition}) ORDER BY t.ctid LIMIT {PAGE_ROWS} FOR UPDATE",
        TEXT_COLUMNS.join(", ")
    );
    let update = update_statement(table);
    let mut after = "(0,0)".to_owned();
    let mut changed = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let mut query = sqlx::query_as::<_, Row>(AssertSqlSafe(select.clone())).bind(&after);
        for bind in binds {
            query = query.bind(bind);
        }
        let rows = query.fetch_all(&mut *transaction).await?;
        let Some(last) = rows.last() else { break };
        after = last.address.clone();
        let page = Page::rewritten(rows, rewrite);
        changed += page.rows() as u64;
        if page.rows() > 0 {
            page.bind(sqlx::query(AssertSqlSafe(update.clone())))
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
    }
    Ok(changed)
}

/// `UPDATE` of a page: one array per column, joined on `ctid`.
fn update_statement(table: &str) -> String {
    let columns: Vec<&str> = TEXT_COLUMNS
        .iter()
        .copied()
        .chain(["attributes", "resource"])
        .collect();
    let assignments: Vec<String> = columns
        .iter()
        .map(|c| match *c {
            "attributes" | "resource" => format!("{c} = u.{c}::jsonb"),
            _ => format!("{c} = u.{c}"),
        })
        .collect();
    let arrays: Vec<String> = (1..=columns.len() + 1)
        .map(|i| format!("${i}::text[]"))
        .collect();
    format!(
        "UPDATE {table} t SET {} FROM unnest({}) AS u(ctid, {}) WHERE t.ctid = u.ctid::tid",
        assignments.join(", "),
        arrays.join(", "),
        columns.join(", ")
    )
}

/// One locked row: its physical address, text columns and JSON columns as text.
#[derive(sqlx::FromRow)]
struct Row {
    /// `ctid` as text (named apart so that `ORDER BY t.ctid` cannot mean this text).
    address: String,
    body: String,
    severity_text: Option<String>,
    scope: Option<String>,
    http_route: Option<String>,
    db_query: Option<String>,
    exception_type: Option<String>,
    exception_message: Option<String>,
    exception_stacktrace: Option<String>,
    user_id: Option<String>,
    attributes: String,
    resource: String,
}

impl Row {
    /// Rewrites every column; true when anything changed.
    fn rewrite(&mut self, rewrite: TextRewrite<'_>) -> bool {
        let mut changed = rewrite_text(&mut self.body, rewrite);
        for column in [
            &mut self.severity_text,
            &mut self.scope,
            &mut self.http_route,
            &mut self.db_query,
            &mut self.exception_type,
            &mut self.exception_message,
            &mut self.exception_stacktrace,
            &mut self.user_id,
        ]
        .into_iter()
        .flatten()
        {
            changed |= rewrite_text(column, rewrite);
        }
        changed |= rewrite_json_text(&mut self.attributes, rewrite);
        changed |= rewrite_json_text(&mut self.resource, rewrite);
        changed
    }
}

/// The changed rows of a page, column by column.
#[derive(Default)]
struct Page {
    columns: Vec<Vec<Option<String>>>,
}

impl Page {
    fn rewritten(rows: Vec<Row>, rewrite: TextRewrite<'_>) -> Page {
        let mut page = Page {
            columns: vec![Vec::new(); TEXT_COLUMNS.len() + 3],
        };
        for mut row in rows {
            if !row.rewrite(rewrite) {
                continue;
            }
            let values = [
                Some(row.address),
                Some(row.body),
                row.severity_text,
                row.scope,
                row.http_route,
                row.db_query,
                row.exception_type,
                row.exception_message,
                row.exception_stacktrace,
                row.user_id,
                Some(row.attributes),
                Some(row.resource),
            ];
            for (column, value) in page.columns.iter_mut().zip(values) {
                column.push(value);
            }
        }
        page
    }

    fn rows(&self) -> usize {
        self.columns[0].len()
    }

    fn bind<'q>(
        self,
        mut query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        for column in self.columns {
            query = query.bind(column);
        }
        query
    }
}

fn rewrite_text(text: &mut String, rewrite: TextRewrite<'_>) -> bool {
    rewrite(text).map(|new| *text = new).is_some()
}

fn rewrite_json_text(json: &mut String, rewrite: TextRewrite<'_>) -> bool {
    let Ok(mut value) = serde_json::from_str::<Value>(json) else {
        return false;
    };
    if !rewrite_json(&mut value, rewrite) {
        return false;
    }
    *json = value.to_string();
    true
}

/// Rewrites every string and key of `value`; true when anything changed.
pub fn rewrite_json(value: &mut Value, rewrite: TextRewrite<'_>) -> bool {
    match value {
        Value::String(text) => rewrite_text(text, rewrite),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| rewrite_json(item, rewrite) | changed),
        Value::Object(map) => {
            let mut changed = false;
            for (key, mut item) in std::mem::take(map) {
                changed |= rewrite_json(&mut item, rewrite);
                let key = match rewrite(&key) {
                    Some(new_key) => {
                        changed = true;
                        new_key
                    }
                    None => key,
                };
                map.insert(key, item);
            }
            changed
        }
        _ => false,
    }
}
