//! Field lookup in a record's JSON object, shared by the decoders and the enrich step: a key is
//! tried as a literal key first (`db.statement`), then as a dotted path into nested objects
//! (`req.method` = `obj["req"]["method"]`).

use std::borrow::Cow;

use serde_json::Value;

use crate::model::Attributes;

/// The value at `key`: the literal key if present, else the first dotted path that resolves.
pub fn lookup<'a>(obj: &'a Attributes, key: &str) -> Option<&'a Value> {
    if let Some(value) = obj.get(key) {
        return Some(value);
    }
    for (dot, _) in key.match_indices('.') {
        if let Some(Value::Object(inner)) = obj.get(&key[..dot])
            && let Some(value) = lookup(inner, &key[dot + 1..])
        {
            return Some(value);
        }
    }
    None
}

/// Like [`lookup`], but removes the value; parent objects left empty by the removal go too.
pub fn take(obj: &mut Attributes, key: &str) -> Option<Value> {
    if let Some(value) = obj.remove(key) {
        return Some(value);
    }
    for (dot, _) in key.match_indices('.') {
        let parent = &key[..dot];
        let Some(Value::Object(inner)) = obj.get_mut(parent) else {
            continue;
        };
        if let Some(value) = take(inner, &key[dot + 1..]) {
            if inner.is_empty() {
                obj.remove(parent);
            }
            return Some(value);
        }
    }
    None
}

/// The value of the first key in `keys` that holds a non-null value.
pub fn first<'a>(obj: &'a Attributes, keys: &[String]) -> Option<&'a Value> {
    first_by(keys, |key| lookup(obj, key))
}

fn first_by<'a>(keys: &[String], lookup: impl Fn(&str) -> Option<&'a Value>) -> Option<&'a Value> {
    keys.iter()
        .filter_map(|key| lookup(key))
        .find(|value| !value.is_null())
}

/// The first key in `keys` that holds a non-null value, and that value: looked up once, so
/// that a caller can check the value before it [`take`]s it.
pub fn first_entry<'a, 'k>(
    obj: &'a Attributes,
    keys: &'k [String],
) -> Option<(&'k str, &'a Value)> {
    keys.iter()
        .filter_map(|key| Some((key.as_str(), lookup(obj, key)?)))
        .find(|(_, value)| !value.is_null())
}

/// Like [`first`], but removes the value it returns.
pub fn take_first(obj: &mut Attributes, keys: &[String]) -> Option<Value> {
    let (key, _) = first_entry(obj, keys)?;
    take(obj, key)
}

/// A string or number as text: strings as they are, numbers formatted; `None` for anything else.
pub fn as_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(text) => Some(Cow::Borrowed(text)),
        Value::Number(number) => Some(Cow::Owned(number.to_string())),
        _ => None,
    }
}

/// A finite number, or a string holding one (surrounding whitespace allowed).
pub fn as_f64(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// The first non-empty text among `keys`, trimmed.
pub fn first_text<'a>(obj: &'a Attributes, keys: &[String]) -> Option<Cow<'a, str>> {
    first_text_by(keys, |key| lookup(obj, key))
}

fn first_text_by<'a>(
    keys: &[String],
    lookup: impl Fn(&str) -> Option<&'a Value>,
) -> Option<Cow<'a, str>> {
    keys.iter()
        .filter_map(|key| lookup(key))
        .filter_map(as_text)
        .find(|text| !text.trim().is_empty())
        .map(|text| match text {
            Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
            Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
        })
}

/// What a record's keys may hold, for many alias lookups: a key whose first byte starts no
/// attribute key is ruled out without a map lookup, and dotted paths are tried only when some
/// attribute is an object. Taking fields out keeps it true (it may then rule out less).
#[derive(Debug, Clone, Copy)]
pub struct KeyIndex {
    first_bytes: [u64; 4],
    nested: bool,
}

impl KeyIndex {
    /// Indexes the attribute keys' first bytes, in one pass over the keys.
    pub fn new(obj: &Attributes) -> KeyIndex {
        let mut first_bytes = [0u64; 4];
        for key in obj.keys() {
            match key.as_bytes().first() {
                Some(&byte) => first_bytes[usize::from(byte >> 6)] |= 1 << (byte & 63),
                // An empty key starts paths like `.x`: nothing can be ruled out by first byte.
                None => first_bytes = [u64::MAX; 4],
            }
        }
        let nested = obj.values().any(Value::is_object);
        KeyIndex {
            first_bytes,
            nested,
        }
    }

    /// Like [`lookup`] in the `obj` this index was made of.
    pub fn lookup<'a>(&self, obj: &'a Attributes, key: &str) -> Option<&'a Value> {
        let Some(&byte) = key.as_bytes().first() else {
            return obj.get(key);
        };
        if self.first_bytes[usize::from(byte >> 6)] & (1 << (byte & 63)) == 0 {
            return None;
        }
        if self.nested {
            lookup(obj, key)
        } else {
            obj.get(key)
        }
    }

    /// Like [`first_entry`].
    pub fn first_entry<'a, 'k>(
        &self,
        obj: &'a Attributes,
        keys: &'k [String],
    ) -> Option<(&'k str, &'a Value)> {
        keys.iter()
            .filter_map(|key| Some((key.as_str(), self.lookup(obj, key)?)))
            .find(|(_, value)| !value.is_null())
    }

    /// Like [`take_first`].
    pub fn take_first(&self, obj: &mut Attributes, keys: &[String]) -> Option<Value> {
        let (key, _) = self.first_entry(obj, keys)?;
        take(obj, key)
    }
}

/// A record's attributes prepared for many alias lookups, as the enrich step makes on every
/// record ([`KeyIndex`]).
pub struct Fields<'a> {
    obj: &'a Attributes,
    index: KeyIndex,
}

impl<'a> Fields<'a> {
    /// Indexes the attribute keys' first bytes, in one pass over the keys.
    pub fn new(obj: &'a Attributes) -> Fields<'a> {
        Fields {
            obj,
            index: KeyIndex::new(obj),
        }
    }

    /// Like [`lookup`].
    pub fn lookup(&self, key: &str) -> Option<&'a Value> {
        self.index.lookup(self.obj, key)
    }

    /// Like [`first`].
    pub fn first(&self, keys: &[String]) -> Option<&'a Value> {
        first_by(keys, |key| self.lookup(key))
    }

    /// Like [`first_text`].
    pub fn first_text(&self, keys: &[String]) -> Option<Cow<'a, str>> {
        first_text_by(keys, |key| self.lookup(key))
    }
}

/// `text` cut to at most `max` bytes, on a char boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> Attributes {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn literal_key_wins_over_path() {
        let o = obj(json!({"db.statement": "literal", "db": {"statement": "nested"}}));
        assert_eq!(lookup(&o, "db.statement"), Some(&json!("literal")));
    }

    #[test]
    fn dotted_path_reaches_nested_objects() {
        let o = obj(json!({"req": {"method": "GET"}, "record": {"time": {"timestamp": 1.5}}}));
        assert_eq!(lookup(&o, "req.method"), Some(&json!("GET")));
        assert_eq!(lookup(&o, "record.time.timestamp"), Some(&json!(1.5)));
        assert_eq!(lookup(&o, "req.url"), None);
        assert_eq!(lookup(&o, "req.method.x"), None);
    }

    #[test]
    fn mixed_literal_and_nested_segments() {
        let o = obj(json!({"http": {"request.method": "POST"}}));
        assert_eq!(lookup(&o, "http.request.method"), Some(&json!("POST")));
    }

    #[test]
    fn take_removes_and_prunes_empty_parents() {
        let mut o = obj(
            json!({"record": {"time": {"timestamp": 1}}, "req": {"method": "GET", "url": "/"}}),
        );
        assert_eq!(take(&mut o, "record.time.timestamp"), Some(json!(1)));
        assert_eq!(take(&mut o, "req.method"), Some(json!("GET")));
        assert_eq!(Value::Object(o), json!({"req": {"url": "/"}}));
    }

    #[test]
    fn first_skips_missing_and_null() {
        let mut o = obj(json!({"level": null, "severity": "WARN", "levelname": "INFO"}));
        let aliases = keys(&["lvl", "level", "severity", "levelname"]);
        assert_eq!(first(&o, &aliases), Some(&json!("WARN")));
        assert_eq!(take_first(&mut o, &aliases), Some(json!("WARN")));
        assert!(!o.contains_key("severity"));
        assert_eq!(take_first(&mut o, &aliases), Some(json!("INFO")));
        assert_eq!(take_first(&mut o, &aliases), None);
    }

    #[test]
    fn value_readers() {
        assert_eq!(as_text(&json!("x")).as_deref(), Some("x"));
        assert_eq!(as_text(&json!(42)).as_deref(), Some("42"));
        assert_eq!(as_text(&json!(true)), None);
        assert_eq!(as_f64(&json!(" 12.5 ")), Some(12.5));
        assert_eq!(as_f64(&json!(3)), Some(3.0));
        assert_eq!(as_f64(&json!("NaN")), None);
        assert_eq!(as_f64(&json!("abc")), None);
        let o = obj(json!({"a": "  ", "b": " GET "}));
        assert_eq!(first_text(&o, &keys(&["a", "b"])).as_deref(), Some("GET"));
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }

    mod view {
        use super::*;
        use proptest::prelude::*;

        fn key() -> impl Strategy<Value = String> {
            "[ab.]{0,5}"
        }

        fn object() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![Just(json!(1)), Just(json!("s")), Just(Value::Null)];
            leaf.prop_recursive(3, 12, 3, |inner| {
                proptest::collection::btree_map(key(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect()))
            })
        }

        proptest! {
            /// The prepared view finds exactly what a plain lookup finds.
            #[test]
            fn fields_view_agrees_with_lookup(value in object(), keys in proptest::collection::vec(key(), 1..6)) {
                let Value::Object(map) = value else { return Ok(()) };
                let fields = Fields::new(&map);
                for key in &keys {
                    prop_assert_eq!(fields.lookup(key), lookup(&map, key));
                }
            }
        }
    }
}
