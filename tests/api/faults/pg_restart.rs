//! PostgreSQL restarted under ingest, in a private cluster: a crash-like restart, then a stop
//! and a start. The bridge answers 503 with `Retry-After` while it is down, `/readyz` fails,
//! nothing acknowledged is lost, and ingest resumes without restarting the bridge.

use std::time::Duration;

use sqlx::PgPool;

use super::cluster::PrivateCluster;
use super::load::{Load, LoadSpec, statuses, verify};
use super::process::BridgeProcess;
use crate::api::helpers::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_restart_during_ingest_answers_503_and_ingest_resumes_by_itself() {
    let cluster = PrivateCluster::start();
    let url = cluster.url("logbridge");
    let settings = [("LOGBRIDGE_DATABASE__CONNECT_TIMEOUT_SECONDS", "2")];
    let bridge = BridgeProcess::start(&url, &settings).await;
    let spec = LoadSpec {
        url: format!("{}/api/v1/logs", bridge.http),
        clients: 4,
        records_per_batch: 50,
        service: "pg_restart".into(),
    };
    let load = Load::start(&spec);
    assert!(load.wait_acked(20, Duration::from_secs(20)).await);

    tokio::task::block_in_place(|| cluster.crash_restart());
    let after_crash = load.acked() + 20;
    let resumed = load.wait_acked(after_crash, Duration::from_secs(30)).await;
    assert!(resumed, "ingest resumes by itself after a crash restart");

    tokio::task::block_in_place(|| cluster.stop());
    assert_answers_503_while_down(&bridge).await;
    tokio::task::block_in_place(|| cluster.start_again());
    let ready = bridge.wait_ready(Duration::from_secs(20)).await;
    assert!(ready, "readiness returns without restarting the bridge");
    let after_start = load.acked() + 20;
    let resumed = load.wait_acked(after_start, Duration::from_secs(30)).await;
    assert!(resumed, "ingest resumes by itself after a stop and start");
    let reports = load.finish().await;

    let db = PgPool::connect(&url).await.unwrap();
    verify(&db, &spec, &reports)
        .await
        .assert_nothing_acknowledged_lost("PostgreSQL restarted twice");
    let seen = statuses(&reports);
    eprintln!("answers by status: {seen:?}");
    assert!(seen.contains_key(&503), "{seen:?}");
    let unexpected: Vec<_> = seen.keys().filter(|s| ![200, 503].contains(*s)).collect();
    assert!(unexpected.is_empty(), "only 200 and 503: {seen:?}");
    let without_retry_after: usize = reports.iter().map(|r| r.missing_retry_after).sum();
    assert_eq!(without_retry_after, 0, "every 503 carries Retry-After");
}

/// While PostgreSQL is stopped: ingest 503 with `Retry-After`, `/readyz` 503, `/healthz` and
/// `/metrics` 200.
async fn assert_answers_503_while_down(bridge: &BridgeProcess) {
    let client = reqwest::Client::new();
    let record = r#"{"message": "while down", "service": "pg_restart_probe"}"#;
    let refused = eventually(Duration::from_secs(15), || async {
        let response = client
            .post(format!("{}/api/v1/logs", bridge.http))
            .header("content-type", "application/json")
            .body(record)
            .send()
            .await
            .unwrap();
        response.status() == 503 && response.headers().contains_key("retry-after")
    })
    .await;
    assert!(
        refused,
        "ingest answers 503 with Retry-After while PostgreSQL is down"
    );
    let get = |path: &str| client.get(format!("{}{path}", bridge.http)).send();
    assert_eq!(get("/readyz").await.unwrap().status(), 503);
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/metrics").await.unwrap().status(), 200);
}
