//! The label string of a protobuf stream, `{name="value", ...}`, read tolerantly: with or
//! without a space after commas, Go-style escapes, and the unescaped quotes Vector and
//! winston-loki send where a quote cannot end the value.

use serde_json::Value;

use crate::model::Attributes;

/// Why a label string does not parse; shown to the client after `couldn't parse labels: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {at} of {excerpt:?}")]
pub struct LabelError {
    reason: &'static str,
    at: usize,
    excerpt: String,
}

/// The labels of a selector as string attributes; labels with an empty value are dropped, as
/// Loki drops them.
pub fn parse(text: &str) -> Result<Attributes, LabelError> {
    let mut parser = Parser { text, at: 0 };
    let mut labels = Attributes::new();
    parser.skip_spaces();
    parser.expect(b'{', "expected `{`")?;
    loop {
        parser.skip_spaces();
        if parser.eat(b'}') {
            break;
        }
        let name = parser.name()?;
        parser.skip_spaces();
        parser.expect(b'=', "expected `=` after the label name")?;
        parser.skip_spaces();
        parser.expect(b'"', "expected `\"` opening the value")?;
        let value = parser.value()?;
        if !value.is_empty() {
            labels.insert(name, Value::String(value));
        }
        parser.skip_spaces();
        if parser.eat(b'}') {
            break;
        }
        parser.expect(b',', "expected `,` or `}` after the value")?;
    }
    parser.skip_spaces();
    if parser.at != text.len() {
        return Err(parser.error("text after the closing `}`"));
    }
    Ok(labels)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.at..]
    }

    fn error(&self, reason: &'static str) -> LabelError {
        LabelError {
            reason,
            at: self.at,
            excerpt: self.text.chars().take(120).collect(),
        }
    }

    fn skip_spaces(&mut self) {
        self.at += spaces(self.rest());
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.rest().first() == Some(&byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), LabelError> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(self.error(reason)),
        }
    }

    /// A label name: `[a-zA-Z_][a-zA-Z0-9_]*`, dots allowed (OTel-style names some send), or
    /// any UTF-8 name in quotes (`"service.name"`, the selector syntax of Loki 3 and Prometheus 3).
    fn name(&mut self) -> Result<String, LabelError> {
        if self.eat(b'"') {
            let name = self.quoted(|_| true, "unterminated label name")?;
            return match name.is_empty() {
                true => Err(self.error("empty label name")),
                false => Ok(name),
            };
        }
        let length = name_length(self.rest());
        if length == 0 {
            return Err(self.error("expected a label name"));
        }
        let name = &self.text[self.at..self.at + length];
        self.at += length;
        Ok(name.to_string())
    }

    /// A value after its opening quote, through its closing quote.
    fn value(&mut self) -> Result<String, LabelError> {
        self.quoted(closes_value, "unterminated label value")
    }

    /// Quoted text after its opening quote, through the first quote that `closes` accepts given
    /// the bytes after it.
    fn quoted(
        &mut self,
        closes: impl Fn(&[u8]) -> bool,
        unterminated: &'static str,
    ) -> Result<String, LabelError> {
        let mut text = String::new();
        let mut chars = self.text[self.at..].char_indices();
        while let Some((offset, c)) = chars.next() {
            match c {
                '"' if closes(&self.rest()[offset + 1..]) => {
                    self.at += offset + 1;
                    return Ok(text);
                }
                '\\' => escape(&mut chars, &mut text),
                c => text.push(c),
            }
        }
        self.at = self.text.len();
        Err(self.error(unterminated))
    }
}

/// Whether a quote followed by `after` ends a value: `}` and nothing else but spaces, or `,`
/// and then another label (`name=`) or the closing `}`.
fn closes_value(after: &[u8]) -> bool {
    let after = &after[spaces(after)..];
    match after.split_first() {
        Some((b'}', rest)) => spaces(rest) == rest.len(),
        Some((b',', rest)) => {
            let rest = &rest[spaces(rest)..];
            if let Some((b'}', end)) = rest.split_first() {
                return spaces(end) == end.len();
            }
            let name = name_length(rest).max(quoted_length(rest));
            let rest = &rest[name..];
            name > 0 && rest[spaces(rest)..].first() == Some(&b'=')
        }
        _ => false,
    }
}

/// Reads an escape after its backslash; an escape Go does not know stays as written.
fn escape(chars: &mut std::str::CharIndices<'_>, value: &mut String) {
    let Some((_, c)) = chars.next() else {
        value.push('\\');
        return;
    };
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'v' => Some('\x0b'),
        '\\' | '"' | '\'' => Some(c),
        _ => None,
    };
    if let Some(simple) = simple {
        value.push(simple);
        return;
    }
    let digits = match c {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => 0,
    };
    let mut lookahead = chars.clone();
    let hex: String = lookahead.by_ref().take(digits).map(|(_, c)| c).collect();
    let decoded = (hex.len() == digits && digits > 0)
        .then(|| u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32))
        .flatten();
    match decoded {
        Some(decoded) => {
            value.push(decoded);
            *chars = lookahead;
        }
        None => {
            value.push('\\');
            value.push(c);
        }
    }
}

fn spaces(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// The length of a quoted name at the start of `bytes`, quotes included; 0 when there is none.
fn quoted_length(bytes: &[u8]) -> usize {
    let Some((b'"', rest)) = bytes.split_first() else {
        return 0;
    };
    let mut escaped = false;
    for (at, &byte) in rest.iter().enumerate() {
        match byte {
            b'"' if !escaped => return at + 2,
            b'\\' => escaped = !escaped,
            _ => escaped = false,
        }
    }
    0
}

fn name_length(bytes: &[u8]) -> usize {
    let starts = bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
    if !starts {
        return 0;
    }
    let is_name_byte = |b: &&u8| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'.';
    bytes.iter().take_while(is_name_byte).count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labels(text: &str) -> Value {
        Value::Object(parse(text).unwrap())
    }

    #[test]
    fn alloy_style_sorted_with_spaces() {
        let parsed = labels(r#"{app="shop", env="prod", job="shop/api"}"#);
        assert_eq!(
            parsed,
            json!({"app": "shop", "env": "prod", "job": "shop/api"})
        );
    }

    #[test]
    fn winston_style_without_spaces() {
        let parsed = labels(r#"{level="error",service_name="api",host="a-1"}"#);
        assert_eq!(
            parsed,
            json!({"level": "error", "service_name": "api", "host": "a-1"})
        );
    }

    #[test]
    fn go_escapes() {
        let parsed = labels(r#"{msg="say \"hi\"\n", path="C:\\tmp", u="\u00e9\x41"}"#);
        assert_eq!(
            parsed,
            json!({"msg": "say \"hi\"\n", "path": "C:\\tmp", "u": "éA"})
        );
    }

    #[test]
    fn unescaped_quotes_where_unambiguous() {
        let parsed = labels(r#"{msg="say "hi"", b="c"}"#);
        assert_eq!(parsed, json!({"msg": "say \"hi\"", "b": "c"}));
        let parsed = labels(r#"{a="x", y", b="c"}"#);
        assert_eq!(parsed, json!({"a": "x\", y", "b": "c"}));
        let parsed = labels(r#"{a="ends with "quote""}"#);
        assert_eq!(parsed, json!({"a": "ends with \"quote\""}));
    }

    #[test]
    fn quoted_utf8_names() {
        let parsed = labels(r#"{"service.name"="shop", "k8s pod"="a-1",env="prod", "ä\"x"="1"}"#);
        assert_eq!(
            parsed,
            json!({"service.name": "shop", "k8s pod": "a-1", "env": "prod", "ä\"x": "1"})
        );
        let parsed = labels(r#"{a="x", "b"="y"}"#);
        assert_eq!(parsed, json!({"a": "x", "b": "y"}));
        for text in [r#"{""="1"}"#, r#"{"a="1"}"#, r#"{"a"}"#] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn unknown_escapes_stay_as_written() {
        assert_eq!(labels(r#"{p="C:\path\x"}"#), json!({"p": "C:\\path\\x"}));
    }

    #[test]
    fn empty_values_are_dropped_and_empty_selector_is_no_labels() {
        assert_eq!(labels(r#"{a="", b="1"}"#), json!({"b": "1"}));
        assert_eq!(labels("{}"), json!({}));
        assert_eq!(labels(r#" { a = "1" , } "#), json!({"a": "1"}));
    }

    #[test]
    fn malformed_selectors_are_errors() {
        for text in [
            r#"{a=""#,
            r#"{a="1""#,
            "",
            "a=\"1\"",
            r#"{a="1"} x"#,
            r#"{="1"}"#,
            r#"{1a="1"}"#,
            r#"{a 1}"#,
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
        let error = parse(r#"{a=""#).unwrap_err().to_string();
        assert!(error.contains("unterminated label value"), "{error}");
    }
}
