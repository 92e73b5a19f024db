//! The `COPY` text shared by the rows of table `logs` ([`super::copy`]) and the deduplicated rows
//! ([`super::dedup`]): the column list, and timestamps as PostgreSQL reads them.

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// The `COPY` statement of table `logs`, in the column order of [`super::copy::encode`].
pub const COPY_STATEMENT: &str = "COPY logs (ts, observed_ts, service, level, severity_number, \
    severity_text, body, trace_id, span_id, scope, http_method, http_route, http_status, \
    http_duration_ms, db_system, db_operation, db_query, db_duration_ms, exception_type, \
    exception_message, exception_stacktrace, exception_fingerprint, user_id, error_fingerprint, \
    attributes, resource, retention_class) FROM STDIN";

/// `YYYY-MM-DD HH:MM:SS.ffffff+00`, written digit by digit (chrono's formatter re-parses its
/// format string on every call, and this runs twice per row).
pub(super) fn timestamp(out: &mut Vec<u8>, ts: &DateTime<Utc>) {
    let year = ts.year();
    if !(0..=9999).contains(&year) {
        // Outside what four digits hold: let chrono spell it (`+10000-...`) for PostgreSQL.
        let _ = write!(out, "{}", ts.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        return;
    }
    let micros = ts.timestamp_subsec_micros().min(999_999);
    digits(out, year as u32, 4);
    out.push(b'-');
    digits(out, ts.month(), 2);
    out.push(b'-');
    digits(out, ts.day(), 2);
    out.push(b' ');
    digits(out, ts.hour(), 2);
    out.push(b':');
    digits(out, ts.minute(), 2);
    out.push(b':');
    digits(out, ts.second(), 2);
    out.push(b'.');
    digits(out, micros, 6);
    out.extend_from_slice(b"+00");
}

/// `value` in decimal, zero-padded to `width` digits.
fn digits(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}
