//! One bulk document as a [`LogRecord`]: ECS and Filebeat documents, dotted keys and nested
//! objects alike, flattened to dotted keys ([`flat`]), then read through the JSON receiver's
//! alias table; the service falls back to the data stream's dataset or the index.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::flat::{FlatDocument, Reader};
use crate::config::FieldAliases;
use crate::ingest::RequestContext;
use crate::ingest::json::named::{Role, Roles};
use crate::ingest::json::{self, NamedContext};
use crate::model::LogRecord;

/// The attribute keeping the index a document was sent to.
pub const INDEX_ATTRIBUTE: &str = "es.index";
/// The attribute keeping the `_id` an action gave.
pub const ID_ATTRIBUTE: &str = "es.id";

/// Where a document was sent: its index, and the `_id` its action gave.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub index: &'a str,
    pub id: Option<&'a str>,
}

/// The alias roles of bulk documents: ECS `service.name` first of the service aliases.
pub fn roles(aliases: &FieldAliases) -> Roles {
    Roles::new(aliases).preferring(Role::Service, "service.name")
}

/// The record of a source line, or why it is not one (not JSON, not an object, no message, an
/// unreadable timestamp or level). Service: `service.name`, else the service aliases, else
/// `?service=`, else the data stream's dataset, else the index.
pub fn record(
    source: &[u8],
    target: Target,
    context: &RequestContext,
    reader: &mut Reader,
) -> Result<LogRecord, String> {
    let FlatDocument {
        named,
        mut fields,
        resource,
    } = reader.parse(source)?;
    let fallback = fallback_service(&fields, target.index, context.service);
    let index = Value::String(target.index.to_string());
    fields.insert(INDEX_ATTRIBUTE.to_string(), index);
    if let Some(id) = target.id {
        let id = Value::String(id.to_string());
        fields.insert(ID_ATTRIBUTE.to_string(), id);
    }
    let context = NamedContext {
        default_service: Some(&fallback),
        aliases: context.aliases,
        observed_ts: context.received,
    };
    let mut record = json::build(named, fields, &context)?;
    record.resource = resource;
    Ok(record)
}

/// Gives consecutive records of one emitter one shared resource, so that the pipeline redacts
/// it and the store encodes it once, as for the records of one OTLP resource; the [`Reader`]
/// shares most of them already, those whose fields came in the same order.
pub fn share_resources(records: &mut [LogRecord]) {
    for at in 1..records.len() {
        let (before, after) = records.split_at_mut(at);
        let (previous, current) = (&before[at - 1].resource, &mut after[0].resource);
        if !Arc::ptr_eq(previous, current) && previous == current {
            *current = Arc::clone(previous);
        }
    }
}

/// The service of a document naming none: `?service=`, else the data stream's dataset (the
/// `data_stream.dataset` field, or the middle of a `<type>-<dataset>-<namespace>` index), else
/// the index.
fn fallback_service<'a>(
    fields: &Map<String, Value>,
    index: &'a str,
    requested: Option<&'a str>,
) -> Cow<'a, str> {
    if let Some(service) = requested.filter(|name| !name.is_empty()) {
        return Cow::Borrowed(service);
    }
    if let Some(Value::String(dataset)) = fields.get("data_stream.dataset")
        && !dataset.is_empty()
    {
        return Cow::Owned(dataset.clone());
    }
    Cow::Borrowed(data_stream_dataset(index).unwrap_or(index))
}

/// The dataset of a data stream name `<type>-<dataset>-<namespace>` (`logs-nginx.access-default`).
pub fn data_stream_dataset(index: &str) -> Option<&str> {
    let mut parts = index.split('-');
    let (Some(_), Some(dataset), Some(namespace), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!dataset.is_empty() && !namespace.is_empty()).then_some(dataset)
}
