//! Archival to S3-compatible storage: moto's S3 server on a free local port. Skipped (with a
//! note) when `moto_server` is not installed, unless `CI_REQUIRE_MOTO` is set (as `.ci/run` does).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use logbridge::config::Secret;
use logbridge::config::archive::S3Config;
use logbridge::jobs::archive::{Archive, ArchiveError};

use super::{TABLE, archive_config, count, day, differing_rows, partition_like_table};
use crate::api::helpers::spawn_app;

const BUCKET: &str = "logbridge-archive";

/// A running `moto_server`, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto on a free port and waits until it answers; None (after a note) when it is not
/// installed, unless `CI_REQUIRE_MOTO` is set.
async fn start_moto() -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let required = std::env::var_os("CI_REQUIRE_MOTO").is_some();
    let spawned = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let missing = || {
        assert!(!required, "moto_server is required but not installed");
        eprintln!("moto_server not installed: skipping (pip install 'moto[server]')");
        None
    };
    let Ok(child) = spawned else {
        return missing();
    };
    let mut moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if moto.child.try_wait().unwrap().is_some() {
            // A shim without the program behind it (pyenv) starts and exits at once.
            return missing();
        }
        if client.get(&moto.endpoint).send().await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not answer on {}", moto.endpoint);
}

fn s3_config(endpoint: &str, bucket: &str) -> logbridge::config::ArchiveConfig {
    let mut config = archive_config(&format!("s3://{bucket}/bridge/prod"));
    config.s3 = S3Config {
        endpoint: Some(endpoint.to_string()),
        region: Some("us-east-1".to_string()),
        access_key_id: Some("test".to_string()),
        secret_access_key: Some(Secret::from("test")),
        session_token: None,
        allow_http: true,
    };
    config
}

#[tokio::test]
async fn an_archive_in_s3_round_trips_in_several_upload_parts() {
    let Some(moto) = start_moto().await else {
        return;
    };
    let client = reqwest::Client::new();
    let bucket_url = format!("{}/{BUCKET}", moto.endpoint);
    assert!(
        client
            .put(&bucket_url)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let app = spawn_app().await;
    partition_like_table(&app).await;
    // Rows of 1 KiB of hex: the compressed file outgrows one 8 MiB upload part.
    let big = format!(
        "INSERT INTO \"{TABLE}\" (ts, observed_ts, service, level, severity_number, body) \
         SELECT timestamptz '2024-02-01 12:00:00+00' + i * interval '1 ms', now(), 'big', 'debug', \
                5, (SELECT string_agg(md5(i::text || '-' || j::text), '') FROM generate_series(1, 32) j) \
         FROM generate_series(1, 20000) i"
    );
    sqlx::query(sqlx::AssertSqlSafe(big))
        .execute(&app.db)
        .await
        .unwrap();
    let rows = count(&app.db, TABLE).await;
    let archive = Archive::from_config(&s3_config(&moto.endpoint, BUCKET))
        .unwrap()
        .unwrap();
    assert_eq!(archive.location(), "s3://logbridge-archive/bridge/prod");

    let manifest = archive
        .archive_table(&app.db, TABLE, day(), "standard")
        .await
        .unwrap();
    assert_eq!(manifest.rows, rows as u64);
    assert!(
        manifest.bytes > 8 << 20,
        "more than one part: {} bytes",
        manifest.bytes
    );
    let objects = client
        .get(format!("{bucket_url}?list-type=2"))
        .send()
        .await
        .unwrap();
    let objects = objects.text().await.unwrap();
    let data_key = format!("<Key>bridge/prod/{}</Key>", manifest.file);
    assert!(objects.contains(&data_key), "{objects}");
    assert_eq!(objects.matches("<Key>").count(), 2, "{objects}");
    assert_eq!(archive.list().await.unwrap(), vec![manifest.clone()]);

    let report = archive
        .restore(
            &app.db,
            &format!("s3://logbridge-archive/bridge/prod/{}", manifest.file),
        )
        .await
        .unwrap();
    assert_eq!(report.rows, rows as u64);
    assert_eq!(differing_rows(&app.db, &manifest.file).await, (0, 0));

    let object_url = format!("{bucket_url}/bridge/prod/{}", manifest.file);
    let truncated = client
        .put(&object_url)
        .body(vec![0x28u8, 0xb5, 0x2f, 0xfd])
        .send()
        .await
        .unwrap();
    assert!(truncated.status().is_success());
    let error = archive.verify(&manifest.file).await.unwrap_err();
    assert!(
        matches!(error, ArchiveError::Verification { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_bucket_fails_the_archive_and_keeps_the_partition() {
    let Some(moto) = start_moto().await else {
        return;
    };
    let app = spawn_app().await;
    let rows = partition_like_table(&app).await;
    let archive = Archive::from_config(&s3_config(&moto.endpoint, "no-such-bucket"))
        .unwrap()
        .unwrap();
    let error = archive
        .archive_table(&app.db, TABLE, day(), "standard")
        .await
        .unwrap_err();
    assert!(matches!(error, ArchiveError::Storage(_)), "{error}");
    assert_eq!(count(&app.db, TABLE).await, rows);
}
