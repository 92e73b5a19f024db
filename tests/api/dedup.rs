//! Deduplication: identical records of a window stored once with their count, across requests,
//! writers and refused groups; metrics and reads still count every record.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use logbridge::config::dedup::ServiceDedup;
use serde_json::{Value, json};

use super::helpers::{TestApp, eventually, spawn_app_with};

mod property;

/// One NDJSON line of the JSON receiver.
fn line(service: &str, level: &str, body: &str, ts: DateTime<Utc>, attributes: Value) -> String {
    let mut object = json!({"service": service, "level": level, "message": body,
        "timestamp": ts.to_rfc3339_opts(SecondsFormat::Millis, true)});
    let fields = object.as_object_mut().unwrap();
    fields.extend(attributes.as_object().cloned().unwrap_or_default());
    format!("{object}\n")
}

/// A time on a minute boundary (so on a window boundary), half an hour ago.
fn minute_ago_30() -> DateTime<Utc> {
    (Utc::now() - Duration::minutes(30))
        .duration_trunc(Duration::minutes(1))
        .unwrap()
}

fn rfc3339(ts: DateTime<Utc>) -> String {
    ts.to_rfc3339().replace('+', "%2B")
}

/// The stored rows of a service: body, level, ts, dedup_count, first_seen, last_seen, the
/// attribute `request_id`.
type Row = (
    String,
    String,
    DateTime<Utc>,
    i32,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
);

async fn rows(app: &TestApp, service: &str) -> Vec<Row> {
    sqlx::query_as(
        "SELECT body, level, ts, dedup_count, first_seen, last_seen, attributes->>'request_id' \
         FROM logs WHERE service = $1 ORDER BY ts, body, level",
    )
    .bind(service)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn identical_records_of_a_window_are_stored_once_with_their_count() {
    let app = spawn_app_with(|c| c.dedup.enabled = true).await;
    let start = minute_ago_30();
    let at = |ms| start + Duration::milliseconds(ms);
    let miss = |ms, id: &str| {
        line(
            "shop",
            "warn",
            "cache miss",
            at(ms),
            json!({"request_id": id}),
        )
    };
    // Two requests: duplicates merge within a request and across requests.
    let first = [miss(4_000, "r1"), miss(0, "r2")].concat();
    let second = [
        miss(9_999, "r3"),
        miss(10_000, "r4"),
        line("shop", "warn", "cache hit", at(1_000), json!({})),
        line("shop", "error", "cache miss", at(1_000), json!({})),
    ]
    .concat();
    assert_eq!(app.post_json(first).await, 200);
    assert_eq!(app.post_json(second).await, 200);

    let stored = rows(&app, "shop").await;
    assert_eq!(stored.len(), 4, "{stored:#?}");
    let merged = stored
        .iter()
        .find(|r| r.0 == "cache miss" && r.1 == "warn")
        .unwrap();
    assert_eq!(merged.2, at(4_000), "the first record's row is kept");
    assert_eq!(merged.6.as_deref(), Some("r1"));
    assert_eq!(merged.3, 3, "three records in the first window");
    assert_eq!((merged.4, merged.5), (Some(at(0)), Some(at(9_999))));
    let next_window = stored.iter().find(|r| r.2 == at(10_000)).unwrap();
    assert_eq!((next_window.3, next_window.4), (1, Some(at(10_000))));

    assert_eq!(
        app.metric_sum("log_records_total", &[("service", "shop")])
            .await,
        6.0
    );
    assert_eq!(
        app.metric_sum("logbridge_dedup_merged_total", &[]).await,
        2.0
    );
    reads_count_every_record(&app, start).await;
}

/// The read API shows the counts, and stats count records, from rollups and from rows alike.
async fn reads_count_every_record(app: &TestApp, start: DateTime<Utc>) {
    let token = app.token("reader", None).await;
    let page = app
        .get_json(&token, "/api/v1/logs?service=shop&level=warn&contains=miss")
        .await;
    let logs = page["logs"].as_array().unwrap();
    let counts: Vec<i64> = logs
        .iter()
        .map(|l| l["dedup_count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [1, 3], "newest first");
    let first_seen = DateTime::parse_from_rfc3339(logs[1]["first_seen"].as_str().unwrap()).unwrap();
    assert_eq!(first_seen, start);
    assert_eq!(
        logs[0]["first_seen"], logs[0]["ts"],
        "a single record's own time"
    );

    let range = format!(
        "from={}&to={}",
        rfc3339(start),
        rfc3339(start + Duration::minutes(2))
    );
    // Whole minutes come from the rollups; `contains` makes stats read the rows themselves.
    for extra in ["", "&contains=cache"] {
        let stats = app
            .get_json(&token, &format!("/api/v1/logs/stats?{range}{extra}"))
            .await;
        assert_eq!(stats["total"], 6, "{extra}: {stats}");
        assert_eq!(stats["top_services"][0]["count"], 6, "{extra}");
        assert_eq!(stats["errors"], 1, "{extra}");
    }
    let export = app
        .get_as(&token, "/api/v1/logs/export?service=shop&format=ndjson")
        .await
        .text()
        .await
        .unwrap();
    let exported: i64 = export
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["dedup_count"]
                .as_i64()
                .unwrap()
        })
        .sum();
    assert_eq!(exported, 6, "{export}");
}

#[tokio::test]
async fn services_with_dedup_off_store_one_row_per_record() {
    let app = spawn_app_with(|c| {
        c.dedup.enabled = true;
        let off = ServiceDedup {
            enabled: Some(false),
            attributes: None,
        };
        c.dedup.services.insert("audit".into(), off);
    })
    .await;
    let ts = minute_ago_30();
    let same = |service| line(service, "info", "user logged in", ts, json!({}));
    let body = [
        same("audit"),
        same("audit"),
        same("audit"),
        same("shop"),
        same("shop"),
    ];
    assert_eq!(app.post_json(body.concat()).await, 200);
    let audit = rows(&app, "audit").await;
    assert_eq!(audit.len(), 3, "one row per record");
    for row in &audit {
        assert_eq!((row.3, row.4, row.5), (1, None, None), "{row:?}");
    }
    assert_eq!(rows(&app, "shop").await.len(), 1);
    assert_eq!(app.count("dedup_key IS NOT NULL").await, 1);

    let default = spawn_app_with(|_| {}).await;
    assert_eq!(default.post_json(body.concat()).await, 200);
    assert_eq!(default.count("true").await, 5, "dedup is off by default");
    assert_eq!(
        default.count("dedup_count = 1 AND dedup_key IS NULL").await,
        5
    );
}

/// Makes the database refuse any row whose body is `poison`, as it might refuse a bad batch.
async fn poison(app: &TestApp) {
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.body = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER refuse_poison BEFORE INSERT ON logs \
         FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
    )
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_group_neither_loses_nor_double_counts() {
    let app = spawn_app_with(|c| {
        c.dedup.enabled = true;
        c.ingest.writers = 1;
    })
    .await;
    poison(&app).await;
    let ts = minute_ago_30();
    let dup = || line("shop", "info", "tick", ts, json!({}));
    // The first request holds the writer while the others queue up into one group.
    let blocker = app.lock_logs().await;
    let mut pending = vec![app.post_json_in_background(dup())];
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    pending.push(app.post_json_in_background([dup(), dup()].concat()));
    pending.push(
        app.post_json_in_background(
            [dup(), line("shop", "info", "poison", ts, json!({}))].concat(),
        ),
    );
    pending.push(app.post_json_in_background([dup(), dup(), dup()].concat()));
    let queued = eventually(StdDuration::from_secs(10), || async {
        app.metric_sum("logbridge_queue_records", &[]).await == 8.0
    })
    .await;
    assert!(queued, "every request waits in the queue");
    blocker.rollback().await.unwrap();
    let mut statuses = Vec::new();
    for request in pending {
        statuses.push(request.await.unwrap().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 500, 200],
        "only the poisoned request fails"
    );
    let stored = rows(&app, "shop").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].3, 6, "the acknowledged records, each once");
    assert_eq!(app.metric_sum("log_records_total", &[]).await, 6.0);
    assert_eq!(
        app.metric_sum("logbridge_dedup_merged_total", &[]).await,
        5.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_whose_row_is_gone_full_or_expired_gets_a_new_row() {
    let app = spawn_app_with(|c| {
        c.dedup.enabled = true;
        c.dedup.window_seconds = 1;
        c.dedup.keep_open_seconds = 1;
    })
    .await;
    let ts = minute_ago_30();
    let dup = || line("shop", "info", "tick", ts, json!({}));
    let sum = || async {
        let sum: i64 = sqlx::query_scalar("SELECT sum(dedup_count) FROM logs")
            .fetch_one(&app.db)
            .await
            .unwrap();
        sum
    };
    assert_eq!(app.post_json([dup(), dup()].concat()).await, 200);
    assert_eq!(app.post_json(dup()).await, 200);
    assert_eq!((app.count("true").await, sum().await), (1, 3));

    // The row dropped (as retention drops a partition): the head points nowhere.
    sqlx::query("DELETE FROM logs")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.post_json(dup()).await, 200);
    assert_eq!((app.count("true").await, sum().await), (1, 1), "a new row");
    // A row at the limit of its counter.
    sqlx::query("UPDATE logs SET dedup_count = 2147483647")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.post_json(dup()).await, 200);
    assert_eq!(app.count("dedup_count = 1").await, 1, "a second row");

    // Unused heads expire after keep_open_seconds; a late duplicate then starts a new row.
    let expired = eventually(StdDuration::from_secs(15), || async {
        let heads: i64 = sqlx::query_scalar("SELECT count(*) FROM dedup_heads")
            .fetch_one(&app.db)
            .await
            .unwrap();
        heads == 0
    })
    .await;
    assert!(expired, "the head expires");
    assert_eq!(app.post_json(dup()).await, 200);
    assert_eq!(app.count("true").await, 3);
}
