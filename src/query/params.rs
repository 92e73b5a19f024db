//! Query parameters of the read API: parsed strictly (unknown or repeated-when-single
//! parameters are errors), with times given as RFC 3339 or relative to now (`now-1h`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::error::ApiError;

/// Longest accepted parameter value, in bytes.
const MAX_VALUE_BYTES: usize = 4096;
/// Most parameters accepted in one request.
const MAX_PARAMETERS: usize = 100;

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    used: Vec<bool>,
}

impl Params {
    /// Decodes a raw query string; values must be valid UTF-8 without NUL.
    pub fn parse(query: Option<&str>) -> Result<Params, ApiError> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if value.contains('\u{FFFD}') || name.contains('\u{FFFD}') {
                return Err(ApiError::invalid(&name, "not valid UTF-8"));
            }
            if value.contains('\0') || name.contains('\0') {
                return Err(ApiError::invalid(&name, "contains a NUL byte"));
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(ApiError::invalid(&name, "longer than 4096 bytes"));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        if pairs.len() > MAX_PARAMETERS {
            return Err(ApiError::invalid("query", "more than 100 parameters"));
        }
        let used = vec![false; pairs.len()];
        Ok(Params { pairs, used })
    }

    /// The pairs as a JSON object for the audit log (repeated names become arrays).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, value) in &self.pairs {
            map.entry(name).or_default().push(value);
        }
        map.into_iter()
            .map(|(name, values)| match values.as_slice() {
                [one] => (name.to_string(), serde_json::Value::from(*one)),
                _ => (name.to_string(), serde_json::Value::from(values)),
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// Every value of a repeatable parameter (`service=a&service=b`, or `service=a,b`).
    pub fn all(&mut self, name: &str) -> Vec<String> {
        let mut values = Vec::new();
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if key == name {
                self.used[i] = true;
                values.extend(value.split(',').map(str::trim).filter(|v| !v.is_empty()));
            }
        }
        values.into_iter().map(String::from).collect()
    }

    /// The value of a single-valued parameter; given twice is an error.
    pub fn one(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let mut found = None;
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if key == name {
                if found.is_some() {
                    return Err(ApiError::invalid(name, "given more than once"));
                }
                self.used[i] = true;
                found = Some(value.clone());
            }
        }
        Ok(found)
    }

    /// A single value parsed by `parse`, whose error text becomes the reason.
    pub fn parsed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ApiError> {
        match self.one(name)? {
            Some(value) => parse(&value)
                .map(Some)
                .map_err(|reason| ApiError::invalid(name, reason)),
            None => Ok(None),
        }
    }

    /// Every `prefix<key>=value` pair, such as `attr.user.id=42`.
    pub fn prefixed(&mut self, prefix: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if let Some(rest) = key.strip_prefix(prefix) {
                self.used[i] = true;
                found.push((rest.to_string(), value.clone()));
            }
        }
        found
    }

    /// Fails on the first parameter no accessor asked for.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.pairs.iter().zip(&self.used).find(|(_, used)| !**used) {
            Some(((name, _), _)) => Err(ApiError::invalid(name, "unknown parameter")),
            None => Ok(()),
        }
    }
}

/// An instant: RFC 3339, or `now` optionally minus or plus a duration (`now-15m`).
pub fn instant(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(relative) = text.strip_prefix("now") {
        if relative.is_empty() {
            return Ok(now);
        }
        let (sign, amount) = relative.split_at(1);
        let offset = duration(amount)?;
        return match sign {
            "-" => now.checked_sub_signed(offset),
            "+" => now.checked_add_signed(offset),
            _ => None,
        }
        .ok_or_else(|| format!("{text:?} is not `now`, `now-<duration>` or `now+<duration>`"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is neither RFC 3339 nor relative like now-1h"))
}

/// A duration like `90s`, `15m`, `1h`, `7d` or `2w`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration like 30s, 15m, 1h or 7d");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds)
        .filter(|s| *s > 0 && *s <= 100 * 365 * 86_400)
        .map(Duration::seconds)
        .ok_or_else(bad)
}

/// Bucket widths `interval=auto` chooses from, in seconds.
const NICE_INTERVALS: [i64; 14] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800,
];
/// Buckets `interval=auto` aims at, at most.
const AUTO_BUCKETS: i64 = 120;
/// Buckets a given interval may make, at most.
const MAX_BUCKETS: i64 = 10_000;

/// The bucket width of a time series over `[from, to)`: the `interval` parameter (a duration)
/// or, when absent or `auto`, the smallest nice width giving at most 120 buckets.
pub fn interval(
    params: &mut Params,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Duration, ApiError> {
    let span = (to - from).num_seconds().max(1);
    let given = params.one("interval")?.filter(|text| text != "auto");
    let Some(text) = given else {
        let seconds = NICE_INTERVALS
            .into_iter()
            .find(|width| span / width <= AUTO_BUCKETS)
            .unwrap_or(NICE_INTERVALS[NICE_INTERVALS.len() - 1]);
        return Ok(Duration::seconds(seconds));
    };
    let width = duration(&text).map_err(|reason| ApiError::invalid("interval", reason))?;
    if span / width.num_seconds() > MAX_BUCKETS {
        return Err(ApiError::invalid(
            "interval",
            "makes more than 10000 buckets; widen it",
        ));
    }
    Ok(width)
}

/// `from` and `to` of a time-series endpoint: as given, else the last `default_span`.
pub fn range(
    params: &mut Params,
    now: DateTime<Utc>,
    default_span: Duration,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = params.parsed("to", |t| instant(t, now))?.unwrap_or(now);
    let from = params
        .parsed("from", |t| instant(t, now))?
        .unwrap_or(to - default_span);
    if from >= to {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_instants() {
        let now = Utc::now();
        assert_eq!(instant("now", now).unwrap(), now);
        assert_eq!(instant("now-1h", now).unwrap(), now - Duration::hours(1));
        assert_eq!(instant("now+2d", now).unwrap(), now + Duration::days(2));
        let at = instant("2026-01-02T03:04:05Z", now).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        assert!(instant("yesterday", now).is_err());
        assert!(instant("now-1y", now).is_err());
        assert!(instant("now*1h", now).is_err());
        assert!(instant("now-99999999999999999d", now).is_err());
    }

    #[test]
    fn auto_intervals_make_at_most_120_buckets() {
        let now = Utc::now();
        let auto = |span: Duration, query: &str| {
            let mut params = Params::parse(Some(query)).unwrap();
            interval(&mut params, now - span, now)
        };
        assert_eq!(auto(Duration::hours(1), "").unwrap(), Duration::seconds(30));
        assert_eq!(
            auto(Duration::hours(24), "interval=auto").unwrap(),
            Duration::minutes(30)
        );
        assert_eq!(
            auto(Duration::hours(24), "interval=1m").unwrap(),
            Duration::minutes(1)
        );
        assert!(auto(Duration::days(30), "interval=1s").is_err());
        assert!(auto(Duration::hours(1), "interval=fortnight").is_err());
    }

    #[test]
    fn unknown_and_repeated_parameters_are_errors() {
        let mut params = Params::parse(Some("limit=1&limit=2")).unwrap();
        assert!(params.one("limit").is_err());
        let mut params = Params::parse(Some("service=a&colour=blue")).unwrap();
        assert_eq!(params.all("service"), ["a"]);
        let error = params.finish().unwrap_err();
        assert!(error.message.contains("colour"), "{}", error.message);
    }

    #[test]
    fn hostile_values_are_refused() {
        assert!(Params::parse(Some("q=%00")).is_err());
        assert!(Params::parse(Some("q=%FF")).is_err());
        let long = format!("q={}", "a".repeat(5000));
        assert!(Params::parse(Some(&long)).is_err());
    }

    #[test]
    fn prefixed_pairs_keep_the_rest_of_the_key() {
        let mut params = Params::parse(Some("attr.user.id=7&attr.a%27b=x")).unwrap();
        let pairs = params.prefixed("attr.");
        assert_eq!(pairs[0], ("user.id".into(), "7".into()));
        assert_eq!(pairs[1], ("a'b".into(), "x".into()));
        params.finish().unwrap();
    }
}
