//! Tests of configuration loading, overrides and validation.

use super::*;

fn load(yaml: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::from_yaml_and_env(yaml, "test.yaml", vars.collect::<Vec<_>>().into_iter())
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
    assert!(external.iter().any(|m| m == "log_auth_failures_total"));
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
