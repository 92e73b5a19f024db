//! `alert-rules/`: promtool accepts the rule files and their unit tests pass, `logbridge rules
//! check` passes on them, and every alert carries a severity, its annotations and a runbook
//! section.

use std::path::{Path, PathBuf};
use std::process::Command;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("alert-rules")
}

/// The `*.yml` files of a directory, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    files
}

/// Runs `promtool` with `args`; `None` (after a note) when it is not installed, unless
/// `CI_REQUIRE_PROMTOOL` is set (as `.ci/run` does).
fn promtool(args: &[&str], files: &[PathBuf]) -> Option<(bool, String)> {
    let Ok(output) = Command::new("promtool").args(args).args(files).output() else {
        let required = std::env::var_os("CI_REQUIRE_PROMTOOL").is_some();
        assert!(!required, "promtool is required but not installed");
        eprintln!("promtool not installed: skipping (install the `prometheus` package)");
        return None;
    };
    let report = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    Some((output.status.success(), report))
}

#[test]
fn promtool_accepts_the_rule_files() {
    let files = yaml_files(&rules_dir());
    assert!(files.len() >= 3, "{files:?}");
    if let Some((passed, report)) = promtool(&["check", "rules"], &files) {
        assert!(passed, "{report}");
    }
}

#[test]
fn promtool_unit_tests_of_the_rules_pass() {
    let files = yaml_files(&rules_dir().join("tests"));
    assert!(!files.is_empty());
    if let Some((passed, report)) = promtool(&["test", "rules"], &files) {
        assert!(passed, "{report}");
    }
}

#[test]
fn logbridge_rules_check_passes_on_the_repository_and_fails_on_a_bad_file() {
    let logbridge = env!("CARGO_BIN_EXE_logbridge");
    let ok = Command::new(logbridge)
        .args(["rules", "check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{stdout}{stderr}");
    assert!(stdout.ends_with("no problems\n"), "{stdout}");

    let bad = std::env::temp_dir().join(format!("logbridge-rules-{}.yml", std::process::id()));
    let rule = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: nope_total > 0\n";
    std::fs::write(&bad, rule).unwrap();
    let failed = Command::new(logbridge)
        .args(["rules", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    std::fs::remove_file(&bad).unwrap();
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    let expected = format!(
        "{}:4: alert `A`: unknown metric `nope_total`\n",
        bad.display()
    );
    assert_eq!(stdout, expected);
}

#[test]
fn every_alert_has_a_severity_annotations_and_a_runbook_section() {
    let runbook = std::fs::read_to_string(rules_dir().join("RUNBOOK.md")).unwrap();
    let anchors: Vec<String> = runbook
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .map(str::to_lowercase)
        .collect();
    let mut alerts = 0;
    for file in yaml_files(&rules_dir()) {
        let text = std::fs::read_to_string(&file).unwrap();
        let tree: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        let rules = tree["groups"].as_sequence().unwrap().iter();
        let rules = rules.flat_map(|group| group["rules"].as_sequence().unwrap());
        for rule in rules.filter(|rule| rule.get("alert").is_some()) {
            alerts += 1;
            let name = rule["alert"].as_str().unwrap();
            let severity = rule["labels"]["severity"].as_str().unwrap_or_default();
            assert!(
                ["critical", "warning", "info"].contains(&severity),
                "{name}: severity {severity:?}"
            );
            for key in ["summary", "description", "runbook_url", "dashboard"] {
                let value = rule["annotations"][key].as_str().unwrap_or_default();
                assert!(!value.is_empty(), "{name}: no {key} annotation");
            }
            let url = rule["annotations"]["runbook_url"].as_str().unwrap();
            let anchor = url
                .strip_prefix("alert-rules/RUNBOOK.md#")
                .unwrap_or_default();
            assert!(anchors.iter().any(|a| a == anchor), "{name}: {url}");
        }
    }
    assert!(alerts >= 12, "{alerts} alerts");
}
