//! `GET /api/v1/monitoring/alerts/rules`: the rule files' groups and rules (`rules::listing`),
//! each alert with its state from Prometheus when `prometheus.url` is set, and where to change
//! them: the rules live in git, the console only shows them.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::{Caller, QueryState, with_rows};
use crate::config::{Config, PrometheusConfig};
use crate::rules::listing::{self, RuleFileView};
use crate::rules::prometheus;

/// Where the rules are read from and the Prometheus asked for their states.
#[derive(Debug, Clone)]
pub struct RuleSources {
    paths: Vec<String>,
    prometheus: PrometheusConfig,
}

impl RuleSources {
    pub fn new(config: &Config) -> RuleSources {
        RuleSources {
            paths: config.rules.paths.clone(),
            prometheus: config.prometheus.clone(),
        }
    }
}

/// The rule files, their groups and rules.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertRules {
    pub files: Vec<RuleFileView>,
    /// Files that could not be read or parsed, as `file:line: message`.
    pub problems: Vec<String>,
    /// Where and how to change the rules.
    pub change: String,
    /// The Prometheus asked for the alerts' states; null without `prometheus.url`.
    pub prometheus: Option<PrometheusState>,
}

/// Whether Prometheus answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrometheusState {
    pub url: String,
    /// False when it did not answer (the alerts' `state` is then null).
    pub reachable: bool,
}

/// The rule files' groups and rules, with each alert's state from Prometheus.
#[utoipa::path(get, path = "/api/v1/monitoring/alerts/rules", operation_id = "alert_rules",
    tag = "monitoring",
    responses((status = 200, body = AlertRules), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rules(State(state): State<QueryState>, _caller: Caller) -> Result<Response, ApiError> {
    let sources = state.rule_sources.clone();
    let paths = sources.paths.clone();
    let read = tokio::task::spawn_blocking(move || listing::list(&paths));
    let (mut files, problems) = read.await.map_err(|_| ApiError::unavailable())?;
    let prometheus = match &sources.prometheus.url {
        Some(url) => Some(with_states(url, &sources.prometheus, &mut files).await),
        None => None,
    };
    let rules = files
        .iter()
        .flat_map(|f| &f.groups)
        .map(|g| g.rules.len())
        .sum();
    let answer = AlertRules {
        files,
        problems: problems.iter().map(ToString::to_string).collect(),
        change: change_note(&sources.paths),
        prometheus,
    };
    Ok(with_rows(Json(answer), rules))
}

/// Sets each alert's state from Prometheus at `url`.
async fn with_states(
    url: &str,
    config: &PrometheusConfig,
    files: &mut [RuleFileView],
) -> PrometheusState {
    let timeout = Duration::from_secs(config.timeout_seconds);
    let reachable = match prometheus::alert_states(url, timeout).await {
        Ok(states) => {
            states.apply(files);
            true
        }
        Err(error) => {
            tracing::warn!(%error, "alert states not read from Prometheus");
            false
        }
    };
    PrometheusState {
        url: url.to_string(),
        reachable,
    }
}

fn change_note(paths: &[String]) -> String {
    format!(
        "The rules live in git, in {}: change them there, check them with `logbridge rules \
         check`, and reload Prometheus (POST /-/reload). The history of alerts is at \
         GET /api/v1/monitoring/alerts/history.",
        paths.join(", ")
    )
}
