//! Every metric the bridge exports: the contract's metrics derived from logs and spans (capped,
//! [`spans`] choosing which signal counts a request), the bridge's own
//! `logbridge_*` metrics (the ingest policy's in `policy`), and their exposition in OpenMetrics
//! or Prometheus text format.
//!
//! Each area declares its metrics once, as [`catalogue::MetricInfo`] constants beside the code
//! that updates them (`bridge.rs`, `retention.rs`, `families/`), and registers them through a
//! [`Registrar`], which also lists them in the [`catalogue`]: adding a metric is a constant and
//! a `register` call in its area's file.

mod bridge;
mod browser;
pub mod catalogue;
pub mod check;
mod derived;
mod exposition;
mod families;
mod guard;
mod listener;
pub mod log_metrics;
mod policy;
mod registrar;
mod retention;
pub mod scrape;
mod sourcemaps;
pub mod spans;
mod web_vitals;

use std::sync::Arc;
use std::time::Instant;

use prometheus_client::registry::Registry;

pub use bridge::{BridgeMetrics, Outcome, Protocol, RejectReason};
pub use browser::{BrowserMetrics, BrowserReceiver, OriginStage};
pub use derived::{Sample, Thresholds, derive};
pub use exposition::{Format, content_type};
pub use families::DerivedMetrics;
pub use listener::{BodyRefusal, CloseReason, Listener, ListenerMetrics};
pub use log_metrics::{InvalidLogMetric, LogMetricFamilies};
pub use policy::{NotStored, PolicyMetrics};
pub use registrar::Registrar;
pub use retention::RetentionMetrics;
pub use sourcemaps::SourceMapMetrics;

use crate::config::live::Live;
use crate::config::{LogMetricConfig, MetricsConfig, Secret};
use crate::model::{LogRecord, SpanRecord};
use catalogue::MetricInfo;
use spans::{SpanMetrics, SpanSamples};

/// A setting of the metrics that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum MetricsConfigError {
    /// A `metrics:` setting breaks a rule.
    #[error("invalid config: {0}")]
    Settings(#[from] check::InvalidMetricsSettings),
    /// A `log_metrics:` entry breaks a rule.
    #[error("invalid config: {0}")]
    LogMetric(#[from] InvalidLogMetric),
}

/// What a batch of records or spans adds to the derived, log and span metrics, counted once it
/// is committed.
#[derive(Default)]
pub struct AcceptedSamples {
    derived: Vec<Sample>,
    /// The log metric samples, with the log metrics in force when they were evaluated (their
    /// indexes are into those).
    log_metrics: Option<(Arc<LogMetricFamilies>, Vec<log_metrics::LogSample>)>,
    spans: Option<SpanSamples>,
    /// The place among the derived spans of each span in the stored batch, when the policy
    /// kept only some of them.
    stored_spans: Option<Vec<u32>>,
}

impl AcceptedSamples {
    /// Leaves out the samples of the spans the store skipped, at these places in their batch
    /// (ascending): stored already, they were counted when first stored.
    pub fn forget_spans(&mut self, skipped: &[u32]) {
        let Some(spans) = &mut self.spans else {
            return;
        };
        match &self.stored_spans {
            Some(places) => {
                let derived: Vec<u32> = skipped.iter().map(|i| places[*i as usize]).collect();
                spans.forget(&derived);
            }
            None => spans.forget(skipped),
        }
    }

    /// Notes that the stored batch holds only the spans at these places (ascending) of the
    /// spans these samples were derived from.
    pub fn stored_spans_at(&mut self, places: Vec<u32>) {
        self.stored_spans = Some(places);
    }
}

/// The registry and every metric in it.
pub struct Metrics {
    registry: Registry,
    /// What the components registered, in order: the catalogue.
    catalogue: Vec<MetricInfo>,
    derived: DerivedMetrics,
    /// The configured log metrics, replaced whole on reload ([`Metrics::reload_log_metrics`]).
    log_metrics: Live<LogMetricFamilies>,
    spans: SpanMetrics,
    /// Who may scrape `/metrics`.
    scrape: scrape::ScrapeAccess,
    thresholds: Thresholds,
    /// `metrics.max_series_per_metric`, the cap of log metrics made on reload.
    max_series_per_metric: usize,
    /// The bridge's own metrics, shared with the store.
    pub bridge: Arc<BridgeMetrics>,
    /// The retention job's metrics.
    pub retention: Arc<RetentionMetrics>,
    /// The listeners' connections and bodies.
    pub listener: Arc<ListenerMetrics>,
    /// The browser receivers' refusals.
    pub browser: Arc<BrowserMetrics>,
    /// The source map cache.
    pub sourcemaps: Arc<SourceMapMetrics>,
    /// What the ingest policy did not store, and the bytes it stored.
    pub policy: Arc<PolicyMetrics>,
}

impl Metrics {
    /// Creates and registers every metric, with no log metrics, from checked settings (see
    /// [`check`]).
    pub fn new(config: &MetricsConfig) -> Metrics {
        Metrics::with_log_metrics(config, &[]).expect("checked settings and no log metrics")
    }

    /// Checks the settings, then creates and registers every metric, with the configured log
    /// metrics (`log_metrics:`); fails when a setting or a log metric is invalid, naming it, the
    /// key and the rule broken.
    pub fn with_log_metrics(
        config: &MetricsConfig,
        log_metrics: &[LogMetricConfig],
    ) -> Result<Metrics, MetricsConfigError> {
        check::check(config)?;
        let mut registry = Registry::default();
        let mut catalogue = Vec::new();
        let mut registrar = Registrar::new(&mut registry, &mut catalogue);
        let bridge = BridgeMetrics::register(&mut registrar);
        let retention = RetentionMetrics::register(&mut registrar);
        let listener = ListenerMetrics::register(&mut registrar);
        let browser = BrowserMetrics::register(&mut registrar);
        let sourcemaps = SourceMapMetrics::register(&mut registrar);
        let cap = config.max_series_per_metric;
        let guards = (&bridge.series_overflow, &bridge.rejected_observations);
        let derived = DerivedMetrics::register(&mut registrar, guards, cap);
        let spans = SpanMetrics::register(&mut registrar, guards, config);
        let policy = PolicyMetrics::register(&mut registrar, guards.0, cap);
        let log_metrics = LogMetricFamilies::build(&catalogue, guards, cap, log_metrics, None)?;
        Ok(Metrics {
            registry,
            catalogue,
            derived,
            log_metrics: Live::new(Arc::new(log_metrics)),
            spans,
            scrape: scrape::ScrapeAccess::default(),
            thresholds: Thresholds {
                slow_request_seconds: config.slow_request_seconds,
                slow_query_seconds: config.slow_query_seconds,
            },
            max_series_per_metric: cap,
            bridge: Arc::new(bridge),
            retention: Arc::new(retention),
            listener: Arc::new(listener),
            browser: Arc::new(browser),
            sourcemaps: Arc::new(sourcemaps),
            policy: Arc::new(policy),
        })
    }

    /// These metrics, scraped only with `Bearer <token>` when a token is given
    /// (`access.metrics_token`).
    pub fn with_scrape_token(mut self, token: Option<&Secret>) -> Metrics {
        self.scrape = scrape::ScrapeAccess::new(token);
        self
    }

    /// Whether a scrape with these headers may read the metrics.
    pub fn scrape_allowed(&self, headers: &axum::http::HeaderMap) -> bool {
        self.scrape.allows(headers)
    }

    /// Counts accepted (committed) records into the derived metrics.
    pub fn observe_accepted(&self, records: &[LogRecord]) {
        self.observe_samples(self.samples(records));
    }

    /// The samples records will add once committed: derived before the commit, so that a
    /// request waiting for it holds these and not its records.
    pub fn samples(&self, records: &[LogRecord]) -> AcceptedSamples {
        let log_metrics = self.log_metrics.current();
        let log_samples = log_metrics.evaluate(records);
        AcceptedSamples {
            derived: derive(records, self.thresholds),
            log_metrics: (!log_samples.is_empty()).then_some((log_metrics, log_samples)),
            ..AcceptedSamples::default()
        }
    }

    /// The samples processed spans will add once committed (see [`Metrics::samples`]).
    pub fn span_samples(&self, spans: &[SpanRecord]) -> AcceptedSamples {
        AcceptedSamples {
            spans: Some(spans::derive(spans, self.thresholds)),
            ..AcceptedSamples::default()
        }
    }

    /// Counts the samples of committed records or spans: a request or query counts from the
    /// signal [`spans::sources`] chooses for its service, so that one sent both ways counts once.
    pub fn observe_samples(&self, samples: AcceptedSamples) {
        let now = Instant::now();
        let mut derived = samples.derived;
        if !derived.is_empty() {
            self.spans.keep_log_samples(&mut derived, now);
            self.derived.apply(derived);
        }
        if let Some((log_metrics, log_samples)) = samples.log_metrics {
            log_metrics.apply(log_samples);
        }
        if let Some(spans) = samples.spans {
            self.derived.apply(self.spans.apply(spans, now));
        }
    }

    /// Replaces the configured log metrics with `config`, checked and compiled as at startup;
    /// a metric configured as before keeps its series, a removed one is no longer exposed. On
    /// error nothing changes.
    pub fn reload_log_metrics(&self, config: &[LogMetricConfig]) -> Result<(), InvalidLogMetric> {
        let guards = (
            &self.bridge.series_overflow,
            &self.bridge.rejected_observations,
        );
        let cap = self.max_series_per_metric;
        let previous = self.log_metrics.current();
        let families =
            LogMetricFamilies::build(&self.catalogue, guards, cap, config, Some(&previous))?;
        self.log_metrics.replace(Arc::new(families));
        Ok(())
    }

    /// Every metric registered but the configured log metrics, in order (see [`catalogue`]).
    pub fn catalogue(&self) -> &[MetricInfo] {
        &self.catalogue
    }

    /// Renders the registry in the given format.
    pub fn render(&self, format: Format) -> String {
        self.spans.expire(Instant::now());
        let log_metrics = self.log_metrics.current();
        exposition::render(&[&self.registry, log_metrics.registry()], format)
    }
}
