use std::time::Duration;

use chrono::TimeZone;

use super::*;
use crate::config::Config;

fn policy(yaml: &str) -> Policy {
    let config: Config = serde_yaml_ng::from_str(yaml).expect("a policy config");
    Policy::from_config(&config.policy, &config.fields, &config.metrics).expect("a valid policy")
}

fn demand(service: &str, records: u64, bytes: u64) -> Demand {
    Demand {
        service: service.to_string(),
        records,
        bytes,
    }
}

fn at(start: Now, seconds: f64) -> Now {
    let elapsed = Duration::from_secs_f64(seconds);
    Now {
        instant: start.instant + elapsed,
        utc: start.utc + chrono::Duration::from_std(elapsed).unwrap(),
    }
}

const QUOTAS: &str = "
policy:
  quotas:
    default: { records_per_second: 10 }
    services: { big: { bytes_per_day: 1000 } }
";

#[test]
fn records_per_second_refill_and_say_when_to_retry() {
    let (quotas, policy) = (Quotas::default(), policy(QUOTAS));
    let start = Now::current();
    assert!(
        quotas
            .admit(&policy, &[demand("web", 10, 0)], true, start)
            .is_empty()
    );
    let refused = quotas.admit(&policy, &[demand("web", 1, 0)], true, start);
    assert_eq!(
        refused,
        [Refusal {
            service: "web".to_string(),
            retry_after_seconds: 1
        }]
    );
    let later = at(start, 0.5);
    assert!(
        quotas
            .admit(&policy, &[demand("web", 5, 0)], true, later)
            .is_empty()
    );
    assert_eq!(
        quotas.admit(&policy, &[demand("other", 10, 0)], true, later),
        []
    );
}

#[test]
fn a_request_larger_than_one_seconds_quota_waits_for_a_full_bucket() {
    let (quotas, policy) = (Quotas::default(), policy(QUOTAS));
    let start = Now::current();
    assert!(
        quotas
            .admit(&policy, &[demand("web", 25, 0)], true, start)
            .is_empty()
    );
    // 15 records of debt and 10 for the next request: 2.5 s.
    let refused = quotas.admit(&policy, &[demand("web", 25, 0)], true, at(start, 0.1));
    assert_eq!(refused[0].retry_after_seconds, 3);
    assert!(
        quotas
            .admit(&policy, &[demand("web", 25, 0)], true, at(start, 2.6))
            .is_empty()
    );
}

#[test]
fn all_or_nothing_uses_up_nothing_when_one_service_is_refused() {
    let (quotas, policy) = (Quotas::default(), policy(QUOTAS));
    let start = Now::current();
    assert!(
        quotas
            .admit(&policy, &[demand("a", 10, 0)], true, start)
            .is_empty()
    );
    let both = [demand("a", 1, 0), demand("b", 10, 0)];
    assert_eq!(quotas.admit(&policy, &both, true, start).len(), 1);
    assert!(
        quotas
            .admit(&policy, &[demand("b", 10, 0)], true, start)
            .is_empty(),
        "b untouched"
    );
    // Partially: `a` refused, `c` admitted and used up.
    let partial = [demand("a", 1, 0), demand("c", 10, 0)];
    assert_eq!(
        quotas.admit(&policy, &partial, false, start)[0].service,
        "a"
    );
    assert_eq!(
        quotas
            .admit(&policy, &[demand("c", 1, 0)], false, start)
            .len(),
        1
    );
}

#[test]
fn bytes_per_day_hold_a_service_until_the_next_utc_day() {
    let (quotas, policy) = (Quotas::default(), policy(QUOTAS));
    let evening = Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0).unwrap();
    let start = Now {
        instant: Instant::now(),
        utc: evening,
    };
    assert!(
        quotas
            .admit(&policy, &[demand("big", 1, 600)], true, start)
            .is_empty()
    );
    assert!(
        quotas
            .admit(&policy, &[demand("big", 1, 600)], true, start)
            .is_empty()
    );
    let refused = quotas.admit(&policy, &[demand("big", 1, 1)], true, start);
    assert_eq!(refused[0].retry_after_seconds, 3600);
    let next_day = at(start, 3600.0);
    assert!(
        quotas
            .admit(&policy, &[demand("big", 1, 600)], true, next_day)
            .is_empty()
    );
}

#[test]
fn services_without_a_quota_are_not_tracked() {
    let (quotas, policy) = (Quotas::default(), policy("{}"));
    let many = [demand("web", 1_000_000, u64::MAX)];
    assert!(
        quotas
            .admit(&policy, &many, true, Now::current())
            .is_empty()
    );
    assert!(quotas.usage.lock().unwrap().is_empty());
}
