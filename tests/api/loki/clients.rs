//! The real Loki client libraries against the bridge, with a token as the Basic password:
//! winston-loki (protobuf + snappy), pino-loki (JSON) and python-logging-loki (JSON, versions
//! 1 and 0). Installed by `scripts/test`; skipped with a note when absent, unless
//! `CI_REQUIRE_LOKI_CLIENTS` is set (as `scripts/test` does).

use std::path::PathBuf;

use serde_json::Value;
use tokio::process::Command;

use crate::api::helpers::{TestApp, spawn_app_with};

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/loki")
}

/// Runs a driver; `None` (after a note) when its runtime or packages are not installed.
async fn run(program: &str, args: &[&str], app: &TestApp, token: &str) -> Option<String> {
    let script = args[0];
    let required = std::env::var_os("CI_REQUIRE_LOKI_CLIENTS").is_some();
    let installed = match program {
        "node" => clients_dir().join("node_modules").is_dir(),
        _ => std::process::Command::new(program)
            .args(["-c", "import logging_loki"])
            .output()
            .is_ok_and(|output| output.status.success()),
    };
    if !installed {
        assert!(
            !required,
            "{script}: the Loki clients are required but not installed"
        );
        eprintln!("{script}: Loki clients not installed, skipping (scripts/test installs them)");
        return None;
    }
    let output = Command::new(program)
        .arg(clients_dir().join(script))
        .args([&app.http, token])
        .args(&args[1..])
        .current_dir(clients_dir())
        .output()
        .await
        .expect("the driver runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script}: {stdout}\n{stderr}");
    Some(stdout)
}

/// The pushes a node driver reported: content type and status of each.
fn pushes(stdout: &str) -> Vec<(String, u64)> {
    let reports = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok());
    let pushes = reports.map(|report| {
        let content_type = report["contentType"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (content_type, report["status"].as_u64().unwrap_or_default())
    });
    pushes.collect()
}

async fn secured_app() -> (TestApp, String) {
    let app = spawn_app_with(|config| config.ingest.require_token = true).await;
    let token = app.token("ingest", None).await;
    (app, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winston_loki_sends_snappy_protobuf() {
    let (app, token) = secured_app().await;
    let Some(stdout) = run("node", &["winston.js"], &app, &token).await else {
        return;
    };
    let pushes = pushes(&stdout);
    assert_eq!(pushes.len(), 3, "{stdout}");
    for (content_type, status) in pushes {
        assert_eq!(
            (content_type.as_str(), status),
            ("application/x-protobuf", 204)
        );
    }
    let placed = "service = 'winston-app' AND level = 'info' AND body LIKE 'order placed%' \
        AND resource->>'note' = 'say \"hi\"'";
    assert_eq!(app.count(placed).await, 1);
    assert_eq!(
        app.count("service = 'winston-app' AND level = 'error'")
            .await,
        1
    );
    assert_eq!(
        app.count("service = 'winston-app' AND level = 'warn'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pino_loki_sends_json() {
    let (app, token) = secured_app().await;
    let Some(stdout) = run("node", &["pino.js"], &app, &token).await else {
        return;
    };
    let pushes = pushes(&stdout);
    assert_eq!(pushes.len(), 2, "{stdout}");
    for (content_type, status) in pushes {
        assert_eq!((content_type.as_str(), status), ("application/json", 204));
    }
    let overdue = "service = 'pino-app' AND level = 'warn' AND body = 'invoice overdue' \
        AND attributes->>'invoiceId' = 'inv-1'";
    assert_eq!(app.count(overdue).await, 1);
    let down = "service = 'pino-app' AND level = 'error' AND body = 'ledger unreachable'";
    assert_eq!(app.count(down).await, 1);
}

/// python-logging-loki with `version="1"` (its README's advice) and its default, the legacy
/// v0 body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_logging_loki_versions_1_and_0() {
    let (app, token) = secured_app().await;
    for version in ["1", "0"] {
        let args = ["python_logging_loki.py", version];
        if run("python3", &args, &app, &token).await.is_none() {
            return;
        }
        let service = format!("py-app-v{version}");
        let warning = format!(
            "service = '{service}' AND level = 'warn' AND body = 'disk almost full' \
             AND resource->>'mount' = '/data' AND resource->>'logger' = 'checkout'"
        );
        assert_eq!(app.count(&warning).await, 1, "version {version}");
        let error = format!("service = '{service}' AND level = 'error'");
        assert_eq!(app.count(&error).await, 1, "version {version}");
        let debug = format!("service = '{service}' AND level = 'debug'");
        assert_eq!(app.count(&debug).await, 1, "version {version}");
    }
}
