//! What the health view reads from the database: the day partitions of `logs` made ahead of
//! today (from the catalogue), and the latest retention run (`retention_runs`).

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// The latest retention run, as `retention_runs` records it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RetentionRunRow {
    pub id: i64,
    /// `schedule`, `command` or `api`.
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    /// Null while it runs.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `ok`, `partial`, `failed` or `skipped`.
    pub status: String,
    /// Why it was skipped or failed as a whole.
    pub message: Option<String>,
}

/// Days after `today` whose partition of `logs` exists, counted from tomorrow until the first
/// missing day.
pub async fn days_ahead(pool: &PgPool, today: NaiveDate) -> sqlx::Result<u32> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'logs'::regclass",
    )
    .fetch_all(pool)
    .await?;
    let days: Vec<NaiveDate> = names.iter().filter_map(|n| day_of(n)).collect();
    let made = |ahead: u32| {
        (today.checked_add_days(Days::new(u64::from(ahead)))).is_some_and(|d| days.contains(&d))
    };
    Ok((1..).take_while(|ahead| made(*ahead)).count() as u32)
}

/// The day of a day partition's name, `logs_pYYYYMMDD`.
fn day_of(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix("logs_p")?;
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// The latest retention run, if any ran.
pub async fn last_retention_run(pool: &PgPool) -> sqlx::Result<Option<RetentionRunRow>> {
    sqlx::query_as(
        "SELECT id, trigger, started_at, finished_at, status, message FROM retention_runs \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// Whether the database answers a trivial query.
pub async fn reachable(pool: &PgPool) -> bool {
    let probe = sqlx::query("SELECT 1").execute(pool);
    let within = std::time::Duration::from_secs(2);
    matches!(tokio::time::timeout(within, probe).await, Ok(Ok(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_day_partitions_name_a_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(day_of("logs_p20261205"), Some(day));
        assert_eq!(day_of("logs_p20261205_short"), None);
        assert_eq!(day_of("logs_x20261205_short_3"), None);
        assert_eq!(day_of("spans_p20261205"), None);
    }
}
