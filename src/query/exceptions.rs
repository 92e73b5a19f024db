//! Exception groups: `GET /api/v1/exceptions` (filtered, sorted), `GET /api/v1/exceptions/{id}`
//! (with recent occurrences), `PUT /api/v1/exceptions/{id}/resolve` and `.../reopen`, and
//! `GET /api/v1/exceptions/patterns` (occurrences per type over time).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{
    Bounded, Flag, Integer, Interval, Limit, NonEmpty, Path, Query, Time, bounds, window,
};
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::auth::Principal;
use crate::store::read::exceptions::{
    self as groups, CallPath, ExceptionGroup, GroupFilter, GroupOrder, Occurrence, PatternCount,
    PatternFilter,
};

/// Groups skipped: 0 to 100000.
pub type Offset = Bounded<0, 100_000>;
/// Occurrences shown with one group.
const RECENT_OCCURRENCES: i64 = 20;
/// Call paths shown with one group.
const CALL_PATHS: i64 = 20;
/// Longest resolution note, in bytes.
const MAX_NOTES_BYTES: usize = 4096;

/// Exception groups.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionList {
    pub exceptions: Vec<ExceptionGroup>,
}

/// One exception group with a sample stack trace and its newest occurrences.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionDetail {
    #[serde(flatten)]
    pub group: ExceptionGroup,
    pub sample_stacktrace: Option<String>,
    /// The newest logs of the group (at most 20), newest first.
    pub recent_occurrences: Vec<LinkedOccurrence>,
    /// The group's distinct call paths with their occurrences (at most 20), most first.
    pub call_paths: Vec<CallPath>,
}

/// An occurrence with the read API path of its whole log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkedOccurrence {
    #[serde(flatten)]
    pub log: Occurrence,
    /// `/api/v1/logs/{id}`.
    pub link: String,
}

/// The body of a resolve request.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// Why or how the group was resolved; at most 4096 bytes.
    pub notes: Option<String>,
}

/// Occurrences per exception type and time bucket.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Patterns {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub interval_seconds: i64,
    /// The 20 types with most occurrences, most first.
    pub series: Vec<PatternSeries>,
}

/// The buckets of one exception type.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PatternSeries {
    pub exception_type: String,
    /// Buckets with occurrences, oldest first; empty buckets are left out.
    pub buckets: Vec<Bucket>,
}

/// Occurrences in `[start, start + interval)`; starts are multiples of the interval since the
/// Unix epoch, so the first may lie before `from`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub count: i64,
}

/// Exception groups matching the filters: most recently seen or most frequent first.
#[utoipa::path(get, path = "/api/v1/exceptions", operation_id = "list_exceptions",
    tag = "exceptions",
    params(ExceptionParams),
    responses((status = 200, body = ExceptionList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<ExceptionParams>,
) -> Result<Response, ApiError> {
    let filter = group_filter(params, &caller, Utc::now())?;
    let mut exceptions = groups::list(&state.pool, &filter).await?;
    if caller.masks_personal_data() {
        exceptions.iter_mut().for_each(mask_group);
    }
    let rows = exceptions.len();
    Ok(with_rows(Json(ExceptionList { exceptions }), rows))
}

/// One exception group with its sample stack trace and newest occurrences.
#[utoipa::path(get, path = "/api/v1/exceptions/{id}", operation_id = "get_exception",
    tag = "exceptions",
    params(GroupPath),
    responses((status = 200, body = ExceptionDetail), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn by_id(
    State(state): State<QueryState>,
    caller: Caller,
    Path(GroupPath { id }): Path<GroupPath>,
) -> Result<Response, ApiError> {
    let Integer(id) = id;
    let scope = caller.scope();
    let found = groups::by_id(&state.pool, scope.as_deref(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("exception group"))?;
    let fingerprint = &found.group.fingerprint;
    let occurrences = groups::recent_occurrences(
        &state.pool,
        scope.as_deref(),
        fingerprint,
        RECENT_OCCURRENCES,
    )
    .await?;
    let call_paths = groups::call_paths(&state.pool, fingerprint, CALL_PATHS).await?;
    let mut detail = ExceptionDetail {
        group: found.group,
        sample_stacktrace: found.sample_stacktrace,
        recent_occurrences: occurrences.into_iter().map(linked).collect(),
        call_paths,
    };
    if caller.masks_personal_data() {
        mask_detail(&mut detail);
    }
    let rows = 1 + detail.recent_occurrences.len();
    Ok(with_rows(Json(detail), rows))
}

/// Marks a group resolved by the caller, clearing its regression flag; a later occurrence
/// reopens it as a regression.
#[utoipa::path(put, path = "/api/v1/exceptions/{id}/resolve",
    operation_id = "resolve_exception", tag = "exceptions",
    params(GroupPath),
    request_body(content = Option<Resolution>, description = "Optional notes"),
    responses((status = 200, body = ExceptionGroup), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<QueryState>,
    caller: Caller,
    Path(GroupPath { id }): Path<GroupPath>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Integer(id) = id;
    let resolution = resolution(&body)?;
    let resolved_by = format!("{} (token {})", caller.name, caller.token_id);
    let scope = caller.scope();
    let notes = resolution.notes.as_deref();
    let mut group = groups::resolve(&state.pool, scope.as_deref(), id, &resolved_by, notes)
        .await?
        .ok_or_else(|| ApiError::not_found("exception group"))?;
    if caller.masks_personal_data() {
        mask_group(&mut group);
    }
    Ok(with_rows(Json(group), 1))
}

/// Reopens a resolved group by hand, with optional notes (which replace the resolution's).
#[utoipa::path(put, path = "/api/v1/exceptions/{id}/reopen",
    operation_id = "reopen_exception", tag = "exceptions",
    params(GroupPath),
    request_body(content = Option<Resolution>, description = "Optional notes: why it is open again"),
    responses((status = 200, body = ExceptionGroup), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reopen(
    State(state): State<QueryState>,
    caller: Caller,
    Path(GroupPath { id }): Path<GroupPath>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Integer(id) = id;
    let resolution = resolution(&body)?;
    let scope = caller.scope();
    let notes = resolution.notes.as_deref();
    let mut group = groups::reopen(&state.pool, scope.as_deref(), id, notes)
        .await?
        .ok_or_else(|| ApiError::not_found("exception group"))?;
    if caller.masks_personal_data() {
        mask_group(&mut group);
    }
    Ok(with_rows(Json(group), 1))
}

/// Occurrences per exception type per time bucket, from the logs (default: the last 24 hours).
#[utoipa::path(get, path = "/api/v1/exceptions/patterns",
    operation_id = "exception_patterns", tag = "exceptions",
    params(PatternParams),
    responses((status = 200, body = Patterns), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patterns(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<PatternParams>,
) -> Result<Response, ApiError> {
    let services = filters::services(params.service, &caller)?;
    let (from, to) = window(params.from, params.to, Utc::now(), Duration::hours(24))?;
    let filter = PatternFilter {
        from,
        to,
        interval: Interval::width(params.interval, from, to)?,
        services,
        exception_type: params.exception_type.map(|t| t.0),
        scope: caller.scope(),
    };
    let counts = groups::patterns(&state.pool, &filter).await?;
    let rows = counts.len();
    let answer = Patterns {
        from,
        to,
        interval_seconds: filter.interval.num_seconds(),
        series: series(counts),
    };
    Ok(with_rows(Json(answer), rows))
}

/// The list filter of the parameters, with the caller's scope.
fn group_filter(
    params: ExceptionParams,
    caller: &Principal,
    now: DateTime<Utc>,
) -> Result<GroupFilter, ApiError> {
    let services = filters::services(params.service, caller)?;
    let (from, to) = bounds(params.from, params.to, now)?;
    Ok(GroupFilter {
        services,
        exception_type: params.exception_type.map(|t| t.0),
        resolved: params.resolved.map(|f| f.0),
        regression: params.regression.map(|f| f.0),
        from,
        to,
        order: params.sort.map(|s| s.0).unwrap_or_default(),
        limit: Limit::or_default(params.limit),
        offset: params.offset.map_or(0, Offset::get),
        scope: caller.scope(),
    })
}

/// `sort`: the order of the group list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Sort(GroupOrder);

impl TryFrom<String> for Sort {
    type Error = String;

    fn try_from(text: String) -> Result<Sort, String> {
        match text.as_str() {
            "last_seen" => Ok(Sort(GroupOrder::LastSeen)),
            "count" => Ok(Sort(GroupOrder::Count)),
            _ => Err("must be last_seen or count".into()),
        }
    }
}

/// The body of a resolve request: empty, or a JSON object with optional `notes`.
fn resolution(body: &[u8]) -> Result<Resolution, ApiError> {
    if body.trim_ascii().is_empty() {
        return Ok(Resolution::default());
    }
    let resolution: Resolution = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid("body", error.to_string()))?;
    let notes = resolution.notes.as_deref().unwrap_or_default();
    if notes.len() > MAX_NOTES_BYTES {
        return Err(ApiError::invalid("notes", "longer than 4096 bytes"));
    }
    if notes.contains('\0') {
        return Err(ApiError::invalid("notes", "contains a NUL byte"));
    }
    Ok(resolution)
}

fn linked(log: Occurrence) -> LinkedOccurrence {
    let link = format!("/api/v1/logs/{}", log.id);
    LinkedOccurrence { log, link }
}

/// Counts ordered by type (most occurrences first), then bucket, as series per type.
fn series(counts: Vec<PatternCount>) -> Vec<PatternSeries> {
    let mut series: Vec<PatternSeries> = Vec::new();
    for count in counts {
        let bucket = Bucket {
            start: count.start,
            count: count.count,
        };
        match series.last_mut() {
            Some(last) if last.exception_type == count.exception_type => last.buckets.push(bucket),
            _ => series.push(PatternSeries {
                exception_type: count.exception_type,
                buckets: vec![bucket],
            }),
        }
    }
    series
}

/// Masks personal data in a group's free text for support tokens.
fn mask_group(group: &mut ExceptionGroup) {
    if group.message.chars().count() >= crate::store::read::LIST_TEXT_MAX_CHARS {
        // Cut in SQL: its last word may be part of an address the mask would not recognize.
        super::logs::drop_last_word(&mut group.message);
    }
    mask::text(&mut group.message);
    if let Some(notes) = &mut group.resolution_notes {
        mask::text(notes);
    }
}

fn mask_detail(detail: &mut ExceptionDetail) {
    mask_group(&mut detail.group);
    if let Some(stack) = &mut detail.sample_stacktrace {
        mask::text(stack);
    }
    for occurrence in &mut detail.recent_occurrences {
        mask::text(&mut occurrence.log.body);
        if occurrence.log.user_id.is_some() {
            occurrence.log.user_id = Some(mask::MASK.to_string());
        }
    }
}

/// The parameters of the group list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExceptionParams {
    /// Service name; repeatable, or comma-separated.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Exact exception type.
    #[serde(rename = "type")]
    #[param(value_type = Option<String>)]
    exception_type: Option<NonEmpty>,
    /// `true` or `false`.
    #[param(value_type = Option<bool>)]
    resolved: Option<Flag>,
    /// `true` or `false`: occurred again after being resolved.
    #[param(value_type = Option<bool>)]
    regression: Option<Flag>,
    /// `last_seen` at or after: RFC 3339 or relative like `now-1h`.
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// `last_seen` before: RFC 3339 or relative like `now`.
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// `last_seen` (default) or `count`, descending.
    #[param(value_type = Option<String>)]
    sort: Option<Sort>,
    /// Groups per answer, 1-1000 (default 100).
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
    /// Groups skipped, 0-100000.
    #[param(value_type = Option<i64>)]
    offset: Option<Offset>,
}

/// The parameters of the exception patterns.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatternParams {
    /// Start, inclusive (default: 24 hours before `to`): RFC 3339 or relative like `now-1h`.
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// End, exclusive (default: now).
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Bucket width like `5m` or `1h`, or `auto` (default: at most 120 buckets).
    #[param(value_type = Option<String>)]
    interval: Option<Interval>,
    /// Service name; repeatable, or comma-separated.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Exact exception type.
    #[serde(rename = "type")]
    #[param(value_type = Option<String>)]
    exception_type: Option<NonEmpty>,
}

/// The path of one exception group.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GroupPath {
    /// The group's id
    #[param(value_type = i64)]
    id: Integer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_bodies_are_checked() {
        assert!(resolution(b"").unwrap().notes.is_none());
        assert_eq!(
            resolution(br#"{"notes": "fixed"}"#)
                .unwrap()
                .notes
                .as_deref(),
            Some("fixed")
        );
        let unknown = resolution(br#"{"note": "typo"}"#).unwrap_err();
        assert!(
            unknown.message.contains("unknown field `note`"),
            "{}",
            unknown.message
        );
        let long = format!(r#"{{"notes": "{}"}}"#, "a".repeat(4097));
        let error = resolution(long.as_bytes()).unwrap_err();
        assert_eq!(error.details["parameter"], "notes");
        assert!(resolution(br#"{"notes": "a\u0000b"}"#).is_err());
        assert!(resolution(b"[1]").is_err());
    }

    #[test]
    fn series_split_ordered_counts_by_type() {
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let count = |t: &str, s: i64, n: i64| PatternCount {
            exception_type: t.into(),
            start: at(s),
            count: n,
        };
        let series = series(vec![count("A", 0, 3), count("A", 60, 2), count("B", 60, 1)]);
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].exception_type, "A");
        assert_eq!(series[0].buckets.len(), 2);
        assert_eq!(series[1].buckets[0].count, 1);
    }
}
