//! The rules a `log_metrics:` entry must follow, checked once when the log metrics are
//! registered; the error names the entry, the key and the rule broken.

use std::collections::HashSet;

use crate::config::log_metrics::{
    Field, LogMetricConfig, LogMetricFilter, LogMetricKind, LogMetricLabel,
};
use crate::metrics::catalogue::MetricInfo;
use crate::model::Level;

/// A `log_metrics:` entry that breaks a rule: the entry, the key and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log_metrics[{index}] ({name}).{key}: {reason}")]
pub struct InvalidLogMetric {
    /// The entry's index in `log_metrics`.
    pub index: usize,
    /// The entry's `name`.
    pub name: String,
    /// The key at fault, within the entry (`filter.body_regex`).
    pub key: &'static str,
    /// The rule broken.
    pub reason: String,
}

/// Checks every log metric against the rules and against `exported`, the metrics the bridge
/// already exports.
pub fn check(metrics: &[LogMetricConfig], exported: &[MetricInfo]) -> Result<(), InvalidLogMetric> {
    let taken: HashSet<&str> = exported
        .iter()
        .map(|m| m.name.strip_suffix("_total").unwrap_or(m.name))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for (index, metric) in metrics.iter().enumerate() {
        let at = |key: &'static str, reason: String| InvalidLogMetric {
            index,
            name: metric.name.clone(),
            key,
            reason,
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
