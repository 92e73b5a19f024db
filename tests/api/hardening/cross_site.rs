//! Cross-site writes: what a web page can make a browser send without a CORS preflight (no or
//! a simple content type, always an `Origin`) is refused by every receiver.

use serde_json::Value;

use crate::api::helpers::{TestApp, spawn_app, spawn_app_with};

const RECORD: &str = r#"{"message": "forged", "service": "cross_site"}"#;
const OTLP: &str = r#"{"resourceLogs": []}"#;
const ALERT: &str = r#"{"version": "4", "status": "firing", "alerts": []}"#;

/// POSTs `body` with the given headers; gives the status and the answer's text.
async fn post(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut request = app.client.post(format!("{}{path}", app.http));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.body(body.to_string()).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn no_or_a_simple_content_type_is_415_naming_the_expected_types() {
    let app = spawn_app().await;
    let endpoints = [
        ("/api/v1/logs", RECORD, "application/json"),
        ("/v1/logs", OTLP, "application/x-protobuf"),
        ("/api/v1/alerts/webhook", ALERT, "application/json"),
    ];
    for (path, body, expected) in endpoints {
        for headers in [&[][..], &[("content-type", "text/plain")][..]] {
            let (status, text) = post(&app, path, headers, body).await;
            assert_eq!(status, 415, "{path} {headers:?}: {text}");
            assert!(text.contains(expected), "{path}: {text}");
        }
    }
    assert_eq!(app.count("true").await, 0);
    let alerts: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_history")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(alerts, 0);
}

#[tokio::test]
async fn a_browser_origin_is_refused_unless_allowed() {
    let app = spawn_app_with(|config| {
        config.access.allowed_origins = vec!["https://console.example.com".into()];
    })
    .await;
    let json = ("content-type", "application/json");
    let evil = ("origin", "https://evil.example");
    for (path, body) in [
        ("/api/v1/logs", RECORD),
        ("/v1/logs", OTLP),
        ("/api/v1/alerts/webhook", ALERT),
    ] {
        let (status, text) = post(&app, path, &[json, evil], body).await;
        assert_eq!(status, 403, "{path}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap_or_default();
        let message = error["error"]["message"]
            .as_str()
            .or(error["message"].as_str());
        assert!(
            message.is_some_and(|m| m.contains("https://evil.example")),
            "{path}: {text}"
        );
    }
    assert_eq!(app.count("true").await, 0);
    let allowed = ("origin", "https://console.example.com");
    let (status, text) = post(&app, "/api/v1/logs", &[json, allowed], RECORD).await;
    assert_eq!(status, 200, "{text}");
    let (status, _) = post(&app, "/api/v1/logs", &[json], RECORD).await;
    assert_eq!(status, 200, "no Origin: not a browser");
    assert_eq!(app.count("service = 'cross_site'").await, 2);
}
