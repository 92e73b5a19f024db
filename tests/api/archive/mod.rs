//! Archival: a partition-shaped table archived to a directory (and to S3 through moto when it is
//! installed), listed, verified and restored into `logs_restored` with every value intact; a
//! damaged file is refused; a failing location leaves the table and the listing as they were.

use std::path::Path;

use chrono::NaiveDate;
use logbridge::config::ArchiveConfig;
use logbridge::jobs::archive::{Archive, ArchiveError};
use serde_json::json;
use sqlx::{PgPool, Row};

use super::helpers::{TestApp, spawn_app};

mod cli;
mod s3;

pub(super) const TABLE: &str = "logs_p20240201";
pub(super) const DAY: (i32, u32, u32) = (2024, 2, 1);
/// Rows generated in SQL besides the few ingested; more than one restore chunk.
const GENERATED: i64 = 12_000;

pub(super) fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap()
}

/// An archive configuration writing to `location`.
pub(super) fn archive_config(location: &str) -> ArchiveConfig {
    ArchiveConfig {
        location: location.to_string(),
        ..ArchiveConfig::default()
    }
}

/// A directory of its own under the system's temporary directory.
pub(super) fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// A table shaped like a detached day partition of `logs`: a few records ingested through the
/// bridge (unicode, nested attributes, request and trace fields) and generated rows with
/// microsecond timestamps.
pub(super) async fn partition_like_table(app: &TestApp) -> i64 {
    let records = [
        json!({"message": "caf\u{e9} \u{1f600} \u{4e2d}\u{6587} tab\there \"quoted\" back\\slash\nnext line",
               "service": "checkout", "level": "error", "timestamp": "2026-01-01T10:00:00.123456Z",
               "trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331",
               "user": {"id": 42, "tags": ["a", "b"], "nested": {"deep": [1.5, null, true]}}}),
        json!({"message": "GET /api/v1/orders/17", "service": "gateway", "request_method": "GET",
               "request_path": "/api/v1/orders/17", "response_status": 503, "duration_ms": 1234.567}),
        json!({"message": "query", "service": "db", "db.statement": "SELECT * FROM t WHERE id = 7",
               "db.system": "postgresql", "duration_ms": 0.001}),
    ];
    let body = serde_json::Value::Array(records.to_vec()).to_string();
    assert_eq!(app.post_json(body).await, 200);
    let sql = format!("CREATE TABLE \"{TABLE}\" (LIKE logs INCLUDING ALL)");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&app.db)
        .await
        .unwrap();
    let copy = format!("INSERT INTO \"{TABLE}\" SELECT * FROM logs");
    sqlx::query(sqlx::AssertSqlSafe(copy))
        .execute(&app.db)
        .await
        .unwrap();
    let generate = format!(
        "INSERT INTO \"{TABLE}\" (ts, observed_ts, service, level, severity_number, body, \
         http_duration_ms, attributes, resource) \
         SELECT timestamptz '2024-02-01 00:00:00+00' + i * interval '7.123457 seconds', now(), \
                'svc-' || (i % 7), 'info', 9, 'r\u{e9}sum\u{e9} #' || i || E' \\u2028 ' || md5(i::text), \
                i / 3.0, jsonb_build_object('i', i, 'even', i % 2 = 0, 'half', i / 2.0), '{{}}' \
         FROM generate_series(1, {GENERATED}) i"
    );
    sqlx::query(sqlx::AssertSqlSafe(generate))
        .execute(&app.db)
        .await
        .unwrap();
    count(&app.db, TABLE).await
}

pub(super) async fn count(db: &PgPool, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM \"{table}\"");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(db)
        .await
        .unwrap()
        .get(0)
}

/// Rows of `TABLE` with no equal row among the restored rows of `file`, and the other way round
/// (every column of `logs` compared: text, jsonb, timestamps to the microsecond, doubles).
pub(super) async fn differing_rows(db: &PgPool, file: &str) -> (i64, i64) {
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute \
         WHERE attrelid = 'logs'::regclass AND attnum > 0 AND NOT attisdropped",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let columns = &columns[0];
    let restored = format!("SELECT {columns} FROM logs_restored WHERE archive_file = $1");
    let original = format!("SELECT {columns} FROM \"{TABLE}\"");
    let mut found = Vec::new();
    for (a, b) in [(&original, &restored), (&restored, &original)] {
        let sql = format!("SELECT count(*) FROM ({a} EXCEPT ALL {b}) d");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(file)
            .fetch_one(db)
            .await
            .unwrap();
        found.push(row.get::<i64, _>(0));
    }
    (found[0], found[1])
}

/// The files under `dir`, as paths relative to it, sorted.
pub(super) fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                let relative = entry.path().strip_prefix(dir).unwrap().to_path_buf();
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn an_archived_partition_restores_with_every_value_intact() {
    let app = spawn_app().await;
    let rows = partition_like_table(&app).await;
    let dir = temp_dir();
    let archive = Archive::from_config(&archive_config(dir.path().to_str().unwrap()))
        .unwrap()
        .expect("a location is configured, so archiving is on");

    let manifest = archive
        .archive_table(&app.db, TABLE, day(), "standard")
        .await
        .unwrap();
    assert_eq!(manifest.rows, rows as u64);
    assert_eq!(
        (manifest.table.as_str(), manifest.class.as_str()),
        (TABLE, "standard")
    );
    assert!(
        manifest
            .file
            .starts_with("logs/2024-02-01/standard-logs_p20240201-"),
        "{manifest:?}"
    );
    let columns: Vec<&str> = manifest.columns.iter().map(|c| c.name.as_str()).collect();
    assert!(
        columns.starts_with(&["id", "ts", "observed_ts", "service"]),
        "{columns:?}"
    );
    let first = "2024-02-01T00:00:07.123457Z".parse().unwrap();
    assert_eq!(manifest.min_ts, Some(first));
    assert!(
        manifest.bytes * 3 < manifest.uncompressed_bytes,
        "{manifest:?}"
    );
    let stem = manifest.file.trim_end_matches(".ndjson.zst");
    let expected = vec![format!("{stem}.manifest.json"), manifest.file.clone()];
    assert_eq!(
        files_under(dir.path()),
        expected,
        "the file and its manifest, nothing else"
    );
    assert_eq!(archive.list().await.unwrap(), vec![manifest.clone()]);

    let report = archive.restore(&app.db, &manifest.file).await.unwrap();
    assert_eq!((report.rows, report.replaced), (rows as u64, 0));
    assert_eq!(report.table, "logs_restored");
    assert_eq!(differing_rows(&app.db, &manifest.file).await, (0, 0));

    let again = archive
        .restore(&app.db, &format!("{stem}.manifest.json"))
        .await
        .unwrap();
    assert_eq!((again.rows, again.replaced), (rows as u64, rows as u64));
    assert_eq!(count(&app.db, "logs_restored").await, rows, "no duplicates");
    let grafana_reads =
        "SELECT has_table_privilege('logbridge_grafana', 'logs_restored', 'SELECT')";
    let grafana_reads: bool = sqlx::query_scalar(grafana_reads)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(grafana_reads);
}

#[tokio::test]
async fn a_damaged_archive_fails_verification_and_restores_nothing() {
    let app = spawn_app().await;
    partition_like_table(&app).await;
    let dir = temp_dir();
    let archive = Archive::from_config(&archive_config(dir.path().to_str().unwrap()))
        .unwrap()
        .unwrap();
    let manifest = archive
        .archive_table(&app.db, TABLE, day(), "debug")
        .await
        .unwrap();
    archive
        .verify(&manifest.file)
        .await
        .expect("intact before the damage");

    let path = dir.path().join(&manifest.file);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();

    let error = archive.verify(&manifest.file).await.unwrap_err();
    assert!(
        matches!(error, ArchiveError::Verification { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("SHA-256"), "{error}");
    let error = archive.restore(&app.db, &manifest.file).await.unwrap_err();
    assert!(
        matches!(error, ArchiveError::Verification { .. }),
        "{error}"
    );
    let restored: Option<String> = sqlx::query_scalar("SELECT to_regclass('logs_restored')::text")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(restored, None, "nothing was loaded");
    let error = archive
        .restore(&app.db, "logs/2024-02-01/missing.ndjson.zst")
        .await
        .unwrap_err();
    assert!(matches!(error, ArchiveError::NotFound { .. }), "{error}");
}

#[tokio::test]
async fn a_failing_location_errs_and_leaves_everything_in_place() {
    let app = spawn_app().await;
    let rows = partition_like_table(&app).await;
    let dir = temp_dir();
    // The location is a path under a regular file: nothing can be written there.
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "x").unwrap();
    let under_file = blocker.join("archive");
    let archive = Archive::from_config(&archive_config(under_file.to_str().unwrap()))
        .unwrap()
        .unwrap();
    let error = archive
        .archive_table(&app.db, TABLE, day(), "standard")
        .await
        .unwrap_err();
    assert!(matches!(error, ArchiveError::Storage(_)), "{error}");

    // A writable location whose day folder is taken by a regular file.
    let location = dir.path().join("archive");
    std::fs::create_dir_all(location.join("logs")).unwrap();
    std::fs::write(location.join("logs/2024-02-01"), "taken").unwrap();
    let archive = Archive::from_config(&archive_config(location.to_str().unwrap()))
        .unwrap()
        .unwrap();
    assert!(
        archive
            .archive_table(&app.db, TABLE, day(), "standard")
            .await
            .is_err()
    );
    assert_eq!(
        archive.list().await.unwrap(),
        vec![],
        "nothing half-written is listed"
    );
    assert_eq!(files_under(&location), vec!["logs/2024-02-01".to_string()]);
    assert_eq!(
        count(&app.db, TABLE).await,
        rows,
        "the partition keeps every row"
    );
}

#[tokio::test]
async fn no_location_or_enabled_false_means_no_archiving() {
    let none = Archive::from_config(&ArchiveConfig::default()).unwrap();
    assert!(none.is_none());
    let dir = temp_dir();
    let not_yet_made = dir.path().join("archive");
    let off = ArchiveConfig {
        enabled: false,
        ..archive_config(not_yet_made.to_str().unwrap())
    };
    assert!(Archive::from_config(&off).unwrap().is_none());
    let reachable = Archive::open(&off)
        .unwrap()
        .expect("list and restore still reach it");
    assert_eq!(
        reachable.list().await.unwrap(),
        vec![],
        "no directory yet: no archives"
    );
}
