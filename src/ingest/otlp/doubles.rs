//! OTLP/JSON double values written as strings. The protobuf JSON mapping writes a double that
//! JSON numbers cannot hold as `"NaN"`, `"Infinity"` or `"-Infinity"` (and allows any double
//! as a string), but the OTLP decoder takes only numbers in `doubleValue`, so one such value
//! failed the whole request. Before parsing, each string `doubleValue` is rewritten in place,
//! at the same length: a number in quotes loses its quotes (`"1.5"` → ` 1.5 `), anything else
//! becomes a `stringValue` (the key has the same length), so only that value changes form.

use std::borrow::Cow;

const KEY: &[u8] = b"\"doubleValue\"";
const STRING_KEY: &[u8] = b"\"stringValue\"";

/// The body with every string `doubleValue` rewritten; borrowed when there is none.
pub fn normalize(body: &[u8]) -> Cow<'_, [u8]> {
    if !body.windows(KEY.len()).any(|window| window == KEY) {
        return Cow::Borrowed(body);
    }
    let rewrites = string_doubles(body);
    if rewrites.is_empty() {
        return Cow::Borrowed(body);
    }
    let mut out = body.to_vec();
    for rewrite in rewrites {
        let value = &body[rewrite.value.start + 1..rewrite.value.end - 1];
        if is_number(value) {
            out[rewrite.value.start] = b' ';
            out[rewrite.value.end - 1] = b' ';
        } else {
            out[rewrite.key..rewrite.key + KEY.len()].copy_from_slice(STRING_KEY);
        }
    }
    Cow::Owned(out)
}

/// A `"doubleValue": "<string>"` member: where its key starts, and its value's bytes, quotes
/// included.
struct Rewrite {
    key: usize,
    value: std::ops::Range<usize>,
}

/// Every member `"doubleValue"` whose value is a string, found by one pass over the JSON
/// tokens (strings are skipped whole, so text inside a string is never taken for a key).
fn string_doubles(body: &[u8]) -> Vec<Rewrite> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'"' {
            i += 1;
            continue;
        }
        let end = string_end(body, i);
        if &body[i..end] == KEY
            && let Some(value) = string_value_after(body, end)
        {
            found.push(Rewrite { key: i, value });
        }
        i = end;
    }
    found
}

/// The end (past the closing quote) of the string starting at `start`; the body's end when it
/// is not closed.
fn string_end(body: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    body.len()
}

/// After a key ending at `end`: `:` then a string value, as the range of the string.
fn string_value_after(body: &[u8], end: usize) -> Option<std::ops::Range<usize>> {
    let colon = end + body[end..].iter().position(|b| !b.is_ascii_whitespace())?;
    if body[colon] != b':' {
        return None;
    }
    let after = colon + 1;
    let start = after
        + body[after..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    if body[start] != b'"' {
        return None;
    }
    let end = string_end(body, start);
    (end - start >= 2 && body[end - 1] == b'"').then_some(start..end)
}

/// Whether the bytes are a JSON number that a double holds (not one that overflows to
/// infinity).
fn is_number(text: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    let json_number = !text.is_empty()
        && !text.starts_with('+')
        && !text.starts_with('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    json_number
        && serde_json::from_str::<serde_json::Number>(text).is_ok()
        && text.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(body: &str) -> String {
        String::from_utf8(normalize(body.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn non_finite_doubles_become_strings_and_quoted_numbers_numbers() {
        let body =
            r#"[{"doubleValue": "NaN"}, {"doubleValue":"-Infinity"}, {"doubleValue": "1.5e3"}]"#;
        assert_eq!(
            normalized(body),
            r#"[{"stringValue": "NaN"}, {"stringValue":"-Infinity"}, {"doubleValue":  1.5e3 }]"#
        );
    }

    #[test]
    fn numbers_strings_inside_strings_and_other_keys_are_left_alone() {
        for body in [
            r#"{"doubleValue": 2.5}"#,
            r#"{"stringValue": "\"doubleValue\": \"NaN\""}"#,
            r#"{"doubleValueX": "NaN"}"#,
            r#"{"doubleValue": "1e999"}"#,
        ] {
            let expected = body.replace(r#""doubleValue": "1e999""#, r#""stringValue": "1e999""#);
            assert_eq!(normalized(body), expected, "{body}");
        }
        assert!(matches!(normalize(b"{\"a\": 1}"), Cow::Borrowed(_)));
    }

    #[test]
    fn unclosed_strings_do_not_panic() {
        for body in [
            r#"{"doubleValue": "NaN"#,
            r#"{"doubleValue":"#,
            r#"{"doubleValue"#,
            "\"\\",
        ] {
            let _ = normalize(body.as_bytes());
        }
    }
}
