//! Exception groups: `GET /api/v1/exceptions` (filtered, sorted), `GET /api/v1/exceptions/{id}`
//! (with recent occurrences), `PUT /api/v1/exceptions/{id}/resolve` and
//! `GET /api/v1/exceptions/patterns` (occurrences per type over time).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{self, Params};
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::auth::Principal;
use crate::store::read::exceptions::{
    self as groups, ExceptionGroup, GroupFilter, GroupOrder, Occurrence, PatternCount,
    PatternFilter,
};

/// Groups per answer unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest `limit`.
pub const MAX_LIMIT: i64 = 1000;
/// Largest `offset`.
pub const MAX_OFFSET: i64 = 100_000;
/// Occurrences shown with one group.
const RECENT_OCCURRENCES: i64 = 20;
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
    params(ExceptionQuery),
    responses((status = 200, body = ExceptionList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let filter = group_filter(&mut params, &caller, Utc::now())?;
    params.finish()?;
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
    params(("id" = i64, Path, description = "The group's id")),
    responses((status = 200, body = ExceptionDetail), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn by_id(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = group_id(&id)?;
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
    let mut detail = ExceptionDetail {
        group: found.group,
        sample_stacktrace: found.sample_stacktrace,
        recent_occurrences: occurrences.into_iter().map(linked).collect(),
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
    params(("id" = i64, Path, description = "The group's id")),
    request_body(content = Option<Resolution>, description = "Optional notes"),
    responses((status = 200, body = ExceptionGroup), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<QueryState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = group_id(&id)?;
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

/// Occurrences per exception type per time bucket, from the logs (default: the last 24 hours).
#[utoipa::path(get, path = "/api/v1/exceptions/patterns",
    operation_id = "exception_patterns", tag = "exceptions",
    params(PatternQuery),
    responses((status = 200, body = Patterns), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patterns(
    State(state): State<QueryState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(query.as_deref())?;
    let services = filters::services(&mut params, &caller)?;
    let (from, to) = params::range(&mut params, Utc::now(), Duration::hours(24))?;
    let filter = PatternFilter {
        from,
        to,
        interval: params::interval(&mut params, from, to)?,
        services,
        exception_type: exception_type(&mut params)?,
        scope: caller.scope(),
    };
    params.finish()?;
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

/// The list filter of the query parameters, with the caller's scope.
fn group_filter(
    params: &mut Params,
    caller: &Principal,
    now: DateTime<Utc>,
) -> Result<GroupFilter, ApiError> {
    let filter = GroupFilter {
        services: filters::services(params, caller)?,
        exception_type: exception_type(params)?,
        resolved: params.parsed("resolved", boolean)?,
        regression: params.parsed("regression", boolean)?,
        from: params.parsed("from", |t| params::instant(t, now))?,
        to: params.parsed("to", |t| params::instant(t, now))?,
        order: params.parsed("sort", order)?.unwrap_or_default(),
        limit: params
            .parsed("limit", |t| integer(t, 1, MAX_LIMIT))?
            .unwrap_or(DEFAULT_LIMIT),
        offset: params
            .parsed("offset", |t| integer(t, 0, MAX_OFFSET))?
            .unwrap_or(0),
        scope: caller.scope(),
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    Ok(filter)
}

/// `type`: an exact exception type.
fn exception_type(params: &mut Params) -> Result<Option<String>, ApiError> {
    params.parsed("type", |t| {
        if t.is_empty() {
            return Err("must not be empty".to_string());
        }
        Ok(t.to_string())
    })
}

fn boolean(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

fn order(text: &str) -> Result<GroupOrder, String> {
    match text {
        "last_seen" => Ok(GroupOrder::LastSeen),
        "count" => Ok(GroupOrder::Count),
        _ => Err("must be last_seen or count".into()),
    }
}

fn integer(text: &str, min: i64, max: i64) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from {min} to {max}")),
    }
}

fn group_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::invalid("id", "must be an integer"))
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

/// The query parameters of the group list (for the OpenAPI document).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExceptionQuery {
    /// Service name; repeatable, or comma-separated.
    service: Option<Vec<String>>,
    /// Exact exception type.
    #[param(rename = "type")]
    exception_type: Option<String>,
    /// `true` or `false`.
    resolved: Option<bool>,
    /// `true` or `false`: occurred again after being resolved.
    regression: Option<bool>,
    /// `last_seen` at or after: RFC 3339 or relative like `now-1h`.
    from: Option<String>,
    /// `last_seen` before: RFC 3339 or relative like `now`.
    to: Option<String>,
    /// `last_seen` (default) or `count`, descending.
    sort: Option<String>,
    /// Groups per answer, 1-1000 (default 100).
    limit: Option<i64>,
    /// Groups skipped, 0-100000.
    offset: Option<i64>,
}

/// The query parameters of the exception patterns (for the OpenAPI document).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PatternQuery {
    /// Start, inclusive (default: 24 hours before `to`): RFC 3339 or relative like `now-1h`.
    from: Option<String>,
    /// End, exclusive (default: now).
    to: Option<String>,
    /// Bucket width like `5m` or `1h`, or `auto` (default: at most 120 buckets).
    interval: Option<String>,
    /// Service name; repeatable, or comma-separated.
    service: Option<Vec<String>>,
    /// Exact exception type.
    #[param(rename = "type")]
    exception_type: Option<String>,
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
