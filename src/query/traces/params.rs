//! The parameters of the trace reads, and the span search they make with the caller's scope.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

use super::super::error::ApiError;
use super::super::filters;
use super::super::mask;
use super::super::params::{Elapsed, KeyCursor, Limit, NonEmpty, Time, TraceId, window};
use crate::auth::Principal;
use crate::model::SpanStatus;
use crate::store::read::spans::SpanSearch;

/// How far back a search looks when `from` is not given.
pub const SEARCH_DEFAULT_SPAN: TimeDelta = TimeDelta::hours(24);

/// The path of one trace.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TracePath {
    /// 32 hex digits
    #[param(value_type = String)]
    pub trace_id: TraceId,
}

/// The paging of one trace's spans.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanPageParams {
    /// Spans per page, 1-1000 (default 1000)
    #[param(value_type = Option<i64>)]
    pub limit: Option<Limit>,
    /// `next_cursor` of the previous page
    #[param(value_type = Option<String>)]
    pub cursor: Option<KeyCursor>,
}

/// The filters and paging of the trace search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A service that has a matching span.
    #[param(value_type = Option<String>)]
    pub service: Option<NonEmpty>,
    /// A span name (operation) that matches.
    #[param(value_type = Option<String>)]
    pub operation: Option<NonEmpty>,
    /// A matching span lasts at least this long: `250ms`, `1.5s`, `2m`.
    #[param(value_type = Option<String>)]
    pub min_duration: Option<Elapsed>,
    /// A matching span lasts at most this long.
    #[param(value_type = Option<String>)]
    pub max_duration: Option<Elapsed>,
    /// A matching span has this status: `error`, `ok` or `unset`.
    #[param(value_type = Option<String>)]
    pub status: Option<StatusName>,
    /// Start of a matching span, inclusive: RFC 3339 or relative like `now-1h` (default: 24
    /// hours before `to`).
    #[param(value_type = Option<String>)]
    pub from: Option<Time>,
    /// End, exclusive (default now).
    #[param(value_type = Option<String>)]
    pub to: Option<Time>,
    /// Traces per page, 1-1000 (default 20)
    #[param(value_type = Option<i64>)]
    pub limit: Option<Limit>,
    /// `next_cursor` of the previous page
    #[param(value_type = Option<String>)]
    pub cursor: Option<KeyCursor>,
}

/// A span status by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct StatusName(pub i16);

impl TryFrom<String> for StatusName {
    type Error = String;

    fn try_from(name: String) -> Result<StatusName, String> {
        match name.as_str() {
            "unset" => Ok(StatusName(0)),
            "ok" => Ok(StatusName(1)),
            "error" => Ok(StatusName(SpanStatus::ERROR)),
            _ => Err(format!("{name:?} is not a status (error, ok, unset)")),
        }
    }
}

/// What a search asks for, checked against the caller's scope: a service outside it is
/// refused (403).
#[derive(Debug)]
pub struct Search {
    pub service: Option<String>,
    pub operation: Option<String>,
    pub min_duration: Option<Elapsed>,
    pub max_duration: Option<Elapsed>,
    pub status_code: Option<i16>,
    pub tags: Vec<(String, String)>,
    pub range: (DateTime<Utc>, DateTime<Utc>),
}

impl Search {
    /// The store's search for `caller`; `max_duration` below `min_duration` is a 400.
    pub fn into_store(self, caller: &Principal, names: [&str; 2]) -> Result<SpanSearch, ApiError> {
        if let (Some(min), Some(max)) = (self.min_duration, self.max_duration)
            && max.0 < min.0
        {
            return Err(ApiError::invalid(
                names[1],
                format!("must not be below {}", names[0]),
            ));
        }
        let service = filters::services(self.service.into_iter().collect(), caller)?.pop();
        if caller.masks_personal_data() {
            refuse_personal_tags(&self.tags)?;
        }
        Ok(SpanSearch {
            from: self.range.0,
            to: self.range.1,
            service,
            operation: self.operation,
            min_duration_ns: self.min_duration.map(|d| d.0),
            max_duration_ns: self.max_duration.map(|d| d.0),
            status_code: self.status_code,
            tags: self.tags,
            scope: caller.scope(),
        })
    }
}

/// Refuses (403) tag filters through which a support token could find the personal data its
/// answers mask, as the log filters do.
fn refuse_personal_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
    for (key, value) in tags {
        if mask::is_personal_path(key) || mask::holds_personal_text(value) {
            return Err(ApiError::forbidden(format!(
                "a support token may not filter on tag {key:?}: it would match the personal \
                 data its answers mask"
            )));
        }
    }
    Ok(())
}

impl SearchParams {
    /// The search of the parameters at `now`.
    pub fn search(&self, now: DateTime<Utc>) -> Result<Search, ApiError> {
        Ok(Search {
            service: self.service.clone().map(|s| s.0),
            operation: self.operation.clone().map(|s| s.0),
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            status_code: self.status.map(|s| s.0),
            tags: Vec::new(),
            range: window(self.from, self.to, now, SEARCH_DEFAULT_SPAN)?,
        })
    }
}
