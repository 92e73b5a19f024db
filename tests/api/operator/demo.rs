//! `logbridge demo` against a spawned bridge: every protocol's records land, with requests,
//! slow queries, exceptions and 5xx that the metrics show.

use crate::api::helpers::spawn_app;

#[tokio::test]
async fn the_demo_fills_every_protocol_and_the_metrics_within_seconds() {
    let app = spawn_app().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_logbridge"))
        .args([
            "demo",
            "--url",
            &app.http,
            "--rate",
            "60",
            "--duration",
            "2s",
        ])
        .output()
        .await
        .expect("logbridge runs");
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    let logs = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{said}{logs}");
    assert!(said.contains("sent 120 records"), "{said}{logs}");
    assert!(!said.contains("refused"), "{said}{logs}");
    for service in ["frontend", "checkout", "payments", "users"] {
        let rows = app.count(&format!("service = '{service}'")).await;
        assert!(rows >= 20, "{service}: {rows} rows");
    }
    let spans: i64 = sqlx::query_scalar("SELECT count(*) FROM spans WHERE service = 'inventory'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(spans >= 20, "inventory spans: {spans}");
    let requests = app
        .metric_sum("http_server_request_duration_seconds_count", &[])
        .await;
    assert!(requests > 50.0, "request metrics: {requests}");
    let server_errors = app.count("level = 'error'").await;
    assert!(
        server_errors > 10,
        "errors and 5xx of the burst: {server_errors}"
    );
    let slow = app.metric_sum("db_client_slow_queries_total", &[]).await;
    assert!(slow >= 1.0, "slow queries: {slow}");
    let exceptions = app.metric_sum("exceptions_total", &[]).await;
    assert!(exceptions >= 1.0, "exceptions: {exceptions}");
}
