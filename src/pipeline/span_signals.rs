//! The span's part of the enrich step after [`super::promote`]: the HTTP request of a server
//! span, the query of a database client span and the exceptions of `exception` events, in the
//! very form logs describe them ([`super::enrich`]), so that both feed the same metrics and
//! exception groups.

use serde_json::Value;

use super::enrich::{
    DEFAULT_DB_SYSTEM, MAX_DB_SYSTEM_BYTES, UNKNOWN_ROUTE, exception_from_attributes,
    normalize_method, status_code,
};
use super::fields::{Fields, truncate};
use super::grouping;
use super::route::{self, MAX_ROUTE_BYTES};
use super::sql;
use crate::config::FieldAliases;
use crate::model::{Attributes, DbQuery, HttpRequest, SpanException, SpanKind, SpanRecord};

/// The name of the span event that records an exception (OTel semantic conventions).
pub const EXCEPTION_EVENT: &str = "exception";
/// The longest database operation kept, in bytes.
const MAX_OPERATION_BYTES: usize = 64;

/// Sets the span's request, query and exceptions; reads the promoted fields, so runs after
/// [`super::promote::promote`].
pub fn assign(span: &mut SpanRecord, aliases: &FieldAliases, rules: &grouping::Rules) {
    span.request = match span.kind {
        SpanKind::Server => request(span),
        _ => None,
    };
    span.query = match span.kind {
        SpanKind::Client => query(span),
        _ => None,
    };
    assign_exceptions(span, aliases, rules);
}

/// The request of a server span naming a method or a status code; the route is `http.route`,
/// else the template of `url.path` (`http.target` without its query).
fn request(span: &SpanRecord) -> Option<HttpRequest> {
    let promoted = &span.promoted;
    let status = promoted
        .http_status
        .map(|code| Value::from(i64::from(code)));
    let status_code = status.as_ref().and_then(status_code);
    if promoted.http_method.is_none() && status_code.is_none() {
        return None;
    }
    let route = match (&promoted.http_route, path(&span.attributes)) {
        (Some(route), _) => truncate(route, MAX_ROUTE_BYTES).to_string(),
        (None, Some(path)) => route::template(path),
        (None, None) => UNKNOWN_ROUTE.to_string(),
    };
    Some(HttpRequest {
        method: normalize_method(promoted.http_method.as_deref()).to_string(),
        route,
        status_code,
        duration_seconds: Some(seconds(span.duration_ns)),
    })
}

/// `url.path`, else `http.target` (whose query string the template drops).
fn path(attributes: &Attributes) -> Option<&str> {
    ["url.path", "http.target"]
        .iter()
        .find_map(|key| match attributes.get(*key) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.as_str()),
            _ => None,
        })
}

/// The query of a client span naming its database system: the fingerprint of its statement,
/// else its name.
fn query(span: &SpanRecord) -> Option<DbQuery> {
    let promoted = &span.promoted;
    let system = promoted.db_system.as_deref()?;
    let system = match truncate(system, MAX_DB_SYSTEM_BYTES) {
        "" => DEFAULT_DB_SYSTEM.to_string(),
        system => system.to_lowercase(),
    };
    let operation = (promoted.db_operation.as_deref())
        .map(|operation| truncate(operation, MAX_OPERATION_BYTES).to_string())
        .unwrap_or_else(|| sql::OTHER_OPERATION.to_string());
    let fingerprint = (promoted.db_query_fingerprint.clone())
        .unwrap_or_else(|| truncate(&span.name, sql::MAX_FINGERPRINT_BYTES).to_string());
    Some(DbQuery {
        system,
        operation,
        fingerprint,
        duration_seconds: Some(seconds(span.duration_ns)),
    })
}

/// The exceptions of the span's `exception` events, read as a log record's exception
/// attributes are, each fingerprinted with the span's service.
fn assign_exceptions(span: &mut SpanRecord, aliases: &FieldAliases, rules: &grouping::Rules) {
    span.exceptions.clear();
    let events = span.events.iter();
    for event in events.filter(|event| event.name == EXCEPTION_EVENT) {
        let fields = Fields::new(&event.attributes);
        if let Some(mut exception) = exception_from_attributes(&fields, aliases, "") {
            let custom = grouping::custom_fingerprint(&event.attributes);
            grouping::assign_exception(&span.service, &mut exception, custom, rules);
            let time = event.time;
            span.exceptions.push(SpanException { time, exception });
        }
    }
}

/// Nanoseconds in seconds.
fn seconds(nanos: i64) -> f64 {
    nanos as f64 / 1e9
}

#[cfg(test)]
mod tests;
