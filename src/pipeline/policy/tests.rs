use std::sync::Arc;

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::config::Config;
use crate::model::{ExceptionInfo, HttpRequest};

fn policy(yaml: &str) -> Policy {
    let config: Config = serde_yaml_ng::from_str(yaml).expect("a policy config");
    Policy::from_config(&config.policy, &config.fields, &config.metrics).expect("a valid policy")
}

fn record(service: &str, level: Level) -> LogRecord {
    let mut record = LogRecord::new(format!("{service} did something"), Utc::now());
    record.service = service.to_string();
    record.level = level;
    record
}

fn in_environment(mut record: LogRecord, environment: &str) -> LogRecord {
    let resource = json!({"deployment.environment.name": environment});
    record.resource = Arc::new(resource.as_object().unwrap().clone());
    record
}

const LEVELS: &str = "
policy:
  levels:
    default: debug
    environments: { production: warn, staging: debug }
    services: { auth: info }
    scopes: { \"services.auth\": error, \"infra.\": fatal, \"infra.db\": debug }
";

#[test]
fn the_most_specific_minimum_level_wins() {
    let policy = policy(LEVELS);
    let minimum = |record: &LogRecord| policy.levels.minimum(record);
    assert_eq!(
        minimum(&record("web", Level::Info)),
        Level::Debug,
        "default"
    );
    let production = in_environment(record("web", Level::Info), "production");
    assert_eq!(minimum(&production), Level::Warn, "environment");
    let auth_in_production = in_environment(record("auth", Level::Info), "production");
    assert_eq!(
        minimum(&auth_in_production),
        Level::Info,
        "service over environment"
    );
    let mut scoped = auth_in_production.clone();
    scoped.scope = Some("services.auth.login".to_string());
    assert_eq!(minimum(&scoped), Level::Error, "scope over service");
    scoped.scope = Some("infra.db.pool".to_string());
    assert_eq!(minimum(&scoped), Level::Debug, "the longest prefix");
    scoped.scope = Some("infra.cache".to_string());
    assert_eq!(minimum(&scoped), Level::Fatal);
}

#[test]
fn the_environment_is_read_from_the_old_resource_key_and_the_json_alias() {
    let policy = policy(LEVELS);
    let mut old_key = record("web", Level::Info);
    let resource = json!({"deployment.environment": "production"});
    old_key.resource = Arc::new(resource.as_object().unwrap().clone());
    assert_eq!(policy.decide(&old_key), Verdict::BelowLevel);
    let mut aliased = record("web", Level::Info);
    aliased
        .attributes
        .insert("env".to_string(), json!("production"));
    assert_eq!(policy.decide(&aliased), Verdict::BelowLevel);
    aliased.level = Level::Warn;
    assert_eq!(policy.decide(&aliased), Verdict::Store);
}

#[test]
fn records_below_their_minimum_are_not_stored() {
    let policy = policy(LEVELS);
    assert_eq!(
        policy.decide(&record("web", Level::Trace)),
        Verdict::BelowLevel
    );
    assert_eq!(policy.decide(&record("web", Level::Debug)), Verdict::Store);
    assert_eq!(
        policy.decide(&record("auth", Level::Debug)),
        Verdict::BelowLevel
    );
}

fn trace_id(n: u64) -> String {
    // Spread over the 56 low bits the way random ids are.
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n << 7);
    format!("{:016x}{:016x}", n + 1, mixed)
}

const SAMPLED: &str = "
policy:
  sampling: { default_ratio: 0.1, services: { full: 1.0, none: 0.0 } }
";

#[test]
fn the_sampled_share_is_within_statistical_bounds_over_100k_records() {
    let policy = policy(SAMPLED);
    let total = 100_000;
    let mut with_trace = 0;
    let mut without_trace = 0;
    for n in 0..total {
        let mut traced = record("web", Level::Info);
        traced.trace_id = Some(trace_id(n));
        with_trace += usize::from(policy.decide(&traced) == Verdict::Store);
        let mut untraced = record("web", Level::Info);
        untraced.body = format!("request {n} done");
        without_trace += usize::from(policy.decide(&untraced) == Verdict::Store);
    }
    // Binomial(100000, 0.1): sd ~ 95; five standard deviations either side.
    for kept in [with_trace, without_trace] {
        assert!((9_525..=10_475).contains(&kept), "kept {kept} of {total}");
    }
}

#[test]
fn every_record_of_a_trace_gets_the_same_decision_and_ratios_nest() {
    let narrow = policy(SAMPLED);
    let wide = policy("policy: { sampling: { default_ratio: 0.5 } }");
    for n in 0..2_000 {
        let id = trace_id(n);
        let decisions: Vec<Verdict> = ["a", "b", "c"]
            .iter()
            .map(|body| {
                let mut r = record("web", Level::Debug);
                r.body = body.to_string();
                r.trace_id = Some(id.clone());
                narrow.decide(&r)
            })
            .collect();
        assert!(decisions.windows(2).all(|w| w[0] == w[1]), "{id}");
        let mut r = record("web", Level::Info);
        r.trace_id = Some(id.clone());
        if narrow.decide(&r) == Verdict::Store {
            assert_eq!(
                wide.decide(&r),
                Verdict::Store,
                "kept at 0.1, so at 0.5: {id}"
            );
        }
    }
}

#[test]
fn the_decision_follows_the_trace_ids_low_56_bits() {
    let policy = policy(SAMPLED);
    let mut r = record("web", Level::Info);
    // Randomness 0xff..ff: above every threshold below 1; 0: below every threshold above 0.
    r.trace_id = Some("000000000000000000ffffffffffffff".to_string());
    assert_eq!(policy.decide(&r), Verdict::Store);
    r.trace_id = Some("ffffffffffffffffff00000000000000".to_string());
    assert_eq!(policy.decide(&r), Verdict::Sampled);
}

#[test]
fn ratios_by_service_override_the_default() {
    let policy = policy(SAMPLED);
    for n in 0..500 {
        let mut full = record("full", Level::Info);
        full.trace_id = Some(trace_id(n));
        assert_eq!(policy.decide(&full), Verdict::Store);
        let mut none = record("none", Level::Info);
        none.trace_id = Some(trace_id(n));
        assert_eq!(policy.decide(&none), Verdict::Sampled);
    }
}

#[test]
fn the_never_sampled_classes_are_always_stored() {
    let policy = policy("policy: { sampling: { default_ratio: 0.0, at_or_below: debug } }");
    let at = |level| record("web", level);
    assert_eq!(policy.decide(&at(Level::Debug)), Verdict::Sampled);
    assert_eq!(
        policy.decide(&at(Level::Info)),
        Verdict::Store,
        "above at_or_below"
    );
    let policy = self::policy("policy: { sampling: { default_ratio: 0.0 } }");
    for level in [Level::Warn, Level::Error, Level::Fatal] {
        assert_eq!(policy.decide(&at(level)), Verdict::Store);
    }
    let mut exception = at(Level::Info);
    exception.exception = Some(ExceptionInfo {
        exception_type: "ValueError".to_string(),
        message: "bad".to_string(),
        stacktrace: None,
        fingerprint: String::new(),
    });
    assert_eq!(policy.decide(&exception), Verdict::Store);
    let mut slow = at(Level::Info);
    slow.request = Some(HttpRequest {
        method: "GET".to_string(),
        route: "/".to_string(),
        status_code: Some(200),
        duration_seconds: Some(1.5),
    });
    assert_eq!(policy.decide(&slow), Verdict::Store);
    let mut security = at(Level::Info);
    security.retention_class = Some(Arc::from("security"));
    assert_eq!(policy.decide(&security), Verdict::Store);
}

#[test]
fn unusable_settings_are_refused_naming_the_key() {
    let invalid = |yaml: &str| {
        let config: Config = serde_yaml_ng::from_str(yaml).unwrap();
        let built = Policy::from_config(&config.policy, &config.fields, &config.metrics);
        built.unwrap_err().to_string()
    };
    let ratio = invalid("policy: { sampling: { services: { web: 1.5 } } }");
    assert!(
        ratio.starts_with("policy.sampling.services.web:"),
        "{ratio}"
    );
    let level = invalid("policy: { sampling: { at_or_below: warn } }");
    assert!(level.starts_with("policy.sampling.at_or_below:"), "{level}");
    let zero = invalid("policy: { quotas: { services: { web: { records_per_second: 0 } } } }");
    assert!(
        zero.starts_with("policy.quotas.services.web.records_per_second:"),
        "{zero}"
    );
}

#[test]
fn the_default_policy_stores_everything_and_limits_nothing() {
    let policy = policy("{}");
    assert!(!policy.is_active() && !policy.has_quotas());
    assert_eq!(policy.decide(&record("web", Level::Trace)), Verdict::Store);
}
