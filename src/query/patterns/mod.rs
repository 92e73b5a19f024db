//! `GET /api/v1/logs/patterns`: the message bodies of a window grouped into templates
//! ([`drain`]), with the records and bytes each stands for and a sample body, most bytes
//! first, so that a team sees which lines cost the most. Read from a bounded sample of the
//! window (`store::read::patterns`), each sampled row weighed by the records of its slice of the
//! window, so that the figures estimate the whole window. Scoped tokens see their services
//! only; a support token's bodies are masked before they are grouped.

pub mod drain;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorBody};
use super::params::{Bounded, Limit, Query, Time, window};
use super::{Caller, QueryState, filters, mask, with_rows};
use crate::store::read::patterns::{self, SampledBody, Slices};
use drain::Drain;

/// Rows sampled from the window: 100 to 100000 (default [`DEFAULT_SAMPLE`]).
pub type SampleSize = Bounded<100, 100_000>;
/// Rows sampled unless `sample` says otherwise.
pub const DEFAULT_SAMPLE: i64 = 10_000;
/// Slices of the window the sample is spread over.
const SLICES: i32 = 24;
/// How far back the patterns look unless `from` says otherwise.
const DEFAULT_WINDOW: Duration = Duration::hours(24);

/// The parameters of the patterns.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatternParams {
    /// Start, inclusive (default: 24 hours before `to`): RFC 3339 or relative like `now-1h`.
    #[param(value_type = Option<String>)]
    from: Option<Time>,
    /// End, exclusive (default now).
    #[param(value_type = Option<String>)]
    to: Option<Time>,
    /// Service name; repeatable, or comma-separated (default: every service the token reads).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    service: Vec<String>,
    /// Rows sampled from the window, spread over 24 slices of it: 100-100000 (default 10000).
    /// More is slower and closer to exact; a window with fewer rows is read whole.
    #[param(value_type = Option<i64>)]
    sample: Option<SampleSize>,
    /// Patterns answered, most bytes first: 1-1000 (default 100).
    #[param(value_type = Option<i64>)]
    limit: Option<Limit>,
}

/// The templates of a window.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Patterns {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Rows read for the templates.
    pub sampled_rows: usize,
    /// Records in the window (from the per-minute rollup).
    pub window_records: i64,
    /// Whether the figures are estimated from a sample (false: every row was read).
    pub estimated: bool,
    /// Most bytes first.
    pub patterns: Vec<Pattern>,
}

/// One template.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pattern {
    /// The bodies' tokens separated by one space, what varies as `<*>`.
    pub template: String,
    /// Records of the window that match it (estimated when `estimated`).
    pub records: i64,
    /// Their bodies' bytes (estimated alike).
    pub bytes: i64,
    /// Its share of the window's body bytes, 0 to 1.
    pub share: f64,
    /// One body it was made from (its first 2048 characters).
    pub sample: String,
}

/// Templates of the window's message bodies with their records, bytes and a sample.
#[utoipa::path(get, path = "/api/v1/logs/patterns", operation_id = "log_patterns", tag = "logs",
    params(PatternParams),
    responses((status = 200, body = Patterns), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patterns(
    State(state): State<QueryState>,
    caller: Caller,
    Query(params): Query<PatternParams>,
) -> Result<Response, ApiError> {
    let (from, to) = window(params.from, params.to, Utc::now(), DEFAULT_WINDOW)?;
    let filter = filters::view_filter(params.service, &caller, (from, to))?;
    let slices = Slices::new(from, to, SLICES);
    let sample = params.sample.map_or(DEFAULT_SAMPLE, Bounded::get);
    let per_slice = (sample / i64::from(slices.count)).max(1);
    let (mut rows, slice_records) = tokio::try_join!(
        patterns::sample(&state.pool, &filter, &slices, per_slice),
        patterns::slice_records(&state.pool, &filter, &slices),
    )?;
    if caller.masks_personal_data() {
        rows.iter_mut().for_each(|row| mask::text(&mut row.body));
    }
    let limit = Limit::or_default(params.limit) as usize;
    let sampled_rows = rows.len();
    let window_records = slice_records.iter().map(|(_, n)| n).sum();
    let (patterns, estimated) = tokio::task::spawn_blocking(move || {
        let weights = Weights::new(&rows, &slice_records, slices.count);
        (group(&rows, &weights, limit), weights.estimated)
    })
    .await
    .map_err(|_| ApiError::unavailable())?;
    let answer = Patterns {
        from,
        to,
        sampled_rows,
        window_records,
        estimated,
        patterns,
    };
    let count = answer.patterns.len();
    Ok(with_rows(Json(answer), count))
}

/// What one sampled record stands for, per slice: the slice's records over those sampled
/// from it (1 where the slice was read whole or the rollup has not counted it yet).
struct Weights {
    per_slice: Vec<f64>,
    estimated: bool,
}

impl Weights {
    fn new(rows: &[SampledBody], slice_records: &[(i32, i64)], count: i32) -> Weights {
        let mut sampled = vec![0_i64; count as usize];
        for row in rows {
            sampled[row.slice as usize] += row.records;
        }
        let mut per_slice = vec![1.0; count as usize];
        let mut estimated = false;
        for &(slice, records) in slice_records {
            let Some(taken) = sampled.get(slice as usize).copied() else {
                continue;
            };
            if taken > 0 && records > taken {
                per_slice[slice as usize] = records as f64 / taken as f64;
                estimated = true;
            }
        }
        Weights {
            per_slice,
            estimated,
        }
    }
}

/// The sample grouped into templates, most bytes first, at most `limit`.
fn group(rows: &[SampledBody], weights: &Weights, limit: usize) -> Vec<Pattern> {
    let mut drain = Drain::default();
    for row in rows {
        let weight = weights.per_slice[row.slice as usize];
        let records = row.records as f64 * weight;
        drain.add(&row.body, records, row.bytes as f64 * records);
    }
    let clusters = drain.into_clusters();
    let total_bytes: f64 = clusters.iter().map(|c| c.bytes).sum();
    let mut patterns: Vec<Pattern> = clusters
        .into_iter()
        .map(|cluster| Pattern {
            template: cluster.template(),
            records: cluster.weight.round() as i64,
            bytes: cluster.bytes.round() as i64,
            share: if total_bytes > 0.0 {
                cluster.bytes / total_bytes
            } else {
                0.0
            },
            sample: cluster.sample,
        })
        .collect();
    patterns.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.records.cmp(&a.records)));
    patterns.truncate(limit);
    patterns
}

#[cfg(test)]
mod tests;
