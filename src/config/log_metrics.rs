//! `log_metrics:`: extra counters and histograms defined from logs (log-based metrics). The
//! metrics component checks them when it registers them (`metrics::log_metrics::check`).

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// Prometheus' default histogram buckets, used when `buckets` is not given.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One metric computed from committed records.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogMetricConfig {
    /// The metric's name as exposed; counters end in `_total`.
    pub name: String,
    /// The `# HELP` text.
    pub help: String,
    /// `counter` (one per matching record) or `histogram` (observes `value`).
    #[serde(rename = "type")]
    pub kind: LogMetricKind,
    /// Which records count; every condition given must hold. Empty: every record.
    #[serde(default)]
    pub filter: LogMetricFilter,
    /// Labels and the record field each takes its value from (`""` when the field is missing).
    #[serde(default)]
    pub labels: Vec<LogMetricLabel>,
    /// Histograms only: the numeric field observed; records without a number there are skipped.
    #[serde(default)]
    pub value: Option<Field>,
    /// Histograms only: bucket upper bounds, strictly increasing (default: Prometheus' defaults).
    #[serde(default)]
    pub buckets: Option<Vec<f64>>,
}

/// The type of a log metric.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogMetricKind {
    /// Counts matching records.
    Counter,
    /// Observes a numeric field of matching records.
    Histogram,
}

/// Which records a log metric counts: every non-empty condition must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogMetricFilter {
    /// Services, any of them; empty: any service.
    pub services: Vec<String>,
    /// Levels (`trace` ... `fatal`), any of them; empty: any level.
    pub levels: Vec<String>,
    /// A regex the body must match somewhere (Rust `regex` syntax, `(?i)` for case-insensitive).
    pub body_regex: Option<String>,
    /// Attributes (literal key or dotted path) and the scalar each must equal.
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// A label of a log metric.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogMetricLabel {
    /// The label name.
    pub name: String,
    /// The record field its value comes from.
    pub from: Field,
}

/// A record field a label or histogram value is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum Field {
    /// The service name.
    Service,
    /// The level (`trace` ... `fatal`).
    Level,
    /// The HTTP route template.
    Route,
    /// The HTTP method.
    Method,
    /// The HTTP status code.
    StatusCode,
    /// The database system.
    DbSystem,
    /// The database operation (`SELECT`, ...).
    Operation,
    /// The exception type.
    ExceptionType,
    /// The request's duration (values only).
    DurationSeconds,
    /// The query's duration (values only).
    DbDurationSeconds,
    /// `attributes.<key>`: a record (else resource) attribute, literal key or dotted path.
    Attribute(String),
}

/// The default `log_metrics:`: failed logins by service, which the shipped AuthFailureBurst
/// alert (alert-rules/alerts.yml) counts.
const DEFAULT_LOG_METRICS: &str = r#"
- name: log_auth_failures_total
  help: Failed logins, by service
  type: counter
  filter:
    body_regex: "(?i)(authentication failed|invalid password|login failed)"
  labels:
    - { name: service, from: service }
"#;

/// The log metrics of the default configuration.
pub fn defaults() -> Vec<LogMetricConfig> {
    serde_yaml_ng::from_str(DEFAULT_LOG_METRICS).expect("the default log metrics parse")
}

impl From<Field> for String {
    fn from(field: Field) -> String {
        field.to_string()
    }
}

impl TryFrom<String> for Field {
    type Error = String;

    fn try_from(text: String) -> Result<Field, String> {
        let field = match text.as_str() {
            "service" => Field::Service,
            "level" => Field::Level,
            "route" => Field::Route,
            "method" => Field::Method,
            "status_code" => Field::StatusCode,
            "db_system" => Field::DbSystem,
            "operation" => Field::Operation,
            "exception_type" => Field::ExceptionType,
            "duration_seconds" => Field::DurationSeconds,
            "db_duration_seconds" => Field::DbDurationSeconds,
            other => match other.strip_prefix("attributes.") {
                Some(key) if !key.is_empty() => Field::Attribute(key.to_string()),
                _ => {
                    return Err(format!(
                        "`{other}` is not a record field, expected service, level, route, method, \
                     status_code, db_system, operation, exception_type, duration_seconds, \
                     db_duration_seconds or attributes.<key>"
                    ));
                }
            },
        };
        Ok(field)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Field::Service => "service",
            Field::Level => "level",
            Field::Route => "route",
            Field::Method => "method",
            Field::StatusCode => "status_code",
            Field::DbSystem => "db_system",
            Field::Operation => "operation",
            Field::ExceptionType => "exception_type",
            Field::DurationSeconds => "duration_seconds",
            Field::DbDurationSeconds => "db_duration_seconds",
            Field::Attribute(key) => return write!(f, "attributes.{key}"),
        };
        f.write_str(name)
    }
}

impl Field {
    /// Whether the field can hold a number (a histogram value).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Field::StatusCode
                | Field::DurationSeconds
                | Field::DbDurationSeconds
                | Field::Attribute(_)
        )
    }
}

impl LogMetricConfig {
    /// The name it is registered under: prometheus-client appends `_total` to counters.
    pub fn family_name(&self) -> &str {
        match self.kind {
            LogMetricKind::Counter => self.name.strip_suffix("_total").unwrap_or(&self.name),
            LogMetricKind::Histogram => &self.name,
        }
    }

    /// The histogram's buckets, defaults when not given.
    pub fn buckets(&self) -> Vec<f64> {
        self.buckets
            .clone()
            .unwrap_or_else(|| DEFAULT_BUCKETS.to_vec())
    }
}

impl LogMetricFilter {
    /// The compiled body regex, if one is given.
    pub fn body_regex(&self) -> Result<Option<Regex>, regex::Error> {
        self.body_regex.as_deref().map(Regex::new).transpose()
    }
}
