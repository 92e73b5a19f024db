//! Live reload of the configuration file (issue 15): on `POST /api/v1/admin/reload` (admins,
//! audited) and on SIGHUP to a real `logbridge serve --config <file>`, new redaction rules
//! and log metrics apply to the next request without a restart; a file that does not load is
//! refused with the startup's message and the running policies stay in force.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;

use super::faults::process::{BridgeProcess, fresh_database};
use super::helpers::{TestApp, eventually, spawn_app_from};

/// A redaction pattern named `order_code` replacing `regex`.
fn redacting(regex: &str) -> String {
    format!("redaction:\n  patterns:\n    - name: order_code\n      regex: '{regex}'\n")
}

/// A log metric counting records whose body mentions an order.
const ORDERS_METRIC: &str = "log_metrics:
  - name: orders_total
    help: Records about orders
    type: counter
    filter: { body_regex: order }
    labels: [{ name: service, from: service }]
";

/// A redaction rule name that does not exist: the startup refuses such a file.
const INVALID: &str = "redaction:\n  disabled_rules: [emial]\n";

/// A fresh directory for a test's configuration file, removed when dropped.
struct ConfigDir(PathBuf);

impl ConfigDir {
    fn new(test: &str) -> ConfigDir {
        let name = format!("logbridge-reload-{test}-{}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        ConfigDir(dir)
    }

    fn join(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file of an in-process bridge: its own database and listeners, then `body`.
fn write_config(path: &Path, database_url: &str, body: &str) {
    let header = format!(
        "database:\n  url: {database_url}\nlisten:\n  http: 127.0.0.1:0\n  grpc: 127.0.0.1:0\n"
    );
    std::fs::write(path, format!("{header}{body}")).unwrap();
}

async fn post_as(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.http))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Stores one record and answers its stored body, found by its first word (kept unredacted).
async fn stored_body(http: &str, db: &PgPool, message: &str) -> String {
    let record = json!({"message": message, "service": "shop"}).to_string();
    let response = reqwest::Client::new()
        .post(format!("{http}/api/v1/logs"))
        .header("content-type", "application/json")
        .body(record)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{message}");
    sqlx::query_scalar("SELECT body FROM logs WHERE body LIKE $1 || ' %'")
        .bind(message.split(' ').next().unwrap())
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_reload_applies_new_redaction_and_log_metrics_to_the_next_request() {
    let dir = ConfigDir::new("applied");
    let path = dir.join("logbridge.yaml");
    let (_, url) = fresh_database();
    write_config(&path, &url, "");
    let app = spawn_app_from(&path).await;
    let admin = app.token("admin", None).await;
    let before = stored_body(&app.http, &app.db, "first order ORD-ALPHA placed").await;
    assert_eq!(before, "first order ORD-ALPHA placed");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("orders_total"), "not configured yet");

    let body = format!(
        "{}{ORDERS_METRIC}ingest:\n  max_body_bytes: 1048576\n",
        redacting("ORD-[A-Z]+")
    );
    write_config(&path, &url, &body);
    let response = post_as(&app, &admin, "/api/v1/admin/reload").await;
    assert_eq!(response.status(), 200);
    let reloaded: Value = response.json().await.unwrap();
    assert_eq!(
        reloaded["applied"],
        json!(["log_metrics", "redaction"]),
        "{reloaded}"
    );
    assert_eq!(reloaded["needs_restart"], json!(["ingest"]), "{reloaded}");
    assert_eq!(reloaded["origin"], path.display().to_string());

    let after = stored_body(&app.http, &app.db, "second order ORD-BETA placed").await;
    assert!(
        !after.contains("ORD-BETA"),
        "redacted after the reload: {after}"
    );
    let orders = app.metric_sum("orders_total", &[("service", "shop")]).await;
    assert_eq!(orders, 1.0, "the new log metric counts the next record");
    let redactions = app
        .metric_sum("logbridge_redactions_total", &[("rule", "order_code")])
        .await;
    assert_eq!(redactions, 1.0);
    let audited = "method = 'POST' AND endpoint = '/api/v1/admin/reload' AND status = 200 \
        AND role = 'admin'";
    assert_eq!(app.count_audit(audited).await, 1);

    // Back to the first file: the rule's series and the metric go with them.
    write_config(&path, &url, "");
    let response = post_as(&app, &admin, "/api/v1/admin/reload").await;
    assert_eq!(response.status(), 200);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("orders_total"), "{metrics}");
    assert!(!metrics.contains("rule=\"order_code\""), "{metrics}");
    assert!(
        metrics.contains("logbridge_redactions_total{rule=\"email\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_invalid_file_is_refused_with_the_startup_message_and_the_old_policy_stays() {
    let dir = ConfigDir::new("refused");
    let path = dir.join("logbridge.yaml");
    let (_, url) = fresh_database();
    write_config(
        &path,
        &url,
        &format!("{}{ORDERS_METRIC}", redacting("ORD-[A-Z]+")),
    );
    let app = spawn_app_from(&path).await;
    let admin = app.token("admin", None).await;

    write_config(&path, &url, INVALID);
    let startup_error = logbridge::settings::load(Some(&path))
        .unwrap_err()
        .to_string();
    let response = post_as(&app, &admin, "/api/v1/admin/reload").await;
    assert_eq!(response.status(), 422);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "invalid_config");
    assert_eq!(answer["error"]["message"], startup_error);
    assert!(
        startup_error.contains("redaction.disabled_rules"),
        "{startup_error}"
    );

    let stored = stored_body(&app.http, &app.db, "gamma order ORD-GAMMA placed").await;
    assert!(
        !stored.contains("ORD-GAMMA"),
        "the old rule still redacts: {stored}"
    );
    let orders = app.metric_sum("orders_total", &[("service", "shop")]).await;
    assert_eq!(orders, 1.0, "the old log metric still counts");
    let audited = "endpoint = '/api/v1/admin/reload' AND status = 422 AND role = 'admin'";
    assert_eq!(app.count_audit(audited).await, 1);
}

#[tokio::test]
async fn only_admins_may_reload_and_refusals_are_audited() {
    let dir = ConfigDir::new("admins");
    let path = dir.join("logbridge.yaml");
    let (_, url) = fresh_database();
    write_config(&path, &url, "");
    let app = spawn_app_from(&path).await;
    write_config(&path, &url, &redacting("ORD-[A-Z]+"));
    for role in ["reader", "support", "ingest"] {
        let token = app.token(role, None).await;
        let response = post_as(&app, &token, "/api/v1/admin/reload").await;
        assert_eq!(response.status(), 403, "{role}");
    }
    let stored = stored_body(&app.http, &app.db, "delta order ORD-DELTA placed").await;
    assert_eq!(
        stored, "delta order ORD-DELTA placed",
        "nothing was reloaded"
    );
    let refused = "endpoint = '/api/v1/admin/reload' AND status = 403";
    assert!(app.count_audit(refused).await >= 2, "refusals are audited");
}

/// Stores records until one is stored with `code` redacted, for up to 20 s (a signal is
/// handled asynchronously).
async fn eventually_redacted(bridge: &BridgeProcess, db: &PgPool, code: &str) -> bool {
    let mut n = 0;
    eventually(Duration::from_secs(20), || {
        n += 1;
        let message = format!("try{n} {code} placed");
        async move { !stored_body(&bridge.http, db, &message).await.contains(code) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_a_real_bridge_and_an_invalid_file_is_logged_and_refused() {
    let dir = ConfigDir::new("sighup");
    let path = dir.join("logbridge.yaml");
    std::fs::write(&path, redacting("ORD-[A-Z]+")).unwrap();
    let (_, url) = fresh_database();
    let config = path.display().to_string();
    let bridge = BridgeProcess::start_with_args(&url, &[], &["--config", &config]).await;
    let db = PgPool::connect(&url).await.unwrap();
    let first = stored_body(&bridge.http, &db, "one ORD-FIRST order").await;
    assert!(!first.contains("ORD-FIRST"), "{first}");
    let unredacted = stored_body(&bridge.http, &db, "two REF-FIRST order").await;
    assert_eq!(unredacted, "two REF-FIRST order");

    std::fs::write(&path, redacting("REF-[A-Z]+")).unwrap();
    bridge.hangup();
    assert!(
        eventually_redacted(&bridge, &db, "REF-TRY").await,
        "the new rule applies after SIGHUP; output:\n{}",
        bridge.output()
    );

    std::fs::write(&path, INVALID).unwrap();
    let startup_error = logbridge::settings::load(Some(&path))
        .unwrap_err()
        .to_string();
    bridge.hangup();
    let logged = eventually(Duration::from_secs(20), || async {
        bridge.output().contains("configuration not reloaded")
    })
    .await;
    assert!(
        logged,
        "the refusal is logged; output:\n{}",
        bridge.output()
    );
    let output = bridge.output();
    let line = output
        .lines()
        .find(|line| line.contains("configuration not reloaded"))
        .unwrap();
    assert!(
        line.contains("redaction.disabled_rules"),
        "{line}\n{startup_error}"
    );
    let kept = stored_body(&bridge.http, &db, "kept REF-KEPT order").await;
    assert!(
        !kept.contains("REF-KEPT"),
        "the old rule stays in force: {kept}"
    );
}

#[tokio::test]
async fn a_reloaded_minimum_level_applies_to_the_next_request() {
    let dir = ConfigDir::new("policy");
    let path = dir.join("logbridge.yaml");
    let (_, url) = fresh_database();
    write_config(&path, &url, "");
    let app = spawn_app_from(&path).await;
    let admin = app.token("admin", None).await;
    let send = |message: &'static str| {
        let record = json!({"message": message, "service": "shop", "level": "info"});
        app.client
            .post(format!("{}/api/v1/logs", app.http))
            .header("content-type", "application/json")
            .body(record.to_string())
            .send()
    };
    assert_eq!(send("kept before the reload").await.unwrap().status(), 200);

    write_config(
        &path,
        &url,
        "policy:\n  levels:\n    services: {shop: warn}\n",
    );
    let response = post_as(&app, &admin, "/api/v1/admin/reload").await;
    assert_eq!(response.status(), 200);
    let reloaded: Value = response.json().await.unwrap();
    assert_eq!(reloaded["applied"], json!(["policy"]), "{reloaded}");
    assert_eq!(
        send("dropped after the reload").await.unwrap().status(),
        200
    );

    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM logs ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(bodies, ["kept before the reload"]);
    let below = [("service", "shop"), ("reason", "below_level")];
    let dropped = app
        .metric_sum("logbridge_ingest_sampled_out_total", &below)
        .await;
    assert_eq!(dropped, 1.0);
}
