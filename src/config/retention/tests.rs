//! Loading and validation of `retention:`.

use crate::config::{Config, ConfigError};

fn load(yaml: &str) -> Result<Config, ConfigError> {
    crate::settings::from_yaml_and_env(yaml, "test.yaml", std::iter::empty())
}

fn error(yaml: &str) -> String {
    load(yaml).expect_err(yaml).to_string()
}

#[track_caller]
fn assert_names(error: &str, parts: &[&str]) {
    for part in parts {
        assert!(error.contains(part), "{part:?} missing from: {error}");
    }
}

const STANDARD: &str = "    - { name: standard, days: 90 }\n";

#[test]
fn defaults_are_the_issues_horizons() {
    let retention = load("").unwrap().retention;
    let days: Vec<(&str, u32)> = retention
        .classes
        .iter()
        .map(|c| (c.name.as_str(), c.days))
        .collect();
    assert_eq!(
        days,
        [
            ("security", 365),
            ("exceptions", 365),
            ("debug", 14),
            ("standard", 90)
        ]
    );
    assert_eq!(retention.audit_days, 365);
    assert_eq!(retention.rollup_days(), 365, "the longest class");
    assert_eq!(retention.interval_seconds, 86_400);
}

#[test]
fn a_class_list_replaces_the_defaults() {
    let yaml = format!(
        "retention:\n  classes:\n    - {{ name: payments, days: 730, services: [billing] }}\n{STANDARD}"
    );
    let retention = load(&yaml).unwrap().retention;
    let names: Vec<&str> = retention.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["payments", "standard"]);
    assert_eq!(retention.longest_class_days(), 730);
}

#[test]
fn class_names_days_and_levels_are_checked() {
    let class = |line: &str| format!("retention:\n  classes:\n    - {line}\n{STANDARD}");
    let bad_name = error(&class("{ name: Security, days: 1, levels: [debug] }"));
    assert_names(
        &bad_name,
        &["retention.classes[0] (Security).name", "[a-z]"],
    );
    let long = "a".repeat(32);
    let too_long = error(&class(&format!(
        "{{ name: {long}, days: 1, levels: [debug] }}"
    )));
    assert_names(&too_long, &["retention.classes[0]", ".name"]);
    let zero = error(&class("{ name: short, days: 0, levels: [debug] }"));
    assert_names(&zero, &["retention.classes[0] (short).days", "at least 1"]);
    let level = error(&class("{ name: short, days: 1, levels: [verbose] }"));
    assert_names(&level, &["(short).levels", "`verbose` is not a level"]);
    let reserved = error(&class("{ name: all, days: 1, levels: [debug] }"));
    assert_names(&reserved, &["(all).name", "reserved"]);
    let twice = format!("retention:\n  classes:\n{STANDARD}{STANDARD}");
    assert_names(
        &error(&twice),
        &["retention.classes[1] (standard).name", "twice"],
    );
    let unknown = error(&class("{ name: short, days: 1, colour: red }"));
    assert_names(&unknown, &["colour"]);
}

#[test]
fn the_last_class_is_an_unconditional_standard() {
    let none = error("retention:\n  classes: []\n");
    assert_names(&none, &["retention.classes", "`standard`"]);
    let conditional =
        "retention:\n  classes:\n    - { name: standard, days: 90, levels: [info] }\n";
    assert_names(
        &error(conditional),
        &["retention.classes[0] (standard)", "no conditions"],
    );
    let other_last = "retention:\n  classes:\n    - { name: keep, days: 9 }\n";
    assert_names(&error(other_last), &["(keep)", "must be `standard`"]);
    let shadowing =
        format!("retention:\n  classes:\n    - {{ name: all_logs, days: 9 }}\n{STANDARD}");
    assert_names(
        &error(&shadowing),
        &["retention.classes[0] (all_logs)", "no class after it"],
    );
}

#[test]
fn the_audit_trail_is_kept_a_year_and_counts_are_positive() {
    let audit = error("retention:\n  audit_days: 30\n");
    assert_names(&audit, &["retention.audit_days", "365"]);
    let interval = error("retention:\n  interval_seconds: 0\n");
    assert_names(&interval, &["retention.interval_seconds"]);
    let rollups = error("retention:\n  rollup_days: 0\n");
    assert_names(&rollups, &["retention.rollup_days"]);
}

#[test]
fn retention_settings_come_from_the_environment() {
    let vars = [("LOGBRIDGE_RETENTION__ENABLED", "false")];
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let config = Config::from_yaml_and_env("", "test.yaml", vars).unwrap();
    assert!(!config.retention.enabled);
}
