//! The dedup step: for services with deduplication on, the key that identical records share —
//! same service, level, body and configured attribute values, event time in the same window.
//! The store keeps one row per key ([`crate::store`]), counting the records it stands for.
//!
//! The key is SipHash-1-3 with fixed keys over a length-prefixed encoding of those fields, so
//! every process and every version of the bridge computes the same key for the same record.

pub mod check;

use std::collections::HashMap;
use std::hash::Hasher as _;
use std::sync::Arc;

use serde_json::Value;
use siphasher::sip::SipHasher13;

use super::fields;
use crate::config::DedupConfig;
use crate::model::LogRecord;
pub use check::InvalidDedup;

/// The fixed SipHash keys; changing them changes every key (a deployment would then store a
/// second row for windows open across the change).
const HASH_KEYS: (u64, u64) = (0x6c6f_6762_7269_6467, 0x6465_6475_705f_7631);

/// The attributes compared for a service whose records are deduplicated.
type Attributes = Arc<[String]>;

/// The configured dedup step, built once from `dedup:`.
#[derive(Debug, Clone)]
pub struct Dedup {
    window_seconds: i64,
    /// The attributes of services without an override; `None` when dedup is off globally.
    default: Option<Attributes>,
    /// Services with an override: their attributes, or `None` when dedup is off for them.
    services: HashMap<String, Option<Attributes>>,
}

impl Dedup {
    /// The step as configured, its settings checked ([`check`]).
    pub fn from_config(config: &DedupConfig) -> Result<Dedup, InvalidDedup> {
        check::check(config)?;
        Ok(Dedup::compile(config))
    }

    fn compile(config: &DedupConfig) -> Dedup {
        let global: Attributes = config.attributes.clone().into();
        let services = config.services.iter().map(|(service, settings)| {
            let enabled = settings.enabled.unwrap_or(config.enabled);
            let attributes = match &settings.attributes {
                Some(list) => list.clone().into(),
                None => global.clone(),
            };
            (service.clone(), enabled.then_some(attributes))
        });
        Dedup {
            window_seconds: i64::from(config.window_seconds),
            default: config.enabled.then(|| global.clone()),
            services: services.collect(),
        }
    }

    /// The record's key, or `None` when its service's records are not deduplicated.
    pub fn key(&self, record: &LogRecord) -> Option<i64> {
        let attributes = match self.services.get(&record.service) {
            Some(settings) => settings.as_ref()?,
            None => self.default.as_ref()?,
        };
        Some(key(record, attributes, self.window_seconds))
    }
}

/// The hash of service, level, body, the attributes' values and the window of the event time.
fn key(record: &LogRecord, attributes: &[String], window_seconds: i64) -> i64 {
    let mut hasher = SipHasher13::new_with_keys(HASH_KEYS.0, HASH_KEYS.1);
    // Bytes only, little-endian lengths: `Hasher`'s integer methods are native-endian.
    let mut write = |bytes: &[u8]| {
        hasher.write(&(bytes.len() as u64).to_le_bytes());
        hasher.write(bytes);
    };
    write(record.service.as_bytes());
    write(record.level.as_str().as_bytes());
    write(record.body.as_bytes());
    let mut json = Vec::new();
    for name in attributes {
        write(name.as_bytes());
        // A tag tells a missing attribute, a string and any other JSON value apart.
        match attribute(record, name) {
            None => write(&[0]),
            Some(Value::String(text)) => {
                write(&[1]);
                write(text.as_bytes());
            }
            Some(other) => {
                write(&[2]);
                json.clear();
                // Infallible: a JSON value always serializes into a Vec.
                let _ = serde_json::to_writer(&mut json, other);
                write(&json);
            }
        }
    }
    let window = record.ts.timestamp().div_euclid(window_seconds);
    write(&window_seconds.to_le_bytes());
    write(&window.to_le_bytes());
    hasher.finish() as i64
}

/// The record's attribute, else its resource's, by literal key or dotted path.
fn attribute<'a>(record: &'a LogRecord, name: &str) -> Option<&'a Value> {
    fields::lookup(&record.attributes, name).or_else(|| fields::lookup(&record.resource, name))
}

#[cfg(test)]
mod tests;
