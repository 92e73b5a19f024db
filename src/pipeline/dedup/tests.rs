//! Tests of the dedup key: which fields matter, windows, attributes and per-service settings.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::config::dedup::ServiceDedup;
use crate::model::Level;

fn at(seconds: i64, millis: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).unwrap() + Duration::milliseconds(millis)
}

fn record(service: &str, body: &str, ts: DateTime<Utc>) -> LogRecord {
    let mut record = LogRecord::new(body.to_string(), ts);
    record.service = service.to_string();
    record
}

fn step(yaml: &str) -> Dedup {
    let config: DedupConfig = serde_yaml_ng::from_str(yaml).expect("a dedup section");
    Dedup::from_config(&config).expect("valid")
}

fn on() -> Dedup {
    step("enabled: true\nwindow_seconds: 10\n")
}

#[test]
fn identical_records_share_a_key_and_each_field_changes_it() {
    let dedup = on();
    let base = record("shop", "cache miss", at(1_700_000_000, 0));
    let key = dedup.key(&base).expect("dedup is on");
    let mut later = base.clone();
    later.ts = at(1_700_000_009, 999);
    later.observed_ts = at(1_700_000_100, 0);
    later.trace_id = Some("ab".repeat(16));
    later.attributes.insert("request_id".into(), json!("r-2"));
    assert_eq!(dedup.key(&later), Some(key), "only compared fields matter");
    let mut other_level = base.clone();
    other_level.level = Level::Warn;
    let other_service = record("cart", "cache miss", base.ts);
    let other_body = record("shop", "cache hit", base.ts);
    for other in [other_level, other_service, other_body] {
        assert_ne!(dedup.key(&other), Some(key), "{other:?}");
    }
}

#[test]
fn fields_cannot_run_into_each_other() {
    let dedup = on();
    let ts = at(1_700_000_000, 0);
    assert_ne!(
        dedup.key(&record("ab", "c", ts)),
        dedup.key(&record("a", "bc", ts))
    );
}

#[test]
fn windows_are_tumbling_on_event_time() {
    let dedup = on();
    let key = |seconds, millis| dedup.key(&record("s", "m", at(seconds, millis)));
    assert_eq!(key(1_700_000_000, 0), key(1_700_000_009, 999));
    assert_ne!(key(1_700_000_009, 999), key(1_700_000_010, 0), "a boundary");
    assert_eq!(key(-10, 0), key(-1, 0), "before the epoch too");
    assert_ne!(key(-1, 0), key(0, 0));
    let wide = step("enabled: true\nwindow_seconds: 60\n");
    let wide_key = |seconds| wide.key(&record("s", "m", at(seconds, 0)));
    assert_eq!(wide_key(1_700_000_040), wide_key(1_700_000_099));
    assert_ne!(
        wide_key(1_700_000_040),
        key(1_700_000_040, 0),
        "the width is part of the key"
    );
}

#[test]
fn only_configured_attributes_are_compared() {
    let dedup = step("enabled: true\nattributes: [tenant, req.user]\n");
    let ts = at(1_700_000_000, 0);
    let with = |attributes: serde_json::Value| {
        let mut r = record("s", "m", ts);
        r.attributes = attributes.as_object().unwrap().clone();
        dedup.key(&r).unwrap()
    };
    let base = with(json!({"tenant": "a", "req": {"user": 7}, "other": 1}));
    assert_eq!(
        base,
        with(json!({"tenant": "a", "req": {"user": 7}, "other": 2}))
    );
    assert_eq!(
        base,
        with(json!({"tenant": "a", "req.user": 7})),
        "dotted path"
    );
    assert_ne!(base, with(json!({"tenant": "b", "req": {"user": 7}})));
    assert_ne!(base, with(json!({"tenant": "a", "req": {"user": 8}})));
    assert_ne!(
        base,
        with(json!({"tenant": "a", "req": {"user": "7"}})),
        "types"
    );
    assert_ne!(
        with(json!({"tenant": ""})),
        with(json!({})),
        "missing is not empty"
    );
}

#[test]
fn resource_attributes_count_when_the_record_has_none() {
    let dedup = step("enabled: true\nattributes: [host.name]\n");
    let ts = at(1_700_000_000, 0);
    let on_host = |host: &str| {
        let mut r = record("s", "m", ts);
        r.resource = Arc::new(json!({"host.name": host}).as_object().unwrap().clone());
        dedup.key(&r).unwrap()
    };
    assert_ne!(on_host("a"), on_host("b"));
}

#[test]
fn services_can_be_switched_on_or_off_and_compare_their_own_attributes() {
    let mut config = DedupConfig::default();
    config.services.insert(
        "noisy".into(),
        ServiceDedup {
            enabled: Some(true),
            attributes: Some(vec!["tenant".into()]),
        },
    );
    let dedup = Dedup::from_config(&config).expect("valid");
    let ts = at(1_700_000_000, 0);
    assert_eq!(dedup.key(&record("quiet", "m", ts)), None, "off by default");
    let tenant = |t: &str| {
        let mut r = record("noisy", "m", ts);
        r.attributes.insert("tenant".into(), json!(t));
        dedup.key(&r)
    };
    assert!(tenant("a").is_some());
    assert_ne!(tenant("a"), tenant("b"));
    let off = step("enabled: true\nservices: {audit: {enabled: false}, cart: {}}\n");
    assert_eq!(off.key(&record("audit", "m", ts)), None);
    assert!(off.key(&record("cart", "m", ts)).is_some(), "no override");
    assert!(off.key(&record("shop", "m", ts)).is_some());
}

#[test]
fn keys_are_stable_across_processes_and_versions() {
    // A changed value here means every deployment would split its open windows: change the
    // key's encoding only on purpose.
    let dedup = step("enabled: true\nattributes: [tenant]\n");
    let mut r = record("shop", "payment declined", at(1_700_000_000, 0));
    r.level = Level::Error;
    r.attributes.insert("tenant".into(), json!("acme"));
    assert_eq!(dedup.key(&r), Some(STABLE_KEY));
}

/// The key of the record in [`keys_are_stable_across_processes_and_versions`].
const STABLE_KEY: i64 = 8_933_835_475_301_560_096;
