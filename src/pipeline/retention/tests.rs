//! Classification of records into retention classes.

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::config::{Config, FieldAliases};
use crate::model::ExceptionInfo;

fn record(level: Level, attributes: serde_json::Value) -> LogRecord {
    let mut record = LogRecord::new("m".into(), Utc::now());
    record.level = level;
    record.attributes = match attributes {
        Value::Object(map) => map,
        _ => panic!("attributes are an object"),
    };
    record
}

fn class_of(config: &RetentionConfig, record: &LogRecord) -> String {
    let categories = FieldAliases::default().category;
    RetentionClasses::from_config(config)
        .expect("valid classes")
        .classify(record, &categories)
        .to_string()
}

fn defaults() -> RetentionConfig {
    Config::default().retention
}

#[test]
fn default_classes_take_security_exceptions_debug_and_the_rest() {
    let config = defaults();
    let ecs_login = record(
        Level::Info,
        json!({"event": {"category": ["authentication"]}}),
    );
    assert_eq!(class_of(&config, &ecs_login), "security");
    let flat = record(Level::Debug, json!({"log.category": "Security"}));
    assert_eq!(
        class_of(&config, &flat),
        "security",
        "first match wins, any case"
    );
    let mut failed = record(Level::Error, json!({}));
    failed.exception = Some(ExceptionInfo {
        exception_type: "E".into(),
        message: "m".into(),
        stacktrace: None,
        fingerprint: String::new(),
    });
    assert_eq!(class_of(&config, &failed), "exceptions");
    assert_eq!(class_of(&config, &record(Level::Trace, json!({}))), "debug");
    assert_eq!(class_of(&config, &record(Level::Debug, json!({}))), "debug");
    assert_eq!(
        class_of(&config, &record(Level::Info, json!({}))),
        "standard"
    );
    let other = record(
        Level::Warn,
        json!({"category": "billing", "event.category": 3}),
    );
    assert_eq!(class_of(&config, &other), "standard");
}

#[test]
fn every_condition_of_a_class_must_hold() {
    let yaml = "retention:\n  classes:\n    - { name: payments_errors, days: 400, services: [billing], levels: [error, fatal], has_exception: false }\n    - { name: standard, days: 30 }\n";
    let config = Config::from_yaml_and_env(yaml, "t", std::iter::empty())
        .unwrap()
        .retention;
    let mut billing_error = record(Level::Error, json!({}));
    billing_error.service = "billing".into();
    assert_eq!(class_of(&config, &billing_error), "payments_errors");
    let mut billing_info = billing_error.clone();
    billing_info.level = Level::Info;
    assert_eq!(class_of(&config, &billing_info), "standard");
    let mut shop_error = billing_error.clone();
    shop_error.service = "shop".into();
    assert_eq!(class_of(&config, &shop_error), "standard");
}

#[test]
fn the_pipeline_sets_the_class_after_enrich() {
    let pipeline = crate::pipeline::Pipeline::from_config(&Config::default()).unwrap();
    let mut with_exception = record(
        Level::Info,
        json!({"exception.type": "ValueError", "exception.message": "bad"}),
    );
    pipeline.process(&mut with_exception, &mut pipeline.redactions());
    assert_eq!(with_exception.retention_class(), "exceptions");
    let unprocessed = record(Level::Debug, json!({}));
    assert_eq!(unprocessed.retention_class(), "standard");
}
