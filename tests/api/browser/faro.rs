//! The Faro receiver end to end: the SDK's payload stored as records and exception groups,
//! keyed by a browser key in `x-api-key` or the `/collect/{app_key}` path, and hostile bodies.

use serde_json::{Value, json};

use super::SHOP;
use crate::api::helpers::{TestApp, fixture, spawn_app, spawn_app_with};

/// POSTs a Faro body from the shop's page with the SDK's headers; `key` goes in `x-api-key`.
async fn collect(app: &TestApp, path: &str, key: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}{path}", app.http))
        .header("content-type", "application/json")
        .header("origin", SHOP)
        .header("x-faro-session-id", "Yz0fOqFJbN");
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.body(body).send().await.expect("request is sent")
}

#[tokio::test]
async fn the_sdk_payload_is_stored_with_its_exception_grouped() {
    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let answer = collect(
        &app,
        "/faro/collect",
        Some(&key),
        fixture("faro/web-sdk.json"),
    )
    .await;
    assert_eq!(answer.status(), 202);
    assert_eq!(answer.headers()["access-control-allow-origin"], SHOP);
    let by_path = collect(
        &app,
        &format!("/collect/{key}"),
        None,
        fixture("faro/web-sdk.json"),
    )
    .await;
    assert_eq!(by_path.status(), 202);
    assert_eq!(app.count("service = 'shop'").await, 12);
    let errors = "level = 'error' AND attributes->>'session.id' = 'Yz0fOqFJbN' \
                  AND trace_id = '4bf92f3577b34da6a3ce929d0e0e4736'";
    assert_eq!(app.count(errors).await, 2);
    let groups: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT exception_type, occurrences, sample_stacktrace FROM exception_groups \
         WHERE service = 'shop'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!((groups[0].0.as_str(), groups[0].1), ("TypeError", 2));
    assert!(
        groups[0]
            .2
            .contains("at total (https://shop.example.com/assets/index-B3k1.js:1:48213)")
    );
    let labels = [("service", "shop"), ("exception_type", "TypeError")];
    assert_eq!(app.metric_sum("exceptions_total", &labels).await, 2.0);
    let lcp = [
        ("service", "shop"),
        ("route", "/cart/{id}"),
        ("vital", "lcp"),
    ];
    let vitals = "browser_web_vitals_duration_seconds_count";
    assert_eq!(app.metric_sum(vitals, &lcp).await, 2.0);
    let good = "browser_web_vitals_duration_seconds_bucket";
    let under_two_seconds = [lcp[0], lcp[1], lcp[2], ("le", "2.5")];
    assert_eq!(
        app.metric_sum(good, &under_two_seconds).await,
        2.0,
        "LCP 1.874 s"
    );
    let accepted = [("protocol", "faro"), ("outcome", "accepted")];
    assert_eq!(
        app.metric_sum("logbridge_ingest_requests_total", &accepted)
            .await,
        2.0
    );
}

#[tokio::test]
async fn another_app_another_origin_or_no_key_is_refused() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let mut payload: Value = serde_json::from_slice(&fixture("faro/web-sdk.json")).unwrap();
    payload["meta"]["app"]["name"] = json!("billing");
    let answer = collect(
        &app,
        "/faro/collect",
        Some(&key),
        payload.to_string().into_bytes(),
    )
    .await;
    assert_eq!(answer.status(), 403);
    assert!(answer.text().await.unwrap().contains("billing"));
    let answer = collect(&app, "/faro/collect", None, fixture("faro/web-sdk.json")).await;
    assert_eq!(answer.status(), 401);
    let evil = app
        .client
        .post(format!("{}/collect/{key}", app.http))
        .header("content-type", "application/json")
        .header("origin", "https://evil.example")
        .body(fixture("faro/web-sdk.json"));
    assert_eq!(evil.send().await.unwrap().status(), 403);
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/faro/collect", app.http),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST");
    assert_eq!(preflight.send().await.unwrap().status(), 403);
    for stage in ["request", "preflight"] {
        let labels = [("receiver", "faro"), ("stage", stage)];
        let counted = app.metric_sum("logbridge_browser_origin_refused_total", &labels);
        assert_eq!(counted.await, 1.0, "{stage}");
    }
    assert_eq!(app.count("true").await, 0);
}

#[tokio::test]
async fn hostile_bodies_are_clear_4xx_and_leave_the_rest_alone() {
    let app = spawn_app_with(|config| config.ingest.max_body_bytes = 1024 * 1024).await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let frames: Vec<Value> = (0..10_000)
        .map(|_| json!({"filename": "a.js", "function": "f"}))
        .collect();
    let many = json!({"meta": {"app": {"name": "shop"}},
        "exceptions": [{"type": "E", "value": "v", "stacktrace": {"frames": frames}}]});
    let absurd = json!({"meta": {"app": {"name": "shop"}}, "exceptions": [{"type": "E",
        "stacktrace": {"frames": [{"filename": "a.js", "lineno": 99_999_999_999_u64}]}}]});
    let huge = json!({"logs": [{"message": "x".repeat(1100 * 1024)}]});
    let cases = [
        (b"not json".to_vec(), 400, "expected"),
        (many.to_string().into_bytes(), 400, "holds 10000 frames"),
        (absurd.to_string().into_bytes(), 400, "frames[0].lineno"),
        (huge.to_string().into_bytes(), 413, "limit"),
    ];
    for (body, status, says) in cases {
        let answer = collect(&app, "/faro/collect", Some(&key), body).await;
        assert_eq!(answer.status(), status, "{says}");
        let text = answer.text().await.unwrap();
        assert!(text.contains(says), "{text}");
    }
    let fine = collect(
        &app,
        "/faro/collect",
        Some(&key),
        fixture("faro/web-sdk.json"),
    )
    .await;
    assert_eq!(fine.status(), 202);
    assert_eq!(app.count("true").await, 6);
}

#[tokio::test]
async fn a_batch_sent_again_with_its_idempotency_key_is_stored_once() {
    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let send = |idempotency_key: &'static str| {
        let request = app.client.post(format!("{}/collect/{key}", app.http));
        request
            .header("content-type", "application/json")
            .header("origin", SHOP)
            .header("idempotency-key", idempotency_key)
            .body(fixture("faro/web-sdk.json"))
            .send()
    };
    let first: Value = send("aaaaaaaaaaaaaaaaaaaa")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["accepted"], 6);
    let again = send("aaaaaaaaaaaaaaaaaaaa").await.unwrap();
    assert_eq!(again.status(), 202);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (&again["accepted"], &again["duplicate"]),
        (&json!(0), &json!(true))
    );
    assert_eq!(app.count("service = 'shop'").await, 6);
    let other: Value = send("bbbbbbbbbbbbbbbbbbbb")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["accepted"], 6);
    assert_eq!(app.count("service = 'shop'").await, 12);
}

#[tokio::test]
async fn page_urls_are_stored_without_their_query_or_fragment_unless_configured() {
    let mut payload: Value = serde_json::from_slice(&fixture("faro/web-sdk.json")).unwrap();
    let url =
        "https://shop.example.com/reset/3?token=s3cr3t&email=ann%40example.com#access_token=x";
    payload["meta"]["page"]["url"] = json!(url);

    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let body = payload.to_string().into_bytes();
    let answer = collect(&app, "/faro/collect", Some(&key), body).await;
    assert_eq!(answer.status(), 202);
    assert_eq!(
        stored_page_urls(&app).await,
        ["https://shop.example.com/reset/3"]
    );
    let anywhere = "logs::text LIKE '%s3cr3t%' OR attributes::text LIKE '%s3cr3t%'";
    assert_eq!(app.count(anywhere).await, 0, "the token is nowhere");

    // Configured off, the query is kept (its secrets still redacted by the usual rules).
    let plain = "https://shop.example.com/cart/3?utm_source=mail#reviews";
    payload["meta"]["page"]["url"] = json!(plain);
    let keeping = spawn_app_with(|config| config.redaction.strip_url_queries = Vec::new()).await;
    let key = keeping.browser_key("shop", &[SHOP]).await;
    let body = payload.to_string().into_bytes();
    let answer = collect(&keeping, "/faro/collect", Some(&key), body).await;
    assert_eq!(answer.status(), 202);
    assert_eq!(stored_page_urls(&keeping).await, [plain]);
}

/// The distinct `page.url`s of the shop's records.
async fn stored_page_urls(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT DISTINCT attributes->>'page.url' FROM logs WHERE service = 'shop'")
        .fetch_all(&app.db)
        .await
        .unwrap()
}
