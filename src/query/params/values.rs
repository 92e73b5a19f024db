//! Parameter types shared by the read endpoints, each parsed from its text with the reason a
//! client sees when it is invalid: bounded integers (`limit`, `offset`), numeric ids, trace and
//! span ids, booleans, non-empty text and `attr.<key>` filters.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// An integer from `MIN` to `MAX`, such as a `limit` or an `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Bounded<const MIN: i64, const MAX: i64>(i64);

/// Rows per answer: 1 to 1000.
pub type Limit = Bounded<1, 1000>;

/// Rows per answer unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 100;

impl Limit {
    /// The given limit, else [`DEFAULT_LIMIT`].
    pub fn or_default(limit: Option<Limit>) -> i64 {
        limit.map_or(DEFAULT_LIMIT, Bounded::get)
    }
}

impl<const MIN: i64, const MAX: i64> Bounded<MIN, MAX> {
    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl<const MIN: i64, const MAX: i64> TryFrom<String> for Bounded<MIN, MAX> {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.parse::<i64>() {
            Ok(n) if (MIN..=MAX).contains(&n) => Ok(Bounded(n)),
            _ => Err(format!("must be an integer from {MIN} to {MAX}")),
        }
    }
}

/// Any integer, such as a numeric id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Integer(pub i64);

impl TryFrom<String> for Integer {
    type Error = String;

    fn try_from(text: String) -> Result<Integer, String> {
        text.parse()
            .map(Integer)
            .map_err(|_| "must be an integer".to_string())
    }
}

/// `LEN` hex digits, kept in lower case as stored: a trace id (32) or a span id (16).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HexId<const LEN: usize>(String);

/// A trace id: 32 hex digits.
pub type TraceId = HexId<32>;
/// A span id: 16 hex digits.
pub type SpanId = HexId<16>;

impl<const LEN: usize> HexId<LEN> {
    /// The id in lower case.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const LEN: usize> TryFrom<String> for HexId<LEN> {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let valid = text.len() == LEN && text.bytes().all(|b| b.is_ascii_hexdigit());
        valid
            .then(|| HexId(text.to_ascii_lowercase()))
            .ok_or_else(|| format!("must be {LEN} hex digits"))
    }
}

/// `true` or `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Flag(pub bool);

impl TryFrom<String> for Flag {
    type Error = String;

    fn try_from(text: String) -> Result<Flag, String> {
        match text.as_str() {
            "true" => Ok(Flag(true)),
            "false" => Ok(Flag(false)),
            _ => Err("must be true or false".into()),
        }
    }
}

/// Text that must not be empty, such as an exact exception type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NonEmpty(pub String);

impl TryFrom<String> for NonEmpty {
    type Error = String;

    fn try_from(text: String) -> Result<NonEmpty, String> {
        if text.is_empty() {
            return Err("must not be empty".to_string());
        }
        Ok(NonEmpty(text))
    }
}

/// Every `prefix.<key>=value` pair of the request, as `(key, value)` in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefixed(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Prefixed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Prefixed, D::Error> {
        deserializer.deserialize_map(PrefixedVisitor)
    }
}

struct PrefixedVisitor;

impl<'de> Visitor<'de> for PrefixedVisitor {
    type Value = Prefixed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`prefix.<key>=value` pairs")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Prefixed, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Ok(Prefixed(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_the_api_s() {
        let limit = |t: &str| Limit::try_from(t.to_string());
        assert_eq!(limit("5").unwrap().get(), 5);
        for bad in ["0", "1001", "x", ""] {
            assert_eq!(limit(bad).unwrap_err(), "must be an integer from 1 to 1000");
        }
        assert_eq!(Integer::try_from("-3".to_string()), Ok(Integer(-3)));
        assert_eq!(
            Integer::try_from("1.5".to_string()).unwrap_err(),
            "must be an integer"
        );
        let trace = TraceId::try_from("AB".repeat(16)).unwrap();
        assert_eq!(trace.into_string(), "ab".repeat(16));
        assert_eq!(
            SpanId::try_from("xyz".to_string()).unwrap_err(),
            "must be 16 hex digits"
        );
        assert_eq!(
            Flag::try_from("1".to_string()).unwrap_err(),
            "must be true or false"
        );
        assert_eq!(
            NonEmpty::try_from(String::new()).unwrap_err(),
            "must not be empty"
        );
    }
}
