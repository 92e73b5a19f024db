//! Browser keys: they write records of their one service, from their origins, to the browser
//! receivers only, and never read.

use serde_json::{Value, json};

use super::{SHOP, otlp_logs, send};
use crate::api::helpers::spawn_app;

#[tokio::test]
async fn a_browser_key_writes_its_service_from_its_origins_only() {
    let app = spawn_app().await;
    let key = app
        .browser_key("shop", &[SHOP, "https://*.preview.example.com"])
        .await;
    for origin in [SHOP, "https://pr-7.preview.example.com"] {
        let answer = send(
            &app,
            "/v1/logs",
            Some(&key),
            Some(origin),
            otlp_logs("shop", "hi"),
        )
        .await;
        assert_eq!(
            answer.status(),
            200,
            "{origin}: {}",
            answer.text().await.unwrap()
        );
    }
    assert_eq!(app.count("service = 'shop' AND body = 'hi'").await, 2);

    let other_app = send(
        &app,
        "/v1/logs",
        Some(&key),
        Some(SHOP),
        otlp_logs("billing", "x"),
    )
    .await;
    assert_eq!(other_app.status(), 403);
    let text = other_app.text().await.unwrap();
    assert!(text.contains("shop") && text.contains("billing"), "{text}");

    let refused = [
        Some("https://evil.example"),
        Some("http://shop.example.com"),
        None,
    ];
    for origin in refused {
        let answer = send(&app, "/v1/logs", Some(&key), origin, otlp_logs("shop", "x")).await;
        assert_eq!(answer.status(), 403, "{origin:?}");
    }
    let labels = [("receiver", "otlp_logs"), ("stage", "request")];
    let counted = app
        .metric_sum("logbridge_browser_origin_refused_total", &labels)
        .await;
    assert_eq!(counted, 3.0);

    let record = || r#"{"message": "x", "service": "shop"}"#.to_string();
    for origin in [Some(SHOP), None] {
        let elsewhere = send(&app, "/api/v1/logs", Some(&key), origin, record()).await;
        assert_eq!(elsewhere.status(), 403, "{origin:?}");
    }
    let elsewhere = send(&app, "/api/v1/logs", Some(&key), None, record()).await;
    assert!(elsewhere.text().await.unwrap().contains("/faro/collect"));
    assert_eq!(
        app.count("body <> 'hi'").await,
        0,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn a_browser_key_never_reads() {
    let app = spawn_app().await;
    let key = app.browser_key("shop", &[SHOP]).await;
    let spec: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut paths: Vec<String> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, item)| item.get("get").is_some() && path.starts_with("/api/v1/"))
        .filter(|(path, _)| path.as_str() != "/api/v1/openapi.json")
        .map(|(path, _)| {
            path.replace("{trace_id}", &"a".repeat(32))
                .replace("{id}", "1")
        })
        .collect();
    paths.extend(["/jaeger/api/services", "/jaeger/api/traces?service=shop"].map(String::from));
    assert!(paths.len() > 10, "{paths:?}");
    for path in paths {
        let answer = app.get_as(&key, &path).await;
        assert_eq!(answer.status(), 403, "{path}");
    }
    let ingest = app.token("ingest", None).await;
    assert_eq!(app.get_as(&ingest, "/api/v1/logs").await.status(), 403);
}

#[tokio::test]
async fn browser_keys_are_created_with_one_service_and_valid_origins() {
    let app = spawn_app().await;
    let admin = app.token("admin", None).await;
    let create = |body: Value| {
        let request = app.client.post(format!("{}/api/v1/tokens", app.http));
        request.bearer_auth(&admin).json(&body).send()
    };
    let refused = [
        json!({"role": "browser", "services": ["shop"]}),
        json!({"role": "browser", "services": ["shop", "cart"], "origins": [SHOP]}),
        json!({"role": "browser", "origins": [SHOP]}),
        json!({"role": "browser", "services": ["shop"], "origins": ["https://a.example/app"]}),
        json!({"role": "ingest", "origins": [SHOP]}),
    ];
    for body in refused {
        let answer = create(body.clone()).await.unwrap();
        assert_eq!(answer.status(), 400, "{body}");
    }
    let body = json!({"role": "browser", "services": ["shop"], "origins": ["*.Example.com/"]});
    let created: Value = create(body).await.unwrap().json().await.unwrap();
    assert_eq!(created["role"], "browser");
    assert_eq!(created["origins"], json!(["https://*.example.com"]));
}

#[tokio::test]
async fn the_cli_creates_a_browser_key_that_sends_from_its_origin() {
    let app = spawn_app().await;
    let create = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_logbridge"))
            .args(["tokens", "create", "--role", "browser"])
            .args(args)
            .env("DATABASE_URL", app.database_url())
            .output()
            .expect("logbridge runs")
    };
    let refused = create(&["--service", "shop"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("origin"), "{stderr}");
    let output = create(&[
        "--service",
        "shop",
        "--origin",
        SHOP,
        "--origin",
        "*.example.org",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let answer = send(
        &app,
        "/v1/logs",
        Some(&key),
        Some("https://a.example.org"),
        otlp_logs("shop", "cli"),
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(app.count("body = 'cli'").await, 1);
}
