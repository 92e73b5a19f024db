//! The requests the real SDKs sent from Chromium (tests/fixtures/browser, captured by
//! `tests/clients/browser/capture.js`), replayed with their paths and content types and a browser
//! key: the Faro batches, the OTel JS exporter's JSON and the page's unload beacon.

use serde_json::Value;

use super::SHOP;
use crate::api::helpers::{TestApp, fixture, spawn_app_with};

/// Sends one captured request as it was sent, with `key` where the capture had its own.
async fn replay(app: &TestApp, key: &str, captured: &Value) -> reqwest::StatusCode {
    let path = captured["path"].as_str().unwrap().replace("{key}", key);
    let headers = &captured["headers"];
    let mut request = app
        .client
        .post(format!("{}{path}", app.http))
        .header("origin", SHOP)
        .header("content-type", headers["content-type"].as_str().unwrap());
    if headers.get("authorization").is_some() {
        request = request.bearer_auth(key);
    }
    let file = format!("browser/{}", captured["file"].as_str().unwrap());
    request.body(fixture(&file)).send().await.unwrap().status()
}

#[tokio::test]
async fn the_requests_the_sdks_sent_from_chromium_are_stored() {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let requests: Vec<Value> = serde_json::from_slice(&fixture("browser/headers.json")).unwrap();
    assert!(requests.len() >= 4, "{requests:?}");
    for captured in &requests {
        let status = replay(&app, &key, captured).await;
        assert!(status.is_success(), "{status}: {captured}");
    }
    for prefix in ["faro", "otel", "beacon"] {
        let tagged = format!("service = 'shop' AND body LIKE '{prefix}-capture-%'");
        assert_eq!(app.count(&tagged).await, 2, "{prefix}");
    }
    let (stack,): (String,) = sqlx::query_as(
        "SELECT sample_stacktrace FROM exception_groups \
         WHERE service = 'shop' AND exception_type = 'TypeError'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(stack.contains("at cartTotal ("), "{stack}");
    for vital in ["lcp", "fcp", "ttfb"] {
        let labels = [
            ("service", "shop"),
            ("route", "/cart/{id}"),
            ("vital", vital),
        ];
        let count = app.metric_sum("browser_web_vitals_duration_seconds_count", &labels);
        assert_eq!(count.await, 1.0, "{vital}");
    }
    let cls = [("service", "shop"), ("route", "/cart/{id}")];
    assert_eq!(
        app.metric_sum("browser_web_vitals_cls_count", &cls).await,
        1.0
    );
}
