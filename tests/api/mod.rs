//! Integration tests by area, sharing `helpers::spawn_app`.

mod faults;
mod grafana;
mod helpers;
mod json_api;
mod limits;
mod metrics;
mod otlp_grpc;
mod otlp_http;
mod read_access;
mod read_exceptions;
mod read_export;
mod read_filters;
mod read_logs;
mod read_views;
mod storage;
