//! The export's encoder: received rows into body chunks of the chosen format, with the cells
//! a spreadsheet would run as formulas quoted (CSV) and the characters that could forge lines
//! or terminal escapes escaped (text).

use axum::body::Bytes;
use chrono::{SecondsFormat, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Ending, Format};
use crate::auth::Principal;
use crate::query::mask;
use crate::store::audit::StreamEnd;
use crate::store::read::LogRow;
use crate::store::read::export::RowReceiver;

/// Bytes per body chunk, about.
const CHUNK_BYTES: usize = 64 * 1024;

/// The CSV header: the columns of [`csv_record`], in order.
const CSV_HEADER: [&str; 29] = [
    "id",
    "ts",
    "observed_ts",
    "service",
    "level",
    "severity_number",
    "severity_text",
    "body",
    "trace_id",
    "span_id",
    "scope",
    "user_id",
    "http_method",
    "http_route",
    "http_status",
    "http_duration_ms",
    "db_system",
    "db_operation",
    "db_query",
    "db_duration_ms",
    "exception_type",
    "exception_message",
    "exception_stacktrace",
    "exception_fingerprint",
    "attributes",
    "resource",
    "dedup_count",
    "first_seen",
    "last_seen",
];

/// Turns received rows into body chunks; ends the body with an error if the query failed, so
/// that a client never mistakes a cut-off export for a complete one.
pub(super) struct Encoder {
    format: Format,
    caller: Principal,
    received: RowReceiver,
    query: Option<JoinHandle<StreamEnd>>,
    ended: Ending,
    rows: u64,
    started: bool,
}

impl Encoder {
    pub(super) fn new(
        format: Format,
        caller: Principal,
        received: RowReceiver,
        query: JoinHandle<StreamEnd>,
        ended: Ending,
    ) -> Encoder {
        Encoder {
            format,
            caller,
            received,
            query: Some(query),
            ended,
            rows: 0,
            started: false,
        }
    }

    pub(super) async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
        if !self.started {
            self.started = true;
            self.begin(&mut chunk);
        }
        let mut rows_in_chunk = 0;
        while chunk.len() < CHUNK_BYTES {
            // Wait for the chunk's first row; then take only what has already arrived.
            let row = if rows_in_chunk == 0 {
                self.received.recv().await
            } else {
                match self.received.try_recv() {
                    Ok(row) => Some(row),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                }
            };
            let Some(mut row) = row else {
                return self.finish(chunk).await;
            };
            if self.caller.masks_personal_data() {
                mask::row(&mut row);
            }
            self.encode(&mut chunk, &row);
            self.rows += 1;
            rows_in_chunk += 1;
        }
        Some(Ok(Bytes::from(chunk)))
    }

    /// The end of the rows: the closing bytes, or an error that cuts the body off, so that a
    /// client never mistakes an export that ended early for a complete one.
    async fn finish(&mut self, mut chunk: Vec<u8>) -> Option<Result<Bytes, std::io::Error>> {
        let query = self.query.take()?;
        let end = query.await.unwrap_or(StreamEnd::Failed);
        if end != StreamEnd::Complete {
            return Some(Err(std::io::Error::other(format!(
                "export ended early: {}",
                end.as_str()
            ))));
        }
        if self.format == Format::Json {
            chunk.extend_from_slice(b"]\n");
        }
        self.ended.report(StreamEnd::Complete, self.rows);
        Some(Ok(Bytes::from(chunk)))
    }

    fn begin(&self, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => out.push(b'['),
            Format::Csv => write_csv(out, CSV_HEADER.map(String::from)),
            Format::Ndjson | Format::Txt => {}
        }
    }

    fn encode(&self, out: &mut Vec<u8>, row: &LogRow) {
        match self.format {
            Format::Ndjson => {
                serde_json::to_writer(&mut *out, row).expect("rows serialize");
                out.push(b'\n');
            }
            Format::Json => {
                if self.rows > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, row).expect("rows serialize");
            }
            Format::Csv => write_csv(out, csv_record(row)),
            Format::Txt => text_line(out, row),
        }
    }
}

impl Drop for Encoder {
    /// The body dropped before its end: the client went away.
    fn drop(&mut self) {
        self.ended.report(StreamEnd::ClientGone, self.rows);
    }
}

/// One record as one line of text: `<ts> <LEVEL> <service> <body>[ (<n> times)]`.
fn text_line(out: &mut Vec<u8>, row: &LogRow) {
    let ts = row.ts.to_rfc3339_opts(SecondsFormat::Micros, true);
    let repeated = match row.dedup_count {
        1 => String::new(),
        count => format!(" ({count} times)"),
    };
    let line = format!(
        "{ts} {:<5} {} {}{repeated}\n",
        escape_line(&row.level.to_uppercase()),
        escape_line(&row.service),
        escape_line(&row.body)
    );
    out.extend_from_slice(line.as_bytes());
}

/// Text that stays on its line and cannot drive a terminal: backslash, line breaks, control
/// characters (ANSI escapes start with one) and Unicode line separators written as escapes.
fn escape_line(text: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| !(c == '\\' || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'));
    if text.chars().all(plain) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if plain(c) => escaped.push(c),
            c => escaped.push_str(&format!("\\u{{{:04x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// A cell a spreadsheet would not run as a formula: text starting with `=`, `+`, `-`, `@`, tab
/// or carriage return gets a leading `'` (OWASP's rule for CSV injection).
fn csv_cell(text: String) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text,
    }
}

fn write_csv<const N: usize>(out: &mut Vec<u8>, record: [String; N]) {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(&record).expect("CSV into memory");
    writer.flush().expect("CSV into memory");
}

/// A row as CSV fields, in [`CSV_HEADER`] order.
fn csv_record(row: &LogRow) -> [String; 29] {
    let text = |v: &Option<String>| csv_cell(v.clone().unwrap_or_default());
    let number = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    let ts = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, true);
    [
        row.id.to_string(),
        ts(&row.ts),
        ts(&row.observed_ts),
        csv_cell(row.service.clone()),
        csv_cell(row.level.clone()),
        row.severity_number.to_string(),
        text(&row.severity_text),
        csv_cell(row.body.clone()),
        text(&row.trace_id),
        text(&row.span_id),
        text(&row.scope),
        text(&row.user_id),
        text(&row.http_method),
        text(&row.http_route),
        row.http_status.map(|s| s.to_string()).unwrap_or_default(),
        number(row.http_duration_ms),
        text(&row.db_system),
        text(&row.db_operation),
        text(&row.db_query),
        number(row.db_duration_ms),
        text(&row.exception_type),
        text(&row.exception_message),
        text(&row.exception_stacktrace),
        text(&row.exception_fingerprint),
        csv_cell(row.attributes.0.to_string()),
        csv_cell(row.resource.0.to_string()),
        row.dedup_count.to_string(),
        ts(&row.first_seen),
        ts(&row.last_seen),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_be_formulas_are_quoted() {
        for formula in ["=1+1", "+1", "-1+cmd", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(formula.to_string()), format!("'{formula}"));
        }
        assert_eq!(csv_cell("plain = text".to_string()), "plain = text");
        assert_eq!(csv_cell(String::new()), "");
    }

    #[test]
    fn text_lines_cannot_be_forged_or_drive_a_terminal() {
        let forged = "ok\n2026-01-01T00:00:00Z ERROR api forged\r\u{1b}[2J\u{2028}\\n";
        let escaped = escape_line(forged);
        assert!(
            !escaped.chars().any(|c| c.is_control() || c == '\u{2028}'),
            "{escaped}"
        );
        assert_eq!(
            escaped,
            "ok\\n2026-01-01T00:00:00Z ERROR api forged\\r\\u{001b}[2J\\u{2028}\\\\n"
        );
        assert!(matches!(
            escape_line("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
