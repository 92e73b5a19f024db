//! How `logbridge logs` prints a record: one line for people (level coloured on a terminal),
//! or the record as one line of JSON.

use serde_json::Value;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// `time LEVEL service body` plus request, query and exception fields.
    Text,
    /// Each record as the read API answers it, one JSON object per line.
    Json,
}

/// One record as a line, without the trailing newline.
pub fn line(record: &Value, output: Output, colour: bool) -> String {
    match output {
        Output::Json => record.to_string(),
        Output::Text => text_line(record, colour),
    }
}

fn text_line(record: &Value, colour: bool) -> String {
    let field = |key: &str| record.get(key).and_then(Value::as_str).unwrap_or_default();
    let level = field("level").to_uppercase();
    let level = match colour {
        true => format!("\u{1b}[{}m{level:<5}\u{1b}[0m", level_colour(&level)),
        false => format!("{level:<5}"),
    };
    let mut text = format!(
        "{} {level} {} {}",
        field("ts"),
        field("service"),
        field("body")
    );
    let number = |key: &str| record.get(key).and_then(Value::as_f64);
    if let (Some(route), Some(status)) = (
        record.get("http_route").and_then(Value::as_str),
        number("http_status"),
    ) {
        text.push_str(&format!("  [{} {route} {status}", field("http_method")));
        if let Some(ms) = number("http_duration_ms") {
            text.push_str(&format!(" {ms}ms"));
        }
        text.push(']');
    }
    if let Some(ms) = number("db_duration_ms") {
        text.push_str(&format!("  [query {ms}ms]"));
    }
    if let Some(kind) = record.get("exception_type").and_then(Value::as_str) {
        text.push_str(&format!("  [{kind}]"));
    }
    if let Some(trace) = record.get("trace_id").and_then(Value::as_str) {
        text.push_str(&format!("  trace={trace}"));
    }
    text
}

fn level_colour(level: &str) -> &'static str {
    match level {
        "ERROR" | "FATAL" => "31",
        "WARN" => "33",
        "INFO" => "32",
        _ => "2",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record() -> Value {
        json!({"ts": "2026-01-02T03:04:05Z", "level": "error", "service": "checkout",
               "body": "POST /orders 503", "http_method": "POST", "http_route": "/orders",
               "http_status": 503, "http_duration_ms": 1200.0, "trace_id": "ab"})
    }

    #[test]
    fn text_is_plain_unless_coloured() {
        let plain = line(&record(), Output::Text, false);
        assert_eq!(
            plain,
            "2026-01-02T03:04:05Z ERROR checkout POST /orders 503  [POST /orders 503 1200ms]  trace=ab"
        );
        let coloured = line(&record(), Output::Text, true);
        assert!(coloured.contains("\u{1b}[31mERROR\u{1b}[0m"), "{coloured}");
    }

    #[test]
    fn json_is_the_record() {
        let text = line(&record(), Output::Json, true);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), record());
    }
}
