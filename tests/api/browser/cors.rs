//! CORS on the receivers a page sends to: preflights answered for allowed origins only, and
//! answers a page may read.

use super::{SHOP, otlp_logs, send};
use crate::api::helpers::{TestApp, spawn_app};

/// The preflight a browser makes before POSTing JSON with a key.
async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    let request = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.http))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        );
    request.send().await.expect("preflight is sent")
}

fn header<'a>(answer: &'a reqwest::Response, name: &str) -> &'a str {
    let value = answer.headers().get(name);
    value.map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn preflights_are_answered_for_the_origins_of_browser_keys_only() {
    let app = spawn_app().await;
    app.browser_key("shop", &[SHOP]).await;
    for path in ["/v1/logs", "/v1/traces"] {
        let answer = preflight(&app, path, SHOP).await;
        assert_eq!(answer.status(), 204, "{path}");
        assert_eq!(header(&answer, "access-control-allow-origin"), SHOP);
        assert_eq!(header(&answer, "access-control-allow-methods"), "POST");
        let allowed_headers = header(&answer, "access-control-allow-headers");
        assert!(
            allowed_headers.contains("content-type"),
            "{allowed_headers}"
        );
        assert!(
            allowed_headers.contains("authorization"),
            "{allowed_headers}"
        );
        assert_eq!(header(&answer, "access-control-max-age"), "7200");

        let foreign = preflight(&app, path, "https://evil.example").await;
        assert_eq!(foreign.status(), 403, "{path}");
        assert_eq!(header(&foreign, "access-control-allow-origin"), "");
    }
    for receiver in ["otlp_logs", "otlp_traces"] {
        let labels = [("receiver", receiver), ("stage", "preflight")];
        let counted = app.metric_sum("logbridge_browser_origin_refused_total", &labels);
        assert_eq!(counted.await, 1.0, "{receiver}");
    }
}

#[tokio::test]
async fn a_page_may_read_the_answer_from_an_allowed_origin_only() {
    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let answer = send(
        &app,
        "/v1/logs",
        Some(&key),
        Some(SHOP),
        otlp_logs("shop", "x"),
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "access-control-allow-origin"), SHOP);
    assert!(header(&answer, "vary").contains("origin"));
    let foreign = "https://evil.example";
    let answer = send(
        &app,
        "/v1/logs",
        Some(&key),
        Some(foreign),
        otlp_logs("shop", "x"),
    )
    .await;
    assert_eq!(answer.status(), 403);
    assert_eq!(header(&answer, "access-control-allow-origin"), "");
}
