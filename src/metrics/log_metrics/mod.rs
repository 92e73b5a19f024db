//! Log-based metrics (`log_metrics:` in the config) as a pure evaluation from committed records
//! to samples, beside `derive`; `families` applies the samples to the capped families.

pub mod check;
mod families;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabel, EncodeLabelSet, LabelSetEncoder};
use regex::Regex;
use serde_json::Value;

pub use check::InvalidLogMetric;
pub use families::LogMetricFamilies;

use super::catalogue::{Kind, OwnedMetricInfo};
use super::derived::TraceExemplar;
use super::guard::{OVERFLOW, Overflow};
use crate::config::log_metrics::{Field, LogMetricConfig, LogMetricFilter, LogMetricKind};
use crate::model::{Level, LogRecord};
use crate::pipeline::fields::{self, truncate};

/// Longest label value, in bytes; longer values are cut on a char boundary.
pub const MAX_LABEL_VALUE_BYTES: usize = 128;

/// The catalogue entries of configured log metrics: name as exposed, kind and label names.
pub fn catalogue(config: &[LogMetricConfig]) -> Vec<OwnedMetricInfo> {
    let entry = |metric: &LogMetricConfig| OwnedMetricInfo {
        name: metric.name.clone(),
        kind: match metric.kind {
            LogMetricKind::Counter => Kind::Counter,
            LogMetricKind::Histogram => Kind::Histogram,
        },
        labels: metric.labels.iter().map(|l| l.name.clone()).collect(),
    };
    config.iter().map(entry).collect()
}

/// The label set of one log metric series: the metric's label names and this series' values.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct LogMetricLabels {
    names: Arc<[String]>,
    /// The label values, in the order of the metric's labels.
    pub values: Vec<String>,
}

impl EncodeLabelSet for LogMetricLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), std::fmt::Error> {
        for (name, value) in self.names.iter().zip(&self.values) {
            (name.as_str(), value.as_str()).encode(encoder.encode_label())?;
        }
        Ok(())
    }
}

impl Overflow for LogMetricLabels {
    fn overflow(&self) -> Self {
        let values = vec![OVERFLOW.to_string(); self.names.len()];
        LogMetricLabels {
            names: self.names.clone(),
            values,
        }
    }
}

/// One observation of a log metric, by its index in the configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum LogSample {
    /// A counter increment (summed over the batch).
    Count(usize, LogMetricLabels, u64),
    /// A histogram observation.
    Observe(usize, LogMetricLabels, f64, Option<TraceExemplar>),
}

/// The configured log metrics, compiled once: filters with their regexes, label fields.
#[derive(Debug, Default)]
pub struct LogMetricRules {
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    filter: Filter,
    label_names: Arc<[String]>,
    label_fields: Vec<Field>,
    /// Histograms: the observed field; counters: `None`.
    value: Option<Field>,
}

#[derive(Debug)]
struct Filter {
    services: Vec<String>,
    levels: Vec<Level>,
    body: Option<Regex>,
    attributes: Vec<(String, Value)>,
}

impl LogMetricRules {
    /// Compiles a configuration [`check`]ed before; a regex that does not compile is named.
    pub fn compile(config: &[LogMetricConfig]) -> Result<LogMetricRules, InvalidLogMetric> {
        let rules = config
            .iter()
            .enumerate()
            .map(|(index, metric)| Rule::compile(index, metric))
            .collect::<Result<_, _>>()?;
        Ok(LogMetricRules { rules })
    }

    /// Whether no log metric is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The samples of a batch of committed records; counts are summed per series.
    pub fn evaluate(&self, records: &[LogRecord]) -> Vec<LogSample> {
        let mut counts: HashMap<(usize, Vec<String>), u64> = HashMap::new();
        let mut samples = Vec::new();
        for record in records {
            for (index, rule) in self.rules.iter().enumerate() {
                if !rule.filter.matches(record) {
                    continue;
                }
                let Some(field) = &rule.value else {
                    let values = rule.label_values(record);
                    *counts.entry((index, values)).or_default() += 1;
                    continue;
                };
                let Some(value) = number(record, field) else {
                    continue;
                };
                let labels = rule.labels(rule.label_values(record));
                let exemplar = record.trace_id.clone();
                let exemplar = exemplar.map(|trace_id| TraceExemplar { trace_id });
                samples.push(LogSample::Observe(index, labels, value, exemplar));
            }
        }
        let counted = counts.into_iter().map(|((index, values), n)| {
            LogSample::Count(index, self.rules[index].labels(values), n)
        });
        samples.extend(counted);
        samples
    }
}

impl Rule {
    fn compile(index: usize, config: &LogMetricConfig) -> Result<Rule, InvalidLogMetric> {
        let filter = Filter::compile(&config.filter).map_err(|e| InvalidLogMetric {
            index,
            name: config.name.clone(),
            key: "filter.body_regex",
            reason: format!("invalid regex: {e}"),
        })?;
        Ok(Rule {
            filter,
            label_names: config.labels.iter().map(|l| l.name.clone()).collect(),
            label_fields: config.labels.iter().map(|l| l.from.clone()).collect(),
            value: config.value.clone(),
        })
    }

    fn label_values(&self, record: &LogRecord) -> Vec<String> {
        let value = |field| truncate(&text(record, field), MAX_LABEL_VALUE_BYTES).to_string();
        self.label_fields.iter().map(value).collect()
    }

    fn labels(&self, values: Vec<String>) -> LogMetricLabels {
        LogMetricLabels {
            names: self.label_names.clone(),
            values,
        }
    }
}

impl Filter {
    fn compile(config: &LogMetricFilter) -> Result<Filter, regex::Error> {
        let levels = Level::ALL
            .into_iter()
            .filter(|level| config.levels.iter().any(|l| l == level.as_str()))
            .collect();
        Ok(Filter {
            services: config.services.clone(),
            levels,
            body: config.body_regex()?,
            attributes: config.attributes.clone().into_iter().collect(),
        })
    }

    /// Cheap conditions first, the regex last.
    fn matches(&self, record: &LogRecord) -> bool {
        let service = self.services.is_empty() || self.services.contains(&record.service);
        let level = self.levels.is_empty() || self.levels.contains(&record.level);
        service
            && level
            && self.attributes.iter().all(|(key, expected)| {
                attribute(record, key).is_some_and(|found| equals(found, expected))
            })
            && self
                .body
                .as_ref()
                .is_none_or(|re| re.is_match(&record.body))
    }
}

/// A record attribute, else a resource attribute, by literal key or dotted path.
fn attribute<'a>(record: &'a LogRecord, key: &str) -> Option<&'a Value> {
    fields::lookup(&record.attributes, key).or_else(|| fields::lookup(&record.resource, key))
}

/// A scalar as label text: strings as they are, numbers and booleans formatted.
fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        other => fields::as_text(other),
    }
}

/// Attribute equality that does not care whether a number was logged as a string.
fn equals(found: &Value, expected: &Value) -> bool {
    if found == expected {
        return true;
    }
    if let (Some(a), Some(b)) = (fields::as_f64(found), fields::as_f64(expected)) {
        return a == b;
    }
    scalar_text(found).is_some_and(|text| Some(text) == scalar_text(expected))
}

/// A field's value as label text; `""` when the record lacks it.
fn text<'a>(record: &'a LogRecord, field: &Field) -> Cow<'a, str> {
    let request = record.request.as_ref();
    let query = record.query.as_ref();
    let found: Option<Cow<'a, str>> = match field {
        Field::Service => Some(Cow::Borrowed(&record.service)),
        Field::Level => Some(Cow::Borrowed(record.level.as_str())),
        Field::Route => request.map(|r| Cow::Borrowed(r.route.as_str())),
        Field::Method => request.map(|r| Cow::Borrowed(r.method.as_str())),
        Field::DbSystem => query.map(|q| Cow::Borrowed(q.system.as_str())),
        Field::Operation => query.map(|q| Cow::Borrowed(q.operation.as_str())),
        Field::ExceptionType => record
            .exception
            .as_ref()
            .map(|e| Cow::Borrowed(e.exception_type.as_str())),
        Field::Attribute(key) => attribute(record, key).and_then(scalar_text),
        numeric => number(record, numeric).map(|n| Cow::Owned(n.to_string())),
    };
    found.unwrap_or_default()
}

/// A field's value as a number, if it holds one.
fn number(record: &LogRecord, field: &Field) -> Option<f64> {
    match field {
        Field::StatusCode => record.request.as_ref()?.status_code.map(f64::from),
        Field::DurationSeconds => record.request.as_ref()?.duration_seconds,
        Field::DbDurationSeconds => record.query.as_ref()?.duration_seconds,
        Field::Attribute(key) => attribute(record, key).and_then(fields::as_f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
