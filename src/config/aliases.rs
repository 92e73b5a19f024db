//! The alias table: where each record field is found in JSON logs and in attributes.

use serde::{Deserialize, Serialize};

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| k.to_string()).collect()
}

/// Where each field is found in a JSON log record or in a record's attributes: candidate keys,
/// first match wins. A key is looked up as a literal key first (`db.statement`), then as a dotted
/// path into nested objects (`req.method`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FieldAliases {
    /// Event time: RFC 3339 string or epoch number (s, ms, µs or ns by magnitude).
    pub timestamp: Vec<String>,
    /// Level name or number.
    pub level: Vec<String>,
    /// The message.
    pub message: Vec<String>,
    /// Service name.
    pub service: Vec<String>,
    /// Trace id, hex.
    pub trace_id: Vec<String>,
    /// Span id, hex.
    pub span_id: Vec<String>,
    /// Logger name (becomes the scope, never the service).
    pub logger: Vec<String>,
    /// HTTP request method.
    pub http_method: Vec<String>,
    /// HTTP route template, used as is.
    pub http_route: Vec<String>,
    /// HTTP path or URL, templated into a route when no route is given.
    pub http_path: Vec<String>,
    /// HTTP response status code.
    pub http_status: Vec<String>,
    /// Duration in milliseconds (request or query).
    pub duration_ms: Vec<String>,
    /// Duration in seconds (request or query).
    pub duration_s: Vec<String>,
    /// Duration in nanoseconds (request or query), as ECS `event.duration`.
    pub duration_ns: Vec<String>,
    /// SQL statement text.
    pub db_statement: Vec<String>,
    /// Database system name.
    pub db_system: Vec<String>,
    /// Exception type or class.
    pub exception_type: Vec<String>,
    /// Exception message.
    pub exception_message: Vec<String>,
    /// Exception stack trace.
    pub exception_stacktrace: Vec<String>,
    /// The end user a record is about.
    pub user_id: Vec<String>,
    /// The record's category (a string or an array of strings, as ECS `event.category`), which
    /// retention classes match on.
    pub category: Vec<String>,
    /// The deployment environment (`production`, `staging`), which `policy.levels` matches on
    /// when the resource names none.
    pub environment: Vec<String>,
}

impl Default for FieldAliases {
    fn default() -> Self {
        FieldAliases {
            timestamp: keys(&[
                "timestamp",
                "@timestamp",
                "time",
                "ts",
                "record.time.timestamp",
                "date",
            ]),
            level: keys(&[
                "level",
                "log.level",
                "severity",
                "severity_text",
                "levelname",
                "record.level.name",
            ]),
            message: keys(&["message", "msg", "body", "record.message", "text", "log"]),
            service: keys(&[
                "service",
                "service.name",
                "serviceName",
                "service_name",
                "app",
            ]),
            trace_id: keys(&["trace_id", "traceId", "trace.id", "traceid", "dd.trace_id"]),
            span_id: keys(&["span_id", "spanId", "span.id", "spanid", "dd.span_id"]),
            logger: keys(&["logger", "logger_name", "log.logger", "name", "record.name"]),
            http_method: keys(&[
                "http.request.method",
                "http.method",
                "request_method",
                "req.method",
                "method",
            ]),
            http_route: keys(&["http.route", "route", "req.routerPath"]),
            http_path: keys(&[
                "url.path",
                "http.target",
                "request_path",
                "req.url",
                "url.original",
                "path",
                "http.url",
                "url.full",
            ]),
            http_status: keys(&[
                "http.response.status_code",
                "http.status_code",
                "response_status",
                "res.statusCode",
                "status_code",
                "status",
            ]),
            duration_ms: keys(&["duration_ms", "responseTime", "response_time", "elapsed_ms"]),
            duration_s: keys(&[
                "http.server.request.duration",
                "db.client.operation.duration",
                "duration_seconds",
            ]),
            duration_ns: keys(&["event.duration"]),
            db_statement: keys(&["db.query.text", "db.statement", "query", "sql"]),
            db_system: keys(&["db.system.name", "db.system"]),
            exception_type: keys(&[
                "exception.type",
                "err.type",
                "error.type",
                "record.exception.type",
                "exc_type",
                "error.class",
                "exception.name",
                "error.kind",
                "context.exception.class",
            ]),
            exception_message: keys(&[
                "exception.message",
                "err.message",
                "error.message",
                "record.exception.value",
                "context.exception.message",
            ]),
            exception_stacktrace: keys(&[
                "exception.stacktrace",
                "err.stack",
                "error.stack_trace",
                "error.stack",
                "exc_info",
                "stack_trace",
                "stack",
                "stacktrace",
                "error.backtrace",
                "exception.stack_trace",
                "backtrace",
                "context.exception.trace",
            ]),
            user_id: keys(&["enduser.id", "user.id", "user_id", "userId", "usr.id"]),
            category: keys(&["event.category", "log.category", "category"]),
            environment: keys(&[
                "deployment.environment.name",
                "deployment.environment",
                "environment",
                "env",
            ]),
        }
    }
}
