//! Tests of configuration loading, overrides and validation.

use super::*;

fn load(yaml: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    crate::settings::from_yaml_and_env(yaml, "test.yaml", vars.collect::<Vec<_>>().into_iter())
}

#[test]
fn empty_file_gives_contract_defaults() {
    let config = load("", &[]).unwrap();
    assert_eq!(
        config.database.url.expose(),
        "postgres://postgres@127.0.0.1:5432/logbridge"
    );
    assert_eq!(config.listen.http.to_string(), "0.0.0.0:4318");
    assert_eq!(config.listen.grpc.to_string(), "0.0.0.0:4317");
    assert_eq!(config.ingest.max_body_bytes, 16 * 1024 * 1024);
    assert_eq!(config.metrics.slow_request_seconds, 1.0);
    assert_eq!(config.metrics.slow_query_seconds, 0.5);
    let external = &config.rules.external_metrics;
    assert!(external.iter().any(|m| m == "up"), "{external:?}");
    assert!(!external.iter().any(|m| m == "log_auth_failures_total"));
    let log_metrics: Vec<&str> = config.log_metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        log_metrics,
        ["log_auth_failures_total"],
        "AuthFailureBurst's metric"
    );
}

#[test]
fn rules_external_metrics_replace_the_default_list() {
    let config = load("rules:\n  external_metrics: [node_load1]\n", &[]).unwrap();
    assert_eq!(
        config.rules.external_metrics,
        vec!["node_load1".to_string()]
    );
    let err = load("rules:\n  external: [x]\n", &[]).unwrap_err();
    assert!(err.to_string().contains("external"), "{err}");
}

#[test]
fn unknown_key_names_the_key_and_line() {
    let err = load("ingest:\n  max_body_bytes: 10\n  colour: blue\n", &[]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("colour"), "{text}");
    assert!(text.contains("ingest"), "{text}");
    assert!(text.contains("line 3"), "{text}");
}

#[test]
fn bad_value_names_the_key() {
    let err = load("metrics:\n  slow_query_seconds: soon\n", &[]).unwrap_err();
    assert!(
        err.to_string().contains("metrics.slow_query_seconds"),
        "{err}"
    );
    let err = load("ingest:\n  writers: 0\n", &[]).unwrap_err();
    assert!(err.to_string().contains("ingest.writers"), "{err}");
}

#[test]
fn the_source_of_request_and_query_metrics_is_one_of_three() {
    let err = load("metrics:\n  requests_from: traces\n", &[]).unwrap_err();
    assert!(err.to_string().contains("metrics.requests_from"), "{err}");
    let vars = [("LOGBRIDGE_METRICS__QUERIES_FROM", "logs")];
    let config = load("metrics:\n  requests_from: spans\n", &vars).expect("loads");
    assert_eq!(config.metrics.requests_from, MetricSource::Spans);
    assert_eq!(config.metrics.queries_from, MetricSource::Logs);
}

#[test]
fn environment_overrides_file() {
    let vars = [
        ("LOGBRIDGE_INGEST__MAX_BODY_BYTES", "1024"),
        ("LOGBRIDGE_LISTEN__HTTP", "127.0.0.1:0"),
        ("LOGBRIDGE_FIELDS__SERVICE", "[app_name]"),
        ("DATABASE_URL", "postgres://u:pw@db/x"),
        ("UNRELATED", "1"),
    ];
    let config = load("ingest:\n  max_body_bytes: 10\n", &vars).unwrap();
    assert_eq!(config.ingest.max_body_bytes, 1024);
    assert_eq!(config.listen.http.port(), 0);
    assert_eq!(config.fields.service, vec!["app_name".to_string()]);
    assert_eq!(config.database.url.expose(), "postgres://u:pw@db/x");
}

#[test]
fn unknown_environment_key_is_an_error() {
    let err = load("", &[("LOGBRIDGE_INGEST__NOPE", "1")]).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let vars = [
        ("LOGBRIDGE_INGEST__WRITERS", "3"),
        ("LOGBRIDGE_LISTEN__HTTP", "not-an-address"),
    ];
    let err = load("", &vars).unwrap_err().to_string();
    assert!(
        err.contains("LOGBRIDGE_LISTEN__HTTP:"),
        "the variable, not only the key: {err}"
    );
}

#[test]
fn secret_never_prints() {
    let config = load("database:\n  url: postgres://u:hunter2@h/db\n", &[]).unwrap();
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn the_example_file_documents_every_key_with_its_default() {
    let example = include_str!("../../logbridge.example.yaml");
    let config = load(example, &[]).expect("the example loads");
    let defaults = Config::default();
    assert_eq!(format!("{config:?}"), format!("{defaults:?}"));
}

/// The commented `log_metrics:` example of the example file, uncommented.
fn documented_log_metrics() -> String {
    let example = include_str!("../../logbridge.example.yaml");
    let lines = example.lines().skip_while(|l| *l != "# log_metrics:");
    lines
        .take_while(|l| l.starts_with("# "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect()
}

#[test]
fn the_documented_log_metrics_example_loads() {
    let config = load(&documented_log_metrics(), &[]).expect("the example loads");
    let names: Vec<&str> = config.log_metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["log_auth_failures_total", "checkout_amount"]);
    assert_eq!(Config::default().log_metrics[..], config.log_metrics[..1]);
}

const COUNTER: &str =
    "log_metrics:\n  - name: log_auth_failures_total\n    help: Failed logins\n    type: counter\n";
const HISTOGRAM: &str = "log_metrics:\n  - name: checkout_amount\n    help: Amounts\n    type: histogram\n    value: attributes.amount\n";

/// The error of loading `base` with `extra` lines appended to its one metric.
fn log_metric_error(base: &str, extra: &str) -> String {
    let yaml = format!("{base}{extra}");
    load(&yaml, &[]).expect_err(&yaml).to_string()
}

#[track_caller]
fn assert_names(error: &str, parts: &[&str]) {
    for part in parts {
        assert!(error.contains(part), "{part:?} missing from: {error}");
    }
}

#[test]
fn log_metric_names_follow_prometheus_rules() {
    let bad_syntax = COUNTER.replace("log_auth_failures_total", "auth-failures_total");
    assert_names(
        &log_metric_error(&bad_syntax, ""),
        &["log_metrics[0]", ".name", "not a metric name"],
    );
    let no_total = COUNTER.replace("log_auth_failures_total", "log_auth_failures");
    assert_names(
        &log_metric_error(&no_total, ""),
        &[
            "log_metrics[0] (log_auth_failures).name",
            "must end in _total",
        ],
    );
    let catalogued = COUNTER.replace("log_auth_failures_total", "exceptions_total");
    assert_names(
        &log_metric_error(&catalogued, ""),
        &[
            "exceptions_total",
            "collides with a metric the bridge already exports",
        ],
    );
    let histogram_total = HISTOGRAM.replace("checkout_amount", "checkout_amount_total");
    assert_names(
        &log_metric_error(&histogram_total, ""),
        &["must not end in _total"],
    );
    let own = COUNTER.replace("log_auth_failures_total", "logbridge_x_total");
    assert_names(&log_metric_error(&own, ""), &["reserved"]);
}

#[test]
fn log_metric_names_are_unique() {
    let twice = format!("{COUNTER}{}", &COUNTER["log_metrics:\n".len()..]);
    assert_names(
        &log_metric_error(&twice, ""),
        &["log_metrics[1]", "defined twice"],
    );
    // A histogram `x` and a counter `x_total` would share the family `x`.
    let shared = format!(
        "{HISTOGRAM}{}",
        &COUNTER["log_metrics:\n".len()..].replace("log_auth_failures", "checkout_amount")
    );
    assert_names(&log_metric_error(&shared, ""), &["defined twice"]);
}

#[test]
fn log_metric_labels_are_valid_and_not_reserved() {
    let labels =
        |name: &str| format!("    labels:\n      - {{ name: \"{name}\", from: service }}\n");
    for (name, rule) in [
        ("le", "reserved"),
        ("__name", "reserved"),
        ("1st", "not a label name"),
        ("a-b", "not a label name"),
    ] {
        let error = log_metric_error(COUNTER, &labels(name));
        assert_names(
            &error,
            &["log_metrics[0] (log_auth_failures_total).labels", rule],
        );
    }
    let twice =
        "    labels:\n      - { name: s, from: service }\n      - { name: s, from: level }\n";
    assert_names(&log_metric_error(COUNTER, twice), &["given twice"]);
    let unknown = "    labels:\n      - { name: s, from: hostname }\n";
    assert_names(
        &log_metric_error(COUNTER, unknown),
        &[
            "log_metrics[0].labels[0]",
            "`hostname` is not a record field",
            "line 6",
        ],
    );
    let duration = "    labels:\n      - { name: d, from: duration_seconds }\n";
    assert_names(
        &log_metric_error(COUNTER, duration),
        &["one series per value"],
    );
}

#[test]
fn an_invalid_body_regex_names_the_metric_and_the_regex_error() {
    let error = log_metric_error(COUNTER, "    filter:\n      body_regex: \"(unclosed\"\n");
    assert_names(
        &error,
        &[
            "log_metrics[0] (log_auth_failures_total).filter.body_regex",
            "invalid regex",
            "unclosed group",
        ],
    );
}

#[test]
fn log_metric_filters_are_checked() {
    let level = "    filter:\n      levels: [warning]\n";
    assert_names(
        &log_metric_error(COUNTER, level),
        &["filter.levels", "unknown level `warning`"],
    );
    let attribute = "    filter:\n      attributes: { user: [a, b] }\n";
    assert_names(
        &log_metric_error(COUNTER, attribute),
        &[
            "filter.attributes",
            "`user` must equal a string, number or boolean",
        ],
    );
}

#[test]
fn histograms_need_a_numeric_value_and_increasing_buckets() {
    let no_value = HISTOGRAM.replace("    value: attributes.amount\n", "");
    assert_names(
        &log_metric_error(&no_value, ""),
        &["(checkout_amount).value", "requires a value"],
    );
    let text_value = HISTOGRAM.replace("attributes.amount", "service");
    assert_names(
        &log_metric_error(&text_value, ""),
        &["`service` is not numeric"],
    );
    let decreasing = "    buckets: [1, 5, 5]\n";
    assert_names(
        &log_metric_error(HISTOGRAM, decreasing),
        &["(checkout_amount).buckets", "strictly increasing"],
    );
    let empty = "    buckets: []\n";
    assert_names(&log_metric_error(HISTOGRAM, empty), &["at least one"]);
}

#[test]
fn counters_take_no_value_or_buckets() {
    assert_names(
        &log_metric_error(COUNTER, "    value: attributes.amount\n"),
        &[
            "(log_auth_failures_total).value",
            "only histograms take a value",
        ],
    );
    assert_names(
        &log_metric_error(COUNTER, "    buckets: [1, 2]\n"),
        &[
            "(log_auth_failures_total).buckets",
            "only histograms take buckets",
        ],
    );
}

#[test]
fn log_metrics_can_come_from_the_environment() {
    let vars = [(
        "LOGBRIDGE_LOG_METRICS",
        "[{name: errors_total, help: Errors, type: counter, filter: {levels: [error]}}]",
    )];
    let config = load("", &vars).unwrap();
    assert_eq!(config.log_metrics[0].name, "errors_total");
    assert_eq!(config.log_metrics[0].filter.levels, ["error"]);
}

#[test]
fn dedup_is_off_by_default_and_validated_naming_the_key() {
    let dedup = load("", &[]).unwrap().dedup;
    assert!(!dedup.any_enabled());
    assert_eq!((dedup.window_seconds, dedup.keep_open_seconds), (10, 300));
    let cases = [
        ("dedup:\n  window_seconds: 0\n", "dedup.window_seconds"),
        ("dedup:\n  window_seconds: 86401\n", "dedup.window_seconds"),
        (
            "dedup:\n  window_seconds: 600\n  keep_open_seconds: 60\n",
            "dedup.keep_open_seconds",
        ),
        ("dedup:\n  attributes: [a, a]\n", "dedup.attributes[1]"),
        (
            "dedup:\n  services:\n    shop:\n      attributes: [\"\"]\n",
            "dedup.services.shop.attributes[0]",
        ),
        (
            "dedup:\n  services:\n    shop:\n      window: 5\n",
            "window",
        ),
    ];
    for (yaml, key) in cases {
        let err = load(yaml, &[]).expect_err(yaml).to_string();
        assert!(err.contains(key), "{yaml}: {err}");
    }
}

#[test]
fn dedup_services_can_be_set_from_the_environment() {
    let vars = [
        ("LOGBRIDGE_DEDUP__SERVICES__SHOP__ENABLED", "true"),
        ("LOGBRIDGE_DEDUP__SERVICES__SHOP__ATTRIBUTES", "[tenant.id]"),
    ];
    let dedup = load("", &vars).unwrap().dedup;
    let shop = &dedup.services["shop"];
    assert_eq!(shop.enabled, Some(true));
    assert_eq!(shop.attributes, Some(vec!["tenant.id".to_string()]));
    assert!(dedup.any_enabled() && !dedup.enabled);
}

#[test]
fn the_grafana_variables_that_once_had_the_prefix_do_not_break_loading() {
    let vars = [
        ("LOGBRIDGE_GRAFANA_DB_PASSWORD", "s3cret"),
        ("LOGBRIDGE_GRAFANA_READ_TOKEN", "lb_x"),
        ("GRAFANA_DB_PASSWORD", "s3cret"),
        ("LOGBRIDGE_TOKEN", "lb_reader"),
    ];
    load("", &vars).expect("not config keys");
}
