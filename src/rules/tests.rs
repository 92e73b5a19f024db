//! Tests of `rules check` on rule files given as text, and on the repository's `alert-rules/`.

use std::path::{Path, PathBuf};

use super::*;
use crate::config::RulesConfig;
use crate::metrics::catalogue::Kind;

fn known() -> Known {
    Known::from_config(&RulesConfig::default())
}

fn source(file: &str, text: &str) -> Source {
    Source {
        file: PathBuf::from(file),
        text: text.to_string(),
    }
}

/// The problems of one file holding one group with `rules` (YAML list items).
fn problems(rules: &str) -> Vec<String> {
    let text = format!("groups:\n  - name: g\n    rules:\n{rules}");
    let report = check_sources(&[source("r.yml", &text)], &known());
    report.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn an_unknown_metric_is_one_problem_at_the_rules_line() {
    let found = problems(
        "      - alert: Ok\n        expr: up == 0\n      - alert: Typo\n        expr: rate(log_record_total[5m]) > 0\n",
    );
    assert_eq!(
        found,
        ["r.yml:6: alert `Typo`: unknown metric `log_record_total`"]
    );
}

#[test]
fn an_unknown_label_is_one_problem() {
    let found = problems("      - record: x:y:z\n        expr: log_records_total{route=\"/\"}\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("r.yml:4: record `x:y:z`: unknown label `route`"),
        "{found:?}"
    );
}

#[test]
fn a_label_the_aggregated_series_do_not_carry_is_a_problem() {
    let found = problems(
        "      - alert: A\n        expr: sum by (route) (rate(log_records_total[5m])) > 1\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("unknown label `route` in `sum by`"),
        "{found:?}"
    );
    let dropped = "sum by (service) (rate(log_records_total[5m])) / on (level) sum by (service) (rate(log_records_total[5m]))";
    let found = problems(&format!("      - alert: B\n        expr: {dropped}\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`level` in `on`"), "{found:?}");
}

#[test]
fn a_bad_expression_is_one_problem_with_the_parsers_message() {
    let found = problems("      - alert: Broken\n        expr: sum(rate(log_records_total[5m])\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("r.yml:4: alert `Broken`: invalid expression: "),
        "{found:?}"
    );
}

#[test]
fn bad_yaml_is_one_problem_at_its_line() {
    let text =
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n       labels: {}\n";
    let report = check_sources(&[source("bad.yml", text)], &known());
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].to_string().starts_with("bad.yml:6: "),
        "{}",
        report.problems[0]
    );
    let unknown_key = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expresion: up\n";
    let report = check_sources(&[source("key.yml", unknown_key)], &known());
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let problem = report.problems[0].to_string();
    assert!(problem.starts_with("key.yml:5: "), "{problem}");
    assert!(problem.contains("expresion"), "{problem}");
}

#[test]
fn recording_rules_of_other_files_are_known_with_the_labels_they_keep() {
    let uses = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: team:x:rate5m{service=\"s\", team=\"t\"} > 1\n      - alert: B\n        expr: team:x:rate5m{level=\"error\"} > 1\n";
    let records = "groups:\n  - name: r\n    rules:\n      - record: team:x:rate5m\n        expr: sum by (service) (service:x:rate5m)\n        labels: {team: web}\n      - record: service:x:rate5m\n        expr: sum by (service, level) (rate(log_records_total[5m]))\n";
    let sources = [source("a.yml", uses), source("r.yml", records)];
    let report = check_sources(&sources, &known());
    let found: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("a.yml:6: alert `B`: unknown label `level` on `team:x:rate5m`"),
        "{found:?}"
    );
    assert_eq!((report.recording_rules, report.alerting_rules), (2, 2));
}

#[test]
fn histogram_parts_scrape_labels_and_external_metrics() {
    let ok = [
        "histogram_quantile(0.9, sum by (le) (rate(http_server_request_duration_seconds_bucket[5m])))",
        "sum by (job, instance) (rate(db_client_operation_duration_seconds_count[5m]))",
        "up{job=\"x\", anything=\"y\"} == 0",
        "label_replace(log_records_total, \"svc\", \"$1\", \"service\", \"(.*)\") > 0",
    ];
    for expr in ok {
        assert_eq!(
            problems(&format!("      - alert: A\n        expr: {expr}\n")),
            Vec::<String>::new(),
            "{expr}"
        );
    }
    let le_on_count = "sum by (le) (rate(http_server_request_duration_seconds_count[5m]))";
    assert_eq!(
        problems(&format!("      - alert: A\n        expr: {le_on_count}\n")).len(),
        1
    );
}

#[test]
fn metrics_derived_from_logs_can_be_added() {
    let rule = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: histogram_quantile(0.5, sum by (le, tenant) (rate(checkout_seconds_bucket[5m]))) > 1\n";
    let sources = [source("r.yml", rule)];
    assert_eq!(check_sources(&sources, &known()).problems.len(), 1);
    let mut known = known();
    known.add_metric("checkout_seconds", Kind::Histogram, &["tenant"]);
    assert!(check_sources(&sources, &known).problems.is_empty());
}

#[test]
fn templates_name_only_labels_of_the_result() {
    let rule = "      - alert: A\n        expr: sum by (service) (rate(log_records_total[5m])) > 1\n        annotations:\n          summary: \"{{ $labels.service }} on {{ $labels.instance }}\"\n";
    let found = problems(rule);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`$labels.instance`"), "{found:?}");
}

#[test]
fn the_repositorys_rules_pass_and_tests_are_not_rule_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("alert-rules");
    // As `rules check` sees them with the default configuration and its log metrics.
    let known = crate::cli::rules_known(&crate::config::Config::default());
    let report = check(&[&dir], &known);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.files, 3);
    assert!(report.alerting_rules >= 12 && report.recording_rules > 0);
}

#[test]
fn a_missing_path_is_a_problem() {
    let report = check(&["no/such/dir"], &known());
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].line, None);
}
