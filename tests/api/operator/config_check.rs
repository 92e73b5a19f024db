//! `logbridge config check`: every effective value with its source, secrets hidden, a non-zero
//! exit naming the key (or the variable) when the configuration does not load.

use super::{logbridge, stderr, stdout};

/// The line of `key` in a report.
fn line<'a>(report: &'a str, key: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.split_whitespace().next() == Some(key))
        .unwrap_or_else(|| panic!("{key} in\n{report}"))
}

#[test]
fn config_check_shows_each_value_with_its_source_and_hides_secrets() {
    let file = tempfile::NamedTempFile::with_suffix(".yaml").unwrap();
    let yaml = "ingest:\n  writers: 3\naccess:\n  metrics_token: hunter2-token\n";
    std::fs::write(file.path(), yaml).unwrap();
    let path = file.path().to_str().unwrap();
    let vars = [
        (
            "DATABASE_URL",
            "postgres://bridge:hunter2@db.example:5432/logs",
        ),
        ("LOGBRIDGE_LISTEN__HTTP", "127.0.0.1:9000"),
    ];
    let output = logbridge(&["config", "check", "--config", path], &vars);
    let report = stdout(&output);
    assert!(output.status.success(), "{report}{}", stderr(&output));
    assert!(
        report.starts_with(&format!("config: {path}: valid")),
        "{report}"
    );
    assert!(line(&report, "ingest.writers").ends_with(&format!("= 3    (file {path})")));
    assert!(
        line(&report, "listen.http").ends_with("= 127.0.0.1:9000    (env LOGBRIDGE_LISTEN__HTTP)"),
        "{report}"
    );
    assert!(
        line(&report, "database.url")
            .ends_with("= postgres://bridge:***@db.example:5432/logs    (env DATABASE_URL)"),
        "{report}"
    );
    assert!(line(&report, "ingest.max_body_bytes").ends_with("= 16777216    (default)"));
    assert!(line(&report, "access.metrics_token").contains("= ***"));
    assert!(!report.contains("hunter2"), "no secret prints: {report}");
}

#[test]
fn config_check_fails_naming_the_key_or_the_variable() {
    let file = tempfile::NamedTempFile::with_suffix(".yaml").unwrap();
    std::fs::write(file.path(), "ingest:\n  writer: 3\n").unwrap();
    let path = file.path().to_str().unwrap();
    let output = logbridge(&["config", "check", "--config", path], &[]);
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains(path) && said.contains("writer"), "{said}");

    let vars = [("LOGBRIDGE_INGEST__WRITERS", "many")];
    let output = logbridge(&["config", "check"], &vars);
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("LOGBRIDGE_INGEST__WRITERS"), "{said}");
}
