//! The metrics rules may name, with the labels each carries: the bridge's catalogue, metrics
//! derived from logs by configuration, other exporters' metrics, and recording-rule outputs.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::RulesConfig;
use crate::metrics::catalogue::{self, Kind};

/// Labels Prometheus adds to every scraped series.
const SCRAPE_LABELS: [&str; 2] = ["job", "instance"];

/// The label names a series carries: a known set, or any (another exporter's metric).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSet {
    Any,
    Only(BTreeSet<String>),
}

impl LabelSet {
    /// A known set of labels.
    pub fn only<S: AsRef<str>>(labels: impl IntoIterator<Item = S>) -> LabelSet {
        LabelSet::Only(labels.into_iter().map(|l| l.as_ref().to_string()).collect())
    }

    /// Whether a series may carry `label` (`__name__` always).
    pub fn has(&self, label: &str) -> bool {
        match self {
            LabelSet::Any => true,
            LabelSet::Only(labels) => label == "__name__" || labels.contains(label),
        }
    }

    /// Labels of either set.
    pub fn union(&self, other: &LabelSet) -> LabelSet {
        match (self, other) {
            (LabelSet::Only(a), LabelSet::Only(b)) => LabelSet::Only(a.union(b).cloned().collect()),
            _ => LabelSet::Any,
        }
    }

    /// This set without `labels`.
    pub fn without<S: AsRef<str>>(&self, labels: &[S]) -> LabelSet {
        match self {
            LabelSet::Any => LabelSet::Any,
            LabelSet::Only(set) => LabelSet::Only(
                set.iter()
                    .filter(|l| !labels.iter().any(|d| d.as_ref() == l.as_str()))
                    .cloned()
                    .collect(),
            ),
        }
    }

    /// The labels as a comma-separated list, for messages.
    pub fn describe(&self) -> String {
        match self {
            LabelSet::Any => "any labels".to_string(),
            LabelSet::Only(set) if set.is_empty() => "no labels".to_string(),
            LabelSet::Only(set) => set.iter().cloned().collect::<Vec<_>>().join(", "),
        }
    }
}

/// Every series name rules may select, with its labels.
#[derive(Debug, Clone, Default)]
pub struct Known {
    series: BTreeMap<String, LabelSet>,
}

impl Known {
    /// The bridge's own metrics (the catalogue) and the configured external metrics.
    pub fn from_config(config: &RulesConfig) -> Known {
        let mut known = Known::default();
        for metric in catalogue::all() {
            known.add_metric(metric.name, metric.kind, metric.labels);
        }
        for name in &config.external_metrics {
            known.add_external(name);
        }
        known
    }

    /// A scraped metric: its series (`_bucket` with `le`, `_sum` and `_count` for a histogram)
    /// carry `labels` plus `job` and `instance`. For metrics derived from logs by configuration.
    pub fn add_metric<S: AsRef<str>>(&mut self, name: &str, kind: Kind, labels: &[S]) {
        let scraped = LabelSet::only(labels.iter().map(AsRef::as_ref).chain(SCRAPE_LABELS));
        if kind != Kind::Histogram {
            self.add_series(name, scraped);
            return;
        }
        let bucket = scraped.union(&LabelSet::only(["le"]));
        self.add_series(&format!("{name}_bucket"), bucket);
        self.add_series(&format!("{name}_sum"), scraped.clone());
        self.add_series(&format!("{name}_count"), scraped);
    }

    /// Another exporter's metric, whose labels are not checked.
    pub fn add_external(&mut self, name: &str) {
        self.add_series(name, LabelSet::Any);
    }

    /// A series name with its labels; a name added twice carries the labels of both.
    pub fn add_series(&mut self, name: &str, labels: LabelSet) {
        let merged = match self.series.get(name) {
            Some(existing) => existing.union(&labels),
            None => labels,
        };
        self.series.insert(name.to_string(), merged);
    }

    /// The labels of a series name; `None` when rules may not name it.
    pub fn labels(&self, name: &str) -> Option<&LabelSet> {
        self.series.get(name)
    }
}
