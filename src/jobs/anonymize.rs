//! IP anonymization of old log partitions (GDPR data minimization): once a day partition is older
//! than the configured age, every IP address in its rows is truncated, once, and the partition
//! is recorded in `anonymized_partitions` so that later runs skip it.

use chrono::{NaiveDate, Utc};
use sqlx::PgPool;

use super::rewrite::{self, TextRewrite};

/// Rows that may hold an address: a cheap regular-expression test of the whole row's text. IPv4
/// dotted quads, and two hex groups with a colon as IPv6 writes them (a superset; the rewrite
/// decides).
const MAY_HOLD_AN_ADDRESS: &str =
    r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f]{0,4}::?[0-9A-Fa-f]{1,4}:";

/// One partition anonymized by a run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Anonymized {
    pub partition: String,
    pub rows: u64,
}

/// Anonymizes every leaf partition of `logs` whose day ended at least `after_days` ago and that
/// was not anonymized before; returns what it changed.
pub async fn run(
    pool: &PgPool,
    after_days: u32,
    truncate: TextRewrite<'_>,
) -> sqlx::Result<Vec<Anonymized>> {
    forget_dropped(pool).await?;
    let horizon = Utc::now().date_naive() - chrono::Days::new(u64::from(after_days));
    let mut done = Vec::new();
    for partition in pending(pool).await? {
        let Some(day) = day_of(&partition) else {
            continue;
        };
        if day >= horizon {
            continue;
        }
        let quoted = quote_identifier(&partition);
        let condition = "(t.*)::text ~ $2";
        let binds = [MAY_HOLD_AN_ADDRESS.to_owned()];
        let rows = rewrite::rewrite_rows(pool, &quoted, condition, &binds, truncate).await?;
        record(pool, &partition, rows).await?;
        done.push(Anonymized { partition, rows });
    }
    Ok(done)
}

/// Leaf partitions of `logs` not yet anonymized, oldest first.
async fn pending(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_partition_tree('logs') p JOIN pg_class c ON c.oid = p.relid \
         WHERE p.isleaf AND NOT EXISTS \
         (SELECT 1 FROM anonymized_partitions a WHERE a.partition = c.relname) ORDER BY 1",
    )
    .fetch_all(pool)
    .await
}

async fn record(pool: &PgPool, partition: &str, rows: u64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO anonymized_partitions (partition, rows_changed) VALUES ($1, $2) \
         ON CONFLICT (partition) DO NOTHING",
    )
    .bind(partition)
    .bind(rows as i64)
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets partitions that no longer exist, so a day created again later is anonymized again.
async fn forget_dropped(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM anonymized_partitions a WHERE NOT EXISTS \
         (SELECT 1 FROM pg_partition_tree('logs') p JOIN pg_class c ON c.oid = p.relid \
          WHERE c.relname = a.partition)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The day of a partition named `logs_pYYYYMMDD` or `logs_pYYYYMMDD_<class>`.
fn day_of(partition: &str) -> Option<NaiveDate> {
    let digits = partition.strip_prefix("logs_p")?.get(..8)?;
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_day_from_partition_names() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2);
        assert_eq!(day_of("logs_p20261102"), day);
        assert_eq!(day_of("logs_p20261102_security"), day);
        assert_eq!(day_of("logs_restored"), None);
        assert_eq!(day_of("logs_p2026"), None);
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_identifier("logs_p20261102"), "\"logs_p20261102\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
