//! Plan tests of the log page (issue 21): over enough rows, in partitions split by day and
//! retention class, for the planner's choice to matter, `EXPLAIN (FORMAT JSON)` of the very
//! statements `store::read::page` runs must show partitions pruned to the range, the full-text
//! index used for rare words, and no partition walked row by row with a `to_tsvector` filter
//! when its class does not hold the word. Nothing is timed: a schema or query change that
//! brings back the per-row walk (2 s instead of 5 ms at 10 M rows) fails here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use logbridge::store::read::{LogFilter, page};
use serde_json::Value;
use sqlx::{PgPool, Row};

use super::helpers::{TestApp, spawn_app};

/// Days of rows before now, and rows per day: enough that a partition's walk is thousands of
/// rows while the load stays a few seconds.
const DAYS: i64 = 2;
const ROWS_PER_DAY: i64 = 50_000;
/// Partitions smaller than this may be read row by row: a sequential scan of a few thousand
/// rows is the planner's right choice, and the class `exceptions` holds about 2,500 a day.
const MIN_WALKED_ROWS: i64 = 5_000;

/// Rows with the benchmark's word frequencies and class split (bench/workload.rs): `query` in
/// a fifth of the rows, all of class `debug`; `timeout` in 1.2%, `deadlock` in 0.1%, both of
/// class `standard`; exceptions in class `exceptions`.
const LOAD: &str = "\
    SELECT setseed(0.21); \
    INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, exception_type, \
                      exception_message, retention_class) \
    SELECT ts, ts, 'svc' || (g % 8), level, 9, body, etype, emsg, \
           CASE WHEN emsg IS NOT NULL THEN 'exceptions' WHEN level = 'debug' THEN 'debug' \
                ELSE 'standard' END \
    FROM (SELECT g, '$END'::timestamptz - random() * (interval '1 day' * $DAYS) AS ts, random() AS r, \
                 random() * 1000 AS m FROM generate_series(1, $ROWS) g) x, \
    LATERAL (SELECT \
        CASE WHEN r < 0.55 THEN 'GET /api/v1/orders/' || g || ' 200 12 ms' \
             WHEN r < 0.75 THEN 'query executed' \
             WHEN r < 0.80 THEN 'request failed: payment provider answered 502 for order ' || g \
             WHEN m < 400 THEN 'cache refreshed for tenant ' || g || ' in 12 ms' \
             WHEN m < 520 THEN 'connection pool stats: 18 idle (pool ' || g || ')' \
             WHEN m < 580 THEN 'retrying call to inventory after timeout (request ' || g || ')' \
             WHEN m < 995 THEN 'invoice ' || g || ' generated and uploaded to object storage' \
             ELSE 'deadlock detected while updating order ' || g END AS body, \
        CASE WHEN r < 0.55 THEN 'info' WHEN r < 0.75 THEN 'debug' WHEN r < 0.80 THEN 'error' \
             WHEN m >= 400 AND m < 520 THEN 'debug' ELSE 'info' END AS level, \
        CASE WHEN r >= 0.75 AND r < 0.80 THEN 'IllegalStateException' END AS etype, \
        CASE WHEN r >= 0.75 AND r < 0.80 THEN 'payment provider answered 502' END AS emsg) b; \
    ANALYZE logs";

/// The start of today (UTC): the rows end there, so that every partition's size, and with it
/// the planner's choice, is the same whatever the time of day the test runs at.
fn midnight() -> DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

/// The [`DAYS`] whole days before today hold generated rows, analyzed.
async fn loaded_app() -> TestApp {
    let app = spawn_app().await;
    let today = Utc::now().date_naive();
    for day in 0..=DAYS {
        for class in ["security", "exceptions", "debug", "standard"] {
            sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                .bind(today - Duration::days(day))
                .bind(class)
                .execute(&app.db)
                .await
                .unwrap();
        }
    }
    let load = LOAD
        .replace("$END", &midnight().to_rfc3339())
        .replace("$DAYS", &DAYS.to_string())
        .replace("$ROWS", &(DAYS * ROWS_PER_DAY).to_string());
    sqlx::raw_sql(sqlx::AssertSqlSafe(load))
        .execute(&app.db)
        .await
        .unwrap();
    app
}

/// One node of a plan that reads a table or an index.
#[derive(Debug)]
struct Scan {
    relation: Option<String>,
    index: Option<String>,
    filter: String,
    /// Rows read: returned and removed by the filter, over every loop.
    read: i64,
}

fn scans(plan: &Value, out: &mut Vec<Scan>) {
    let text = |key: &str| plan.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |key: &str| plan.get(key).and_then(Value::as_f64).unwrap_or(0.0);
    if text("Relation Name").is_some() || text("Index Name").is_some() {
        let per_loop = number("Actual Rows") + number("Rows Removed by Filter");
        out.push(Scan {
            relation: text("Relation Name"),
            index: text("Index Name"),
            filter: text("Filter").unwrap_or_default(),
            read: (per_loop * number("Actual Loops")).round() as i64,
        });
    }
    for child in plan
        .get("Plans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        scans(child, out);
    }
}

/// Every scan of the statements the page runs for `filter`.
async fn page_scans(db: &PgPool, filter: &LogFilter) -> Vec<Scan> {
    let plans = page::explain_page(db, filter, None, 101).await.unwrap();
    let mut out = Vec::new();
    for plan in &plans {
        scans(&plan[0]["Plan"], &mut out);
    }
    assert!(!out.is_empty(), "no scans in {plans:?}");
    out
}

/// Rows per leaf partition of `logs`, and the class of each.
async fn leaves(db: &PgPool) -> BTreeMap<String, (i64, String)> {
    let rows = sqlx::query(
        "SELECT tableoid::regclass::text AS leaf, count(*) AS n, min(retention_class) AS class \
         FROM logs GROUP BY 1",
    )
    .fetch_all(db)
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.get("leaf"), (r.get("n"), r.get("class"))))
        .collect()
}

/// The partitions of the full-text index `logs_text_idx` (migration 0004), by their table.
async fn text_indexes(db: &PgPool) -> BTreeMap<String, String> {
    let rows = sqlx::query(
        "SELECT indrelid::regclass::text AS leaf, indexrelid::regclass::text AS index \
         FROM pg_index WHERE indexrelid IN \
         (SELECT relid FROM pg_partition_tree('logs_text_idx') WHERE isleaf)",
    )
    .fetch_all(db)
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.get("leaf"), r.get("index")))
        .collect()
}

/// The day of a partition named `logs_pYYYYMMDD_<class>`.
fn day_of(relation: &str) -> NaiveDate {
    let digits = relation.strip_prefix("logs_p").and_then(|r| r.get(..8));
    NaiveDate::parse_from_str(digits.unwrap_or(relation), "%Y%m%d")
        .unwrap_or_else(|_| panic!("a leaf of logs: {relation}"))
}

fn words(text: &str, from: DateTime<Utc>) -> LogFilter {
    LogFilter {
        from: Some(from),
        text: Some(text.to_string()),
        ..LogFilter::default()
    }
}

/// No scan reads a partition of a day before the range.
fn assert_pruned(scans: &[Scan], from: DateTime<Utc>) {
    for scan in scans.iter().filter_map(|s| s.relation.as_deref()) {
        assert!(
            day_of(scan) >= from.date_naive(),
            "{scan} is before the range starting {from}"
        );
    }
}

/// The classes whose rows in the range hold every word of `text`.
async fn classes_with(db: &PgPool, text: &str, from: DateTime<Utc>) -> BTreeSet<String> {
    let rows = sqlx::query(
        "SELECT DISTINCT retention_class FROM logs WHERE ts >= $1 AND \
         to_tsvector('simple', body || ' ' || coalesce(exception_message, '')) \
         @@ plainto_tsquery('simple', $2)",
    )
    .bind(from)
    .bind(text)
    .fetch_all(db)
    .await
    .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// Scans that read [`MIN_WALKED_ROWS`] rows or more of a partition, filtering each with
/// `to_tsvector` (a short window's few hundred rows may be read so: it costs less than the
/// full-text index of the whole day's partition).
fn per_row_walks<'a>(
    scans: &'a [Scan],
    leaves: &'a BTreeMap<String, (i64, String)>,
) -> impl Iterator<Item = (&'a Scan, &'a String)> + 'a {
    scans.iter().filter_map(|scan| {
        let (_, class) = leaves.get(scan.relation.as_deref()?)?;
        let walked = scan.read >= MIN_WALKED_ROWS && scan.filter.contains("to_tsvector");
        walked.then_some((scan, class))
    })
}

/// An order number of yesterday's rows: a word in one row, which no partition's statistics
/// list (the planner took such a word for a common one and walked a whole day by `ts`, 1.1 s
/// at 30 M rows).
async fn order_number(db: &PgPool) -> String {
    let body: String = sqlx::query_scalar(
        "SELECT body FROM logs WHERE ts < $1 AND body LIKE 'request failed%' \
         ORDER BY ts LIMIT 1",
    )
    .bind(midnight())
    .fetch_one(db)
    .await
    .unwrap();
    body.rsplit(' ').next().unwrap().to_string()
}

#[tokio::test]
async fn rare_words_are_found_through_the_full_text_index_in_every_partition() {
    let app = loaded_app().await;
    let from = midnight() - Duration::days(1);
    let leaves = leaves(&app.db).await;
    let text_indexes = text_indexes(&app.db).await;
    for word in ["deadlock".to_string(), order_number(&app.db).await] {
        let scans = page_scans(&app.db, &words(&word, from)).await;
        assert_pruned(&scans, from);
        let walks: Vec<_> = per_row_walks(&scans, &leaves).collect();
        assert!(
            walks.is_empty(),
            "q={word}: per-row to_tsvector filters: {walks:#?}"
        );
        let used: BTreeSet<&str> = scans.iter().filter_map(|s| s.index.as_deref()).collect();
        let read: BTreeSet<&str> = scans.iter().filter_map(|s| s.relation.as_deref()).collect();
        let holding_rows = read.iter().filter(|leaf| {
            let rows = leaves.get(**leaf).map_or(0, |(rows, _)| *rows);
            rows >= MIN_WALKED_ROWS
        });
        for leaf in holding_rows {
            let index = text_indexes[*leaf].as_str();
            assert!(
                used.contains(index),
                "q={word}: {leaf} is read without {index}: {scans:#?}"
            );
        }
    }
}

#[tokio::test]
async fn a_word_of_one_class_is_never_searched_row_by_row_in_the_others() {
    let app = loaded_app().await;
    let from = midnight() - Duration::days(1);
    let leaves = leaves(&app.db).await;
    let mut failures = Vec::new();
    for word in ["timeout", "query", "payment provider"] {
        let holding = classes_with(&app.db, word, from).await;
        assert_eq!(holding.len(), 1, "{word} is in one class: {holding:?}");
        let scans = page_scans(&app.db, &words(word, from)).await;
        assert_pruned(&scans, from);
        let elsewhere: Vec<_> = per_row_walks(&scans, &leaves)
            .filter(|(_, class)| !holding.contains(*class))
            .map(|(scan, _)| scan.relation.clone().unwrap_or_default())
            .collect();
        if !elsewhere.is_empty() {
            failures.push(format!(
                "q={word} (only in {holding:?}) walks {elsewhere:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "partitions of other classes walked row by row with a to_tsvector filter:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_bounded_range_reads_only_its_days() {
    let app = loaded_app().await;
    let to = Utc::now() - Duration::days(1);
    let from = to - Duration::hours(1);
    let filter = LogFilter {
        from: Some(from),
        to: Some(to),
        contains: Some("deadlock".into()),
        ..LogFilter::default()
    };
    let scans = page_scans(&app.db, &filter).await;
    assert_pruned(&scans, from);
    for relation in scans.iter().filter_map(|s| s.relation.as_deref()) {
        assert!(day_of(relation) <= to.date_naive(), "{relation} after {to}");
    }
}

#[tokio::test]
async fn pages_by_day_and_class_equal_the_single_statement() {
    let app = loaded_app().await;
    let now = Utc::now();
    let filters = [
        words("timeout", now - Duration::hours(30)),
        words("deadlock", now - Duration::days(DAYS + 1)),
        LogFilter {
            from: Some(now - Duration::hours(2)),
            contains: Some("deadlock".into()),
            ..LogFilter::default()
        },
        LogFilter {
            services: vec!["svc3".into()],
            levels: vec![logbridge::model::Level::Debug],
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
                let ids = |rows: &[logbridge::store::read::LogRow]| {
                    rows.iter().map(|r| r.id).collect::<Vec<_>>()
                };
                assert_eq!(ids(&rows), ids(&reference), "{filter:?} limit {limit}");
                let Some(last) = rows.last() else { break };
                after = Some(last.position());
            }
        }
    }
}

mod substring;
