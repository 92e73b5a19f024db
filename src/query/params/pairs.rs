//! The decoded `name=value` pairs of a query string, checked for hostile input before any
//! endpoint reads them, with a mark on each pair an endpoint's parameters consumed.

use std::cell::Cell;
use std::collections::HashMap;

use super::error::ParamError;

/// Longest accepted parameter value, in bytes.
const MAX_VALUE_BYTES: usize = 4096;
/// Most parameters accepted in one request.
const MAX_PARAMETERS: usize = 100;

/// The pairs of a query string (or a path), in order.
#[derive(Debug, Default)]
pub struct Pairs {
    pairs: Vec<(String, String)>,
    used: Vec<Cell<bool>>,
}

impl Pairs {
    /// Decodes a raw query string; names and values must be valid UTF-8 without NUL, values at
    /// most 4096 bytes, and there may be at most 100 pairs.
    pub fn parse(query: Option<&str>) -> Result<Pairs, ParamError> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if value.contains('\u{FFFD}') || name.contains('\u{FFFD}') {
                return Err(ParamError::new(&name, "not valid UTF-8"));
            }
            if value.contains('\0') || name.contains('\0') {
                return Err(ParamError::new(&name, "contains a NUL byte"));
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(ParamError::new(&name, "longer than 4096 bytes"));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        if pairs.len() > MAX_PARAMETERS {
            return Err(ParamError::new("query", "more than 100 parameters"));
        }
        Ok(Pairs::new(pairs))
    }

    /// Pairs already decoded and checked (path parameters).
    pub fn new(pairs: Vec<(String, String)>) -> Pairs {
        let used = pairs.iter().map(|_| Cell::new(false)).collect();
        Pairs { pairs, used }
    }

    /// The pairs as a JSON object for the audit log (repeated names become arrays).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, value) in &self.pairs {
            map.entry(name).or_default().push(value);
        }
        map.into_iter()
            .map(|(name, values)| match values.as_slice() {
                [one] => (name.to_string(), serde_json::Value::from(*one)),
                _ => (name.to_string(), serde_json::Value::from(values)),
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// Whether any pair is named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }

    /// The value of a single-valued parameter, marked used; given twice is an error.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ParamError> {
        let mut found = None;
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if key == name {
                if found.is_some() {
                    return Err(ParamError::new(name, "given more than once"));
                }
                self.used[i].set(true);
                found = Some(value.as_str());
            }
        }
        Ok(found)
    }

    /// Every value of a repeatable parameter (`service=a&service=b`, or `service=a,b`), marked
    /// used.
    pub fn all(&self, name: &str) -> Vec<&str> {
        let mut values = Vec::new();
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if key == name {
                self.used[i].set(true);
                values.extend(value.split(',').map(str::trim).filter(|v| !v.is_empty()));
            }
        }
        values
    }

    /// Every `prefix<key>=value` pair, such as `attr.user.id=42`, as `(key, value)`, marked used.
    pub fn prefixed(&self, prefix: &str) -> Vec<(&str, &str)> {
        let mut found = Vec::new();
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if let Some(rest) = key.strip_prefix(prefix) {
                self.used[i].set(true);
                found.push((rest, value.as_str()));
            }
        }
        found
    }

    /// Fails on the first pair no parameter consumed.
    pub fn finish(&self) -> Result<(), ParamError> {
        match self
            .pairs
            .iter()
            .zip(&self.used)
            .find(|(_, used)| !used.get())
        {
            Some(((name, _), _)) => Err(ParamError::new(name, "unknown parameter")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_are_refused() {
        let reason = |query: &str| Pairs::parse(Some(query)).unwrap_err().reason;
        assert_eq!(reason("q=%00"), "contains a NUL byte");
        assert_eq!(reason("q=%FF"), "not valid UTF-8");
        assert_eq!(
            reason(&format!("q={}", "a".repeat(5000))),
            "longer than 4096 bytes"
        );
        let many = vec!["a=1"; 101].join("&");
        let error = Pairs::parse(Some(&many)).unwrap_err();
        assert_eq!(
            (error.parameter.as_deref(), error.reason.as_str()),
            (Some("query"), "more than 100 parameters")
        );
    }

    #[test]
    fn repeated_single_values_and_unused_pairs_are_errors() {
        let pairs = Pairs::parse(Some("limit=1&limit=2")).unwrap();
        assert_eq!(
            pairs.one("limit").unwrap_err().reason,
            "given more than once"
        );
        let pairs = Pairs::parse(Some("service=a,b&colour=blue&service=c")).unwrap();
        assert_eq!(pairs.all("service"), ["a", "b", "c"]);
        let error = pairs.finish().unwrap_err();
        assert_eq!(error.parameter.as_deref(), Some("colour"));
    }

    #[test]
    fn prefixed_pairs_keep_the_rest_of_the_key() {
        let pairs = Pairs::parse(Some("attr.user.id=7&attr.a%27b=x")).unwrap();
        assert_eq!(pairs.prefixed("attr."), [("user.id", "7"), ("a'b", "x")]);
        pairs.finish().unwrap();
    }

    #[test]
    fn audit_json_keeps_repeated_names_as_arrays() {
        let pairs = Pairs::parse(Some("service=a&service=b&q=x")).unwrap();
        assert_eq!(
            pairs.to_json(),
            serde_json::json!({"service": ["a", "b"], "q": "x"})
        );
    }
}
