//! An entry's line as a record: a JSON object is read with the JSON receiver's alias table, a
//! logfmt line is split into fields read the same way, anything else is the body as it is.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::logfmt;
use crate::config::FieldAliases;
use crate::ingest::json;
use crate::model::{Attributes, Level, LogRecord};
use crate::pipeline::{fields, levels};

/// The record a line reads as. Its service is `unknown_service` unless the line names one;
/// its time is `received` (the entry's timestamp replaces it).
pub fn read(line: String, aliases: &FieldAliases, received: DateTime<Utc>) -> LogRecord {
    let fields = json_object(&line).or_else(|| logfmt::parse(&line));
    match fields {
        Some(fields) => structured(fields, line, aliases, received),
        None => plain(line, received),
    }
}

fn json_object(line: &str) -> Option<Attributes> {
    if !line.trim_start().starts_with('{') {
        return None;
    }
    match serde_json::from_str(line) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// A record from a line's fields. The line's own time field is dropped (the entry's timestamp
/// is the event time); a level the bridge does not know stays an attribute; a line naming no
/// message has its `log` field as the body, else the line itself.
fn structured(
    mut fields: Attributes,
    line: String,
    aliases: &FieldAliases,
    received: DateTime<Utc>,
) -> LogRecord {
    fields::take_first(&mut fields, &aliases.timestamp);
    let unknown_level = take_unknown_level(&mut fields, aliases);
    if !has_message(&fields, aliases)
        && let Some(key) = aliases.message.first()
    {
        // Docker's and Fluent Bit's records carry the message in `log`.
        let message = match fields.remove("log") {
            Some(Value::String(log)) => log,
            other => {
                fields.extend(other.map(|value| ("log".to_string(), value)));
                line.clone()
            }
        };
        fields.insert(key.clone(), Value::String(message));
    }
    match json::record(Value::Object(fields), None, aliases, received) {
        Ok(mut record) => {
            record.attributes.extend(unknown_level);
            record
        }
        Err(_) => plain(line, received),
    }
}

fn has_message(fields: &Attributes, aliases: &FieldAliases) -> bool {
    let message = fields::first(fields, &aliases.message);
    message.is_some_and(|value| !(value.is_object() || value.is_array()))
}

/// Takes out a level field whose value names no level, to keep it as an attribute.
fn take_unknown_level(fields: &mut Attributes, aliases: &FieldAliases) -> Option<(String, Value)> {
    let key = aliases
        .level
        .iter()
        .find(|key| fields::lookup(fields, key).is_some_and(|value| !value.is_null()))?;
    let known = fields::lookup(fields, key).and_then(levels::from_json);
    if known.is_some() {
        return None;
    }
    fields::take(fields, key).map(|value| (key.clone(), value))
}

fn plain(line: String, received: DateTime<Utc>) -> LogRecord {
    let level = level_in_text(&line);
    let mut record = LogRecord::new(line, received);
    if let Some((level, word)) = level {
        record.level = level;
        record.severity_number = level.base_severity_number();
        record.severity_text = Some(word);
    }
    record
}

/// A level named by one of the first three words of a plain line (`ERROR ...`,
/// `2026-12-03T10:00:00Z [warn] ...`), and the word as written.
pub fn level_in_text(line: &str) -> Option<(Level, String)> {
    let punctuation = |c: char| "[]()<>:|,-".contains(c);
    line.split_whitespace()
        .take(3)
        .map(|word| word.trim_matches(punctuation))
        .filter(|word| word.len() >= 3)
        .find_map(|word| levels::from_name(word).map(|level| (level, word.to_string())))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read_line(line: &str) -> LogRecord {
        read(line.to_string(), &FieldAliases::default(), Utc::now())
    }

    #[test]
    fn pino_line_is_a_json_record() {
        let line = r#"{"level":50,"time":1795363656935,"pid":7,"hostname":"h","name":"checkout","msg":"payment failed","orderId":"o-1"}"#;
        let record = read_line(line);
        assert_eq!(record.body, "payment failed");
        assert_eq!(record.level, Level::Error);
        assert_eq!(record.scope.as_deref(), Some("checkout"));
        assert_eq!(record.attributes["orderId"], json!("o-1"));
        assert!(
            !record.attributes.contains_key("time"),
            "the entry time is the event time"
        );
    }

    #[test]
    fn logfmt_line_is_split() {
        let record =
            read_line(r#"ts=2026-12-03T10:00:00Z level=warn msg="disk almost full" used=93"#);
        assert_eq!(record.body, "disk almost full");
        assert_eq!(record.level, Level::Warn);
        assert_eq!(record.severity_text.as_deref(), Some("warn"));
        assert_eq!(record.attributes["used"], json!("93"));
        assert!(!record.attributes.contains_key("ts"));
    }

    #[test]
    fn structured_line_without_message_is_its_own_body() {
        let line = r#"{"event":"login","user":"u1"}"#;
        let record = read_line(line);
        assert_eq!(record.body, line);
        assert_eq!(record.attributes["event"], json!("login"));
    }

    #[test]
    fn unknown_level_stays_an_attribute() {
        let record = read_line(r#"level=loud msg=hello"#);
        assert_eq!(record.body, "hello");
        assert_eq!(record.level, Level::Info);
        assert_eq!(record.attributes["level"], json!("loud"));
    }

    #[test]
    fn plain_lines_keep_their_text_and_find_a_leading_level() {
        let record = read_line("2026-12-03T10:00:00Z [WARNING] cache miss rate high");
        assert_eq!(
            record.body,
            "2026-12-03T10:00:00Z [WARNING] cache miss rate high"
        );
        assert_eq!(record.level, Level::Warn);
        assert_eq!(read_line("ERROR: boom").level, Level::Error);
        assert_eq!(
            read_line("all good here, no error at all").level,
            Level::Info
        );
        assert_eq!(read_line("{not json").body, "{not json");
        assert_eq!(read_line("[1,2]").body, "[1,2]");
    }
}
