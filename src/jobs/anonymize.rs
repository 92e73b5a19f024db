//! IP anonymization of old partitions of `logs` and `spans` (GDPR data minimization): once a day
//! partition is older than the configured age, every IP address in its rows is truncated, once,
//! and the partition is recorded in `anonymized_partitions` so that later runs skip it.

use chrono::{NaiveDate, Utc};
use sqlx::PgPool;

use super::rewrite::{self, Columns, LOG_COLUMNS, SPAN_COLUMNS, TextRewrite};

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

/// Anonymizes every leaf partition of `logs` and day partition of `spans` whose day ended at least `after_days` ago and that
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
        let Some((day, columns)) = day_of(&partition) else {
            continue;
        };
        if day >= horizon {
            continue;
        }
        let quoted = quote_identifier(&partition);
        let condition = "(t.*)::text ~ $2";
        let binds = [MAY_HOLD_AN_ADDRESS.to_owned()];
        let table = (quoted.as_str(), columns);
        let rows = rewrite::rewrite_rows(pool, table, condition, &binds, truncate).await?;
        record(pool, &partition, rows).await?;
        done.push(Anonymized { partition, rows });
    }
    Ok(done)
}

/// The leaf partitions of `logs` and `spans`.
const LEAVES: &str = "SELECT relid FROM pg_partition_tree('logs') WHERE isleaf \
    UNION ALL SELECT relid FROM pg_partition_tree('spans') WHERE isleaf";

/// Leaf partitions of `logs` and `spans` not yet anonymized, by name.
async fn pending(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    let sql = format!(
        "SELECT c.relname::text FROM ({LEAVES}) p JOIN pg_class c ON c.oid = p.relid \
         WHERE NOT EXISTS \
         (SELECT 1 FROM anonymized_partitions a WHERE a.partition = c.relname) ORDER BY 1"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
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
    let sql = format!(
        "DELETE FROM anonymized_partitions a WHERE NOT EXISTS \
         (SELECT 1 FROM ({LEAVES}) p JOIN pg_class c ON c.oid = p.relid \
          WHERE c.relname = a.partition)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    Ok(())
}

/// The day of a partition named `logs_pYYYYMMDD`, `logs_pYYYYMMDD_<class>` or
/// `spans_pYYYYMMDD`, and the columns of its rows.
fn day_of(partition: &str) -> Option<(NaiveDate, Columns)> {
    let (digits, columns) = match partition.strip_prefix("spans_p") {
        Some(rest) => (rest, SPAN_COLUMNS),
        None => (partition.strip_prefix("logs_p")?.get(..8)?, LOG_COLUMNS),
    };
    let day = NaiveDate::parse_from_str(digits, "%Y%m%d").ok()?;
    Some((day, columns))
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
        let day_of = |name| super::day_of(name).map(|(day, _)| day);
        assert_eq!(day_of("logs_p20261102"), day);
        assert_eq!(day_of("logs_p20261102_security"), day);
        assert_eq!(day_of("spans_p20261102"), day);
        let (_, columns) = super::day_of("spans_p20261102").unwrap();
        assert!(columns.json.contains(&"events"));
        assert_eq!(day_of("logs_restored"), None);
        assert_eq!(day_of("spans_restored"), None);
        assert_eq!(day_of("logs_p2026"), None);
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_identifier("logs_p20261102"), "\"logs_p20261102\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
