//! Configuration: one YAML tree with built-in defaults, overridable key by key from the environment.
//! Plain data that depends on no component: each component checks its own section when it is
//! built from it, and `settings` runs those checks at startup.
//!
//! Environment overrides: `LOGBRIDGE_<SECTION>__<KEY>=value` (double underscore between levels,
//! case-insensitive, the value read as YAML), e.g. `LOGBRIDGE_INGEST__MAX_BODY_BYTES=1048576`.
//! `DATABASE_URL` sets `database.url`.

pub mod access;
mod aliases;
pub mod archive;
pub mod dedup;
pub mod elasticsearch;
mod env;
pub mod explain;
pub mod grouping;
pub mod listen;
pub mod live;
pub mod log_metrics;
pub mod policy;
pub mod prometheus;
pub mod read_bounds;
pub mod redaction;
pub mod retention;
mod secret;
pub mod sourcemaps;
pub mod tail;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use access::AccessConfig;
pub use aliases::FieldAliases;
pub use archive::ArchiveConfig;
pub use dedup::DedupConfig;
pub use elasticsearch::ElasticsearchConfig;
pub use env::MOVED_VARIABLES;
pub use listen::ListenLimits;
pub use log_metrics::LogMetricConfig;
pub use policy::PolicyConfig;
pub use prometheus::PrometheusConfig;
pub use read_bounds::ReadBoundsConfig;
pub use redaction::{IpMode, PatternConfig, RedactionConfig, ServiceRedaction};
pub use retention::{RetentionClassConfig, RetentionConfig};
pub use secret::Secret;
pub use sourcemaps::SourceMapsConfig;
pub use tail::TailConfig;

/// A configuration that could not be loaded; the message names the file, key and reason.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A key is unknown or a value unusable; `origin` is the file or `environment`.
    #[error("invalid config {origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// The whole configuration tree.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// PostgreSQL connection and pool.
    pub database: DatabaseConfig,
    /// Listen addresses.
    pub listen: ListenConfig,
    /// Ingest limits, queue and batching.
    pub ingest: IngestConfig,
    /// Where record fields are found in JSON logs and attributes (the alias table).
    pub fields: FieldAliases,
    /// Secrets and personal data replaced in every record before it is stored or counted.
    pub redaction: RedactionConfig,
    /// Table layout and timestamp acceptance.
    pub storage: StorageConfig,
    /// Derived metrics: slow thresholds and cardinality caps.
    pub metrics: MetricsConfig,
    /// Extra counters and histograms computed from logs (log-based metrics); by default the one
    /// the shipped AuthFailureBurst alert needs, `log_auth_failures_total`.
    pub log_metrics: Vec<LogMetricConfig>,
    /// The read API: its connection pool, statement timeout and per-token rate limits.
    pub query: QueryConfig,
    /// The bridge's own logs and traces.
    pub telemetry: TelemetryConfig,
    /// Where the rule files are, and what `logbridge rules check` accepts besides the
    /// bridge's own metrics.
    pub rules: RulesConfig,
    /// The Prometheus that evaluates the rules, asked for each alert's state.
    pub prometheus: PrometheusConfig,
    /// Retention classes and the retention job (partition expiry, pruning of other tables).
    pub retention: RetentionConfig,
    /// Archival of expired partitions before they are dropped; off without a location.
    pub archive: ArchiveConfig,
    /// Deduplication of identical records within a time window; off by default.
    pub dedup: DedupConfig,
    /// Custom exception grouping rules; none by default.
    pub grouping: grouping::GroupingConfig,
    /// Browser origins, the `/metrics` token and the pace of unknown-token lookups.
    pub access: AccessConfig,
    /// What the Elasticsearch-compatible root under `/es` reports to shippers.
    pub elasticsearch: ElasticsearchConfig,
    /// JavaScript source maps: a directory loaded at start, size and memory bounds.
    pub sourcemaps: SourceMapsConfig,
    /// Cost control at ingest: minimum levels, sampling and per-service quotas; off by default.
    pub policy: PolicyConfig,
}

/// PostgreSQL settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Connection URL; the database is created if missing. `DATABASE_URL` overrides it.
    pub url: Secret,
    /// Connections in the pool (writers, partition maintenance and health checks share it).
    pub max_connections: u32,
    /// Seconds to wait for a connection before the database counts as unavailable.
    pub connect_timeout_seconds: u64,
}

/// Listen addresses; port 0 picks a free port.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// HTTP: OTLP/HTTP, JSON logs, /metrics, health.
    pub http: SocketAddr,
    /// OTLP/gRPC.
    pub grpc: SocketAddr,
    /// Timeouts and caps on what clients may hold of the listeners.
    pub limits: ListenLimits,
}

/// Ingest limits, queue and batching.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Largest request body, after decompression; larger answers 413.
    pub max_body_bytes: usize,
    /// Log records (or spans) one request may hold; more answers 413, counted on the body before
    /// decoding.
    pub max_records_per_request: usize,
    /// Attribute entries one request may hold (resource, scope, record and nested ones, array
    /// elements included; a span's events and links count as entries too); more answers 413,
    /// counted on the body before decoding.
    pub max_attributes_per_request: usize,
    /// Records waiting to be committed, at most; beyond it requests answer 429.
    pub queue_max_records: usize,
    /// Bytes of records waiting to be committed, at most; beyond it requests answer 429. Under
    /// overload the process holds about four times this (bench/RESULTS.md, overload).
    pub queue_max_bytes: usize,
    /// Records per COPY batch (one transaction), at most.
    pub batch_max_records: usize,
    /// Concurrent writer connections, each committing one batch at a time.
    pub writers: usize,
    /// `Retry-After` seconds sent with 429 and 503 answers.
    pub retry_after_seconds: u64,
    /// A commit taking longer than this fails its requests with 503 (they may be retried); it
    /// is also the commit's `statement_timeout`, so PostgreSQL gives up on it at the same time.
    pub commit_timeout_seconds: u64,
    /// `/readyz` answers 503 while records have waited this long with no commit succeeding.
    pub ready_stall_seconds: u64,
    /// Attributes kept per record (resource and record each), and events and links per span;
    /// the rest are dropped and counted.
    pub max_attributes: usize,
    /// Longest string kept in the body or an attribute value, in bytes; longer ones are truncated.
    pub max_value_bytes: usize,
    /// Longest attribute key, service, scope or severity text kept, in bytes; longer ones are
    /// truncated (a key that then repeats another is dropped and counted).
    pub max_name_bytes: usize,
    /// Whether ingest requests must carry an `ingest` or `admin` token (`Authorization: Bearer`).
    pub require_token: bool,
    /// Ingest requests per second per token (a token bucket); beyond it 429 + Retry-After.
    pub token_requests_per_second: u32,
    /// Ingest requests a token may send in one burst above its steady rate.
    pub token_burst: u32,
}

/// The read API (`/api/v1/...` reads): it has its own connection pool, so slow reads never
/// take the writers' connections.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueryConfig {
    /// Connections in the read pool.
    pub max_connections: u32,
    /// Longest a read query may run, in seconds, before it is cancelled (exports: `bounds`).
    pub statement_timeout_seconds: u64,
    /// Read requests per second per token (a token bucket); beyond it 429 + Retry-After.
    pub token_requests_per_second: u32,
    /// Read requests a token may send in one burst above its steady rate.
    pub token_burst: u32,
    /// What one reader may hold: bytes per answer, reads in flight, export time and idleness.
    pub bounds: ReadBoundsConfig,
    /// The live tail: streams at once, rows buffered per stream, heartbeat.
    pub tail: TailConfig,
}

/// Table layout and timestamp acceptance.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Daily partitions created ahead of today.
    pub partitions_ahead_days: u32,
    /// Longest wait, in ms, for a lock a new partition needs (held by maintenance or a manual
    /// `LOCK`; reads never hold one); its records then answer 503 with Retry-After.
    pub partition_lock_timeout_ms: u64,
    /// Oldest accepted event time, in days before now; older records get the receive time as
    /// `ts` and keep the original in attribute `logbridge.original_timestamp`.
    pub max_past_days: u32,
    /// Latest accepted event time, in hours after now; later ones are clamped the same way.
    pub max_future_hours: u32,
    /// A trigram index on the lowered body (`pg_trgm`), so that `contains` of a rare substring
    /// reads its matches instead of every row of the range; costs PostgreSQL CPU at ingest
    /// (bench/RESULTS.md). Created or dropped by `serve` and `migrate` to match.
    pub substring_index: bool,
}

/// Derived metrics settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Requests at least this slow count in `http_server_slow_requests_total`.
    pub slow_request_seconds: f64,
    /// Queries at least this slow count in `db_client_slow_queries_total`.
    pub slow_query_seconds: f64,
    /// Label sets per derived metric; beyond it samples go to the `__overflow__` series.
    pub max_series_per_metric: usize,
    /// Where a service's request metrics come from when it sends both server spans and access
    /// logs: `auto` (spans, once the service sent HTTP server spans in the last
    /// `span_window_seconds`), `spans` or `logs`.
    pub requests_from: MetricSource,
    /// The same choice between database client spans and query logs.
    pub queries_from: MetricSource,
    /// How long, in seconds, a service's spans take over its request (query) metrics under
    /// `auto` after its last HTTP server (database client) span.
    pub span_window_seconds: u64,
    /// How long, in seconds, a client or server span waits for its peer to make a service-graph
    /// edge before it is given up (or drawn to a virtual node).
    pub service_graph_wait_seconds: u64,
    /// Spans at most waiting for their peer; past it the oldest is given up.
    pub service_graph_max_items: usize,
}

/// Which signal a service's request or query metrics are derived from.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MetricSource {
    /// Spans once the service sends them (within `metrics.span_window_seconds`), else logs.
    #[default]
    Auto,
    /// Spans only; logs never count.
    Spans,
    /// Logs only; spans never count.
    Logs,
}

/// The bridge's own telemetry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Log filter in `RUST_LOG` syntax; `RUST_LOG` overrides it.
    pub log_filter: String,
    /// `text` for people, `json` for log shippers.
    pub log_format: LogFormat,
    /// OTLP/gRPC endpoint that receives the bridge's own traces; none when empty.
    pub otlp_endpoint: Option<String>,
}

/// What `logbridge rules check` accepts besides the metrics the bridge exports.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// The rule files (files, or directories of `*.yml`/`*.yaml`) that
    /// `GET /api/v1/monitoring/alerts/rules` lists; relative to the working directory.
    pub paths: Vec<String>,
    /// Metrics of other exporters (or of Prometheus itself) that rules may name; their labels
    /// are not checked.
    pub external_metrics: Vec<String>,
}

/// Format of the bridge's own logs.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig::default(),
            listen: ListenConfig::default(),
            ingest: IngestConfig::default(),
            fields: FieldAliases::default(),
            redaction: RedactionConfig::default(),
            storage: StorageConfig::default(),
            metrics: MetricsConfig::default(),
            log_metrics: log_metrics::defaults(),
            query: QueryConfig::default(),
            telemetry: TelemetryConfig::default(),
            rules: RulesConfig::default(),
            prometheus: PrometheusConfig::default(),
            retention: RetentionConfig::default(),
            archive: ArchiveConfig::default(),
            dedup: DedupConfig::default(),
            access: AccessConfig::default(),
            elasticsearch: ElasticsearchConfig::default(),
            grouping: grouping::GroupingConfig::default(),
            sourcemaps: SourceMapsConfig::default(),
            policy: PolicyConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::from("postgres://postgres@127.0.0.1:5432/logbridge"),
            max_connections: 16,
            connect_timeout_seconds: 5,
        }
    }
}

impl Default for ListenConfig {
    fn default() -> Self {
        ListenConfig {
            http: SocketAddr::from(([0, 0, 0, 0], 4318)),
            grpc: SocketAddr::from(([0, 0, 0, 0], 4317)),
            limits: ListenLimits::default(),
        }
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_body_bytes: 16 * 1024 * 1024,
            max_records_per_request: 100_000,
            max_attributes_per_request: 1_000_000,
            queue_max_records: 100_000,
            queue_max_bytes: 32 * 1024 * 1024,
            batch_max_records: 10_000,
            writers: 2,
            retry_after_seconds: 1,
            commit_timeout_seconds: 30,
            ready_stall_seconds: 10,
            max_attributes: 256,
            max_value_bytes: 1024 * 1024,
            max_name_bytes: 1024,
            require_token: false,
            token_requests_per_second: 1000,
            token_burst: 2000,
        }
    }
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            max_connections: 8,
            statement_timeout_seconds: 30,
            token_requests_per_second: 20,
            token_burst: 40,
            bounds: ReadBoundsConfig::default(),
            tail: TailConfig::default(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            partitions_ahead_days: 3,
            partition_lock_timeout_ms: 1000,
            max_past_days: 365,
            max_future_hours: 24,
            substring_index: false,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            slow_request_seconds: 1.0,
            slow_query_seconds: 0.5,
            max_series_per_metric: 2000,
            requests_from: MetricSource::Auto,
            queries_from: MetricSource::Auto,
            span_window_seconds: 300,
            service_graph_wait_seconds: 10,
            service_graph_max_items: 10_000,
        }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            log_filter: "info,sqlx=warn".to_string(),
            log_format: LogFormat::Text,
            otlp_endpoint: None,
        }
    }
}

impl Default for RulesConfig {
    fn default() -> Self {
        let external = [
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "ALERTS",
            "ALERTS_FOR_STATE",
        ];
        RulesConfig {
            paths: vec!["alert-rules".to_string()],
            external_metrics: external.map(String::from).to_vec(),
        }
    }
}

impl Config {
    /// Loads `path`, else `./logbridge.yaml` if present, else defaults; then applies the
    /// environment of this process and checks the settings that belong to no component. Each
    /// component checks its own section when it is built; `settings::load` runs those too.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let (yaml, origin) = Config::read(path)?;
        Config::from_yaml_and_env(&yaml, &origin, std::env::vars())
    }

    /// The text of `path`, else of `./logbridge.yaml` if present, else nothing; with the name
    /// errors give it.
    pub fn read(path: Option<&Path>) -> Result<(String, String), ConfigError> {
        let default_path = Path::new("logbridge.yaml");
        let path = path.or(default_path.exists().then_some(default_path));
        let yaml = match path {
            Some(path) => std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?,
            None => String::new(),
        };
        let origin = path.map_or("defaults".to_string(), |p| p.display().to_string());
        Ok((yaml, origin))
    }

    /// Parses `yaml` (naming `origin` in errors), applies `vars` as overrides and checks the
    /// settings that belong to no component.
    pub fn from_yaml_and_env(
        yaml: &str,
        origin: &str,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let invalid = |origin: &str, message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let vars: Vec<(String, String)> = vars.collect();
        // Parse the file on its own first so that its errors carry its line numbers.
        let file_tree = env::parse_tree(yaml).map_err(|e| invalid(origin, e))?;
        let from_file: Config = env::deserialize(&file_tree).map_err(|e| invalid(origin, e))?;
        let (tree, applied) =
            env::apply(file_tree.clone(), &vars).map_err(|e| invalid("environment", e))?;
        let config = if applied.is_empty() {
            from_file
        } else {
            // Name the variable, not a line of the merged tree the user never wrote.
            env::deserialize(&tree).map_err(|e| {
                let message =
                    env::culprit(&file_tree, &vars).unwrap_or_else(|| env::without_location(&e));
                invalid("environment", message)
            })?
        };
        config.validate().map_err(|e| invalid(origin, e))?;
        Ok(config)
    }

    /// Checks the settings no component checks when built: database, ingest and query limits,
    /// and the archive location.
    fn validate(&self) -> Result<(), String> {
        let positive = [
            (
                "database.max_connections",
                self.database.max_connections as usize,
            ),
            ("ingest.max_body_bytes", self.ingest.max_body_bytes),
            (
                "ingest.max_records_per_request",
                self.ingest.max_records_per_request,
            ),
            (
                "ingest.max_attributes_per_request",
                self.ingest.max_attributes_per_request,
            ),
            ("ingest.queue_max_records", self.ingest.queue_max_records),
            ("ingest.queue_max_bytes", self.ingest.queue_max_bytes),
            ("ingest.batch_max_records", self.ingest.batch_max_records),
            ("ingest.writers", self.ingest.writers),
            (
                "ingest.commit_timeout_seconds",
                self.ingest.commit_timeout_seconds as usize,
            ),
            (
                "ingest.ready_stall_seconds",
                self.ingest.ready_stall_seconds as usize,
            ),
            (
                "storage.partition_lock_timeout_ms",
                self.storage.partition_lock_timeout_ms as usize,
            ),
            ("ingest.max_value_bytes", self.ingest.max_value_bytes),
            ("ingest.max_name_bytes", self.ingest.max_name_bytes),
            (
                "ingest.token_requests_per_second",
                self.ingest.token_requests_per_second as usize,
            ),
            ("ingest.token_burst", self.ingest.token_burst as usize),
            ("query.max_connections", self.query.max_connections as usize),
            (
                "query.statement_timeout_seconds",
                self.query.statement_timeout_seconds as usize,
            ),
            (
                "query.token_requests_per_second",
                self.query.token_requests_per_second as usize,
            ),
            ("query.token_burst", self.query.token_burst as usize),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("{key}: must be greater than 0"));
        }
        if (self.database.max_connections as usize) <= self.ingest.writers {
            return Err("database.max_connections: must exceed ingest.writers".to_string());
        }
        self.query.bounds.validate()?;
        self.query.tail.validate()?;
        self.prometheus.validate()?;
        self.listen.limits.validate()?;
        self.sourcemaps.validate()?;
        if self.listen.limits.max_body_bytes_in_flight < self.ingest.max_body_bytes {
            let key = "listen.limits.max_body_bytes_in_flight";
            return Err(format!("{key}: must be at least ingest.max_body_bytes"));
        }
        self.archive.validate()
    }
}

#[cfg(test)]
mod tests;
