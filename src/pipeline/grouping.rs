//! Exception and error grouping: records whose exceptions share a service, type, normalized
//! message and top stack frames get the same fingerprint, the key of table `exception_groups`;
//! error records get an error group (the exception's, else their service and normalized message).

use sha2::{Digest, Sha256};

use crate::model::{ExceptionInfo, Level, LogRecord};

/// Stack frames, nearest the throw first, that take part in the fingerprint.
const TOP_FRAMES: usize = 3;
/// Hex characters of the SHA-256 kept as the fingerprint (64 bits).
const FINGERPRINT_HEX: usize = 16;

/// Sets the fingerprint of the record's exception, if it has one, and the error group of an
/// error or fatal record.
pub fn assign(record: &mut LogRecord) {
    if let Some(exception) = &mut record.exception {
        assign_exception(&record.service, exception);
    }
    if matches!(record.level, Level::Error | Level::Fatal) {
        record.error_fingerprint = Some(match &record.exception {
            Some(exception) => exception.fingerprint.clone(),
            None => fingerprint(&[&record.service, &normalize(&record.body)]),
        });
    }
}

/// Sets the fingerprint of an exception of `service`, whether a log record or a span event
/// carried it: service, type, normalized message and top frames.
pub fn assign_exception(service: &str, exception: &mut ExceptionInfo) {
    let mut parts = vec![service, &exception.exception_type];
    let message = normalize(&exception.message);
    parts.push(&message);
    let frames: Vec<String> = top_frames(exception.stacktrace.as_deref().unwrap_or_default())
        .into_iter()
        .map(normalize)
        .collect();
    parts.extend(frames.iter().map(String::as_str));
    exception.fingerprint = fingerprint(&parts);
}

/// The first 64 bits of the SHA-256 of the parts, NUL-separated, in hex.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash.update([0]);
        }
        hash.update(part.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    digest[..FINGERPRINT_HEX].to_string()
}

/// The message with what varies between occurrences (numbers, hex ids, quoted values) replaced
/// by `?`, so that `user 42 not found` and `user 7 not found` group together.
pub fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // A quoted value, up to its closing quote (or the end).
                for next in chars.by_ref() {
                    if next == c {
                        break;
                    }
                }
                out.push('?');
            }
            c if c.is_ascii_hexdigit() && !word_continues(&out) => {
                let mut token = String::from(c);
                while let Some(&next) = chars.peek() {
                    if !(next.is_ascii_alphanumeric() || next == '-') {
                        break;
                    }
                    token.push(next);
                    chars.next();
                }
                if is_variable(&token) {
                    out.push('?');
                } else {
                    out.push_str(&token);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether the last character written is part of a word (so a hex digit here is inside it).
fn word_continues(out: &str) -> bool {
    out.chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Tokens that vary between occurrences: anything with a digit (numbers, UUIDs, hex ids).
fn is_variable(token: &str) -> bool {
    token.bytes().any(|b| b.is_ascii_digit())
}

/// The frames nearest the throw: Python prints them last (`File "..."` lines), the JVM, Node
/// and .NET first (`at ...` lines). Line numbers are dropped by [`normalize`].
fn top_frames(stacktrace: &str) -> Vec<&str> {
    let lines = stacktrace.lines().map(str::trim);
    let python: Vec<&str> = lines.clone().filter(|l| l.starts_with("File ")).collect();
    if !python.is_empty() {
        return python.into_iter().rev().take(TOP_FRAMES).collect();
    }
    lines
        .filter(|line| line.starts_with("at "))
        .take(TOP_FRAMES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExceptionInfo;
    use chrono::Utc;

    fn fingerprint(service: &str, kind: &str, message: &str, stack: Option<&str>) -> String {
        let mut record = LogRecord::new(String::new(), Utc::now());
        record.service = service.into();
        record.exception = Some(ExceptionInfo {
            exception_type: kind.into(),
            message: message.into(),
            stacktrace: stack.map(Into::into),
            fingerprint: String::new(),
        });
        assign(&mut record);
        record.exception.unwrap().fingerprint
    }

    #[test]
    fn variable_parts_of_messages_are_replaced() {
        assert_eq!(normalize("user 42 not found"), "user ? not found");
        assert_eq!(
            normalize("id 550e8400-e29b-41d4-a716-446655440000 gone"),
            "id ? gone"
        );
        assert_eq!(normalize("key 'abc' and \"d e\""), "key ? and ?");
        assert_eq!(normalize("0xdeadbeef cafe"), "? cafe");
        assert_eq!(normalize("face value"), "face value");
        assert_eq!(normalize("http2 error"), "http2 error");
    }

    #[test]
    fn occurrences_differing_in_ids_and_line_numbers_share_a_group() {
        let a = fingerprint(
            "api",
            "KeyError",
            "no user 1",
            Some("  File \"a.py\", line 3, in f"),
        );
        let b = fingerprint(
            "api",
            "KeyError",
            "no user 2",
            Some("  File \"a.py\", line 9, in f"),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), FINGERPRINT_HEX);
    }

    #[test]
    fn service_type_message_and_frames_separate_groups() {
        let base = fingerprint("api", "E", "boom", Some("at f (a.js:1:2)"));
        assert_ne!(
            base,
            fingerprint("web", "E", "boom", Some("at f (a.js:1:2)"))
        );
        assert_ne!(
            base,
            fingerprint("api", "F", "boom", Some("at f (a.js:1:2)"))
        );
        assert_ne!(
            base,
            fingerprint("api", "E", "bang", Some("at f (a.js:1:2)"))
        );
        assert_ne!(
            base,
            fingerprint("api", "E", "boom", Some("at g (a.js:1:2)"))
        );
    }

    #[test]
    fn error_records_get_an_error_group_and_others_none() {
        let record = |level: Level, body: &str| {
            let mut record = LogRecord::new(body.into(), Utc::now());
            record.level = level;
            assign(&mut record);
            record.error_fingerprint
        };
        assert_eq!(
            record(Level::Error, "order 1 failed"),
            record(Level::Fatal, "order 2 failed")
        );
        assert_ne!(
            record(Level::Error, "order 1 failed"),
            record(Level::Error, "disk full")
        );
        assert_eq!(record(Level::Warn, "order 1 failed"), None);
        let exception = fingerprint("api", "E", "boom", None);
        let mut with_exception = LogRecord::new("x".into(), Utc::now());
        with_exception.service = "api".into();
        with_exception.level = Level::Error;
        with_exception.exception = Some(ExceptionInfo {
            exception_type: "E".into(),
            message: "boom".into(),
            stacktrace: None,
            fingerprint: String::new(),
        });
        assign(&mut with_exception);
        assert_eq!(with_exception.error_fingerprint, Some(exception));
    }

    #[test]
    fn python_frames_nearest_the_throw_count() {
        let stack = "Traceback:\n  File \"a\", line 1, in outer\n  File \"b\", line 2, in inner";
        let frames = top_frames(stack);
        assert_eq!(frames[0], "File \"b\", line 2, in inner");
    }
}
