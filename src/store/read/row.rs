//! One stored log record as the reads of `logs` return it ([`LogRow`]), the columns they select,
//! and the keyset position pages continue from.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

/// Characters of a text field a list view returns at most; longer values are cut in SQL (so
/// the whole value never leaves PostgreSQL) and named in the row's `truncated`.
pub const LIST_TEXT_MAX_CHARS: usize = 4096;
/// Bytes of an attribute or resource object (as JSON text) a list view returns at most; a
/// larger object is returned as `{}` and named in `truncated`.
pub const LIST_JSON_MAX_BYTES: usize = 16384;

/// The free-text columns a list view cuts, in `SELECT` order of [`LogRow`].
const CUT_TEXT: [&str; 12] = [
    "severity_text",
    "body",
    "scope",
    "user_id",
    "http_method",
    "http_route",
    "db_system",
    "db_operation",
    "db_query",
    "exception_type",
    "exception_message",
    "exception_stacktrace",
];

/// The columns of [`LogRow`] as a list view selects them (`SELECT {COLUMNS} FROM logs ...`):
/// long text cut to [`LIST_TEXT_MAX_CHARS`], large objects left out, `truncated` naming them.
pub(super) const COLUMNS: ListColumns = ListColumns;
/// The columns of [`LogRow`] whole: one record, and exports.
pub(super) const FULL_COLUMNS: &str = "id, ts, observed_ts, service, level, severity_number, \
    severity_text, body, trace_id, span_id, scope, user_id, http_method, http_route, http_status, \
    http_duration_ms, db_system, db_operation, db_query, db_duration_ms, exception_type, \
    exception_message, exception_stacktrace, exception_fingerprint, attributes, resource, \
    dedup_count, coalesce(first_seen, ts) AS first_seen, coalesce(last_seen, ts) AS last_seen, \
    '{}'::text[] AS truncated";

/// The list view's column list, written out by its `Display` (constants only, no input).
pub(super) struct ListColumns;

impl std::fmt::Display for ListColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = |c: &str| format!("left({c}, {LIST_TEXT_MAX_CHARS}) AS {c}");
        let json = |c: &str| {
            format!(
                "CASE WHEN {} THEN '{{}}'::jsonb ELSE {c} END AS {c}",
                json_cut(c)
            )
        };
        let cut = |c: &str| format!("CASE WHEN length({c}) > {LIST_TEXT_MAX_CHARS} THEN '{c}' END");
        let [
            severity_text,
            body,
            scope,
            user_id,
            method,
            route,
            system,
            operation,
            query,
            kind,
            message,
            stack,
        ] = CUT_TEXT.map(text);
        let flags: Vec<String> = CUT_TEXT
            .iter()
            .map(|c| cut(c))
            .chain(
                ["attributes", "resource"]
                    .map(|c| format!("CASE WHEN {} THEN '{c}' END", json_cut(c))),
            )
            .collect();
        write!(
            f,
            "id, ts, observed_ts, service, level, severity_number, {severity_text}, {body}, \
             trace_id, span_id, {scope}, {user_id}, {method}, {route}, http_status, \
             http_duration_ms, {system}, {operation}, {query}, db_duration_ms, {kind}, {message}, \
             {stack}, exception_fingerprint, {}, {}, dedup_count, \
             coalesce(first_seen, ts) AS first_seen, coalesce(last_seen, ts) AS last_seen, \
             array_remove(ARRAY[{}]::text[], NULL) AS truncated",
            json("attributes"),
            json("resource"),
            flags.join(", ")
        )
    }
}

/// Whether a JSON column is over [`LIST_JSON_MAX_BYTES`] as text.
fn json_cut(column: &str) -> String {
    format!("octet_length({column}::text) > {LIST_JSON_MAX_BYTES}")
}

/// One stored log record as the read API returns it: the CONTRACT columns, `id`, the derived
/// request, query and exception columns, and how many identical records the row stands for.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LogRow {
    pub id: i64,
    pub ts: DateTime<Utc>,
    pub observed_ts: DateTime<Utc>,
    pub service: String,
    pub level: String,
    pub severity_number: i16,
    pub severity_text: Option<String>,
    pub body: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub scope: Option<String>,
    pub user_id: Option<String>,
    pub http_method: Option<String>,
    pub http_route: Option<String>,
    pub http_status: Option<i16>,
    pub http_duration_ms: Option<f64>,
    pub db_system: Option<String>,
    pub db_operation: Option<String>,
    pub db_query: Option<String>,
    pub db_duration_ms: Option<f64>,
    pub exception_type: Option<String>,
    pub exception_message: Option<String>,
    pub exception_stacktrace: Option<String>,
    pub exception_fingerprint: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Json<Value>,
    #[schema(value_type = Object)]
    pub resource: Json<Value>,
    /// Records this row stands for: more than 1 when identical records were deduplicated.
    pub dedup_count: i32,
    /// Event time of the earliest of those records (`ts` for a single record).
    pub first_seen: DateTime<Utc>,
    /// Event time of the latest of those records (`ts` for a single record).
    pub last_seen: DateTime<Utc>,
    /// The fields a list view cut short (text) or left out (objects, as `{}`); the whole record
    /// is at `GET /api/v1/logs/{id}`. Absent when nothing was cut.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub truncated: Vec<String>,
}

/// A position in the newest-first order: the `(ts, id)` of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub ts: DateTime<Utc>,
    pub id: i64,
}

impl LogRow {
    /// About how many bytes the row holds: its text and objects, and a little for the rest.
    pub fn approx_bytes(&self) -> usize {
        let texts = [
            &self.severity_text,
            &self.scope,
            &self.user_id,
            &self.http_method,
            &self.http_route,
            &self.db_system,
            &self.db_operation,
            &self.db_query,
            &self.exception_type,
            &self.exception_message,
            &self.exception_stacktrace,
            &self.exception_fingerprint,
            &self.trace_id,
            &self.span_id,
        ];
        let optional: usize = texts
            .iter()
            .filter_map(|t| t.as_ref())
            .map(String::len)
            .sum();
        let objects = json_bytes(&self.attributes.0) + json_bytes(&self.resource.0);
        256 + self.body.len() + self.service.len() + optional + objects
    }

    /// The text of a column a list view may cut (one of `truncated`'s names), if it has one.
    pub fn cut_text_mut(&mut self, column: &str) -> Option<&mut String> {
        match column {
            "body" => Some(&mut self.body),
            "severity_text" => self.severity_text.as_mut(),
            "scope" => self.scope.as_mut(),
            "user_id" => self.user_id.as_mut(),
            "http_method" => self.http_method.as_mut(),
            "http_route" => self.http_route.as_mut(),
            "db_system" => self.db_system.as_mut(),
            "db_operation" => self.db_operation.as_mut(),
            "db_query" => self.db_query.as_mut(),
            "exception_type" => self.exception_type.as_mut(),
            "exception_message" => self.exception_message.as_mut(),
            "exception_stacktrace" => self.exception_stacktrace.as_mut(),
            _ => None,
        }
    }

    /// Where the next page starts after this row.
    pub fn position(&self) -> Position {
        Position {
            ts: self.ts,
            id: self.id,
        }
    }
}

/// About how many bytes a JSON value takes as text (without escapes).
pub(super) fn json_bytes(value: &Value) -> usize {
    match value {
        Value::String(text) => text.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_bytes(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            let entries = map.iter().map(|(k, v)| k.len() + 4 + json_bytes(v));
            2 + entries.sum::<usize>()
        }
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_columns_cut_every_free_text_field_and_flag_it() {
        let columns = COLUMNS.to_string();
        for column in CUT_TEXT {
            assert!(columns.contains(&format!("left({column}, ")), "{column}");
            assert!(columns.contains(&format!("THEN '{column}'")), "{column}");
        }
        assert!(columns.contains("THEN 'attributes'") && columns.contains("THEN 'resource'"));
        assert!(!columns.contains('$'), "constants only");
    }

    #[test]
    fn json_sizes_are_about_their_text() {
        let value = serde_json::json!({"k": "v".repeat(1000), "n": [1, 2]});
        let text = value.to_string().len();
        let estimate = json_bytes(&value);
        assert!(
            estimate >= text && estimate < text + 64,
            "{estimate} vs {text}"
        );
    }
}
