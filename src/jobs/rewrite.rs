//! Rewriting stored rows of logs and spans in place, page by page: what erasure and IP
//! anonymization share.
//! Each page of rows is locked, rewritten in Rust and written back in one statement and one
//! transaction, so memory stays bounded and ingest never waits long on a table.

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row as _};

/// Rows per page: one `SELECT ... FOR UPDATE` and one `UPDATE` each.
const PAGE_ROWS: i64 = 2000;

/// The columns of a table that may hold personal data: text columns and JSON columns (every
/// string and key inside).
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    pub text: &'static [&'static str],
    pub json: &'static [&'static str],
}

/// The columns of a row of `logs` (and `logs_restored`).
pub const LOG_COLUMNS: Columns = Columns {
    text: &[
        "body",
        "severity_text",
        "scope",
        "http_route",
        "db_query",
        "exception_type",
        "exception_message",
        "exception_stacktrace",
        "user_id",
    ],
    json: &["attributes", "resource"],
};

/// The columns of a row of `spans` (and `spans_restored`): the name and status message, the
/// promoted text columns, and attributes, resource, events (with their attributes: exception
/// messages and stack traces) and links.
pub const SPAN_COLUMNS: Columns = Columns {
    text: &[
        "name",
        "status_message",
        "scope",
        "http_route",
        "db_query_fingerprint",
    ],
    json: &["attributes", "resource", "events", "links"],
};

impl Columns {
    fn all(&self) -> impl Iterator<Item = &'static str> {
        self.text.iter().chain(self.json).copied()
    }

    fn is_json(&self, index: usize) -> bool {
        index >= self.text.len()
    }
}

/// A rewrite of one text: the new text, or None to leave it as it is.
pub type TextRewrite<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// Applies `rewrite` to every text column and every JSON string and key of the rows of `table`
/// matching `condition` (SQL over the row alias `t`, with `binds` as `$2`, `$3`, ...); returns
/// how many rows changed. `table` must be a name from the catalogue, quoted where needed, and
/// `columns` its columns.
pub async fn rewrite_rows(
    pool: &PgPool,
    table: (&str, Columns),
    condition: &str,
    binds: &[String],
    rewrite: TextRewrite<'_>,
) -> sqlx::Result<u64> {
    pass(pool, table, condition, binds, rewrite, Mode::Write).await
}

/// The rows [`rewrite_rows`] would change, counted without locking or writing anything.
pub async fn count_rewritten(
    pool: &PgPool,
    table: (&str, Columns),
    condition: &str,
    binds: &[String],
    rewrite: TextRewrite<'_>,
) -> sqlx::Result<u64> {
    pass(pool, table, condition, binds, rewrite, Mode::Count).await
}

/// Whether a pass writes the rewritten rows back or only counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Count,
}

async fn pass(
    pool: &PgPool,
    (table, columns): (&str, Columns),
    condition: &str,
    binds: &[String],
    rewrite: TextRewrite<'_>,
    mode: Mode,
) -> sqlx::Result<u64> {
    let selected: Vec<String> = columns.all().map(|c| format!("{c}::text")).collect();
    let lock = if mode == Mode::Write {
        "FOR UPDATE"
    } else {
        ""
    };
    let select = format!(
        "SELECT t.ctid::text AS address, {} FROM {table} t \
         WHERE t.ctid > $1::tid AND ({condition}) ORDER BY t.ctid LIMIT {PAGE_ROWS} {lock}",
        selected.join(", ")
    );
    let update = update_statement(table, columns);
    let mut after = "(0,0)".to_owned();
    let mut changed = 0;
    loop {
        let mut transaction = pool.begin().await?;
        let mut query = sqlx::query(AssertSqlSafe(select.clone())).bind(&after);
        for bind in binds {
            query = query.bind(bind);
        }
        let rows = query.fetch_all(&mut *transaction).await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("address")?;
        let page = Page::rewritten(&rows, columns, rewrite)?;
        changed += page.rows() as u64;
        if page.rows() > 0 && mode == Mode::Write {
            page.bind(sqlx::query(AssertSqlSafe(update.clone())))
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
    }
    Ok(changed)
}

/// `UPDATE` of a page: one array per column, joined on `ctid`.
fn update_statement(table: &str, columns: Columns) -> String {
    let names: Vec<&str> = columns.all().collect();
    let assignments: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, c)| match columns.is_json(i) {
            true => format!("{c} = u.{c}::jsonb"),
            false => format!("{c} = u.{c}"),
        })
        .collect();
    let arrays: Vec<String> = (1..=names.len() + 1)
        .map(|i| format!("${i}::text[]"))
        .collect();
    format!(
        "UPDATE {table} t SET {} FROM unnest({}) AS u(ctid, {}) WHERE t.ctid = u.ctid::tid",
        assignments.join(", "),
        arrays.join(", "),
        names.join(", ")
    )
}

/// The changed rows of a page, column by column: the address first, then `Columns::all`.
#[derive(Default)]
struct Page {
    columns: Vec<Vec<Option<String>>>,
}

impl Page {
    fn rewritten(rows: &[PgRow], columns: Columns, rewrite: TextRewrite<'_>) -> sqlx::Result<Page> {
        let width = columns.all().count();
        let mut page = Page {
            columns: vec![Vec::new(); width + 1],
        };
        for row in rows {
            let mut values: Vec<Option<String>> = Vec::with_capacity(width + 1);
            for i in 0..=width {
                values.push(row.try_get(i)?);
            }
            let mut changed = false;
            for (i, value) in values.iter_mut().skip(1).enumerate() {
                let Some(text) = value else { continue };
                changed |= match columns.is_json(i) {
                    true => rewrite_json_text(text, rewrite),
                    false => rewrite_text(text, rewrite),
                };
            }
            if !changed {
                continue;
            }
            for (column, value) in page.columns.iter_mut().zip(values) {
                column.push(value);
            }
        }
        Ok(page)
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
