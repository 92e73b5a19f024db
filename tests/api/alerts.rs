//! Alertmanager's webhook (`POST /api/v1/alerts/webhook`) with captured real notifications, and
//! the alert history (`GET /api/v1/monitoring/alerts/history`): filters, scope, tokens.

use serde_json::{Value, json};

use super::helpers::{TestApp, fixture, spawn_app, spawn_app_with};

const HISTORY: &str = "/api/v1/monitoring/alerts/history";

/// POSTs a notification to the webhook, with a bearer token when given.
pub async fn notify(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/api/v1/alerts/webhook", app.http))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request is sent")
}

/// POSTs a captured notification and returns the answer's JSON, asserting 200.
async fn notify_fixture(app: &TestApp, name: &str) -> Value {
    let response = notify(app, None, fixture(&format!("alertmanager/{name}"))).await;
    assert_eq!(response.status(), 200, "{name}");
    response.json().await.unwrap()
}

/// The four captured notifications: 2 firing, the same re-sent, 2 resolved, 1 without service.
async fn seed(app: &TestApp) {
    for name in [
        "firing.json",
        "firing-repeat.json",
        "resolved.json",
        "no-service.json",
    ] {
        notify_fixture(app, name).await;
    }
}

fn column(answer: &Value, key: &str) -> Vec<Value> {
    let alerts = answer["alerts"].as_array().expect("an alerts array");
    alerts.iter().map(|alert| alert[key].clone()).collect()
}

async fn rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM alert_history")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_state_change_is_one_row_and_repeats_are_skipped() {
    let app = spawn_app().await;
    let first = notify_fixture(&app, "firing.json").await;
    assert_eq!(first, json!({"alerts": 2, "recorded": 2}));
    // Alertmanager re-sends firing alerts every repeat_interval; an HA pair sends twice.
    let repeat = notify_fixture(&app, "firing-repeat.json").await;
    assert_eq!(repeat, json!({"alerts": 2, "recorded": 0}));
    let concurrent: Vec<_> = (0..4)
        .map(|_| notify(&app, None, fixture("alertmanager/firing.json")))
        .collect();
    for response in futures_util::future::join_all(concurrent).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(rows(&app).await, 2);
    let resolved = notify_fixture(&app, "resolved.json").await;
    assert_eq!(resolved, json!({"alerts": 2, "recorded": 2}));
    // Firing again later is a new state change: a new startsAt.
    let mut again: Value = serde_json::from_slice(&fixture("alertmanager/firing.json")).unwrap();
    again["alerts"][0]["startsAt"] = json!("2030-01-01T00:00:00Z");
    again["alerts"].as_array_mut().unwrap().truncate(1);
    let answer = notify(&app, None, again.to_string().into_bytes()).await;
    assert_eq!(answer.json::<Value>().await.unwrap()["recorded"], 1);
    assert_eq!(rows(&app).await, 5);
}

#[tokio::test]
async fn rows_keep_what_alertmanager_sent() {
    let app = spawn_app().await;
    seed(&app).await;
    let admin = app.token("admin", None).await;
    let all = app.get_json(&admin, HISTORY).await;
    assert_eq!(
        column(&all, "status"),
        ["firing", "resolved", "resolved", "firing", "firing"],
        "newest first"
    );
    let newest = &all["alerts"][0];
    assert_eq!(newest["alertname"], "DiskAlmostFull");
    assert_eq!(
        (&newest["service"], &newest["severity"]),
        (&Value::Null, &json!("warning"))
    );
    assert_eq!(newest["ends_at"], Value::Null, "the zero time is null");
    let resolved = &all["alerts"][1];
    assert_eq!(resolved["alertname"], "LogbridgeFatalLogs");
    assert_eq!(resolved["service"], "checkout");
    assert_eq!(resolved["labels"]["instance"], "checkout-2");
    assert_eq!(resolved["receiver"], "logbridge");
    assert!(resolved["ends_at"].as_str().unwrap().starts_with("20"));
    assert!(resolved["annotations"]["summary"].is_string());
    assert!(
        resolved["generator_url"]
            .as_str()
            .unwrap()
            .contains("log_records_total")
    );
    assert_eq!(resolved["fingerprint"], "9dc6ae4516b40497");
}

#[tokio::test]
async fn history_filters() {
    let app = spawn_app().await;
    seed(&app).await;
    let admin = app.token("admin", None).await;
    let get = |query: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move { app.get_json(&admin, &format!("{HISTORY}?{query}")).await }
    };
    assert_eq!(column(&get("status=resolved").await, "status").len(), 2);
    assert_eq!(
        column(&get("severity=warning").await, "alertname"),
        ["DiskAlmostFull"]
    );
    assert_eq!(
        column(&get("alertname=LogbridgeFatalLogs").await, "id").len(),
        4
    );
    assert_eq!(
        column(&get("service=checkout&status=firing").await, "id").len(),
        2
    );
    assert_eq!(
        column(&get("limit=1").await, "alertname"),
        ["DiskAlmostFull"]
    );
    sqlx::query(
        "UPDATE alert_history SET received_at = now() - interval '2 hours' WHERE status = 'firing'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(
        column(&get("from=now-1h").await, "status"),
        ["resolved", "resolved"]
    );
    assert_eq!(column(&get("to=now-1h").await, "status").len(), 3);
    for bad in [
        "status=pending",
        "limit=1001",
        "from=yesterday",
        "colour=red",
    ] {
        let response = app.get_as(&admin, &format!("{HISTORY}?{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn scoped_readers_see_only_alerts_of_their_services() {
    let app = spawn_app().await;
    seed(&app).await;
    let checkout = app.token("reader", Some(&["checkout"])).await;
    let seen = app.get_json(&checkout, HISTORY).await;
    assert_eq!(column(&seen, "service"), vec![json!("checkout"); 4]);
    let other = app.token("reader", Some(&["billing"])).await;
    assert_eq!(column(&app.get_json(&other, HISTORY).await, "id").len(), 0);
    let outside = app
        .get_as(&checkout, &format!("{HISTORY}?service=billing"))
        .await;
    assert_eq!(outside.status(), 403);
    // Unscoped readers also see alerts without a service label.
    let reader = app.token("reader", None).await;
    assert_eq!(column(&app.get_json(&reader, HISTORY).await, "id").len(), 5);
}

#[tokio::test]
async fn history_needs_a_read_token_and_is_audited() {
    let app = spawn_app().await;
    assert_eq!(app.get(HISTORY).await.status(), 401);
    let ingest = app.token("ingest", None).await;
    assert_eq!(app.get_as(&ingest, HISTORY).await.status(), 403);
    let reader = app.token("reader", None).await;
    app.get_json(&reader, &format!("{HISTORY}?status=firing"))
        .await;
    let audited =
        format!("endpoint = '{HISTORY}' AND status = 200 AND filters->>'status' = 'firing'");
    assert_eq!(app.count_audit(&audited).await, 1);
}

#[tokio::test]
async fn webhook_needs_an_ingest_token_when_tokens_are_required() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let body = || fixture("alertmanager/firing.json");
    assert_eq!(notify(&app, None, body()).await.status(), 401);
    assert_eq!(notify(&app, Some("lb_wrong"), body()).await.status(), 401);
    let reader = app.token("reader", None).await;
    assert_eq!(notify(&app, Some(&reader), body()).await.status(), 403);
    assert_eq!(rows(&app).await, 0);
    let ingest = app.token("ingest", None).await;
    assert_eq!(notify(&app, Some(&ingest), body()).await.status(), 200);
    assert_eq!(rows(&app).await, 2);
}

#[tokio::test]
async fn bad_notifications_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let cases: [(&str, u16, &str); 4] = [
        ("{\"alerts\": [", 400, "EOF while parsing"),
        (
            r#"{"alerts": [{"status": "firing", "labels": []}]}"#,
            400,
            "alerts[0].labels: invalid type",
        ),
        (
            r#"{"alerts": [{"status": "firing", "labels": {}}, {"status": "sleeping", "labels": {}}]}"#,
            400,
            "1 of 2 items are invalid",
        ),
        (r#"{"version": "5", "alerts": []}"#, 400, "version"),
    ];
    for (body, status, reason) in cases {
        let response = notify(&app, None, body.as_bytes().to_vec()).await;
        assert_eq!(response.status(), status, "{body}");
        let error: Value = response.json().await.unwrap();
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body}: {message}");
    }
    let plain = app.post("/api/v1/alerts/webhook", "text/plain", "{}").await;
    assert_eq!(plain.status(), 415);
    assert_eq!(rows(&app).await, 0);
}
