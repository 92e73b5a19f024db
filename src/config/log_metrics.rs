//! `log_metrics:`: extra counters and histograms defined from logs (log-based metrics), and the
//! validation that names the metric, the key and the rule broken.

use std::collections::{BTreeMap, HashSet};

use regex::Regex;
use serde::Deserialize;

use crate::metrics::catalogue::{CATALOGUE, Kind};
use crate::model::Level;

/// Prometheus' default histogram buckets, used when `buckets` is not given.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One metric computed from committed records.
#[derive(Debug, Clone, Deserialize, PartialEq)]
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
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogMetricKind {
    Counter,
    Histogram,
}

/// Which records a log metric counts: every non-empty condition must hold.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogMetricLabel {
    /// The label name.
    pub name: String,
    /// The record field its value comes from.
    pub from: Field,
}

/// A record field a label or histogram value is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum Field {
    Service,
    Level,
    Route,
    Method,
    StatusCode,
    DbSystem,
    Operation,
    ExceptionType,
    /// The request's duration (values only).
    DurationSeconds,
    /// The query's duration (values only).
    DbDurationSeconds,
    /// `attributes.<key>`: a record (else resource) attribute, literal key or dotted path.
    Attribute(String),
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
    fn is_numeric(&self) -> bool {
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
    /// The metric's kind in the catalogue.
    pub fn catalogue_kind(&self) -> Kind {
        match self.kind {
            LogMetricKind::Counter => Kind::Counter,
            LogMetricKind::Histogram => Kind::Histogram,
        }
    }

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

/// Checks every log metric; the error names the entry, the key and the rule broken.
pub fn validate(metrics: &[LogMetricConfig]) -> Result<(), String> {
    let taken: HashSet<&str> = CATALOGUE
        .iter()
        .map(|m| m.name.strip_suffix("_total").unwrap_or(m.name))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for (index, metric) in metrics.iter().enumerate() {
        let at = |key: &str, reason: String| {
            format!("log_metrics[{index}] ({}).{key}: {reason}", metric.name)
        };
        check_metric(metric).map_err(|(key, reason)| at(key, reason))?;
        let family = metric.family_name();
        if taken.contains(family) {
            let reason = "collides with a metric the bridge already exports".to_string();
            return Err(at("name", reason));
        }
        if !seen.insert(family) {
            return Err(at("name", "is defined twice in log_metrics".to_string()));
        }
    }
    Ok(())
}

type Invalid = (&'static str, String);

fn check_metric(metric: &LogMetricConfig) -> Result<(), Invalid> {
    check_name(metric)?;
    if metric.help.trim().is_empty() {
        return Err(("help", "must not be empty".to_string()));
    }
    check_filter(&metric.filter)?;
    check_labels(&metric.labels)?;
    match metric.kind {
        LogMetricKind::Counter => check_counter(metric),
        LogMetricKind::Histogram => check_histogram(metric),
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the Prometheus metric name syntax.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, the Prometheus label name syntax.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_name(metric: &LogMetricConfig) -> Result<(), Invalid> {
    let name = &metric.name;
    if !is_metric_name(name) {
        let reason = format!("`{name}` is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
        return Err(("name", reason));
    }
    if name.starts_with("logbridge_") {
        let reason = "the prefix logbridge_ is reserved for the bridge's own metrics";
        return Err(("name", reason.to_string()));
    }
    Ok(())
}

fn check_filter(filter: &LogMetricFilter) -> Result<(), Invalid> {
    if let Some(level) = filter
        .levels
        .iter()
        .find(|l| !Level::ALL.iter().any(|known| known.as_str() == l.as_str()))
    {
        let reason =
            format!("unknown level `{level}`, expected trace, debug, info, warn, error or fatal");
        return Err(("filter.levels", reason));
    }
    if let Err(e) = filter.body_regex() {
        return Err(("filter.body_regex", format!("invalid regex: {e}")));
    }
    let not_scalar = filter
        .attributes
        .iter()
        .find(|(_, v)| !(v.is_string() || v.is_number() || v.is_boolean()));
    if let Some((key, _)) = not_scalar {
        let reason = format!("`{key}` must equal a string, number or boolean");
        return Err(("filter.attributes", reason));
    }
    Ok(())
}

fn check_labels(labels: &[LogMetricLabel]) -> Result<(), Invalid> {
    let mut seen = HashSet::new();
    for label in labels {
        let name = &label.name;
        if !is_label_name(name) {
            let reason = format!("`{name}` is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
            return Err(("labels", reason));
        }
        if name == "le" || name.starts_with("__") {
            let reason = format!("`{name}` is reserved (le, and names starting with __)");
            return Err(("labels", reason));
        }
        if !seen.insert(name) {
            return Err(("labels", format!("`{name}` is given twice")));
        }
        if matches!(
            label.from,
            Field::DurationSeconds | Field::DbDurationSeconds
        ) {
            let reason = format!("`{name}`: a duration would make one series per value");
            return Err(("labels", reason));
        }
    }
    Ok(())
}

fn check_counter(metric: &LogMetricConfig) -> Result<(), Invalid> {
    if metric.family_name().is_empty() || !metric.name.ends_with("_total") {
        let reason = "a counter's name must end in _total".to_string();
        return Err(("name", reason));
    }
    if metric.value.is_some() {
        return Err(("value", "only histograms take a value".to_string()));
    }
    if metric.buckets.is_some() {
        return Err(("buckets", "only histograms take buckets".to_string()));
    }
    Ok(())
}

fn check_histogram(metric: &LogMetricConfig) -> Result<(), Invalid> {
    const SUFFIXES: [&str; 4] = ["_total", "_bucket", "_sum", "_count"];
    if let Some(suffix) = SUFFIXES.iter().find(|s| metric.name.ends_with(*s)) {
        let reason = format!("a histogram's name must not end in {suffix}");
        return Err(("name", reason));
    }
    let Some(value) = &metric.value else {
        return Err(("value", "a histogram requires a value field".to_string()));
    };
    if !value.is_numeric() {
        let reason = format!(
            "`{value}` is not numeric; use status_code, duration_seconds, db_duration_seconds or attributes.<key>"
        );
        return Err(("value", reason));
    }
    let buckets = metric.buckets();
    if buckets.is_empty() || buckets.iter().any(|b| !b.is_finite()) {
        return Err((
            "buckets",
            "must be finite numbers, at least one".to_string(),
        ));
    }
    if buckets.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(("buckets", "must be strictly increasing".to_string()));
    }
    Ok(())
}
