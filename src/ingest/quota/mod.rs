//! Per-service quota state: a token bucket of records per second and a byte count per UTC day
//! for each service. The limits come from the current pipeline's policy on every request, so a
//! reload changes them without resetting what was used. State of this replica only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::policy::QuotaConfig;
use crate::pipeline::policy::Policy;

/// Services tracked at most; past it, idle services are forgotten first, then new ones share
/// one entry.
const MAX_SERVICES: usize = 10_000;
const SHARED_ENTRY: &str = "__overflow__";

/// What one service of a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demand {
    pub service: String,
    pub records: u64,
    pub bytes: u64,
}

/// A service held at its quota, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub service: String,
    pub retry_after_seconds: u64,
}

/// The clock a decision is made at.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub instant: Instant,
    pub utc: DateTime<Utc>,
}

impl Now {
    pub fn current() -> Now {
        Now {
            instant: Instant::now(),
            utc: Utc::now(),
        }
    }
}

/// What each service has used.
#[derive(Default)]
pub struct Quotas {
    usage: Mutex<HashMap<String, Usage>>,
}

#[derive(Debug, Clone)]
struct Usage {
    /// Records that may still be sent now; negative after a request larger than one second's.
    tokens: f64,
    refreshed: Instant,
    day: NaiveDate,
    bytes: u64,
}

impl Quotas {
    /// Admits the demands within their quotas and uses them up; gives the services refused.
    /// `all_or_nothing`: when any service is refused, nothing is used up (the request is
    /// refused whole).
    pub fn admit(
        &self,
        policy: &Policy,
        demands: &[Demand],
        all_or_nothing: bool,
        now: Now,
    ) -> Vec<Refusal> {
        let mut usage = self.usage.lock().expect("quota lock");
        let mut refusals = Vec::new();
        let mut admitted = Vec::new();
        for demand in demands {
            let quota = policy.quota(&demand.service);
            if quota.records_per_second.is_none() && quota.bytes_per_day.is_none() {
                continue;
            }
            let key = entry_key(&usage, &demand.service);
            let entry = (usage.entry(key.clone())).or_insert_with(|| Usage::full(&quota, now));
            entry.refresh(&quota, now);
            match entry.wait_seconds(&quota, demand, now) {
                Some(retry_after_seconds) => refusals.push(Refusal {
                    service: demand.service.clone(),
                    retry_after_seconds,
                }),
                None => admitted.push((key, demand)),
            }
        }
        if all_or_nothing && !refusals.is_empty() {
            return refusals;
        }
        for (key, demand) in admitted {
            if let Some(entry) = usage.get_mut(&key) {
                entry.use_up(demand);
            }
        }
        forget_idle(&mut usage, now);
        refusals
    }
}

/// The entry a service is counted in: its own while there is room.
fn entry_key(usage: &HashMap<String, Usage>, service: &str) -> String {
    if usage.len() < MAX_SERVICES || usage.contains_key(service) {
        return service.to_string();
    }
    SHARED_ENTRY.to_string()
}

/// Forgets services with a full bucket and nothing used today, once the map is at its cap.
fn forget_idle(usage: &mut HashMap<String, Usage>, now: Now) {
    if usage.len() < MAX_SERVICES {
        return;
    }
    let today = now.utc.date_naive();
    usage.retain(|_, u| u.tokens < 0.0 || (u.day == today && u.bytes > 0));
}

impl Usage {
    fn full(quota: &QuotaConfig, now: Now) -> Usage {
        Usage {
            tokens: quota.records_per_second.unwrap_or(0) as f64,
            refreshed: now.instant,
            day: now.utc.date_naive(),
            bytes: 0,
        }
    }

    /// Refills the bucket for the time passed (up to one second's records) and starts a new
    /// day's byte count.
    fn refresh(&mut self, quota: &QuotaConfig, now: Now) {
        if let Some(rate) = quota.records_per_second {
            let elapsed = now.instant.saturating_duration_since(self.refreshed);
            let refilled = self.tokens + elapsed.as_secs_f64() * rate as f64;
            self.tokens = refilled.min(rate as f64);
        }
        self.refreshed = now.instant;
        let today = now.utc.date_naive();
        if self.day != today {
            self.day = today;
            self.bytes = 0;
        }
    }

    /// `None` when the demand is within quota, else the seconds to wait. A request holding more
    /// than one second's records waits for a full bucket, then goes into debt.
    fn wait_seconds(&self, quota: &QuotaConfig, demand: &Demand, now: Now) -> Option<u64> {
        if let Some(limit) = quota.bytes_per_day
            && self.bytes >= limit
        {
            return Some(seconds_to_midnight(now.utc));
        }
        let rate = quota.records_per_second? as f64;
        let needed = (demand.records as f64).min(rate);
        if self.tokens >= needed {
            return None;
        }
        let seconds = ((needed - self.tokens) / rate.max(f64::MIN_POSITIVE)).ceil();
        Some((seconds as u64).max(1))
    }

    fn use_up(&mut self, demand: &Demand) {
        self.tokens -= demand.records as f64;
        self.bytes = self.bytes.saturating_add(demand.bytes);
    }
}

fn seconds_to_midnight(now: DateTime<Utc>) -> u64 {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    let midnight = tomorrow.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    (midnight - now).num_seconds().max(1) as u64
}

#[cfg(test)]
mod tests;
