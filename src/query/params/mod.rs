//! Parameters of the read API: one `Deserialize + IntoParams` struct per endpoint, read by the
//! [`Query`] and [`Path`] extractors through a deserializer over the decoded pairs that keeps
//! the API's 400s (unknown, repeated, hostile or invalid parameters, each named), and the
//! types the endpoints share: limits, ids, cursors and times.

mod cursor;
mod de;
mod elapsed;
mod error;
mod extract;
mod key_cursor;
mod pairs;
mod time;
mod values;

pub use cursor::Cursor;
pub use elapsed::Elapsed;
pub use error::ParamError;
pub use extract::{Path, Query, audit_filters};
pub use key_cursor::KeyCursor;
pub use time::{Interval, Time, bounds, window};
pub use values::{Bounded, Flag, Integer, Limit, NonEmpty, Prefixed, SpanId, TraceId};

/// `T` read from a query string, as [`Query`] reads it (for tests).
#[cfg(test)]
pub fn from_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ParamError> {
    de::from_pairs(&pairs::Pairs::parse(Some(query))?)
}

#[cfg(test)]
pub use values::DEFAULT_LIMIT;

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[serde(default)]
        service: Vec<String>,
        #[serde(rename = "attr.<key>", default)]
        attr: Prefixed,
    }

    #[derive(Debug, Deserialize)]
    struct Outer {
        limit: Option<Limit>,
        inner: Inner,
        #[serde(rename = "type")]
        kind: Option<String>,
    }

    #[test]
    fn structs_read_their_fields_from_the_pairs() {
        let outer: Outer = from_query("type=x&service=a,b&attr.k=v&service=c&limit=5").unwrap();
        assert_eq!(outer.limit.map(Bounded::get), Some(5));
        assert_eq!(outer.kind.as_deref(), Some("x"));
        assert_eq!(outer.inner.service, ["a", "b", "c"]);
        assert_eq!(outer.inner.attr.0, [("k".to_string(), "v".to_string())]);
        let empty: Outer = from_query("").unwrap();
        assert!(empty.limit.is_none() && empty.inner.service.is_empty());
    }

    #[test]
    fn errors_name_the_parameter_with_the_field_s_reason() {
        let error = |query: &str| {
            let error = from_query::<Outer>(query).unwrap_err();
            (error.parameter.unwrap(), error.reason)
        };
        let limit = "must be an integer from 1 to 1000";
        assert_eq!(error("limit=0"), ("limit".into(), limit.into()));
        assert_eq!(
            error("type=a&type=b"),
            ("type".into(), "given more than once".into())
        );
        assert_eq!(
            error("inner=x"),
            ("inner".into(), "unknown parameter".into())
        );
        // Fields are checked before unknown parameters, in their declared order.
        assert_eq!(error("colour=red&type=a&type=b&limit=0").0, "limit");
        assert_eq!(error("colour=red&type=a&type=b").0, "type");
    }
}
