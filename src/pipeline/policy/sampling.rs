//! Trace-consistent sampling: OpenTelemetry's `TraceIdRatioBased` decision (the trace id's
//! least significant 56 bits against a rejection threshold), so every record and span of a
//! trace gets the same decision on every replica; records without a trace id by a hash of
//! their service and body.

use std::collections::HashMap;
use std::hash::Hasher;

use siphasher::sip::SipHasher13;

use crate::config::policy::SamplingConfig;
use crate::model::{Level, LogRecord};

/// 2^56: the randomness of a trace id is its least significant 56 bits (7 bytes).
const RANDOMNESS_RANGE: u64 = 1 << 56;
const RANDOMNESS_MASK: u64 = RANDOMNESS_RANGE - 1;

/// An invalid setting, naming its key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidSampling {
    #[error("{key}: must be a ratio between 0 and 1, found {found}")]
    Ratio { key: String, found: f64 },
    #[error(
        "policy.sampling.at_or_below: warn and above are never sampled; use trace, debug or info"
    )]
    Level,
}

/// The sampling settings, as rejection thresholds per service.
#[derive(Debug, Clone)]
pub struct Sampler {
    /// Records at or below this level may be sampled out.
    at_or_below: Level,
    default_threshold: u64,
    thresholds: HashMap<String, u64>,
}

impl Sampler {
    pub fn from_config(config: &SamplingConfig) -> Result<Sampler, InvalidSampling> {
        let at_or_below = Level::from(config.at_or_below);
        if at_or_below >= Level::Warn {
            return Err(InvalidSampling::Level);
        }
        let default_threshold = threshold("policy.sampling.default_ratio", config.default_ratio)?;
        let mut thresholds = HashMap::new();
        for (service, ratio) in &config.services {
            let key = format!("policy.sampling.services.{service}");
            thresholds.insert(service.clone(), threshold(&key, *ratio)?);
        }
        Ok(Sampler {
            at_or_below,
            default_threshold,
            thresholds,
        })
    }

    /// Whether every record is kept (every ratio 1).
    pub fn keeps_all(&self) -> bool {
        self.default_threshold == 0 && self.thresholds.values().all(|t| *t == 0)
    }

    /// Whether records of this level may be sampled out at all.
    pub fn applies_to(&self, level: Level) -> bool {
        level <= self.at_or_below
    }

    /// Whether a record of `service` with this trace id (else this content) is kept.
    pub fn keeps(&self, service: &str, trace_id: Option<&str>, content: &str) -> bool {
        let threshold = self.threshold_of(service);
        if threshold == 0 {
            return true;
        }
        let randomness = trace_id
            .and_then(trace_randomness)
            .unwrap_or_else(|| content_randomness(service, content));
        randomness >= threshold
    }

    /// [`Sampler::keeps`] for a record.
    pub fn keeps_record(&self, record: &LogRecord) -> bool {
        self.keeps(&record.service, record.trace_id.as_deref(), &record.body)
    }

    fn threshold_of(&self, service: &str) -> u64 {
        if self.thresholds.is_empty() {
            return self.default_threshold;
        }
        let own = self.thresholds.get(service).copied();
        own.unwrap_or(self.default_threshold)
    }
}

/// The rejection threshold of a ratio: `(1 - ratio) * 2^56`; randomness at or above it is kept.
fn threshold(key: &str, ratio: f64) -> Result<u64, InvalidSampling> {
    if !(0.0..=1.0).contains(&ratio) {
        let key = key.to_string();
        return Err(InvalidSampling::Ratio { key, found: ratio });
    }
    Ok(((1.0 - ratio) * RANDOMNESS_RANGE as f64).round() as u64)
}

/// The least significant 56 bits of a 32-hex-digit trace id, if it is one (and not all zero).
pub fn trace_randomness(trace_id: &str) -> Option<u64> {
    if trace_id.len() != 32 {
        return None;
    }
    let low = u64::from_str_radix(trace_id.get(18..)?, 16).ok()?;
    let high_zero = trace_id.get(..18)?.bytes().all(|b| b == b'0');
    (low != 0 || !high_zero).then_some(low & RANDOMNESS_MASK)
}

/// 56 bits of a fixed-key hash of a record's service and content: the same on every replica.
fn content_randomness(service: &str, content: &str) -> u64 {
    let mut hasher = SipHasher13::new_with_keys(0, 0);
    hasher.write(service.as_bytes());
    hasher.write_u8(0xff);
    hasher.write(content.as_bytes());
    hasher.finish() & RANDOMNESS_MASK
}
