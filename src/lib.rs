//! logbridge: application logs in, PostgreSQL rows and Prometheus metrics out.
//!
//! The flow runs one way:
//! - [`ingest`] receivers decode OTLP (gRPC, HTTP protobuf/JSON) and JSON/NDJSON into the one
//!   [`model::LogRecord`] (a pure `decode` per format), OTLP traces into [`model::SpanRecord`],
//!   and `ingest::prepare` turns a decoded batch into COPY rows and metric samples, off the
//!   async workers on a CPU pool;
//! - [`pipeline`] bounds and enriches each record (redaction, levels, request fields and route
//!   templates, SQL fingerprints, exceptions, retention class, dedup key);
//! - sinks: [`store`] commits batches to PostgreSQL (group commit, acknowledged after commit),
//!   then [`metrics`] counts the committed records and spans for `/metrics` (spans also into
//!   span metrics and a service graph; one request sent both ways counts once).
//!
//! [`app`] wires them to the listeners, behind [`listen`]'s timeouts and caps; [`query`] is the read API over [`store`]'s reads,
//! and [`console`] the web console on it;
//! [`jobs`] are the background work over stored data (retention, archive, erase, anonymize);
//! [`cli`] is every subcommand. [`config`] is the settings as plain data, and [`settings`] has
//! each component check its own section at startup; [`error`] is the one table from error
//! code to HTTP status, gRPC code and metric label; [`auth`] checks the tokens of both sides;
//! [`rules`] checks the Prometheus rule files in `alert-rules/` against the metrics exported;
//! [`grafana`] provisions the dashboards that read both sinks; [`demo`] sends sample traffic to
//! a running bridge. `fuzzing` (tests and `fuzz/`
//! only) runs the pure part of the flow on arbitrary bytes and checks its invariants.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
pub mod error;
#[cfg(any(test, fuzzing))]
pub mod fuzzing;
pub mod grafana;
pub mod ingest;
pub mod jobs;
pub mod listen;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod query;
pub mod rules;
pub mod settings;
pub mod sourcemaps;
pub mod store;
pub mod telemetry;
