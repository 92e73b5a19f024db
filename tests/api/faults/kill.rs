//! `kill -9` of the bridge while clients push numbered batches: after a restart, every
//! acknowledged batch is in PostgreSQL; duplicates only of batches that were sent again.

use std::time::Duration;

use sqlx::PgPool;

use super::load::{Load, LoadSpec, verify};
use super::process::{BridgeProcess, fresh_database};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_ingest_loses_nothing_acknowledged() {
    let (_, url) = fresh_database();
    let mut bridge = BridgeProcess::start(&url, &[]).await;
    let spec = LoadSpec {
        url: format!("{}/api/v1/logs", bridge.http),
        clients: 6,
        records_per_batch: 50,
        service: "kill9".into(),
    };
    let load = Load::start(&spec);
    for round in 1..=2 {
        let before = load.acked();
        let pushing = load.wait_acked(before + 20, Duration::from_secs(20)).await;
        assert!(pushing, "round {round}: clients get acknowledgements");
        bridge.kill().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        bridge.restart().await;
    }
    let after_restart = load.acked() + 20;
    let resumed = load
        .wait_acked(after_restart, Duration::from_secs(20))
        .await;
    assert!(resumed, "ingest resumes after the restart");
    let reports = load.finish().await;

    let db = PgPool::connect(&url).await.unwrap();
    let verdict = verify(&db, &spec, &reports).await;
    verdict.assert_nothing_acknowledged_lost("kill -9 twice");
    let refused: usize = reports.iter().map(|r| r.transport_errors).sum();
    assert!(refused > 0, "the clients saw the bridge go away");
}
