//! The enrich step of spans: the attributes that `spans` has columns for (HTTP route, method and
//! status; database system, operation and query fingerprint), read under both the current and
//! the older semantic-convention names, the current one first.

use serde_json::Value;

use super::sql;
use crate::model::{Attributes, PromotedFields, SpanRecord};

/// The longest method kept; longer values are not methods.
const MAX_METHOD_BYTES: usize = 32;

/// Sets the span's promoted fields from its attributes.
pub fn promote(span: &mut SpanRecord) {
    span.promoted = fields(&span.attributes);
}

/// The promoted fields of a span's attributes.
pub fn fields(attributes: &Attributes) -> PromotedFields {
    let query = text(attributes, &["db.query.text", "db.statement"]);
    let operation = text(attributes, &["db.operation.name", "db.operation"]);
    PromotedFields {
        http_route: text(attributes, &["http.route"]),
        http_method: method(attributes),
        http_status: status(attributes),
        db_system: text(attributes, &["db.system.name", "db.system"]),
        db_operation: operation.or_else(|| query.as_deref().map(sql::operation)),
        db_query_fingerprint: query.as_deref().map(sql::fingerprint),
    }
}

/// The first of `keys` holding a non-empty string.
fn text(attributes: &Attributes, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match attributes.get(*key) {
        Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
        _ => None,
    })
}

/// `http.request.method`, else `http.method`, in upper case.
fn method(attributes: &Attributes) -> Option<String> {
    let method = text(attributes, &["http.request.method", "http.method"])?;
    (method.len() <= MAX_METHOD_BYTES).then(|| method.to_ascii_uppercase())
}

/// `http.response.status_code`, else `http.status_code`: an integer or a numeric string, kept
/// when it is a plausible status (100-999).
fn status(attributes: &Attributes) -> Option<i16> {
    let keys = ["http.response.status_code", "http.status_code"];
    keys.iter().find_map(|key| {
        let code = match attributes.get(*key)? {
            Value::Number(number) => number.as_i64()?,
            Value::String(text) => text.trim().parse().ok()?,
            _ => return None,
        };
        (100..=999).contains(&code).then_some(code as i16)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn attributes(value: Value) -> Attributes {
        value.as_object().expect("an object").clone()
    }

    #[test]
    fn current_names_are_read_first_and_old_names_after() {
        let current = fields(&attributes(json!({
            "http.route": "/users/{id}", "http.request.method": "get", "http.method": "POST",
            "http.response.status_code": 404, "http.status_code": 200,
            "db.system.name": "postgresql", "db.system": "mysql",
            "db.operation.name": "SELECT", "db.operation": "UPDATE",
        })));
        assert_eq!(current.http_route.as_deref(), Some("/users/{id}"));
        assert_eq!(current.http_method.as_deref(), Some("GET"));
        assert_eq!(current.http_status, Some(404));
        assert_eq!(current.db_system.as_deref(), Some("postgresql"));
        assert_eq!(current.db_operation.as_deref(), Some("SELECT"));
        let old = fields(&attributes(json!({
            "http.method": "POST", "http.status_code": "503",
            "db.system": "mysql", "db.operation": "UPDATE",
        })));
        assert_eq!(old.http_method.as_deref(), Some("POST"));
        assert_eq!(old.http_status, Some(503));
        assert_eq!(old.db_system.as_deref(), Some("mysql"));
        assert_eq!(old.db_operation.as_deref(), Some("UPDATE"));
    }

    #[test]
    fn the_query_is_fingerprinted_under_either_name() {
        let current = fields(&attributes(
            json!({"db.query.text": "SELECT * FROM t WHERE id = 42"}),
        ));
        let old = fields(&attributes(
            json!({"db.statement": "SELECT * FROM t WHERE id = 7"}),
        ));
        assert_eq!(current.db_query_fingerprint, old.db_query_fingerprint);
        let fingerprint = current.db_query_fingerprint.expect("a fingerprint");
        assert!(!fingerprint.contains("42"), "{fingerprint}");
        assert_eq!(
            current.db_operation.as_deref(),
            Some("SELECT"),
            "from the query"
        );
    }

    #[test]
    fn implausible_values_are_left_out() {
        let odd = fields(&attributes(json!({
            "http.response.status_code": 70000, "http.request.method": "x".repeat(100),
            "http.route": "", "db.system.name": 5,
        })));
        assert_eq!(odd, PromotedFields::default());
    }
}
