//! Times of the read API's parameters: instants given as RFC 3339 or relative to the request's
//! `now` (`now-1h`), the `from`/`to` range they make, and the `interval` of a time series.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::query::ApiError;

/// Bucket widths `interval=auto` chooses from, in seconds.
const NICE_INTERVALS: [i64; 14] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800,
];
/// Buckets `interval=auto` aims at, at most.
const AUTO_BUCKETS: i64 = 120;
/// Buckets a given interval may make, at most.
const MAX_BUCKETS: i64 = 10_000;

/// An instant as given: RFC 3339, or `now` optionally minus or plus a duration (`now-15m`),
/// resolved against the one `now` of the request by [`Time::at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Time {
    At(DateTime<Utc>),
    /// `now` plus this (signed) offset.
    Now(Duration),
}

impl Time {
    /// The instant, relative ones taken from `now`.
    pub fn at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Time::At(at) => at,
            Time::Now(offset) => now + offset,
        }
    }
}

impl TryFrom<String> for Time {
    type Error = String;

    fn try_from(text: String) -> Result<Time, String> {
        let Some(relative) = text.strip_prefix("now") else {
            return DateTime::parse_from_rfc3339(&text)
                .map(|t| Time::At(t.with_timezone(&Utc)))
                .map_err(|_| format!("{text:?} is neither RFC 3339 nor relative like now-1h"));
        };
        if relative.is_empty() {
            return Ok(Time::Now(Duration::zero()));
        }
        let bad = || format!("{text:?} is not `now`, `now-<duration>` or `now+<duration>`");
        let sign = relative.chars().next().ok_or_else(bad)?;
        let offset = duration(&relative[sign.len_utf8()..])?;
        match sign {
            '-' => Ok(Time::Now(-offset)),
            '+' => Ok(Time::Now(offset)),
            _ => Err(bad()),
        }
    }
}

/// A duration like `90s`, `15m`, `1h`, `7d` or `2w`, up to 100 years.
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

/// `from` and `to` of a filter, either open.
pub type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Optional `from` and `to` at `now`; when both are given, `from` must come first.
pub fn bounds(
    from: Option<Time>,
    to: Option<Time>,
    now: DateTime<Utc>,
) -> Result<Bounds, ApiError> {
    let (from, to) = (from.map(|t| t.at(now)), to.map(|t| t.at(now)));
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    Ok((from, to))
}

/// `[from, to)` of a time-series endpoint: as given, else `to` is now and `from` is
/// `default_span` before `to`.
pub fn window(
    from: Option<Time>,
    to: Option<Time>,
    now: DateTime<Utc>,
    default_span: Duration,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = to.map_or(now, |t| t.at(now));
    let from = from.map_or(to - default_span, |t| t.at(now));
    if from >= to {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    Ok((from, to))
}

/// The `interval` parameter: a bucket width, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Interval(Option<Duration>);

impl TryFrom<String> for Interval {
    type Error = String;

    fn try_from(text: String) -> Result<Interval, String> {
        if text == "auto" {
            return Ok(Interval(None));
        }
        duration(&text).map(|width| Interval(Some(width)))
    }
}

impl Interval {
    /// The bucket width over `[from, to)`: the given one, or when absent or `auto` the smallest
    /// nice width giving at most 120 buckets. A given width may make at most 10000 buckets.
    pub fn width(
        interval: Option<Interval>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Duration, ApiError> {
        let span = (to - from).num_seconds().max(1);
        let Some(width) = interval.and_then(|i| i.0) else {
            let seconds = NICE_INTERVALS
                .into_iter()
                .find(|width| span / width <= AUTO_BUCKETS)
                .unwrap_or(NICE_INTERVALS[NICE_INTERVALS.len() - 1]);
            return Ok(Duration::seconds(seconds));
        };
        if span / width.num_seconds() > MAX_BUCKETS {
            return Err(ApiError::invalid(
                "interval",
                "makes more than 10000 buckets; widen it",
            ));
        }
        Ok(width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        Time::try_from(text.to_string()).map(|t| t.at(now))
    }

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
        assert_eq!(
            instant("now*1h", now).unwrap_err(),
            "\"now*1h\" is not `now`, `now-<duration>` or `now+<duration>`"
        );
        assert!(instant("now-99999999999999999d", now).is_err());
        assert!(instant("now€1h", now).is_err());
    }

    #[test]
    fn auto_intervals_make_at_most_120_buckets() {
        let now = Utc::now();
        let auto = |span: Duration, given: Option<&str>| {
            let interval = given.map(|text| Interval::try_from(text.to_string()).unwrap());
            Interval::width(interval, now - span, now)
        };
        assert_eq!(
            auto(Duration::hours(1), None).unwrap(),
            Duration::seconds(30)
        );
        assert_eq!(
            auto(Duration::hours(24), Some("auto")).unwrap(),
            Duration::minutes(30)
        );
        assert_eq!(
            auto(Duration::hours(24), Some("1m")).unwrap(),
            Duration::minutes(1)
        );
        assert!(auto(Duration::days(30), Some("1s")).is_err());
        assert!(Interval::try_from("fortnight".to_string()).is_err());
    }

    #[test]
    fn ranges_are_ordered() {
        let now = Utc::now();
        let (from, to) = window(None, None, now, Duration::hours(1)).unwrap();
        assert_eq!((from, to), (now - Duration::hours(1), now));
        let same = Some(Time::Now(Duration::zero()));
        assert!(window(same, same, now, Duration::hours(1)).is_err());
        let error = bounds(same, Some(Time::Now(-Duration::hours(1))), now).unwrap_err();
        assert_eq!(error.details["parameter"], "from");
        assert_eq!(bounds(None, same, now).unwrap(), (None, Some(now)));
    }
}
