//! The exception endpoints: grouping as the list shows it, filters and sorts, one group with
//! its occurrences, resolving and regressions, patterns over time, scopes and masking.

use std::fmt::Display;

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app, spawn_app_with};

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn rfc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn instant(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// Now, to the second, so that times survive a round trip unchanged.
fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::seconds(1)).unwrap()
}

/// A log carrying an exception, as OpenTelemetry-style attributes.
fn exception(service: &str, kind: &str, message: &str, at: DateTime<Utc>) -> Value {
    json!({
        "service": service, "level": "error", "message": format!("failed: {message}"),
        "timestamp": rfc(at),
        "exception.type": kind, "exception.message": message,
        "exception.stacktrace":
            format!("{kind}: {message}\n    at handle (app.js:12:7)\n    at run (main.js:3:1)"),
    })
}

async fn post(app: &TestApp, records: &[Value]) {
    assert_eq!(app.post_json(ndjson(records)).await, 200);
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let answer = app
        .get_json(token, &format!("/api/v1/exceptions{query}"))
        .await;
    answer["exceptions"].as_array().unwrap().clone()
}

/// The exception types of a list, in order.
async fn types(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let groups = list(app, token, query).await;
    let kind = |g: &Value| g["exception_type"].as_str().unwrap().to_string();
    groups.iter().map(kind).collect()
}

/// The one group of `kind`, as an admin sees it in the list.
async fn group(app: &TestApp, kind: &str) -> Value {
    let admin = app.token("admin", None).await;
    let groups = list(app, &admin, &format!("?type={kind}")).await;
    assert_eq!(groups.len(), 1, "{kind}: {groups:?}");
    groups[0].clone()
}

async fn resolve(app: &TestApp, token: &str, id: impl Display, body: &str) -> reqwest::Response {
    change(app, token, id, "resolve", body).await
}

/// `PUT /api/v1/exceptions/{id}/{action}` (`resolve` or `reopen`) with `body`.
async fn change(
    app: &TestApp,
    token: &str,
    id: impl Display,
    action: &str,
    body: &str,
) -> reqwest::Response {
    app.client
        .put(format!("{}/api/v1/exceptions/{id}/{action}", app.http))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request is sent")
}

/// Asserts a 400 naming `parameter`.
async fn refused(response: reqwest::Response, parameter: &str) {
    assert_eq!(response.status(), 400, "{parameter}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["details"]["parameter"], parameter, "{body}");
}

#[tokio::test]
async fn occurrences_differing_in_an_id_share_a_group_and_other_types_do_not() {
    let app = spawn_app().await;
    let (t1, t2) = (now() - Duration::minutes(30), now() - Duration::minutes(10));
    post(
        &app,
        &[exception("api", "KeyError", "user 42 not found", t1)],
    )
    .await;
    let later = [
        exception("api", "KeyError", "user 7 not found", t2),
        exception("api", "ValueError", "user 7 not found", t2),
    ];
    post(&app, &later).await;
    let reader = app.token("reader", None).await;
    let groups = list(&app, &reader, "").await;
    assert_eq!(groups.len(), 2, "{groups:?}");
    let key_error = groups.iter().find(|g| g["exception_type"] == "KeyError");
    let key_error = key_error.unwrap();
    assert_eq!(key_error["occurrences"], 2);
    assert_eq!(instant(&key_error["first_seen"]), t1);
    assert_eq!(instant(&key_error["last_seen"]), t2);
    assert_eq!(key_error["message"], "user 42 not found");
    assert_eq!(key_error["service"], "api");
    assert_eq!(key_error["resolved"], false);
    let value_error = groups.iter().find(|g| g["exception_type"] == "ValueError");
    assert_eq!(value_error.unwrap()["occurrences"], 1);
    let id = &key_error["id"];
    for path in [
        "/api/v1/exceptions".to_string(),
        format!("/api/v1/exceptions/{id}"),
        "/api/v1/exceptions/patterns".to_string(),
    ] {
        assert_eq!(app.get(&path).await.status(), 401, "{path}");
    }
    let url = format!("{}/api/v1/exceptions/{id}/resolve", app.http);
    assert_eq!(app.client.put(url).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_list_filters_and_sorts() {
    let app = spawn_app().await;
    let ago = |minutes| now() - Duration::minutes(minutes);
    post(
        &app,
        &[
            exception("a", "Alpha", "x", ago(50)),
            exception("a", "Alpha", "x", ago(49)),
            exception("a", "Alpha", "x", ago(48)),
            exception("b", "Beta", "x", ago(5)),
            exception("a", "Gamma", "x", ago(30)),
            exception("a", "Gamma", "x", ago(20)),
        ],
    )
    .await;
    let reader = app.token("reader", None).await;
    let check = async |query: &str, expected: &[&str]| {
        assert_eq!(types(&app, &reader, query).await, expected, "{query}");
    };
    check("", &["Beta", "Gamma", "Alpha"]).await;
    check("?sort=last_seen", &["Beta", "Gamma", "Alpha"]).await;
    check("?sort=count", &["Alpha", "Gamma", "Beta"]).await;
    check("?service=a", &["Gamma", "Alpha"]).await;
    check(
        "?service=a&service=b&sort=count",
        &["Alpha", "Gamma", "Beta"],
    )
    .await;
    check("?type=Gamma", &["Gamma"]).await;
    check("?from=now-25m", &["Beta", "Gamma"]).await;
    check("?to=now-25m", &["Alpha"]).await;
    let window = format!("?from={}&to={}", rfc(ago(21)), rfc(ago(19)));
    check(&window, &["Gamma"]).await;
    check("?limit=1&offset=1", &["Gamma"]).await;
    check("?sort=count&limit=2", &["Alpha", "Gamma"]).await;
    check("?offset=3", &[]).await;
    let gamma = group(&app, "Gamma").await;
    assert_eq!(resolve(&app, &reader, &gamma["id"], "").await.status(), 200);
    check("?resolved=true", &["Gamma"]).await;
    check("?resolved=false", &["Beta", "Alpha"]).await;
    check("?regression=true", &[]).await;
    check("?regression=false&service=a", &["Gamma", "Alpha"]).await;
    for (query, parameter) in [
        ("sort=size", "sort"),
        ("sort=count&sort=last_seen", "sort"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
        ("offset=100001", "offset"),
        ("resolved=yes", "resolved"),
        ("regression=1", "regression"),
        ("from=yesterday", "from"),
        ("from=now&to=now-1h", "from"),
        ("type=", "type"),
        ("colour=blue", "colour"),
    ] {
        let path = format!("/api/v1/exceptions?{query}");
        refused(app.get_as(&reader, &path).await, parameter).await;
    }
}

#[tokio::test]
async fn a_group_has_its_sample_stack_and_newest_occurrences_linking_to_their_logs() {
    let app = spawn_app().await;
    let start = now() - Duration::hours(1);
    let records: Vec<Value> = (0..25)
        .map(|i| {
            let mut record = exception("api", "KeyError", &format!("user {i}"), start);
            record["timestamp"] = json!(rfc(start + Duration::seconds(i)));
            record["trace_id"] = json!(format!("{i:032x}"));
            record
        })
        .collect();
    post(&app, &records).await;
    post(&app, &[exception("api", "Other", "x", start)]).await;
    let reader = app.token("reader", None).await;
    let id = group(&app, "KeyError").await["id"].clone();
    let detail = app
        .get_json(&reader, &format!("/api/v1/exceptions/{id}"))
        .await;
    assert_eq!(detail["id"], id);
    assert_eq!(detail["occurrences"], 25);
    let stack = detail["sample_stacktrace"].as_str().unwrap();
    assert!(stack.starts_with("KeyError: user "), "{stack}");
    assert!(stack.contains("at handle (app.js:12:7)"), "{stack}");
    let recent = detail["recent_occurrences"].as_array().unwrap();
    assert_eq!(recent.len(), 20);
    assert_eq!(recent[0]["body"], "failed: user 24");
    assert_eq!(recent[19]["body"], "failed: user 5");
    assert_eq!(recent[0]["trace_id"], format!("{:032x}", 24));
    assert_eq!(instant(&recent[0]["ts"]), start + Duration::seconds(24));
    for occurrence in recent {
        let link = occurrence["link"].as_str().unwrap();
        assert_eq!(link, format!("/api/v1/logs/{}", occurrence["id"]));
        let log = app.get_json(&reader, link).await;
        assert_eq!(log["body"], occurrence["body"]);
        assert_eq!(log["exception_fingerprint"], detail["fingerprint"]);
        assert_eq!(log["exception_type"], "KeyError");
    }
    let audited: Option<i64> = sqlx::query_scalar(
        "SELECT rows FROM audit_log WHERE method = 'GET' AND endpoint = $1 AND status = 200",
    )
    .bind(format!("/api/v1/exceptions/{id}"))
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, Some(21), "the group and its 20 occurrences");
    let missing = app.get_as(&reader, "/api/v1/exceptions/999999").await;
    assert_eq!(missing.status(), 404);
    refused(app.get_as(&reader, "/api/v1/exceptions/abc").await, "id").await;
}

#[tokio::test]
async fn resolving_records_who_and_when_and_a_later_occurrence_reopens_as_a_regression() {
    let app = spawn_app().await;
    post(
        &app,
        &[exception(
            "api",
            "KeyError",
            "order 1 failed",
            now() - Duration::minutes(10),
        )],
    )
    .await;
    let reader = app.token("reader", None).await;
    let token_id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = 'test-reader'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let id = group(&app, "KeyError").await["id"].clone();
    let before = Utc::now();
    let response = resolve(&app, &reader, &id, r#"{"notes": "fixed in 1.2.3"}"#).await;
    assert_eq!(response.status(), 200);
    let resolved: Value = response.json().await.unwrap();
    let after = Utc::now();
    assert_eq!(resolved["resolved"], true);
    assert_eq!(resolved["regression"], false);
    assert_eq!(
        resolved["resolved_by"],
        format!("test-reader (token {token_id})")
    );
    assert_eq!(resolved["resolution_notes"], "fixed in 1.2.3");
    let resolved_at = instant(&resolved["resolved_at"]);
    let slack = Duration::seconds(1);
    assert!(before - slack <= resolved_at && resolved_at <= after + slack);

    // An occurrence from before the resolve, arriving late, leaves the group resolved.
    post(
        &app,
        &[exception(
            "api",
            "KeyError",
            "order 2 failed",
            now() - Duration::minutes(5),
        )],
    )
    .await;
    let late = group(&app, "KeyError").await;
    assert_eq!(
        (&late["resolved"], &late["occurrences"]),
        (&json!(true), &json!(2))
    );

    post(
        &app,
        &[exception("api", "KeyError", "order 3 failed", Utc::now())],
    )
    .await;
    let reader_path = format!("/api/v1/exceptions/{id}");
    let reopened = app.get_json(&reader, &reader_path).await;
    assert_eq!(reopened["resolved"], false);
    assert_eq!(reopened["regression"], true);
    assert_eq!(reopened["occurrences"], 3);
    assert!(instant(&reopened["reopened_at"]) >= resolved_at);
    assert_eq!(types(&app, &reader, "?regression=true").await, ["KeyError"]);

    let again = resolve(&app, &reader, &id, "").await;
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (&again["resolved"], &again["regression"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(again["resolution_notes"], Value::Null);

    refused(
        resolve(&app, &reader, &id, r#"{"note": "typo"}"#).await,
        "body",
    )
    .await;
    let long = json!({ "notes": "n".repeat(4097) }).to_string();
    refused(resolve(&app, &reader, &id, &long).await, "notes").await;
    refused(resolve(&app, &reader, "abc", "").await, "id").await;
    let unknown = resolve(&app, &reader, 999999, "").await;
    assert_eq!(unknown.status(), 404);
    let ingest = app.token("ingest", None).await;
    assert_eq!(resolve(&app, &ingest, &id, "").await.status(), 403);
    let audited = format!("/api/v1/exceptions/{id}/resolve");
    let resolves: Vec<(i16, Option<i64>)> = sqlx::query_as(
        "SELECT status, rows FROM audit_log WHERE method = 'PUT' AND endpoint = $1 ORDER BY id",
    )
    .bind(&audited)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let expected = [
        (200, Some(1)),
        (200, Some(1)),
        (400, None),
        (400, None),
        (403, None),
    ];
    assert_eq!(resolves, expected);
}

#[tokio::test]
async fn a_resolved_group_is_reopened_by_hand_with_notes_within_the_callers_scope() {
    let app = spawn_app().await;
    post(
        &app,
        &[
            exception("api", "KeyError", "order 1 failed", now()),
            exception("web", "RangeError", "page 2 failed", now()),
        ],
    )
    .await;
    let reader = app.token("reader", None).await;
    let id = group(&app, "KeyError").await["id"].clone();
    let body = r#"{"notes": "fixed in 1.2.3"}"#;
    assert_eq!(resolve(&app, &reader, &id, body).await.status(), 200);
    let body = r#"{"notes": "still failing for order 9"}"#;
    let answer = change(&app, &reader, &id, "reopen", body).await;
    assert_eq!(answer.status(), 200);
    let reopened: Value = answer.json().await.unwrap();
    assert_eq!(
        (&reopened["resolved"], &reopened["regression"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(reopened["resolution_notes"], "still failing for order 9");
    assert!(
        reopened["resolved_by"]
            .as_str()
            .unwrap()
            .starts_with("test-reader")
    );
    assert_eq!(types(&app, &reader, "?resolved=false").await.len(), 2);
    let kept = change(&app, &reader, &id, "reopen", "").await;
    let kept: Value = kept.json().await.unwrap();
    assert_eq!(
        kept["resolution_notes"], "still failing for order 9",
        "no notes keep them"
    );
    refused(change(&app, &reader, &id, "reopen", "[1]").await, "body").await;

    let web = group(&app, "RangeError").await["id"].clone();
    assert_eq!(resolve(&app, &reader, &web, "").await.status(), 200);
    let api_only = app.token("reader", Some(&["api"])).await;
    let hidden = change(&app, &api_only, &web, "reopen", "").await;
    assert_eq!(hidden.status(), 404, "another service's group is not there");
    assert_eq!(group(&app, "RangeError").await["resolved"], true);
}

#[tokio::test]
async fn patterns_count_occurrences_per_type_and_bucket() {
    let app = spawn_app().await;
    let base = (Utc::now() - Duration::hours(3))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    let at = |minutes| base + Duration::minutes(minutes);
    let plain = json!({"service": "api", "level": "error", "message": "no exception",
                       "timestamp": rfc(at(15))});
    post(
        &app,
        &[
            exception("api", "Alpha", "1", at(10)),
            exception("web", "Alpha", "2", at(11)),
            exception("api", "Alpha", "3", at(70)),
            exception("api", "Beta", "4", at(20)),
            exception("api", "Alpha", "5", at(150)),
            plain,
        ],
    )
    .await;
    let reader = app.token("reader", None).await;
    let range = format!("from={}&to={}", rfc(base), rfc(at(120)));
    let path = format!("/api/v1/exceptions/patterns?{range}&interval=1h");
    let answer = app.get_json(&reader, &path).await;
    assert_eq!(instant(&answer["from"]), base);
    assert_eq!(instant(&answer["to"]), at(120));
    assert_eq!(answer["interval_seconds"], 3600);
    let series = &answer["series"];
    assert_eq!(series.as_array().unwrap().len(), 2, "{series}");
    assert_eq!(series[0]["exception_type"], "Alpha");
    let alpha = series[0]["buckets"].as_array().unwrap();
    let buckets: Vec<(DateTime<Utc>, i64)> = alpha
        .iter()
        .map(|b| (instant(&b["start"]), b["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(buckets, [(base, 2), (at(60), 1)]);
    assert_eq!(series[1]["exception_type"], "Beta");
    assert_eq!(series[1]["buckets"][0]["count"], 1);

    let path = format!("/api/v1/exceptions/patterns?{range}&interval=1h&type=Beta&service=api");
    let only_beta = app.get_json(&reader, &path).await;
    assert_eq!(only_beta["series"].as_array().unwrap().len(), 1);
    assert_eq!(only_beta["series"][0]["exception_type"], "Beta");

    let recent = app.get_json(&reader, "/api/v1/exceptions/patterns").await;
    assert_eq!(recent["interval_seconds"], 1800);
    let alpha_total: i64 = recent["series"][0]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(alpha_total, 4);

    for (query, parameter) in [
        ("interval=fortnight", "interval"),
        ("from=now&to=now-1h", "from"),
        ("to=soon", "to"),
        ("sort=count", "sort"),
    ] {
        let path = format!("/api/v1/exceptions/patterns?{query}");
        refused(app.get_as(&reader, &path).await, parameter).await;
    }
}

#[tokio::test]
async fn a_scoped_reader_sees_nothing_of_other_services() {
    let app = spawn_app().await;
    // As pino writes an error: `err: {type, message, stack}`.
    let stack = "BetaError: boom\n    at f (b.js:1:1)";
    let pino = json!({
        "service": "b", "level": "error", "message": "request failed", "timestamp": rfc(now()),
        "err": {"type": "BetaError", "message": "boom", "stack": stack},
    });
    post(&app, &[exception("a", "AlphaError", "x", now()), pino]).await;
    let alpha = group(&app, "AlphaError").await;
    let beta = group(&app, "BetaError").await;
    assert_eq!(beta["service"], "b");
    let scoped = app.token("reader", Some(&["a"])).await;
    assert_eq!(types(&app, &scoped, "").await, ["AlphaError"]);
    for query in ["?service=b", "?service=a,b"] {
        let path = format!("/api/v1/exceptions{query}");
        assert_eq!(app.get_as(&scoped, &path).await.status(), 403, "{query}");
    }
    let beta_path = format!("/api/v1/exceptions/{}", beta["id"]);
    assert_eq!(app.get_as(&scoped, &beta_path).await.status(), 404);
    let alpha_path = format!("/api/v1/exceptions/{}", alpha["id"]);
    let detail = app.get_json(&scoped, &alpha_path).await;
    assert_eq!(detail["recent_occurrences"].as_array().unwrap().len(), 1);
    assert_eq!(resolve(&app, &scoped, &beta["id"], "").await.status(), 404);
    assert_eq!(group(&app, "BetaError").await["resolved"], false);
    let patterns = app.get_json(&scoped, "/api/v1/exceptions/patterns").await;
    let series = patterns["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0]["exception_type"], "AlphaError");
    let path = "/api/v1/exceptions/patterns?service=b";
    assert_eq!(app.get_as(&scoped, path).await.status(), 403);
}

#[tokio::test]
async fn support_tokens_see_personal_data_masked() {
    // Personal data as stored without redaction: masking is what is tested here.
    let app = spawn_app_with(|config| config.redaction.enabled = false).await;
    let mut record = exception("api", "AuthError", "no account for bob@example.com", now());
    record["user_id"] = json!("u-17");
    post(&app, &[record]).await;
    let id = group(&app, "AuthError").await["id"].clone();
    let support = app.token("support", None).await;
    let reader = app.token("reader", None).await;

    let listed = list(&app, &support, "").await;
    assert_eq!(listed[0]["message"], "no account for ***");
    let path = format!("/api/v1/exceptions/{id}");
    let masked = app.get_json(&support, &path).await;
    assert_eq!(masked["message"], "no account for ***");
    let stack = masked["sample_stacktrace"].as_str().unwrap();
    assert!(
        stack.starts_with("AuthError: no account for ***\n"),
        "{stack}"
    );
    let occurrence = &masked["recent_occurrences"][0];
    assert_eq!(occurrence["body"], "failed: no account for ***");
    assert_eq!(occurrence["user_id"], "***");

    let notes = r#"{"notes": "reported by alice@example.com"}"#;
    let resolved: Value = resolve(&app, &support, &id, notes)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resolved["resolution_notes"], "reported by ***");
    assert_eq!(resolved["message"], "no account for ***");

    let plain = app.get_json(&reader, &path).await;
    assert_eq!(plain["message"], "no account for bob@example.com");
    assert_eq!(plain["resolution_notes"], "reported by alice@example.com");
    assert_eq!(plain["recent_occurrences"][0]["user_id"], "u-17");
}
