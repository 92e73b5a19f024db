//! README's recipe for live Node processes, run for real: pino with
//! `pino-opentelemetry-transport` (npm, pinned in tests/clients/pino-otel, installed by
//! `scripts/test`) configured only by the environment variables README names sends its records
//! over OTLP/HTTP, and they are stored with their service and attributes. Skipped with a note
//! when not installed, unless `CI_REQUIRE_PINO_OTEL` is set (as `scripts/test` does).

use std::path::PathBuf;
use std::time::Duration;

use crate::api::helpers::{eventually, spawn_app};

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/pino-otel")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pino_opentelemetry_transport_recipe_stores_its_records() {
    if !client_dir().join("node_modules").is_dir() {
        let required = std::env::var_os("CI_REQUIRE_PINO_OTEL").is_some();
        assert!(
            !required,
            "pino-opentelemetry-transport is required but not installed"
        );
        eprintln!(
            "pino-opentelemetry-transport not installed, skipping (scripts/test installs it)"
        );
        return;
    }
    let app = spawn_app().await;
    let output = tokio::process::Command::new("node")
        .arg("recipe.js")
        .arg("order placed by the recipe")
        .current_dir(client_dir())
        .env(
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            format!("{}/v1/logs", app.http),
        )
        .env("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf")
        .env("OTEL_SERVICE_NAME", "shop")
        .output()
        .await
        .expect("node runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let condition = "service = 'shop' AND body = 'order placed by the recipe' \
                     AND attributes ->> 'route' = '/orders' AND level = 'info'";
    let stored = eventually(Duration::from_secs(10), || async {
        app.count(condition).await == 1
    });
    assert!(stored.await, "the record is stored once: {stderr}");
}
