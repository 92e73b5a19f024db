//! Masking of personal data for `support` tokens: user ids, e-mail addresses and IP addresses,
//! in columns, attribute values (by key and by content), attribute keys and free text. The
//! address patterns are the redact step's ([`personal`]), so what ingest would redact is
//! masked here alike.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::pipeline::redact::personal;
use crate::store::read::LogRow;
use crate::store::read::spans::SpanRow;

/// What masked data is replaced with.
pub const MASK: &str = "***";

/// Attribute keys (their last dotted segment, case-insensitive) whose values are personal.
const PERSONAL_KEYS: [&str; 14] = [
    "user_id",
    "userid",
    "user",
    "uid",
    "email",
    "mail",
    "username",
    "user_name",
    "ip",
    "client_ip",
    "remote_addr",
    "remoteaddress",
    "address",
    "x-forwarded-for",
];
/// Attribute keys that name the user in full (`enduser.id`, `user.id`, `usr.id`).
const PERSONAL_PATHS: [&str; 4] = ["enduser.id", "user.id", "usr.id", "user.email"];

/// Masks the row's personal data in place.
pub fn row(row: &mut LogRow) {
    if row.user_id.is_some() {
        row.user_id = Some(MASK.to_string());
    }
    text(&mut row.body);
    for field in [
        &mut row.scope,
        &mut row.exception_message,
        &mut row.exception_stacktrace,
        &mut row.http_route,
        &mut row.db_query,
    ]
    .into_iter()
    .flatten()
    {
        text(field);
    }
    value(&mut row.attributes.0, None);
    value(&mut row.resource.0, None);
}

/// Masks the span's personal data in place: in its name, status message, attributes,
/// resource, events and links.
pub fn span(span: &mut SpanRow) {
    text(&mut span.name);
    if let Some(message) = &mut span.status_message {
        text(message);
    }
    for json in [
        &mut span.attributes,
        &mut span.resource,
        &mut span.events,
        &mut span.links,
    ] {
        value(&mut json.0, None);
    }
}

/// Replaces e-mail and IP addresses in free text: the patterns the redact step uses
/// ([`personal`]), percent-encoded, Unicode and every IP form included.
pub fn text(text: &mut String) {
    if let Cow::Owned(masked) = masked(text) {
        *text = masked;
    }
}

/// `text` with its e-mail and IP addresses replaced; borrowed when it holds none.
pub fn masked(text: &str) -> Cow<'_, str> {
    let mut found = Vec::new();
    personal::find(text, &mut found);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    found.sort_unstable_by_key(|range| (range.start, std::cmp::Reverse(range.end)));
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for range in found {
        if range.end <= done {
            continue;
        }
        out.push_str(&text[done..range.start.max(done)]);
        out.push_str(MASK);
        done = range.end;
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// Masks a JSON value: every scalar under a personal key, personal text in other strings and
/// in object keys.
pub fn value(value: &mut Value, key: Option<&str>) {
    let personal = key.is_some_and(is_personal_key);
    match value {
        Value::String(s) if !personal => text(s),
        Value::Array(items) => items.iter_mut().for_each(|item| self::value(item, key)),
        Value::Object(map) if personal => {
            map.values_mut().for_each(|v| self::value(v, key));
            mask_keys(map);
        }
        Value::Object(map) => {
            map.iter_mut().for_each(|(k, v)| self::value(v, Some(k)));
            mask_keys(map);
        }
        Value::Null => {}
        _ if personal => *value = Value::from(MASK),
        _ => {}
    }
}

/// Renames the keys that hold an address (`"seen bob@example.com": 3`) to their masked form;
/// keys that mask alike are merged, the last one kept.
fn mask_keys(map: &mut Map<String, Value>) {
    let renamed: Vec<(String, String)> = map
        .keys()
        .filter_map(|key| match masked(key) {
            Cow::Owned(masked) => Some((key.clone(), masked)),
            Cow::Borrowed(_) => None,
        })
        .collect();
    for (old, new) in renamed {
        if let Some(value) = map.remove(&old) {
            map.insert(new, value);
        }
    }
}

/// Whether values under this attribute key (a dotted path, or one key) are personal, so that
/// a support token may not filter on it: a personal key at any level of the path, or a
/// personal dotted suffix (`req.enduser.id`).
pub fn is_personal_path(path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    (0..segments.len()).any(|i| is_personal_key(&segments[i..].join(".")))
        || segments.iter().any(|segment| is_personal_key(segment))
}

/// Whether the text holds an e-mail or IP address.
pub fn holds_personal_text(text: &str) -> bool {
    matches!(masked(text), Cow::Owned(_))
}

fn is_personal_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let last = key.rsplit('.').next().unwrap_or(&key);
    PERSONAL_PATHS.contains(&key.as_str())
        || PERSONAL_KEYS.contains(&last)
        || key.starts_with("client.")
        || key.starts_with("source.")
        || key.ends_with("_ip")
        || key.ends_with(".ip")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_and_ips_in_text_are_masked() {
        let mut body = "mail bob.smith+x@example.co.uk from 10.1.2.3 and ::1 v2.0".to_string();
        text(&mut body);
        assert_eq!(body, "mail *** from *** and *** v2.0");
        let mut v6 = "from 2001:db8::8a2e:370:7334 ok".to_string();
        text(&mut v6);
        assert_eq!(v6, "from *** ok");
    }

    #[test]
    fn every_address_form_is_masked() {
        for (text, expected) in [
            ("from ::1 ok", "from *** ok"),
            ("net 2001:db8:: ok", "net *** ok"),
            ("from 010.001.002.003 ok", "from *** ok"),
            ("/reset?email=bob%40example.com&x=1", "/reset?email=***&x=1"),
            ("to jörg.müller@bücher.de now", "to *** now"),
            ("::ffff:10.0.0.1", "***"),
        ] {
            let mut masked = text.to_string();
            self::text(&mut masked);
            assert_eq!(masked, expected, "{text}");
        }
    }

    #[test]
    fn addresses_in_attribute_keys_are_masked() {
        let mut attributes = json!({"seen bob@example.com": 3, "nested": {"10.1.2.3": "x"}});
        value(&mut attributes, None);
        assert_eq!(attributes, json!({"seen ***": 3, "nested": {"***": "x"}}));
    }

    #[test]
    fn personal_paths_at_any_level() {
        for path in [
            "user_id",
            "req.enduser.id",
            "req.user.name",
            "client.address",
            "a.ip",
        ] {
            assert!(is_personal_path(path), "{path}");
        }
        for path in ["route", "http.method", "order.id"] {
            assert!(!is_personal_path(path), "{path}");
        }
    }

    #[test]
    fn personal_keys_are_masked_at_any_depth() {
        let mut attributes = json!({
            "enduser.id": "u-1",
            "client.address": "1.2.3.4",
            "req": {"user": {"id": 7, "email": "a@b.io"}, "headers": ["x 9.9.9.9"]},
            "route": "/users/{id}",
            "count": 3
        });
        value(&mut attributes, None);
        assert_eq!(
            attributes,
            json!({
                "enduser.id": "***",
                "client.address": "***",
                "req": {"user": {"id": "***", "email": "***"}, "headers": ["x ***"]},
                "route": "/users/{id}",
                "count": 3
            })
        );
    }
}
