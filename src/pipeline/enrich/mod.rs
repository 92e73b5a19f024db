//! The enrich step: the HTTP request, database query, exception and user a decoded record describes,
//! read from its attributes through the configured [`FieldAliases`] (attributes stay as they
//! are), with the message body as the last resort for exceptions.

use std::borrow::Cow;

use serde_json::Value;

use crate::config::FieldAliases;
use crate::model::{DbQuery, ExceptionInfo, HttpRequest, LogRecord};

use super::exception;
use super::fields::{Fields, as_f64, truncate};
use super::route::{self, MAX_ROUTE_BYTES};
use super::sql;

/// The HTTP methods OTel semantic conventions know; any other becomes [`OTHER_METHOD`].
pub const KNOWN_METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY",
];
/// The method of requests whose method is unknown or missing.
pub const OTHER_METHOD: &str = "_OTHER";
/// The route of requests that name neither a route nor a path.
pub const UNKNOWN_ROUTE: &str = "unknown";
/// The database system of queries that name none.
pub const DEFAULT_DB_SYSTEM: &str = "other_sql";
/// Longest user id kept, in bytes.
pub const MAX_USER_ID_BYTES: usize = 256;
/// Longest database system name kept, in bytes.
pub const MAX_DB_SYSTEM_BYTES: usize = 64;

/// Fills `record.request`, `record.query` and `record.exception` where they are still unset.
pub fn enrich(record: &mut LogRecord, aliases: &FieldAliases) {
    let fields = Fields::new(&record.attributes);
    if record.request.is_none() {
        record.request = request(&fields, aliases);
    }
    if record.query.is_none() {
        record.query = query(&fields, aliases);
    }
    if record.exception.is_none() {
        record.exception = exception_from_attributes(&fields, aliases, &record.body)
            .or_else(|| exception::from_body(&record.body));
    }
    if record.user_id.is_none() {
        record.user_id = fields
            .first_text(&aliases.user_id)
            .map(|user| truncate(&user, MAX_USER_ID_BYTES).to_string());
    }
}

/// A request when a method is given, or a status code with a route or path.
fn request(fields: &Fields, aliases: &FieldAliases) -> Option<HttpRequest> {
    let method = fields.first_text(&aliases.http_method);
    let status_code = fields.first(&aliases.http_status).and_then(status_code);
    if method.is_none() && status_code.is_none() {
        return None;
    }
    let route = fields.first_text(&aliases.http_route);
    let path = fields.first_text(&aliases.http_path);
    let route = match (route, path) {
        (Some(route), _) => truncate(&route, MAX_ROUTE_BYTES).to_string(),
        (None, Some(path)) => route::template(&path),
        (None, None) if method.is_some() => UNKNOWN_ROUTE.to_string(),
        (None, None) => return None,
    };
    Some(HttpRequest {
        method: normalize_method(method.as_deref()).to_string(),
        route,
        status_code,
        duration_seconds: duration(fields, aliases),
    })
}

/// The upper-case method if OTel knows it, else `_OTHER`.
pub(crate) fn normalize_method(method: Option<&str>) -> &'static str {
    method
        .and_then(|method| {
            KNOWN_METHODS
                .iter()
                .find(|known| known.eq_ignore_ascii_case(method))
        })
        .copied()
        .unwrap_or(OTHER_METHOD)
}

/// A status code: an integer in 100..=599, as a number or a numeric string.
pub(crate) fn status_code(value: &serde_json::Value) -> Option<u16> {
    let code = as_f64(value)?;
    let valid = (100.0..=599.0).contains(&code) && code.fract() == 0.0;
    valid.then_some(code as u16)
}

/// A query when a statement is given and is recognizable SQL or names its database system.
fn query(fields: &Fields, aliases: &FieldAliases) -> Option<DbQuery> {
    let statement = fields.first_text(&aliases.db_statement)?;
    let system = fields.first_text(&aliases.db_system);
    let operation = sql::operation(&statement);
    if system.is_none() && operation == sql::OTHER_OPERATION {
        return None;
    }
    let system = system.map_or_else(
        || DEFAULT_DB_SYSTEM.to_string(),
        |system| truncate(&system, MAX_DB_SYSTEM_BYTES).to_lowercase(),
    );
    Some(DbQuery {
        system,
        operation,
        fingerprint: sql::fingerprint(&statement),
        duration_seconds: duration(fields, aliases),
    })
}

/// Seconds from the first usable `duration_s` alias, else the first `duration_ms` one / 1000,
/// else the first `duration_ns` one / 10⁹.
fn duration(fields: &Fields, aliases: &FieldAliases) -> Option<f64> {
    let first_number = |keys: &[String]| {
        keys.iter()
            .filter_map(|key| fields.lookup(key))
            .filter_map(as_f64)
            .find(|n| *n >= 0.0)
    };
    first_number(&aliases.duration_s)
        .or_else(|| first_number(&aliases.duration_ms).map(|ms| ms / 1000.0))
        .or_else(|| first_number(&aliases.duration_ns).map(|ns| ns / 1e9))
}

/// Fields whose text may hold a whole formatted record with its traceback (loguru's `text`),
/// read for a stack trace when no stack trace alias holds one.
const TRACE_TEXT_FIELDS: [&str; 1] = ["text"];
/// Fields holding an error's message beside a stack trace alias (zap's `error`).
const ERROR_MESSAGE_FIELDS: [&str; 1] = ["error"];

/// An exception from the exception aliases: a type, message or stack trace (one that parses as
/// one, when it is all there is) must be present; a
/// missing type or message is read from the stack trace (the attribute's, else the body's or a
/// [`TRACE_TEXT_FIELDS`] field's), and the type defaults to `Error`. A stack trace may be a
/// string or an array of lines (Ruby's `backtrace`).
pub(crate) fn exception_from_attributes(
    fields: &Fields,
    aliases: &FieldAliases,
    body: &str,
) -> Option<ExceptionInfo> {
    let exception_type = fields.first_text(&aliases.exception_type);
    let message = fields.first_text(&aliases.exception_message);
    let mut stack = stack_text(fields, &aliases.exception_stacktrace);
    if exception_type.is_none() && message.is_none() && stack.is_none() {
        return None;
    }
    let parsed = match &stack {
        Some(stack) => exception::from_body(stack),
        None => exception::from_body(body).or_else(|| trace_text(fields)),
    };
    // A lone `stack` or `backtrace` field must read as a stack trace (`stack: production` is
    // a deployment, not an exception).
    let only_stack = exception_type.is_none() && message.is_none() && parsed.is_none();
    if only_stack
        && stack
            .as_deref()
            .is_some_and(|s| exception::trace::parse(s).is_empty())
    {
        return None;
    }
    let parsed_type = parsed
        .as_ref()
        .map(|p| Cow::Borrowed(p.exception_type.as_str()));
    let parsed_message = parsed.as_ref().map(|p| Cow::Borrowed(p.message.as_str()));
    let error_message = || stack.as_ref().and_then(|_| error_message(fields));
    let message = message.or(parsed_message).or_else(error_message);
    if stack.is_none() {
        let parsed_stack = parsed.as_ref().and_then(|p| p.stacktrace.as_deref());
        stack = parsed_stack.map(|s| Cow::Owned(s.to_string()));
    }
    Some(exception::bounded(
        &exception_type
            .or(parsed_type)
            .unwrap_or(Cow::Borrowed("Error")),
        &message.unwrap_or_default(),
        stack.as_deref(),
    ))
}

/// The first non-empty stack trace alias: a string, or an array of strings joined by newlines
/// (with the [`throw_site`] first).
fn stack_text<'a>(fields: &Fields<'a>, keys: &[String]) -> Option<Cow<'a, str>> {
    keys.iter()
        .filter_map(|key| Some((key, fields.lookup(key)?)))
        .find_map(|(key, value)| match value {
            Value::String(text) if !text.trim().is_empty() => Some(Cow::Borrowed(text.trim())),
            Value::Array(lines) if !lines.is_empty() => {
                let mut lines: Vec<&str> =
                    lines.iter().map(Value::as_str).collect::<Option<_>>()?;
                lines.splice(0..0, throw_site(fields, key));
                Some(Cow::Owned(lines.join("\n")))
            }
            _ => None,
        })
}

/// The `file` beside an array `trace` (Monolog's exception object: `file` is where the exception
/// was thrown, `path:line`, and `trace` the `path:line` of each caller), the frame nearest the
/// throw, which the trace does not hold.
fn throw_site<'a>(fields: &Fields<'a>, trace_key: &str) -> Option<&'a str> {
    let object = trace_key.strip_suffix("trace")?;
    let file = fields.lookup(&format!("{object}file"))?.as_str()?;
    (!file.trim().is_empty()).then_some(file)
}

/// The exception of the first [`TRACE_TEXT_FIELDS`] field that holds a traceback.
fn trace_text(fields: &Fields) -> Option<ExceptionInfo> {
    TRACE_TEXT_FIELDS
        .iter()
        .filter_map(|key| fields.lookup(key)?.as_str())
        .find_map(exception::from_body)
}

/// The first [`ERROR_MESSAGE_FIELDS`] field that is a string.
fn error_message<'a>(fields: &Fields<'a>) -> Option<Cow<'a, str>> {
    ERROR_MESSAGE_FIELDS
        .iter()
        .filter_map(|key| fields.lookup(key)?.as_str())
        .find(|text| !text.trim().is_empty())
        .map(Cow::Borrowed)
}

#[cfg(test)]
mod tests;
