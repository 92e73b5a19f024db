//! The statements of an erasure: which tables hold rows of logs and of spans, deleting a
//! person's rows, and rewriting the rows that mention them.

use sqlx::{AssertSqlSafe, PgPool};

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

/// Deletes the spans attributed to the subject: those whose attributes hold it under one of
/// `user_keys` (the `fields.user_id` aliases, as a flat key or a dotted path).
pub async fn delete_attributed_spans(
    pool: &PgPool,
    table: &str,
    subject: &Subject,
    user_keys: &[String],
) -> sqlx::Result<u64> {
    let value = "coalesce(attributes ->> k, attributes #>> string_to_array(k, '.'))";
    let condition = match subject {
        Subject::UserId(_) => format!("{value} = $1"),
        Subject::Email(_) => format!("lower({value}) = lower($1)"),
    };
    let sql = format!(
        "DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM unnest($2::text[]) k WHERE {condition})"
    );
    let result = sqlx::query(AssertSqlSafe(sql))
        .bind(subject.identifier())
        .bind(user_keys)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

/// Deletes the rows whose `user_id` is the subject.
pub async fn delete_attributed(pool: &PgPool, table: &str, subject: &Subject) -> sqlx::Result<u64> {
    let condition = match subject {
        Subject::UserId(_) => "user_id = $1",
        Subject::Email(_) => "lower(user_id) = lower($1)",
    };
    let sql = format!("DELETE FROM {table} WHERE {condition}");
    let result = sqlx::query(AssertSqlSafe(sql))
        .bind(subject.identifier())
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
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

/// Rewrites the exception groups whose message or sample stack trace mentions the identifier.
pub async fn scrub_exception_groups(
    pool: &PgPool,
    scrubber: &Scrubber,
    identifier: &str,
) -> sqlx::Result<u64> {
    let mut transaction = pool.begin().await?;
    let (plain, _) = like_patterns(identifier);
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, message, sample_stacktrace FROM exception_groups \
         WHERE message ILIKE $1 OR sample_stacktrace ILIKE $1 FOR UPDATE",
    )
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
