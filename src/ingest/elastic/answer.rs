//! What the `/es` root answers, in Elasticsearch's shapes: the bulk answer (compact JSON, items
//! in request order), `filter_path`, and the error body every client parses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

/// The Elasticsearch exception types the bridge answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// A document that cannot be read as a log record.
    MapperParsing,
    /// A malformed or unsupported action.
    IllegalArgument,
    /// An action naming no index.
    ActionRequestValidation,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::MapperParsing => "mapper_parsing_exception",
            ErrorType::IllegalArgument => "illegal_argument_exception",
            ErrorType::ActionRequestValidation => "action_request_validation_exception",
        }
    }
}

/// Why one bulk item was not stored (its status is 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub kind: ErrorType,
    pub reason: String,
}

impl ItemError {
    pub fn new(kind: ErrorType, reason: String) -> ItemError {
        ItemError { kind, reason }
    }
}

/// The answer to one action of a bulk request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The action's name, the item's only key.
    pub action: &'static str,
    /// The target index, when the action had one.
    pub index: Option<String>,
    /// The document id: the action's, else one made up for it.
    pub id: String,
    /// Stored (201), or why not (400).
    pub outcome: Result<(), ItemError>,
}

impl Item {
    /// The item's HTTP status.
    pub fn status(&self) -> u16 {
        match self.outcome {
            Ok(()) => 201,
            Err(_) => 400,
        }
    }
}

#[derive(Serialize)]
struct Shards {
    total: u8,
    successful: u8,
    failed: u8,
}

#[derive(Serialize)]
struct Created<'a> {
    _index: &'a str,
    _id: &'a str,
    _version: u8,
    result: &'static str,
    _shards: Shards,
    _seq_no: u8,
    _primary_term: u8,
    status: u16,
}

#[derive(Serialize)]
struct Failed<'a> {
    _index: &'a str,
    _id: &'a str,
    status: u16,
    error: Reason<'a>,
}

#[derive(Serialize)]
struct Reason<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    reason: &'a str,
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (index, id) = (self.index.as_deref().unwrap_or(""), self.id.as_str());
        let mut map = serializer.serialize_map(Some(1))?;
        match &self.outcome {
            Ok(()) => map.serialize_entry(
                self.action,
                &Created {
                    _index: index,
                    _id: id,
                    _version: 1,
                    result: "created",
                    _shards: Shards {
                        total: 1,
                        successful: 1,
                        failed: 0,
                    },
                    _seq_no: 0,
                    _primary_term: 1,
                    status: self.status(),
                },
            )?,
            Err(error) => map.serialize_entry(
                self.action,
                &Failed {
                    _index: index,
                    _id: id,
                    status: self.status(),
                    error: Reason {
                        kind: error.kind.as_str(),
                        reason: &error.reason,
                    },
                },
            )?,
        }
        map.end()
    }
}

/// The answer of a bulk request: `{"took","errors","items"}`.
#[derive(Debug, Serialize)]
pub struct BulkAnswer {
    /// Milliseconds the request took.
    pub took: u64,
    /// Whether any item failed.
    pub errors: bool,
    pub items: Vec<Item>,
}

impl BulkAnswer {
    pub fn new(took: u64, items: Vec<Item>) -> BulkAnswer {
        let errors = items.iter().any(|item| item.outcome.is_err());
        BulkAnswer {
            took,
            errors,
            items,
        }
    }

    /// The answer as compact JSON (`"errors":true` with no space: Vector searches that text),
    /// cut down to `filter_path` when given.
    pub fn encode(&self, filter_path: Option<&str>) -> Vec<u8> {
        let filter_path = filter_path.filter(|paths| !paths.trim().is_empty());
        let Some(filter) = filter_path.map(FilterPath::parse) else {
            return serde_json::to_vec(self).unwrap_or_default();
        };
        let value = serde_json::to_value(self).unwrap_or_default();
        let filtered = filter.apply(value).unwrap_or_else(|| json!({}));
        serde_json::to_vec(&filtered).unwrap_or_default()
    }
}

/// `filter_path`: comma-separated dotted paths of the members to keep, `*` matching any run of
/// characters within a name; arrays are crossed without taking a name (as Elasticsearch does,
/// so `items.*.status` keeps every item's status). Exclusions (`-path`) and `**` are not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterPath {
    paths: Vec<Vec<String>>,
}

impl FilterPath {
    pub fn parse(text: &str) -> FilterPath {
        let paths = text
            .split(',')
            .map(str::trim)
            .filter(|path| !path.is_empty())
            .map(|path| path.split('.').map(str::to_string).collect())
            .collect();
        FilterPath { paths }
    }

    /// The value cut down to the paths; `None` when nothing matches.
    pub fn apply(&self, value: Value) -> Option<Value> {
        let paths: Vec<&[String]> = self.paths.iter().map(Vec::as_slice).collect();
        keep(value, &paths)
    }
}

fn keep(value: Value, paths: &[&[String]]) -> Option<Value> {
    if paths.iter().any(|path| path.is_empty()) {
        return Some(value);
    }
    match value {
        Value::Array(elements) => {
            let kept: Vec<Value> = elements
                .into_iter()
                .filter_map(|element| keep(element, paths))
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        Value::Object(members) => {
            let mut kept = Map::new();
            for (name, member) in members {
                let rest: Vec<&[String]> = paths
                    .iter()
                    .filter(|path| glob(&path[0], &name))
                    .map(|path| &path[1..])
                    .collect();
                if rest.is_empty() {
                    continue;
                }
                if let Some(member) = keep(member, &rest) {
                    kept.insert(name, member);
                }
            }
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        _ => None,
    }
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The media type of every answer under `/es`.
pub const JSON: &str = "application/json";

/// A JSON answer.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, JSON)], body).into_response()
}

/// Elasticsearch's error answer: `{"error":{"root_cause":[..],"type","reason"},"status"}`,
/// with `Retry-After` when given.
pub fn error(
    status: StatusCode,
    kind: &str,
    reason: &str,
    retry_after_seconds: Option<u64>,
) -> Response {
    let cause = json!({"type": kind, "reason": reason});
    let body = json!({
        "error": {"root_cause": [cause], "type": kind, "reason": reason},
        "status": status.as_u16(),
    });
    let mut response = json_response(status, body.to_string().into_bytes());
    if let Some(seconds) = retry_after_seconds {
        let seconds = HeaderValue::from(seconds);
        response.headers_mut().insert(header::RETRY_AFTER, seconds);
    }
    response
}

/// The exception type Elasticsearch names for an answer of this status.
pub fn error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "illegal_argument_exception",
        401 | 403 => "security_exception",
        404 => "resource_not_found_exception",
        405 => "method_not_allowed_exception",
        413 => "content_too_long_exception",
        415 | 406 => "media_type_header_exception",
        429 => "es_rejected_execution_exception",
        503 => "unavailable_shards_exception",
        _ => "exception",
    }
}
