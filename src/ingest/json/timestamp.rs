//! Timestamps of JSON logs: RFC 3339 strings or epoch numbers in s, ms, µs or ns by magnitude.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// Parses a timestamp value, or explains why it cannot.
pub fn parse(value: &Value) -> Result<DateTime<Utc>, String> {
    match value {
        Value::String(text) => parse_text(text),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                from_epoch_int(int)
            } else {
                from_epoch_float(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::Object(map) => match map.get("timestamp").or_else(|| map.get("$date")) {
            Some(inner) if !inner.is_object() => parse(inner),
            _ => Err("unparseable timestamp: an object".to_string()),
        },
        other => Err(format!("unparseable timestamp {other}")),
    }
}

fn parse_text(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(ts) = DateTime::parse_from_rfc3339(text) {
        return Ok(ts.with_timezone(&Utc));
    }
    // Common near-RFC-3339 forms: a space instead of `T`, or no offset (taken as UTC).
    let with_t = text.replacen(' ', "T", 1);
    if let Ok(ts) = DateTime::parse_from_rfc3339(&with_t) {
        return Ok(ts.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(&with_t, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(naive.and_utc());
    }
    if let Ok(int) = text.parse::<i64>() {
        return from_epoch_int(int);
    }
    if let Ok(float) = text.parse::<f64>() {
        return from_epoch_float(float);
    }
    Err(format!("unparseable timestamp {text:?}"))
}

/// Epoch integers: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds,
/// else nanoseconds.
fn from_epoch_int(value: i64) -> Result<DateTime<Utc>, String> {
    let magnitude = value.unsigned_abs();
    let ts = if magnitude < 100_000_000_000 {
        DateTime::from_timestamp(value, 0)
    } else if magnitude < 100_000_000_000_000 {
        DateTime::from_timestamp_millis(value)
    } else if magnitude < 100_000_000_000_000_000 {
        DateTime::from_timestamp_micros(value)
    } else {
        Some(DateTime::from_timestamp_nanos(value))
    };
    ts.ok_or_else(|| format!("timestamp {value} is out of range"))
}

fn from_epoch_float(value: f64) -> Result<DateTime<Utc>, String> {
    if !value.is_finite() || value.abs() >= 9.2e18 {
        return Err(format!("timestamp {value} is out of range"));
    }
    if value.abs() >= 1e11 {
        // Fractions of milliseconds and finer do not matter at these magnitudes.
        return from_epoch_int(value as i64);
    }
    let seconds = value.floor();
    let nanos = ((value - seconds) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(seconds as i64, nanos)
        .ok_or_else(|| format!("timestamp {value} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn iso(value: Value) -> String {
        parse(&value)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    }

    #[test]
    fn epoch_units_are_told_apart_by_magnitude() {
        let expected = "2026-11-22T10:00:00.000000000Z";
        assert_eq!(iso(json!(1795341600)), expected);
        assert_eq!(iso(json!(1795341600000_i64)), expected);
        assert_eq!(iso(json!(1795341600000000_i64)), expected);
        assert_eq!(iso(json!(1795341600000000000_i64)), expected);
        assert_eq!(iso(json!("1795341600000")), expected);
    }

    #[test]
    fn fractional_seconds_keep_their_fraction() {
        assert_eq!(iso(json!(1795341600.25)), "2026-11-22T10:00:00.250000000Z");
    }

    #[test]
    fn rfc3339_and_near_forms() {
        assert_eq!(
            iso(json!("2026-11-22T11:00:00+01:00")),
            "2026-11-22T10:00:00.000000000Z"
        );
        assert_eq!(
            iso(json!("2026-11-22 10:00:00.5+00:00")),
            "2026-11-22T10:00:00.500000000Z"
        );
        assert_eq!(
            iso(json!("2026-11-22T10:00:00")),
            "2026-11-22T10:00:00.000000000Z"
        );
        assert_eq!(
            iso(json!({"repr": "x", "timestamp": 1795341600})),
            "2026-11-22T10:00:00.000000000Z"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            json!("yesterday"),
            json!(true),
            json!(null),
            json!([1]),
            json!(1e300),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }
}
