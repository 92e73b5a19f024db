//! The parameters of the Jaeger API, in Jaeger's spelling and units: trace ids of up to 32 hex
//! digits, `start`/`end` in microseconds, `endTs`/`lookback` in milliseconds, Go durations and
//! `tags` as a JSON object.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

use super::super::error::ApiError;
use super::super::params::{Elapsed, Integer, Limit, NonEmpty};
use super::super::traces::params::{SEARCH_DEFAULT_SPAN, Search};

/// Traces per search unless `limit` says otherwise (Jaeger's default).
pub const SEARCH_DEFAULT_LIMIT: i64 = 20;
/// The node graph's window unless `lookback` says otherwise (Jaeger's default).
const DEPENDENCIES_DEFAULT_LOOKBACK: TimeDelta = TimeDelta::days(1);
/// The longest window of the node graph.
const DEPENDENCIES_MAX_LOOKBACK: TimeDelta = TimeDelta::days(31);

/// The search parameters Grafana's Jaeger data source and Jaeger's UI send.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    service: Option<NonEmpty>,
    operation: Option<NonEmpty>,
    /// A JSON object of tag values, `{"http.status_code":"500"}`.
    tags: Option<String>,
    min_duration: Option<Elapsed>,
    max_duration: Option<Elapsed>,
    /// Microseconds since the epoch.
    start: Option<Integer>,
    /// Microseconds since the epoch.
    end: Option<Integer>,
    pub limit: Option<Limit>,
    /// Jaeger's UI sends it beside `start` and `end`, which already say the window.
    #[serde(rename = "lookback")]
    _lookback: Option<String>,
}

impl SearchParams {
    /// The search of the parameters at `now`.
    pub fn search(&self, now: DateTime<Utc>) -> Result<Search, ApiError> {
        let end = match self.end {
            Some(end) => micros("end", end)?,
            None => now,
        };
        let start = match self.start {
            Some(start) => micros("start", start)?,
            None => end - SEARCH_DEFAULT_SPAN,
        };
        if start >= end {
            return Err(ApiError::invalid("start", "must be before `end`"));
        }
        Ok(Search {
            service: self.service.clone().map(|s| s.0),
            operation: self.operation.clone().map(|s| s.0),
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            status_code: None,
            tags: tags(self.tags.as_deref())?,
            range: (start, end),
        })
    }

    /// The traces asked for.
    pub fn limit(&self) -> i64 {
        self.limit.map_or(SEARCH_DEFAULT_LIMIT, Limit::get)
    }
}

/// An instant in microseconds since the epoch.
fn micros(name: &str, value: Integer) -> Result<DateTime<Utc>, ApiError> {
    DateTime::from_timestamp_micros(value.0)
        .filter(|at| at.timestamp() >= 0)
        .ok_or_else(|| ApiError::invalid(name, "must be microseconds since 1970"))
}

/// `tags`: a JSON object of strings (numbers and booleans are taken as their text).
fn tags(text: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let invalid = || ApiError::invalid("tags", "must be a JSON object of tag values");
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|_| invalid())?;
    let tags: Vec<(String, String)> = object
        .into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(s) => Ok((key, s)),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                Ok((key, value.to_string()))
            }
            _ => Err(invalid()),
        })
        .collect::<Result<_, _>>()?;
    // PostgreSQL text cannot hold a NUL character (JSON can, as `\u0000`).
    if tags
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(ApiError::invalid("tags", "contains a NUL character"));
    }
    Ok(tags)
}

/// The parameters of one trace: Grafana may send the query's window, which a lookup by id
/// does not need.
#[derive(Debug, Deserialize)]
pub struct TraceParams {
    #[serde(rename = "start")]
    _start: Option<Integer>,
    #[serde(rename = "end")]
    _end: Option<Integer>,
}

/// A Jaeger trace id: 1 to 32 hex digits, left-padded with zeros to 32 as Jaeger does (a
/// 64-bit id is often written without its leading zeros).
pub fn trace_id(text: &str) -> Result<String, ApiError> {
    let hex = !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex || text.len() > 32 {
        return Err(ApiError::invalid("traceID", "must be 1 to 32 hex digits"));
    }
    Ok(format!("{:0>32}", text.to_ascii_lowercase()))
}

/// A service named in the path: PostgreSQL text cannot hold a NUL character.
pub fn service(name: String) -> Result<String, ApiError> {
    if name.contains('\0') {
        return Err(ApiError::invalid("service", "contains a NUL character"));
    }
    Ok(name)
}

/// The node graph's parameters: `endTs` and `lookback` in milliseconds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyParams {
    end_ts: Option<Integer>,
    lookback: Option<Integer>,
}

impl DependencyParams {
    /// `[endTs - lookback, endTs)`, by default the day before `now`.
    pub fn window(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
        let end = match self.end_ts {
            Some(ms) => DateTime::from_timestamp_millis(ms.0)
                .filter(|at| at.timestamp() >= 0)
                .ok_or_else(|| ApiError::invalid("endTs", "must be milliseconds since 1970"))?,
            None => now,
        };
        let lookback = match self.lookback {
            Some(ms) => TimeDelta::try_milliseconds(ms.0)
                .filter(|d| *d > TimeDelta::zero() && *d <= DEPENDENCIES_MAX_LOOKBACK)
                .ok_or_else(|| {
                    ApiError::invalid("lookback", "must be milliseconds from 1 to 31 days")
                })?,
            None => DEPENDENCIES_DEFAULT_LOOKBACK,
        };
        Ok((end - lookback, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::params::from_query;

    fn parameter(error: ApiError) -> String {
        error.details["parameter"].as_str().unwrap().to_string()
    }

    #[test]
    fn search_parameters_read_jaeger_units_and_name_what_is_wrong() {
        let now = Utc::now();
        let params: SearchParams = from_query(
            "service=web&start=1700000000000000&end=1700000060000000&limit=5\
             &tags=%7B%22http.status_code%22%3A500%7D&lookback=custom&minDuration=1ms",
        )
        .unwrap();
        let search = params.search(now).unwrap();
        assert_eq!(search.range.0.timestamp(), 1_700_000_000);
        assert_eq!(search.range.1.timestamp(), 1_700_000_060);
        assert_eq!(
            search.tags,
            [("http.status_code".to_string(), "500".to_string())]
        );
        assert_eq!(params.limit(), 5);
        let error = |query: &str| {
            let params: SearchParams = from_query(query).unwrap();
            parameter(params.search(now).unwrap_err())
        };
        assert_eq!(error("tags=%5B1%5D"), "tags");
        assert_eq!(
            error("tags=%7B%22k%22%3A%22%5Cu0000%22%7D"),
            "tags",
            "a NUL in a value"
        );
        assert_eq!(parameter(service("a\0b".into()).unwrap_err()), "service");
        assert_eq!(error("start=5&end=4"), "start");
        assert_eq!(error("end=-1"), "end");
        let refused = from_query::<SearchParams>("minDuration=1x").unwrap_err();
        assert_eq!(refused.parameter.as_deref(), Some("minDuration"));
    }

    #[test]
    fn trace_ids_are_padded_as_jaeger_pads_them() {
        assert_eq!(trace_id("ABC").unwrap(), format!("{}abc", "0".repeat(29)));
        assert_eq!(parameter(trace_id(&"a".repeat(33)).unwrap_err()), "traceID");
        assert!(trace_id("xyz").is_err() && trace_id("").is_err());
    }

    #[test]
    fn the_node_graph_window_is_bounded() {
        let now = Utc::now();
        let params: DependencyParams = from_query("endTs=1700000000000&lookback=3600000").unwrap();
        let (from, to) = params.window(now).unwrap();
        assert_eq!((to - from).num_hours(), 1);
        let params: DependencyParams = from_query("lookback=0").unwrap();
        assert_eq!(parameter(params.window(now).unwrap_err()), "lookback");
        let params: DependencyParams = from_query("").unwrap();
        assert_eq!(params.window(now).unwrap(), (now - TimeDelta::days(1), now));
    }
}
