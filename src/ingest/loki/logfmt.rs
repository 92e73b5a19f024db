//! logfmt lines (`level=error msg="no route" status=502`): split into fields only when every
//! word of the line is a `key=value` pair, so prose with an `=` in it stays prose.

use serde_json::Value;

use crate::model::Attributes;

/// The fields of a logfmt line, or `None` when the line is not logfmt.
pub fn parse(line: &str) -> Option<Attributes> {
    let mut fields = Attributes::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == '"') {
            return None;
        }
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => quoted_value(quoted)?,
            None => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (after[..end].to_string(), &after[end..])
            }
        };
        if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
            return None;
        }
        fields.insert(key.to_string(), Value::String(value));
        rest = after.trim_start();
    }
    (!fields.is_empty()).then_some(fields)
}

/// A quoted value after its opening quote, and the text after its closing quote.
fn quoted_value(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[offset + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                other @ ('"' | '\\') => value.push(other),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(line: &str) -> Option<Value> {
        parse(line).map(Value::Object)
    }

    #[test]
    fn pairs_with_quoted_and_bare_values() {
        let parsed = fields(r#"level=error msg="no route to \"db\"" status=502 empty="""#);
        let expected =
            json!({"level": "error", "msg": "no route to \"db\"", "status": "502", "empty": ""});
        assert_eq!(parsed, Some(expected));
        assert_eq!(
            fields("ts=2026-12-03T10:00:00Z a=b=c"),
            Some(json!({"ts": "2026-12-03T10:00:00Z", "a": "b=c"}))
        );
        assert_eq!(fields("k="), Some(json!({"k": ""})));
    }

    #[test]
    fn prose_and_broken_quotes_are_not_logfmt() {
        for line in [
            "user logged in",
            "GET /x?a=b 200",
            "retry count=3 exceeded",
            r#"msg="unterminated"#,
            r#"msg="a"b=c"#,
            "=value",
            "",
            "   ",
        ] {
            assert_eq!(fields(line), None, "{line:?}");
        }
    }
}
