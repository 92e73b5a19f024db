//! Span durations as parameters: Go's duration syntax, which Jaeger's `minDuration` and
//! `maxDuration` take (`250ms`, `1.5s`, `1h30m`, `100us`), read into nanoseconds.

use serde::Deserialize;

/// A non-negative duration, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Elapsed(pub i64);

/// Nanoseconds of each unit Go's `time.ParseDuration` knows.
const UNITS: [(&str, f64); 8] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("μs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
];

impl TryFrom<String> for Elapsed {
    type Error = String;

    fn try_from(text: String) -> Result<Elapsed, String> {
        let bad = || format!("{text:?} is not a duration like 250ms, 1.5s, 2m or 1h30m");
        if text.is_empty() {
            return Err(bad());
        }
        let mut rest = text.as_str();
        let mut nanos = 0.0;
        while !rest.is_empty() {
            let (part, after) = one_part(rest).ok_or_else(bad)?;
            nanos += part;
            rest = after;
        }
        if !nanos.is_finite() || nanos > i64::MAX as f64 {
            return Err(bad());
        }
        Ok(Elapsed(nanos.round() as i64))
    }
}

/// The nanoseconds of the leading `<number><unit>` of `text`, and the text after it.
fn one_part(text: &str) -> Option<(f64, &str)> {
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..number_end].parse().ok()?;
    let after = &text[number_end..];
    // Longest unit first: `ms` before `m`.
    let (unit, scale) = UNITS
        .iter()
        .filter(|(unit, _)| after.starts_with(unit))
        .max_by_key(|(unit, _)| unit.len())?;
    Some((number * scale, &after[unit.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<i64, String> {
        Elapsed::try_from(text.to_string()).map(|e| e.0)
    }

    #[test]
    fn go_durations_read_as_nanoseconds() {
        assert_eq!(parse("250ms"), Ok(250_000_000));
        assert_eq!(parse("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse("100us"), Ok(100_000));
        assert_eq!(parse("100µs"), Ok(100_000));
        assert_eq!(parse("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse("2m"), Ok(120_000_000_000));
        assert_eq!(parse("7ns"), Ok(7));
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        for bad in [
            "",
            "1x",
            "ms",
            "1",
            "-1s",
            "1.2.3s",
            "1s2",
            "9999999999999h",
        ] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains("is not a duration"), "{bad}: {error}");
        }
    }
}
