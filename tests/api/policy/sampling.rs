//! Levels and sampling end to end.

use serde_json::{Value, json};

use super::{post_records, rows_of_trace, span_request, trace_id};
use crate::api::helpers::{spawn_app_with, spawn_beside};
use logbridge::config::Config;

fn sampled(ratio: f64) -> impl FnOnce(&mut Config) {
    move |config: &mut Config| config.policy.sampling.default_ratio = ratio
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_is_stored_whole_or_not_at_all_across_two_replicas() {
    let first = spawn_app_with(sampled(0.3)).await;
    let second = spawn_beside(&first, sampled(0.3)).await;
    let traces = 200;
    for n in 0..traces {
        let id = trace_id(n);
        let record = |i: u64| json!({"service": "web", "level": "info", "message": format!("step {i}"), "trace_id": id});
        assert_eq!(post_records(&first, &[record(1), record(2)]).await, 200);
        assert_eq!(post_records(&second, &[record(3), record(4)]).await, 200);
        for (span, app) in [(2 * n + 1, &first), (2 * n + 2, &second)] {
            let body = span_request("web", &id, span).to_string();
            let response = app.post("/v1/traces", "application/json", body).await;
            assert_eq!(response.status(), 200);
        }
    }
    let mut kept = 0;
    for n in 0..traces {
        let id = trace_id(n);
        let (logs, spans) = (
            rows_of_trace(&first, "logs", &id).await,
            rows_of_trace(&first, "spans", &id).await,
        );
        assert!(
            (logs, spans) == (4, 2) || (logs, spans) == (0, 0),
            "trace {id}: {logs} records and {spans} spans"
        );
        kept += usize::from(logs == 4);
    }
    // Binomial(200, 0.3): 60, sd ~ 6.5; five sd either side.
    assert!((28..=92).contains(&kept), "{kept} of {traces} traces kept");
    let dropped = first
        .metric_sum(
            "logbridge_ingest_sampled_out_total",
            &[("reason", "sampled")],
        )
        .await
        + second
            .metric_sum(
                "logbridge_ingest_sampled_out_total",
                &[("reason", "sampled")],
            )
            .await;
    assert_eq!(dropped as usize, (traces as usize - kept) * 6);
}

#[tokio::test]
async fn the_never_sampled_classes_are_always_stored() {
    let app = spawn_app_with(sampled(0.0)).await;
    let stack =
        "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: bad";
    let records = [
        json!({"service": "web", "level": "info", "message": "plain"}),
        json!({"service": "web", "level": "debug", "message": "detail"}),
        json!({"service": "web", "level": "warn", "message": "warned"}),
        json!({"service": "web", "level": "error", "message": "failed"}),
        json!({"service": "web", "level": "info", "message": "caught", "exc_info": stack}),
        json!({"service": "web", "level": "info", "message": "slow", "method": "GET", "route": "/a", "status": 200, "duration_ms": 5000}),
        json!({"service": "web", "level": "info", "message": "slow query", "db.statement": "SELECT 1", "duration_ms": 3000}),
        json!({"service": "web", "level": "info", "message": "login", "event.category": "authentication"}),
    ];
    assert_eq!(post_records(&app, &records).await, 200);
    let stored: Vec<String> = sqlx::query_scalar("SELECT body FROM logs ORDER BY body")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let expected = ["caught", "failed", "login", "slow", "slow query", "warned"];
    assert_eq!(stored, expected);
    let sampled = [("service", "web"), ("reason", "sampled")];
    assert_eq!(
        app.metric_sum("logbridge_ingest_sampled_out_total", &sampled)
            .await,
        2.0
    );
    assert_eq!(
        app.metric_sum("log_records_total", &[("service", "web")])
            .await,
        8.0
    );
}

#[tokio::test]
async fn minimum_levels_by_scope_service_and_environment_with_precedence() {
    let app = spawn_app_with(|config| {
        let levels = &mut config.policy.levels;
        levels
            .environments
            .insert("production".into(), "warn".parse_level());
        levels.services.insert("auth".into(), "info".parse_level());
        levels
            .scopes
            .insert("auth.audit".into(), "debug".parse_level());
    })
    .await;
    let record = |service: &str, logger: &str, env: &str, level: &str, message: &str| json!({"service": service, "logger": logger, "env": env, "level": level, "message": message});
    let records = [
        record(
            "web",
            "web.http",
            "production",
            "info",
            "web info in production",
        ),
        record(
            "web",
            "web.http",
            "production",
            "warn",
            "web warn in production",
        ),
        record(
            "web",
            "web.http",
            "staging",
            "debug",
            "web debug in staging",
        ),
        record("auth", "auth.login", "production", "info", "auth info"),
        record("auth", "auth.login", "production", "debug", "auth debug"),
        record(
            "auth",
            "auth.audit.trail",
            "production",
            "debug",
            "audit debug",
        ),
    ];
    assert_eq!(post_records(&app, &records).await, 200);
    let stored: Vec<String> = sqlx::query_scalar("SELECT body FROM logs ORDER BY body")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let expected = [
        "audit debug",
        "auth info",
        "web debug in staging",
        "web warn in production",
    ];
    assert_eq!(stored, expected);
    let below = |service| [("service", service), ("reason", "below_level")];
    assert_eq!(
        app.metric_sum("logbridge_ingest_sampled_out_total", &below("web"))
            .await,
        1.0
    );
    assert_eq!(
        app.metric_sum("logbridge_ingest_sampled_out_total", &below("auth"))
            .await,
        1.0
    );
}

/// A workload with requests, queries, exceptions and levels, the same every time.
fn workload() -> Vec<Vec<Value>> {
    let stack = "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nKeyError: 'x'";
    let record = |n: u64| {
        let service = ["web", "api"][(n % 2) as usize];
        let trace = (!n.is_multiple_of(4)).then(|| trace_id(n / 3));
        let level = ["info", "debug", "info", "trace"][(n % 4) as usize];
        let mut record = json!({"service": service, "level": level, "message": format!("event {n}"), "trace_id": trace});
        match n % 7 {
            0 => record["duration_ms"] = json!((n * 37) % 1500),
            1 => record["db.statement"] = json!(format!("SELECT * FROM t{} WHERE id = {n}", n % 3)),
            _ => {}
        }
        if n.is_multiple_of(7) {
            record["method"] = json!("GET");
            record["route"] = json!(format!("/items/{}", n % 5));
            record["status"] = json!([200, 404, 500][(n % 3) as usize]);
        }
        if n % 7 == 1 {
            record["duration_ms"] = json!((n * 13) % 900);
        }
        if n.is_multiple_of(50) {
            record["level"] = json!("error");
            record["exc_info"] = json!(stack);
        }
        record
    };
    (0..4)
        .map(|batch| (batch * 500..(batch + 1) * 500).map(record).collect())
        .collect()
}

/// The derived metrics' lines of `/metrics`, sorted.
async fn derived_metrics(app: &crate::api::helpers::TestApp) -> Vec<String> {
    let families = [
        "log_records_total",
        "http_server_",
        "db_client_",
        "exceptions_total",
    ];
    let text = app.get("/metrics").await.text().await.unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|line| families.iter().any(|f| line.starts_with(f)))
        .map(|line| line.split(" # ").next().unwrap().to_string())
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_metrics_are_the_same_at_ratio_1_and_0_1() {
    let full = spawn_app_with(sampled(1.0)).await;
    let tenth = spawn_app_with(sampled(0.1)).await;
    for batch in workload() {
        assert_eq!(post_records(&full, &batch).await, 200);
        assert_eq!(post_records(&tenth, &batch).await, 200);
    }
    let (all, some) = (full.count("true").await, tenth.count("true").await);
    assert_eq!(all, 2000);
    assert!(some < 1000, "{some} rows stored at 0.1");
    let expected = derived_metrics(&full).await;
    assert!(expected.len() > 20, "{expected:?}");
    assert_eq!(derived_metrics(&tenth).await, expected);
    let not_stored = tenth
        .metric_sum("logbridge_ingest_sampled_out_total", &[])
        .await;
    assert_eq!(not_stored as i64, all - some);
    assert_eq!(
        full.metric_sum("logbridge_ingest_sampled_out_total", &[])
            .await,
        0.0
    );
}

/// `"info".parse_level()`: a configured level from its name.
trait ParseLevel {
    fn parse_level(&self) -> logbridge::config::policy::LevelName;
}

impl ParseLevel for str {
    fn parse_level(&self) -> logbridge::config::policy::LevelName {
        serde_json::from_value(json!(self)).expect("a level name")
    }
}
