//! Integration tests by area, sharing `helpers::spawn_app`.

mod alerts;
mod alerts_e2e;
mod archive;
mod dedup;
mod erase;
mod faults;
mod grafana;
mod helpers;
mod json_api;
mod limits;
mod log_metrics;
mod metrics;
mod otlp_grpc;
mod otlp_http;
mod read_access;
mod read_exceptions;
mod read_export;
mod read_filters;
mod read_logs;
mod read_stats;
mod read_views;
mod redaction;
mod retention;
mod rules;
mod stack;
mod storage;
