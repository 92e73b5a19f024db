//! One Loki stream's entries as records: its labels become the resource, name the service and
//! may give the level; an entry's structured metadata becomes attributes and may give the level.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::line;
use crate::ingest::RequestContext;
use crate::model::{Attributes, Level, LogRecord, UNKNOWN_SERVICE};
use crate::pipeline::{fields, levels};

/// The labels that name the service, in Loki's own discovery order.
const SERVICE_LABELS: &[&str] = &[
    "service_name",
    "service",
    "app",
    "application",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "component",
    "workload",
    "job",
];

/// The label and metadata names that give the level, compared in any case.
const LEVEL_NAMES: &[&str] = &["level", "severity", "lvl"];

/// What a stream's labels give every one of its entries.
pub struct StreamLabels {
    resource: Arc<Attributes>,
    service: Option<String>,
    level: Option<(Level, String)>,
}

impl StreamLabels {
    pub fn new(labels: Attributes) -> StreamLabels {
        let service = SERVICE_LABELS
            .iter()
            .find_map(|name| labels.get(*name).and_then(fields::as_text))
            .map(|name| name.into_owned());
        let level = level_of(labels.iter());
        StreamLabels {
            resource: Arc::new(labels),
            service,
            level,
        }
    }
}

/// One entry of a stream, decoded.
pub struct Entry {
    pub ts: DateTime<Utc>,
    pub line: String,
    pub metadata: Attributes,
}

/// What every entry of a request shares.
pub struct Shared<'a> {
    pub context: &'a RequestContext<'a>,
    /// The `X-Scope-OrgID` header.
    pub tenant: Option<&'a str>,
}

/// The record of one entry. A level from the metadata wins over one from the labels, which
/// wins over one found in the line; a service from the labels wins over one named in the line.
pub fn record(stream: &StreamLabels, entry: Entry, shared: &Shared<'_>) -> LogRecord {
    let context = shared.context;
    let mut record = line::read(entry.line, context.aliases, context.received);
    record.ts = entry.ts;
    record.resource = Arc::clone(&stream.resource);
    let level = level_of(entry.metadata.iter()).or_else(|| stream.level.clone());
    if let Some((level, text)) = level {
        record.level = level;
        record.severity_number = level.base_severity_number();
        record.severity_text = Some(text);
    }
    record.attributes.extend(entry.metadata);
    if let Some(tenant) = shared.tenant {
        let tenant = Value::String(tenant.to_string());
        record.attributes.insert("tenant".to_string(), tenant);
    }
    if let Some(service) = &stream.service {
        record.service.clone_from(service);
    } else if record.service == UNKNOWN_SERVICE
        && let Some(service) = context.service.filter(|name| !name.is_empty())
    {
        record.service = service.to_string();
    }
    record
}

/// The level named by a `level`, `severity` or `lvl` entry, in any case; unknown values give none.
fn level_of<'a>(
    mut entries: impl Iterator<Item = (&'a String, &'a Value)>,
) -> Option<(Level, String)> {
    entries.find_map(|(name, value)| {
        let is_level = LEVEL_NAMES.iter().any(|n| name.eq_ignore_ascii_case(n));
        let text = value.as_str().filter(|_| is_level)?;
        let level = levels::from_name(text).or_else(|| alias(text))?;
        Some((level, text.to_string()))
    })
}

/// Level spellings seen from Loki shippers that the common names do not cover.
fn alias(text: &str) -> Option<Level> {
    match text.trim().to_ascii_lowercase().as_str() {
        "eror" | "erro" => Some(Level::Error),
        "warnning" => Some(Level::Warn),
        "dbug" => Some(Level::Debug),
        "fatl" => Some(Level::Fatal),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::FieldAliases;
    use crate::ingest::bounds::RequestBounds;

    fn labels(value: Value) -> StreamLabels {
        let Value::Object(map) = value else { panic!() };
        StreamLabels::new(map)
    }

    fn entry(line: &str, metadata: Value) -> Entry {
        let Value::Object(metadata) = metadata else {
            panic!()
        };
        Entry {
            ts: DateTime::from_timestamp(1_800_000_000, 5).unwrap(),
            line: line.to_string(),
            metadata,
        }
    }

    fn build(stream: &StreamLabels, entry: Entry, service: Option<&str>) -> LogRecord {
        let (aliases, bounds) = (FieldAliases::default(), RequestBounds::default());
        let context = RequestContext {
            received: Utc::now(),
            service,
            aliases: &aliases,
            bounds: &bounds,
        };
        let shared = Shared {
            context: &context,
            tenant: Some("team-a"),
        };
        record(stream, entry, &shared)
    }

    #[test]
    fn service_follows_the_discovery_order() {
        let stream = labels(json!({"job": "varlogs", "app": "shop", "container": "c"}));
        assert_eq!(build(&stream, entry("x", json!({})), None).service, "shop");
        let stream = labels(json!({"job": "varlogs", "container_name": "c"}));
        assert_eq!(build(&stream, entry("x", json!({})), None).service, "c");
        let stream = labels(json!({"host": "h"}));
        assert_eq!(
            build(&stream, entry("x", json!({})), Some("q")).service,
            "q"
        );
        assert_eq!(
            build(&stream, entry("x", json!({})), None).service,
            UNKNOWN_SERVICE
        );
        let line = r#"{"msg":"m","service":"from-line"}"#;
        assert_eq!(
            build(&stream, entry(line, json!({})), Some("q")).service,
            "from-line"
        );
    }

    #[test]
    fn level_from_metadata_then_labels_then_line() {
        let stream = labels(json!({"app": "a", "Severity": "warning"}));
        let from_labels = build(&stream, entry("level=debug msg=m", json!({})), None);
        assert_eq!(from_labels.level, Level::Warn);
        assert_eq!(from_labels.severity_text.as_deref(), Some("warning"));
        let from_metadata = build(&stream, entry("m", json!({"LVL": "eror"})), None);
        assert_eq!(from_metadata.level, Level::Error);
        assert_eq!(from_metadata.attributes["LVL"], json!("eror"));
        let stream = labels(json!({"app": "a", "level": "unknown"}));
        let from_line = build(&stream, entry("level=fatal msg=m", json!({})), None);
        assert_eq!(from_line.level, Level::Fatal);
    }

    #[test]
    fn level_names_from_shippers_map() {
        for (text, level) in [
            ("critical", Level::Fatal),
            ("err", Level::Error),
            ("eror", Level::Error),
            ("fatal", Level::Fatal),
            ("trace", Level::Trace),
            ("WARNING", Level::Warn),
        ] {
            let stream = labels(json!({"level": text}));
            assert_eq!(
                build(&stream, entry("m", json!({})), None).level,
                level,
                "{text}"
            );
        }
    }

    #[test]
    fn labels_are_the_resource_metadata_and_tenant_attributes() {
        let stream = labels(json!({"app": "a", "env": "prod"}));
        let record = build(&stream, entry("hello", json!({"trace": "t1"})), None);
        assert_eq!(
            *record.resource,
            *labels_map(json!({"app": "a", "env": "prod"}))
        );
        assert_eq!(record.attributes["trace"], json!("t1"));
        assert_eq!(record.attributes["tenant"], json!("team-a"));
        assert_eq!(record.ts.timestamp_subsec_nanos(), 5);
        assert_eq!(record.body, "hello");
    }

    fn labels_map(value: Value) -> Arc<Attributes> {
        let Value::Object(map) = value else { panic!() };
        Arc::new(map)
    }
}
