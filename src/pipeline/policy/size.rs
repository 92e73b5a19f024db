//! What a record or span costs to store, as the quotas and `logbridge_ingest_stored_bytes_total`
//! count it: its body, names and attribute keys and values (resource attributes included, as
//! every row holds them), without the fixed columns.

use std::sync::Arc;

use serde_json::Value;

use crate::model::{Attributes, LogRecord, SpanRecord};

/// Bytes of numbers, booleans and nulls: about their text.
const SCALAR_BYTES: u64 = 8;

/// Sizes records, measuring a resource once while consecutive records share it.
#[derive(Default)]
pub struct Sizer {
    last_resource: Option<(*const Attributes, u64)>,
}

impl Sizer {
    /// The bytes a record costs.
    pub fn record(&mut self, record: &LogRecord) -> u64 {
        let names = record.service.len() + record.scope.as_ref().map_or(0, String::len);
        let own = (record.body.len() + names) as u64 + map_bytes(&record.attributes);
        own + self.resource(&record.resource)
    }

    /// The bytes a span costs: name, service, scope, attributes and those of its events and links.
    pub fn span(&mut self, span: &SpanRecord) -> u64 {
        let names =
            span.name.len() + span.service.len() + span.scope.as_ref().map_or(0, String::len);
        let events = (span.events.iter())
            .map(|e| e.name.len() as u64 + map_bytes(&e.attributes))
            .sum::<u64>();
        let links = span
            .links
            .iter()
            .map(|l| map_bytes(&l.attributes))
            .sum::<u64>();
        names as u64 + map_bytes(&span.attributes) + events + links + self.resource(&span.resource)
    }

    fn resource(&mut self, resource: &Arc<Attributes>) -> u64 {
        let pointer = Arc::as_ptr(resource);
        if let Some((last, bytes)) = self.last_resource
            && last == pointer
        {
            return bytes;
        }
        let bytes = map_bytes(resource);
        self.last_resource = Some((pointer, bytes));
        bytes
    }
}

fn map_bytes(map: &Attributes) -> u64 {
    map.iter()
        .map(|(k, v)| k.len() as u64 + value_bytes(v))
        .sum()
}

fn value_bytes(value: &Value) -> u64 {
    match value {
        Value::String(text) => text.len() as u64,
        Value::Array(items) => items.iter().map(value_bytes).sum(),
        Value::Object(map) => map_bytes(map),
        Value::Null | Value::Bool(_) | Value::Number(_) => SCALAR_BYTES,
    }
}
