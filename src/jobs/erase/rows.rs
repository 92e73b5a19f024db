//! The statements of an erasure: which tables hold rows of logs and of spans, deleting a
//! person's rows, and rewriting the rows that mention them.

use sqlx::{AssertSqlSafe, PgPool, Row as _};

use super::{Scrubber, Subject};
use crate::jobs::rewrite::{self, Columns};
use crate::store::read::filter::like_pattern;

/// Every leaf partition of `logs`, and `logs_restored` if archives were restored; the names come
/// from the catalogue as `regclass` text, quoted where needed.
pub async fn log_tables(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT relid::regclass::text FROM pg_partition_tree('logs') WHERE isleaf \
         UNION ALL SELECT 'logs_restored' WHERE to_regclass('logs_restored') IS NOT NULL \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
}

/// Every day partition of `spans`, and `spans_restored` if archives of spans were restored.
pub async fn span_tables(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT relid::regclass::text FROM pg_partition_tree('spans') WHERE isleaf \
         UNION ALL SELECT 'spans_restored' WHERE to_regclass('spans_restored') IS NOT NULL \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
}

/// The condition on the row alias `t` selecting the spans attributed to the subject (`$1`):
/// those whose attributes hold it under one of the keys of the JSON array `$2` (the
/// `fields.user_id` aliases, as a flat key or a dotted path).
fn attributed_spans(subject: &Subject, identifier: u8, keys: u8) -> String {
    let value = "coalesce(t.attributes ->> k, t.attributes #>> string_to_array(k, '.'))";
    let matches = match subject {
        Subject::UserId(_) => format!("{value} = ${identifier}"),
        Subject::Email(_) => format!("lower({value}) = lower(${identifier})"),
    };
    format!("EXISTS (SELECT 1 FROM jsonb_array_elements_text(${keys}::jsonb) k WHERE {matches})")
}

/// The condition on the row alias `t` selecting the rows of logs whose `user_id` is the
/// subject (`$n`).
fn attributed_logs(subject: &Subject, n: u8) -> String {
    match subject {
        Subject::UserId(_) => format!("t.user_id = ${n}"),
        Subject::Email(_) => format!("lower(t.user_id) = lower(${n})"),
    }
}

/// The rows of `table` attributed to the subject, deleted (or, `dry_run`, counted).
pub async fn delete_attributed(
    pool: &PgPool,
    table: (&str, Columns),
    subject: &Subject,
    user_keys: &[String],
    dry_run: bool,
) -> sqlx::Result<u64> {
    let (name, columns) = table;
    let condition = attributed(columns, subject, 1, 2);
    let sql = match dry_run {
        true => format!("SELECT count(*) FROM {name} t WHERE {condition}"),
        false => format!("DELETE FROM {name} t WHERE {condition}"),
    };
    let keys = serde_json::to_string(user_keys).expect("strings serialize");
    let query = |sql: String| sqlx::query(AssertSqlSafe(sql)).bind(subject.identifier());
    if dry_run {
        let count: i64 = query(sql).bind(keys).fetch_one(pool).await?.get(0);
        return Ok(count as u64);
    }
    Ok(query(sql).bind(keys).execute(pool).await?.rows_affected())
}

/// The attribution condition of a table of logs or of spans (told apart by its columns).
fn attributed(columns: Columns, subject: &Subject, identifier: u8, keys: u8) -> String {
    match columns.text.contains(&"user_id") {
        // `$keys` is bound but unused by logs' condition: typed so that PostgreSQL accepts it.
        true => format!(
            "{} AND ${keys}::jsonb IS NOT NULL",
            attributed_logs(subject, identifier)
        ),
        false => attributed_spans(subject, identifier, keys),
    }
}

/// Rewrites every row of `table` (with `columns`) that mentions the identifier; returns how
/// many changed.
pub async fn scrub_rows(
    pool: &PgPool,
    table: (&str, Columns),
    scrubber: &Scrubber,
    identifier: &str,
) -> sqlx::Result<u64> {
    let (plain, escaped) = like_patterns(identifier);
    let condition = "(t.*)::text ILIKE $2 OR (t.*)::text ILIKE $3";
    let rewrite = |text: &str| scrubber.text(text);
    rewrite::rewrite_rows(pool, table, condition, &[plain, escaped], &rewrite).await
}

/// The rows [`scrub_rows`] would rewrite once the subject's own rows are deleted, counted
/// without changing anything.
pub async fn count_scrubbed(
    pool: &PgPool,
    table: (&str, Columns),
    subject: &Subject,
    user_keys: &[String],
    scrubber: &Scrubber,
) -> sqlx::Result<u64> {
    let (plain, escaped) = like_patterns(subject.identifier());
    let attributed = attributed(table.1, subject, 4, 5);
    let condition =
        format!("((t.*)::text ILIKE $2 OR (t.*)::text ILIKE $3) AND ({attributed}) IS NOT TRUE");
    let keys = serde_json::to_string(user_keys).expect("strings serialize");
    let binds = [plain, escaped, subject.identifier().to_string(), keys];
    let rewrite = |text: &str| scrubber.text(text);
    rewrite::count_rewritten(pool, table, &condition, &binds, &rewrite).await
}

/// Rewrites the exception groups whose message or sample stack trace mentions the identifier.
/// (With `dry_run`, counts them and changes nothing.)
pub async fn scrub_exception_groups(
    pool: &PgPool,
    scrubber: &Scrubber,
    identifier: &str,
    dry_run: bool,
) -> sqlx::Result<u64> {
    let mut transaction = pool.begin().await?;
    let (plain, _) = like_patterns(identifier);
    let lock = if dry_run { "" } else { "FOR UPDATE" };
    let select = format!(
        "SELECT id, message, sample_stacktrace FROM exception_groups \
         WHERE message ILIKE $1 OR sample_stacktrace ILIKE $1 {lock}"
    );
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(AssertSqlSafe(select))
        .bind(plain)
        .fetch_all(&mut *transaction)
        .await?;
    let mut changed = 0;
    for (id, message, stacktrace) in rows {
        let new_message = scrubber.text(&message);
        let new_stacktrace = stacktrace.as_deref().and_then(|s| scrubber.text(s));
        if new_message.is_none() && new_stacktrace.is_none() {
            continue;
        }
        if dry_run {
            changed += 1;
            continue;
        }
        sqlx::query(
            "UPDATE exception_groups SET message = $2, sample_stacktrace = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(new_message.unwrap_or(message))
        .bind(new_stacktrace.or(stacktrace))
        .execute(&mut *transaction)
        .await?;
        changed += 1;
    }
    transaction.commit().await?;
    Ok(changed)
}

/// `ILIKE` patterns finding the identifier in a row's text: as it is, and as JSON escapes it.
fn like_patterns(identifier: &str) -> (String, String) {
    let json = serde_json::to_string(identifier).expect("a string serializes");
    let escaped = &json[1..json.len() - 1];
    (like_pattern(identifier), like_pattern(escaped))
}
