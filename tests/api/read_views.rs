//! The aggregate read endpoints: log stats and the slow-request, slow-query and error-rate
//! views, over records ingested at known times within the last hour.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app, spawn_app_with};

/// The four endpoints, for the checks every one of them must pass.
const ENDPOINTS: [&str; 4] = [
    "/api/v1/logs/stats",
    "/api/v1/monitoring/slow-requests",
    "/api/v1/monitoring/slow-queries",
    "/api/v1/monitoring/error-rates",
];

/// A 10-minute bucket start between 40 and 30 minutes ago: every record is placed at most 12
/// minutes after it, so within the default range of the last hour.
fn base() -> DateTime<Utc> {
    let start = (Utc::now() - Duration::minutes(30)).timestamp();
    DateTime::from_timestamp(start - start.rem_euclid(600), 0).unwrap()
}

fn at(base: DateTime<Utc>, seconds: i64) -> String {
    (base + Duration::seconds(seconds)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn trace(n: u8) -> String {
    format!("{n:032x}")
}

async fn ingest(app: &TestApp, records: &[Value]) {
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(app.post_json(body).await, 200);
}

/// Service a: 3 info and 2 errors differing only in a number in the first bucket, a warn and
/// a fatal in the second; service b: 2 info and an error in the second.
async fn seed_levels(app: &TestApp, base: DateTime<Utc>) {
    let log = |service: &str, level: &str, message: &str, seconds: i64| {
        json!({"service": service, "level": level, "message": message,
               "timestamp": at(base, seconds)})
    };
    ingest(
        app,
        &[
            log("a", "info", "started", 10),
            log("a", "info", "ready", 11),
            log("a", "info", "tick", 12),
            log("a", "error", "user 42 not found", 20),
            log("a", "error", "user 7 not found", 30),
            log("a", "warn", "slow disk", 610),
            log("a", "fatal", "disk 3 full", 620),
            log("b", "info", "b up", 615),
            log("b", "info", "b tick", 616),
            log("b", "error", "b failed 1", 630),
        ],
    )
    .await;
}

/// Service a: GET /users/{id} in 250, 1500 (a 500) and 3000 ms, POST /orders in 750 (a 503) and
/// 500 ms; service b: GET /b in 5000 ms.
async fn seed_requests(app: &TestApp, base: DateTime<Utc>) {
    let request = |service: &str, method: &str, route: &str, status: u16, ms: u32, n: u8| {
        json!({"service": service, "level": "info", "message": format!("{method} {route}"),
               "timestamp": at(base, 100 + i64::from(n)), "trace_id": trace(n),
               "request_method": method, "http.route": route,
               "response_status": status, "duration_ms": ms})
    };
    ingest(
        app,
        &[
            request("a", "GET", "/users/{id}", 200, 250, 1),
            request("a", "GET", "/users/{id}", 500, 1500, 2),
            request("a", "GET", "/users/{id}", 200, 3000, 3),
            request("a", "POST", "/orders", 503, 750, 4),
            request("a", "POST", "/orders", 201, 500, 5),
            request("b", "GET", "/b", 200, 5000, 6),
        ],
    )
    .await;
}

/// Service a: one SELECT in 625, 1000 and 2000 ms, an UPDATE in 750 ms and a fast SELECT;
/// service b: a DELETE in 4000 ms.
async fn seed_queries(app: &TestApp, base: DateTime<Utc>) {
    let query = |service: &str, statement: &str, ms: u32, n: u8| {
        json!({"service": service, "level": "debug", "message": "query",
               "timestamp": at(base, 200 + i64::from(n)), "trace_id": trace(n),
               "db.statement": statement, "db.system": "postgresql", "duration_ms": ms})
    };
    ingest(
        app,
        &[
            query("a", "SELECT * FROM users WHERE id = 1", 625, 11),
            query("a", "SELECT * FROM users WHERE id = 2", 2000, 12),
            query("a", "SELECT * FROM users WHERE id = 3", 1000, 13),
            query("a", "UPDATE users SET name = 'x' WHERE id = 5", 750, 14),
            query("a", "SELECT * FROM sessions WHERE id = 6", 100, 15),
            query("b", "DELETE FROM items WHERE id = 9", 4000, 16),
        ],
    )
    .await;
}

fn field<'a>(items: &'a Value, key: &str) -> Vec<&'a Value> {
    items.as_array().unwrap().iter().map(|i| &i[key]).collect()
}

async fn id_of(app: &TestApp, trace_id: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM logs WHERE trace_id = $1")
        .bind(trace_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn stats_count_buckets_services_and_error_groups() {
    let app = spawn_app().await;
    let base = base();
    seed_levels(&app, base).await;
    let reader = app.token("reader", None).await;
    let stats = app
        .get_json(&reader, "/api/v1/logs/stats?interval=10m")
        .await;
    assert_eq!(stats["interval_seconds"], 600);
    let second = base + Duration::minutes(10);
    let starts: Vec<DateTime<Utc>> = field(&stats["buckets"], "start")
        .into_iter()
        .map(|s| s.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(starts, [base, second]);
    assert_eq!(
        stats["buckets"][0]["counts"],
        json!({"info": 3, "error": 2})
    );
    assert_eq!(
        stats["buckets"][1]["counts"],
        json!({"info": 2, "warn": 1, "error": 1, "fatal": 1})
    );
    assert_eq!(
        stats["top_services"],
        json!([{"service": "a", "count": 7}, {"service": "b", "count": 3}])
    );
    let errors = &stats["top_errors"];
    assert_eq!(
        field(errors, "message"),
        ["user 7 not found", "b failed 1", "disk 3 full"]
    );
    assert_eq!(field(errors, "count"), [2, 1, 1]);
    assert_eq!(field(errors, "service"), ["a", "b", "a"]);
    assert_eq!(errors[0]["exception_type"], Value::Null);
    let last_seen: DateTime<Utc> = errors[0]["last_seen"].as_str().unwrap().parse().unwrap();
    assert_eq!(last_seen, base + Duration::seconds(30));
    assert_eq!((&stats["total"], &stats["errors"]), (&json!(10), &json!(4)));
    assert_eq!(stats["error_ratio"], 0.4);
}

#[tokio::test]
async fn stats_apply_the_log_filters_and_reject_bad_input() {
    let app = spawn_app().await;
    seed_levels(&app, base()).await;
    let reader = app.token("reader", None).await;
    let stats = app
        .get_json(&reader, "/api/v1/logs/stats?service=b&min_level=error")
        .await;
    assert_eq!((&stats["total"], &stats["errors"]), (&json!(1), &json!(1)));
    assert_eq!(stats["error_ratio"], 1.0);
    let empty = app
        .get_json(&reader, "/api/v1/logs/stats?from=now-1m")
        .await;
    assert_eq!(
        (&empty["total"], &empty["error_ratio"]),
        (&json!(0), &json!(0.0))
    );
    assert_eq!(empty["buckets"], json!([]));
    for (query, parameter) in [
        ("interval=fortnight", "interval"),
        ("from=now-30d&interval=1s", "interval"),
        ("level=loud", "level"),
        ("limit=5", "limit"),
    ] {
        let response = app
            .get_as(&reader, &format!("/api/v1/logs/stats?{query}"))
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"]["parameter"], parameter, "{query}");
    }
}

#[tokio::test]
async fn slow_requests_cross_the_threshold_slowest_first() {
    let app = spawn_app().await;
    seed_requests(&app, base()).await;
    let reader = app.token("reader", None).await;
    let slow = app
        .get_json(&reader, "/api/v1/monitoring/slow-requests")
        .await;
    assert_eq!(slow["threshold_ms"], 1000.0);
    let requests = &slow["requests"];
    assert_eq!(field(requests, "duration_ms"), [5000.0, 3000.0, 1500.0]);
    assert_eq!(
        requests[2],
        json!({"id": id_of(&app, &trace(2)).await, "ts": requests[2]["ts"], "service": "a",
               "method": "GET", "route": "/users/{id}", "status": 500,
               "duration_ms": 1500.0, "trace_id": trace(2)})
    );
    let path = "/api/v1/monitoring/slow-requests?threshold_ms=600&route=/orders&service=a";
    let orders = app.get_json(&reader, path).await;
    assert_eq!(orders["threshold_ms"], 600.0);
    assert_eq!(field(&orders["requests"], "duration_ms"), [750.0]);
    let limited = app
        .get_json(
            &reader,
            "/api/v1/monitoring/slow-requests?threshold_ms=0&limit=2",
        )
        .await;
    assert_eq!(field(&limited["requests"], "duration_ms"), [5000.0, 3000.0]);
    let audited: Option<i64> = sqlx::query_scalar(
        "SELECT rows FROM audit_log WHERE endpoint = '/api/v1/monitoring/slow-requests' \
         ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, Some(3));
}

#[tokio::test]
async fn slow_queries_group_by_fingerprint_with_percentiles_and_an_example() {
    let app = spawn_app().await;
    seed_queries(&app, base()).await;
    let reader = app.token("reader", None).await;
    let slow = app
        .get_json(&reader, "/api/v1/monitoring/slow-queries")
        .await;
    assert_eq!(slow["threshold_ms"], 500.0);
    let queries = &slow["queries"];
    assert_eq!(
        field(queries, "fingerprint"),
        [
            "SELECT * FROM users WHERE id = ?",
            "DELETE FROM items WHERE id = ?",
            "UPDATE users SET name = ? WHERE id = ?",
        ]
    );
    let users = &queries[0];
    assert_eq!(
        (&users["db_system"], &users["operation"]),
        (&json!("postgresql"), &json!("SELECT"))
    );
    assert_eq!(users["count"], 3);
    assert_eq!(
        (&users["p50_ms"], &users["max_ms"]),
        (&json!(1000.0), &json!(2000.0))
    );
    assert!((users["p95_ms"].as_f64().unwrap() - 1900.0).abs() < 1e-6);
    let example = &users["example"];
    assert_eq!(example["id"], id_of(&app, &trace(12)).await);
    assert_eq!(
        (&example["service"], &example["trace_id"]),
        (&json!("a"), &json!(trace(12)))
    );
    let strict = app
        .get_json(
            &reader,
            "/api/v1/monitoring/slow-queries?threshold_ms=1000&limit=1",
        )
        .await;
    assert_eq!(strict["queries"].as_array().unwrap().len(), 1);
    assert_eq!(strict["queries"][0]["count"], 2);
    assert_eq!(strict["queries"][0]["p50_ms"], 1500.0);
}

#[tokio::test]
async fn error_rates_rank_routes_by_their_5xx_ratio() {
    let app = spawn_app().await;
    seed_requests(&app, base()).await;
    let reader = app.token("reader", None).await;
    let rates = app
        .get_json(&reader, "/api/v1/monitoring/error-rates")
        .await;
    assert_eq!(
        rates["routes"],
        json!([
            {"service": "a", "route": "/orders", "requests": 2, "errors_5xx": 1,
             "error_ratio": 0.5},
            {"service": "a", "route": "/users/{id}", "requests": 3, "errors_5xx": 1,
             "error_ratio": 1.0 / 3.0},
            {"service": "b", "route": "/b", "requests": 1, "errors_5xx": 0, "error_ratio": 0.0},
        ])
    );
    let busy = app
        .get_json(&reader, "/api/v1/monitoring/error-rates?min_requests=3")
        .await;
    assert_eq!(field(&busy["routes"], "route"), ["/users/{id}"]);
    let response = app
        .get_as(&reader, "/api/v1/monitoring/error-rates?min_requests=0")
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_scoped_reader_never_sees_other_services() {
    let app = spawn_app().await;
    let base = base();
    seed_levels(&app, base).await;
    seed_requests(&app, base).await;
    seed_queries(&app, base).await;
    let scoped = app.token("reader", Some(&["a"])).await;
    let stats = app.get_json(&scoped, "/api/v1/logs/stats").await;
    assert_eq!(field(&stats["top_services"], "service"), ["a"]);
    assert_eq!(field(&stats["top_errors"], "service"), ["a", "a"]);
    assert_eq!((&stats["total"], &stats["errors"]), (&json!(17), &json!(3)));
    let views = [
        (
            "/api/v1/monitoring/slow-requests?threshold_ms=0",
            "requests",
        ),
        ("/api/v1/monitoring/slow-queries?threshold_ms=0", "queries"),
        ("/api/v1/monitoring/error-rates", "routes"),
    ];
    for (path, key) in views {
        let answer = app.get_json(&scoped, path).await;
        let services: Vec<&Value> = answer[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item.get("service").unwrap_or(&item["example"]["service"]))
            .collect();
        assert!(!services.is_empty(), "{path}");
        assert!(services.iter().all(|s| *s == "a"), "{path}: {answer}");
    }
    for endpoint in ENDPOINTS {
        let response = app.get_as(&scoped, &format!("{endpoint}?service=b")).await;
        assert_eq!(response.status(), 403, "{endpoint}");
    }
}

#[tokio::test]
async fn views_need_a_token_and_refuse_unknown_or_bad_parameters() {
    let app = spawn_app().await;
    let reader = app.token("reader", None).await;
    for endpoint in ENDPOINTS {
        assert_eq!(app.get(endpoint).await.status(), 401, "{endpoint}");
        let unknown = app
            .get_as(&reader, &format!("{endpoint}?colour=blue"))
            .await;
        assert_eq!(unknown.status(), 400, "{endpoint}");
        let reversed = app
            .get_as(&reader, &format!("{endpoint}?from=now&to=now-1h"))
            .await;
        assert_eq!(reversed.status(), 400, "{endpoint}");
    }
    for endpoint in &ENDPOINTS[1..3] {
        let response = app
            .get_as(&reader, &format!("{endpoint}?threshold_ms=-5"))
            .await;
        assert_eq!(response.status(), 400, "{endpoint}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"]["parameter"], "threshold_ms");
    }
}

#[tokio::test]
async fn support_tokens_see_error_messages_masked() {
    // Personal data as stored without redaction: masking is what is tested here.
    let app = spawn_app_with(|config| config.redaction.enabled = false).await;
    let record = json!({"service": "a", "level": "error",
        "message": "login failed for bob@example.com", "timestamp": at(base(), 5)});
    ingest(&app, &[record]).await;
    let support = app.token("support", None).await;
    let stats = app.get_json(&support, "/api/v1/logs/stats").await;
    assert_eq!(stats["top_errors"][0]["message"], "login failed for ***");
}
