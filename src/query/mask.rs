//! Masking of personal data for `support` tokens: user ids, e-mail addresses and IP addresses,
//! in columns, attribute values (by key and by content) and free text.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::store::read::LogRow;

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

static PERSONAL_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
        r"|\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
        r"|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b",
        r"|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?\b",
    ))
    .expect("personal data pattern compiles")
});

/// Masks the row's personal data in place.
pub fn row(row: &mut LogRow) {
    if row.user_id.is_some() {
        row.user_id = Some(MASK.to_string());
    }
    text(&mut row.body);
    for field in [
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

/// Replaces e-mail and IP addresses in free text.
pub fn text(text: &mut String) {
    if let Cow::Owned(masked) = PERSONAL_TEXT.replace_all(text, MASK) {
        *text = masked;
    }
}

/// Masks a JSON value: every scalar under a personal key, personal text in other strings.
fn value(value: &mut Value, key: Option<&str>) {
    let personal = key.is_some_and(is_personal_key);
    match value {
        Value::String(s) if !personal => text(s),
        Value::Array(items) => items.iter_mut().for_each(|item| self::value(item, key)),
        Value::Object(map) if personal => map.values_mut().for_each(|v| self::value(v, key)),
        Value::Object(map) => map.iter_mut().for_each(|(k, v)| self::value(v, Some(k))),
        Value::Null => {}
        _ if personal => *value = Value::from(MASK),
        _ => {}
    }
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
        assert_eq!(body, "mail *** from *** and ::1 v2.0");
        let mut v6 = "from 2001:db8::8a2e:370:7334 ok".to_string();
        text(&mut v6);
        assert_eq!(v6, "from *** ok");
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
