//! The properties of deduplication under random streams: every acknowledged record counted
//! once, one row per key and window, whatever the request split and however writers race.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::json;

use super::{line, minute_ago_30, rows};
use crate::api::helpers::{TestApp, spawn_app_with};

/// The window of the bridges of these tests, in seconds.
const WINDOW_SECONDS: i64 = 10;

/// One generated record of a property case: small alphabets make duplicates common.
#[derive(Debug, Clone)]
struct Record {
    service: u8,
    level: u8,
    body: u8,
    tenant: Option<u8>,
    noise: u16,
    millis: i64,
}

/// The fields a row is keyed by, and its window.
type Key = (String, String, String, Option<String>, i64);

impl Record {
    fn key(&self, case: usize, start: DateTime<Utc>) -> Key {
        let ts = self.ts(start);
        (
            format!("case{case}-{}", self.service),
            ["info", "error"][self.level as usize].to_string(),
            format!("message {}", self.body),
            self.tenant.map(|t| format!("t{t}")),
            ts.timestamp().div_euclid(WINDOW_SECONDS),
        )
    }

    fn ts(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        start + Duration::milliseconds(self.millis)
    }

    fn line(&self, case: usize, start: DateTime<Utc>) -> String {
        let (service, level, body, tenant, _) = self.key(case, start);
        let mut attributes = json!({"noise": self.noise});
        if let Some(tenant) = tenant {
            attributes["tenant"] = json!(tenant);
        }
        line(&service, &level, &body, self.ts(start), attributes)
    }
}

fn record_strategy() -> impl Strategy<Value = Record> {
    let fields = (0..2u8, 0..2u8, 0..3u8, prop::option::of(0..2u8));
    (fields, any::<u16>(), 0..40_000i64).prop_map(
        |((service, level, body, tenant), noise, millis)| Record {
            service,
            level,
            body,
            tenant,
            noise,
            millis,
        },
    )
}

/// Per key: stored rows, records, earliest and latest event time.
type Stored = BTreeMap<Key, (i64, i64, DateTime<Utc>, DateTime<Utc>)>;

/// The rows of one key and window, as stored.
#[derive(sqlx::FromRow)]
struct StoredGroup {
    service: String,
    level: String,
    body: String,
    tenant: Option<String>,
    window: i64,
    rows: i64,
    records: i64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

async fn stored(app: &TestApp, case: usize) -> Stored {
    let groups: Vec<StoredGroup> = sqlx::query_as(
        "SELECT service, level, body, attributes->>'tenant' AS tenant, \
         floor(extract(epoch FROM ts) / $2)::bigint AS window, count(*) AS rows, \
         sum(dedup_count)::bigint AS records, min(first_seen) AS first, max(last_seen) AS last \
         FROM logs WHERE service LIKE $1 GROUP BY 1, 2, 3, 4, 5",
    )
    .bind(format!("case{case}-%"))
    .bind(WINDOW_SECONDS as f64)
    .fetch_all(&app.db)
    .await
    .unwrap();
    groups
        .into_iter()
        .map(|g| {
            let key = (g.service, g.level, g.body, g.tenant, g.window);
            (key, (g.rows, g.records, g.first, g.last))
        })
        .collect()
}

/// Sends the case's records in the given request sizes, all requests at once.
async fn send(app: &TestApp, lines: &[String], sizes: &[usize]) {
    let mut requests = Vec::new();
    let mut rest = lines;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        requests.push(app.post_json_in_background(chunk.concat()));
        rest = tail;
    }
    for request in requests {
        assert_eq!(request.await.unwrap(), 200, "every request is acknowledged");
    }
}

#[test]
fn every_record_is_counted_once_and_each_window_has_one_row() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = spawn_app_with(|c| {
            c.dedup.enabled = true;
            c.dedup.attributes = vec!["tenant".into()];
            c.ingest.writers = 3;
            c.ingest.batch_max_records = 16;
        })
        .await;
        let mut runner = TestRunner::new(ProptestConfig::with_cases(CASES as u32));
        let case_strategy = (
            prop::collection::vec(record_strategy(), 20..120),
            prop::collection::vec(1..30usize, 1..8),
        );
        let (mut records, mut rows) = (0, 0);
        for case in 0..CASES {
            let (generated, sizes) = case_strategy.new_tree(&mut runner).unwrap().current();
            rows += check_case(&app, case, &generated, &sizes).await;
            records += generated.len();
        }
        let merged = app.metric_sum("logbridge_dedup_merged_total", &[]).await;
        assert_eq!(merged as usize, records - rows, "records folded into rows");
        assert_eq!(deadlocks(&app).await, 0, "writers lock in one order");
    });
}

/// Deadlocks PostgreSQL detected in the test's database. A refused group is retried job by
/// job, so a deadlock would not show in the answers; it must not happen at all.
async fn deadlocks(app: &TestApp) -> i64 {
    // Backends report their statistics within a second.
    tokio::time::sleep(StdDuration::from_millis(1200)).await;
    sqlx::query_scalar("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Property cases, each with its own services in one bridge.
const CASES: usize = 24;

/// Sends a case's records in requests of the given sizes, all at once, and checks what is
/// stored and counted; returns the rows stored.
async fn check_case(app: &TestApp, case: usize, records: &[Record], sizes: &[usize]) -> usize {
    let start = minute_ago_30();
    let lines: Vec<String> = records.iter().map(|r| r.line(case, start)).collect();
    send(app, &lines, sizes).await;
    let mut expected: Stored = BTreeMap::new();
    for record in records {
        let ts = record.ts(start);
        let key = record.key(case, start);
        let entry = expected.entry(key).or_insert((1, 0, ts, ts));
        entry.1 += 1;
        (entry.2, entry.3) = (entry.2.min(ts), entry.3.max(ts));
    }
    let got = stored(app, case).await;
    // Each: key, expected (rows, records, first, last), stored.
    let wrong: Vec<_> = expected
        .iter()
        .filter(|(key, want)| got.get(*key) != Some(*want))
        .map(|(key, want)| (key, want, got.get(key)))
        .collect();
    let context = format!("case {case}, requests of {sizes:?}");
    assert!(wrong.is_empty(), "{context}: {wrong:#?}");
    assert_eq!(
        got.len(),
        expected.len(),
        "{context}: no row without records"
    );
    let mut counted = 0.0;
    for service in [0, 1].map(|s| format!("case{case}-{s}")) {
        counted += app
            .metric_sum("log_records_total", &[("service", &service)])
            .await;
    }
    assert_eq!(
        counted as usize,
        records.len(),
        "{context}: metrics count every record"
    );
    got.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_racing_on_one_key_store_one_row() {
    let app = spawn_app_with(|c| {
        c.dedup.enabled = true;
        c.ingest.writers = 4;
        c.ingest.batch_max_records = 1;
    })
    .await;
    let ts = minute_ago_30();
    let body = line("shop", "info", "tick", ts, json!({})).repeat(5);
    for round in 0..3 {
        let requests: Vec<_> = (0..40)
            .map(|_| app.post_json_in_background(body.clone()))
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap(), 200);
        }
        let stored = rows(&app, "shop").await;
        assert_eq!(stored.len(), 1, "round {round}: {stored:?}");
        assert_eq!(stored[0].3, 200 * (round + 1));
    }
    assert_eq!(deadlocks(&app).await, 0);
}
