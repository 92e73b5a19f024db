//! The log page over today and the days made ahead of it (issue 21): read in windows growing
//! back from the newest row, partitions known to be empty left out, and a service's errors
//! read through the partial index of migration 0015. The pages must equal the single
//! statement's whatever the time of day; the plans are checked on a whole past day, so that
//! they do not depend on it.

use chrono::{DateTime, Duration, Utc};
use logbridge::model::Level;
use logbridge::store::read::{LogFilter, LogRow, page};
use serde_json::Value;
use sqlx::{PgPool, Row};

use super::helpers::{TestApp, spawn_app};

/// `$ROWS` rows one every 3 seconds back from `$END`: eight services, a debug row in five, an
/// error in twenty (of class `standard`), `timeout` in one row of 83 and `deadlock` in one of
/// 997, and every tenth row of class `debug`.
const LOAD: &str = "\
    INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, retention_class) \
    SELECT ts, ts, 'svc' || (g % 8), \
           CASE WHEN g % 5 = 0 THEN 'debug' WHEN g % 20 = 1 THEN 'error' ELSE 'info' END, 9, \
           CASE WHEN g % 997 = 0 THEN 'deadlock detected on order ' || g \
                WHEN g % 83 = 0 THEN 'call to inventory failed after timeout ' || g \
                ELSE 'GET /api/v1/orders/' || g || ' 200' END, \
           CASE WHEN g % 5 = 0 THEN 'debug' ELSE 'standard' END \
    FROM (SELECT g, '$END'::timestamptz - g * interval '3 seconds' AS ts \
          FROM generate_series(1, $ROWS) g) x; \
    ANALYZE logs";

async fn load(db: &PgPool, end: DateTime<Utc>, rows: i64) {
    let days = rows * 3 / 86_400 + 1;
    for day in -1..=days {
        for class in ["security", "debug", "standard"] {
            sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                .bind((end - Duration::days(day)).date_naive())
                .bind(class)
                .execute(db)
                .await
                .unwrap();
        }
    }
    let load = LOAD
        .replace("$END", &end.to_rfc3339())
        .replace("$ROWS", &rows.to_string());
    sqlx::raw_sql(sqlx::AssertSqlSafe(load))
        .execute(db)
        .await
        .unwrap();
}

/// Rows up to now, and a few clock-skewed ones dated tomorrow.
async fn loaded_today() -> (TestApp, DateTime<Utc>) {
    let app = spawn_app().await;
    let now = Utc::now();
    load(&app.db, now, 24_000).await;
    load(&app.db, now + Duration::days(1), 5).await;
    (app, now)
}

fn ids(rows: &[LogRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn pages_read_in_windows_equal_the_single_statement() {
    let (app, now) = loaded_today().await;
    let since = |hours| Some(now - Duration::hours(hours));
    let filters = [
        LogFilter::default(),
        LogFilter {
            from: since(2),
            contains: Some("timeout".into()),
            ..LogFilter::default()
        },
        LogFilter {
            from: since(24),
            text: Some("deadlock".into()),
            ..LogFilter::default()
        },
        LogFilter {
            from: since(1),
            services: vec!["svc1".into()],
            levels: vec![Level::Error],
            ..LogFilter::default()
        },
        LogFilter {
            from: since(5),
            to: since(1),
            levels: vec![Level::Debug, Level::Error],
            ..LogFilter::default()
        },
    ];
    for filter in &filters {
        for limit in [7, 101, 1000] {
            let mut after = None;
            for _ in 0..3 {
                let rows = page::page(&app.db, filter, after, limit).await.unwrap();
                let reference = page::page_in_one_statement(&app.db, filter, after, limit);
                let reference = reference.await.unwrap();
                assert_eq!(ids(&rows), ids(&reference), "{filter:?} limit {limit}");
                let Some(last) = rows.last() else { break };
                after = Some(last.position());
            }
        }
    }
    let newest = page::page(&app.db, &LogFilter::default(), None, 1).await;
    assert!(
        newest.unwrap()[0].ts > now,
        "the row dated tomorrow comes first"
    );
}

/// The tables every statement of the page reads for `filter`.
async fn tables_read(db: &PgPool, filter: &LogFilter) -> Vec<String> {
    let plans = page::explain_page(db, filter, None, 101).await.unwrap();
    let mut tables = Vec::new();
    for plan in &plans {
        relations(&plan[0]["Plan"], &mut tables);
    }
    tables
}

fn relations(plan: &Value, out: &mut Vec<String>) {
    if let Some(relation) = plan.get("Relation Name").and_then(Value::as_str) {
        out.push(relation.to_string());
    }
    for child in plan
        .get("Plans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        relations(child, out);
    }
}

#[tokio::test]
async fn empty_partitions_of_today_and_the_days_ahead_are_not_read() {
    let (app, now) = loaded_today().await;
    let empty: Vec<String> = sqlx::query(
        "SELECT relid::regclass::text FROM pg_partition_tree('logs') \
         WHERE isleaf AND pg_relation_size(relid) = 0",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect();
    assert!(empty.iter().any(|t| t.ends_with("_security")), "{empty:?}");
    let filter = LogFilter {
        from: Some(now - Duration::hours(3)),
        contains: Some("timeout".into()),
        ..LogFilter::default()
    };
    let tables = tables_read(&app.db, &filter).await;
    assert!(!tables.is_empty());
    let today = now.format("logs_p%Y%m%d").to_string();
    // Only days not yet over are asked whether they are empty: before 03:00 the window also
    // reaches yesterday, whose empty partitions may be read.
    for table in tables.iter().filter(|t| t.as_str() >= today.as_str()) {
        assert!(
            !empty.contains(table),
            "{table} is empty, yet read: {tables:?}"
        );
    }
    assert!(tables.iter().any(|t| t.starts_with(&today)), "{tables:?}");
}

#[tokio::test]
async fn errors_of_a_service_are_read_through_the_partial_index() {
    let app = spawn_app().await;
    let midnight = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    load(&app.db, midnight, 28_000).await;
    let filter = LogFilter {
        from: Some(midnight - Duration::days(1)),
        to: Some(midnight),
        services: vec!["svc1".into()],
        levels: vec![Level::Error],
        ..LogFilter::default()
    };
    let plans = page::explain_page(&app.db, &filter, None, 101)
        .await
        .unwrap();
    let mut indexes = Vec::new();
    for plan in &plans {
        index_names(&plan[0]["Plan"], &mut indexes);
    }
    // The leaves of the partial index, with their tables.
    let partial: Vec<(String, String)> = sqlx::query(
        "SELECT indexrelid::regclass::text, indrelid::regclass::text FROM pg_index \
         WHERE indexrelid IN (SELECT relid FROM pg_partition_tree('logs_service_errors_ts_idx') \
         WHERE isleaf)",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect();
    let day = midnight - Duration::days(1);
    let standard = format!("{}_standard", day.format("logs_p%Y%m%d"));
    let through_partial = partial
        .iter()
        .any(|(index, table)| *table == standard && indexes.contains(index));
    assert!(
        through_partial,
        "{standard} not read through the partial index: {indexes:?}, {plans:?}"
    );
}

/// The index of every index or bitmap index scan of a plan.
fn index_names(plan: &Value, out: &mut Vec<String>) {
    if let Some(index) = plan.get("Index Name").and_then(Value::as_str) {
        out.push(index.to_string());
    }
    for child in plan
        .get("Plans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        index_names(child, out);
    }
}

#[tokio::test]
async fn windows_start_at_the_newest_row_when_rows_end_before_now() {
    let app = spawn_app().await;
    let now = Utc::now();
    let end = now - Duration::hours(6);
    load(&app.db, end, 12_000).await;
    let filter = LogFilter {
        from: Some(now - Duration::hours(24)),
        text: Some("get".into()),
        ..LogFilter::default()
    };
    let plans = page::explain_page(&app.db, &filter, None, 101)
        .await
        .unwrap();
    let first = &plans[0][0]["Plan"];
    // Windows from the clock would start with the ten empty minutes before now.
    assert_eq!(first["Actual Rows"], 101, "{first:#}");
    let rows = page::page(&app.db, &filter, None, 101).await.unwrap();
    let reference = page::page_in_one_statement(&app.db, &filter, None, 101);
    assert_eq!(ids(&rows), ids(&reference.await.unwrap()));
}
