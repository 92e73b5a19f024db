//! `logbridge archive list` and `logbridge archive restore FILE`, run as a user runs them.

use std::path::PathBuf;
use std::process::Command;

use logbridge::jobs::archive::Archive;

use super::{TABLE, archive_config, day, differing_rows, partition_like_table, temp_dir};
use crate::api::helpers::spawn_app;

/// Runs the `logbridge` binary with a config file of `yaml`.
fn logbridge(yaml: &str, args: &[&str]) -> (bool, String) {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), yaml).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_logbridge"))
        .arg("--config")
        .arg(config.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() || !stderr.is_empty(),
        "a failure says why"
    );
    (output.status.success(), format!("{stdout}{stderr}"))
}

#[tokio::test]
async fn the_commands_list_and_restore_an_archive() {
    let app = spawn_app().await;
    let rows = partition_like_table(&app).await;
    let dir = temp_dir();
    let location = PathBuf::from(dir.path());
    let yaml = format!(
        "database:\n  url: postgres://postgres@127.0.0.1:5432/{}\narchive:\n  location: {}\n",
        app.db_name,
        location.display()
    );
    let (ok, empty) = logbridge(&yaml, &["archive", "list"]);
    assert!(ok && empty.contains("no archives at "), "{empty}");
    let archive = Archive::from_config(&archive_config(location.to_str().unwrap()))
        .unwrap()
        .unwrap();
    let manifest = archive
        .archive_table(&app.db, TABLE, day(), "security")
        .await
        .unwrap();

    let (ok, listed) = logbridge(&yaml, &["archive", "list"]);
    assert!(ok, "{listed}");
    let line = listed
        .lines()
        .find(|l| l.ends_with(&manifest.file))
        .expect(&listed);
    let fields: Vec<&str> = line.split_whitespace().collect();
    let rows_text = rows.to_string();
    assert_eq!(
        fields[..3],
        ["2024-02-01", "security", rows_text.as_str()],
        "{listed}"
    );
    assert!(line.contains("2024-02-01T00:00:07.123457Z"), "{line}");

    let full_path = location.join(&manifest.file);
    let (ok, restored) = logbridge(&yaml, &["archive", "restore", full_path.to_str().unwrap()]);
    assert!(ok, "{restored}");
    let expected = format!("restored {rows} rows (");
    assert!(
        restored.lines().any(|l| l.starts_with(&expected)),
        "{restored}"
    );
    assert!(restored.contains("into logs_restored"), "{restored}");
    assert_eq!(differing_rows(&app.db, &manifest.file).await, (0, 0));

    let (ok, missing) = logbridge(
        &yaml,
        &["archive", "restore", "logs/2024-02-01/x.ndjson.zst"],
    );
    assert!(!ok && missing.contains("no such archive"), "{missing}");
    let (ok, help) = logbridge("", &["archive", "--help"]);
    assert!(
        ok && help.contains("restore") && help.contains("list"),
        "{help}"
    );
    let (ok, unset) = logbridge("", &["archive", "list"]);
    assert!(!ok && unset.contains("archive.location"), "{unset}");
}
