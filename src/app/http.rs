//! The HTTP surface: every route of the bridge, each declared once by its handler's
//! `#[utoipa::path]` and registered through `utoipa_axum::routes!`, so that the router and the
//! OpenAPI document (`GET /api/v1/openapi.json`) are built from the same declarations.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::{OnFailure, TraceLayer};
use tracing::Span;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::ingest::alerts::http::{self as alert_http, AlertReceiver};
use crate::ingest::otlp::traces::OtlpTraces;
use crate::ingest::otlp::{self, OtlpLogs};
use crate::ingest::{Ingest, browser, faro, json, loki};
use crate::metrics::{BrowserReceiver, Format, content_type};
use crate::query::{self, QueryState};
use crate::sourcemaps::{self, http::MapsApi};
use crate::telemetry::repeats::{Occurrence, Repeats};

/// The document's title, description and security schemes; the operations come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(title = "logbridge HTTP API", description = "Ingest (OTLP/HTTP, JSON, Loki push, \
        Elasticsearch bulk, Faro), the Alertmanager webhook, the read API, the Jaeger query API, \
        health and metrics. Ingest needs a token when `ingest.require_token` is set (Bearer, \
        `ApiKey` or Basic with the token as the password); reads always need one."),
    modifiers(&SecuritySchemes),
)]
struct HttpApi;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let basic = HttpBuilder::new()
            .scheme(HttpAuthScheme::Basic)
            .description(Some("The token as the password; the user name is ignored"))
            .build();
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
        let faro = ApiKeyValue::with_description("x-api-key", "A browser key (Faro SDK)");
        components.add_security_scheme("faro_key", SecurityScheme::ApiKey(ApiKey::Header(faro)));
    }
}

/// Logs a failed answer (5xx) once, middleware-wide; the same failure repeated is counted and
/// summarized, not logged per request.
#[derive(Clone)]
struct FailureLog(Arc<Repeats>);

impl OnFailure<ServerErrorsFailureClass> for FailureLog {
    fn on_failure(&mut self, class: ServerErrorsFailureClass, latency: Duration, _: &Span) {
        let occurred = self.0.occur(&class.to_string());
        if occurred == Occurrence::Suppressed {
            return;
        }
        let latency_ms = latency.as_millis() as u64;
        tracing::error!(classification = %class, latency_ms, "response failed{}", occurred.suffix());
    }
}

/// The handlers' states, one per group of routes.
pub(super) struct Parts {
    pub state: AppState,
    pub ingest: Ingest,
    pub alerts: AlertReceiver,
    pub reads: QueryState,
    pub elastic: OpenApiRouter,
    pub maps: MapsApi,
}

/// Every route, and the OpenAPI document of every route.
pub(super) fn surface(parts: Parts) -> (Router, utoipa::openapi::OpenApi) {
    let Parts {
        state,
        ingest,
        alerts,
        reads,
        elastic,
        maps,
    } = parts;
    let document = Arc::new(OnceLock::new());
    let (router, spec) = OpenApiRouter::with_openapi(HttpApi::openapi())
        .merge(operations(state))
        .merge(receivers(&ingest))
        .merge(elastic)
        .merge(
            OpenApiRouter::new()
                .routes(routes!(alert_http::webhook))
                .with_state(alerts),
        )
        .merge(query::router(reads))
        .merge(crate::console::router())
        .merge(sourcemaps::http::router(maps))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(openapi_json))
                .with_state(document.clone()),
        )
        .split_for_parts();
    let spec = with_openapi_templates(spec);
    let _ = document.set(spec.to_json().unwrap_or_default());
    let failures = FailureLog(Arc::default());
    let router = router
        .layer(axum::extract::DefaultBodyLimit::max(
            ingest.max_body_bytes(),
        ))
        .layer(TraceLayer::new_for_http().on_failure(failures))
        .layer(CatchPanicLayer::new());
    (router, spec)
}

/// The document with axum's catch-all segments (`{*rest}`) written as OpenAPI path
/// parameters (`{rest}`), and the operation id of a handler declared for several methods
/// (`method(post, put)`) made unique by the method.
fn with_openapi_templates(mut spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let paths = std::mem::take(&mut spec.paths.paths);
    spec.paths.paths = paths
        .into_iter()
        .map(|(path, mut item)| {
            unique_operation_ids(&mut item);
            (path.replace("{*", "{"), item)
        })
        .collect();
    spec
}

fn unique_operation_ids(item: &mut utoipa::openapi::PathItem) {
    let mut seen = Vec::new();
    let operations = [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
    ];
    for (method, operation) in operations {
        let Some(id) = operation.as_mut().and_then(|op| op.operation_id.as_mut()) else {
            continue;
        };
        if seen.contains(id) {
            id.push_str(&format!("_{method}"));
        }
        seen.push(id.clone());
    }
}

/// Metrics and health.
fn operations(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(metrics))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(ready))
        .with_state(state)
}

/// The receivers (the Elasticsearch root is built by its module).
fn receivers(ingest: &Ingest) -> OpenApiRouter {
    let cors = |receiver| from_fn_with_state((ingest.clone(), receiver), browser::cors);
    let otlp_logs = OpenApiRouter::new()
        .routes(routes!(otlp::http::export, logs_preflight))
        .with_state(OtlpLogs::new(ingest.clone()))
        .layer(cors(BrowserReceiver::otlp_logs));
    let otlp_traces = OpenApiRouter::new()
        .routes(routes!(otlp::traces::http::export, traces_preflight))
        .with_state(OtlpTraces::new(ingest.clone()))
        .layer(cors(BrowserReceiver::otlp_traces));
    let faro = OpenApiRouter::new()
        .routes(routes!(faro::http::collect, faro_preflight))
        .routes(routes!(faro::http::collect_with_key, faro_key_preflight))
        .with_state(ingest.clone())
        .layer(cors(BrowserReceiver::faro));
    let plain = OpenApiRouter::new()
        .routes(routes!(json::http::ingest))
        .routes(routes!(loki::http::push))
        .routes(routes!(loki::http::push_legacy))
        .with_state(ingest.clone());
    otlp_logs.merge(otlp_traces).merge(faro).merge(plain)
}

/// A CORS preflight operation at `$path`; without an `Origin` (a browser always sends one;
/// [`browser::cors`] answers those) it answers 204.
macro_rules! preflight {
    ($name:ident, $path:tt $(, $param:tt)*) => {
        #[utoipa::path(options, path = $path, operation_id = stringify!($name), tag = "ingest",
            params($(($param = String, Path),)*),
            summary = "CORS preflight of browser senders (allowed origins, browser keys)",
            responses((status = 204, description = "Allowed"),
                (status = 403, description = "The origin is not allowed")))]
        async fn $name() -> StatusCode {
            StatusCode::NO_CONTENT
        }
    };
}

preflight!(logs_preflight, "/v1/logs");
preflight!(traces_preflight, "/v1/traces");
preflight!(faro_preflight, "/faro/collect");
preflight!(faro_key_preflight, "/collect/{app_key}", "app_key");

/// `GET /api/v1/openapi.json` (no token needed: it describes the API, not the data).
#[utoipa::path(get, path = "/api/v1/openapi.json", operation_id = "openapi", tag = "meta",
    responses((status = 200, description = "This document", content_type = "application/json")))]
async fn openapi_json(State(document): State<Arc<OnceLock<String>>>) -> Response {
    let body = document.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "meta",
    description = "Prometheus exposition; OpenMetrics when `Accept` asks for it.",
    responses((status = 200, description = "The metrics", content(
            (String = "text/plain; version=0.0.4"),
            (String = "application/openmetrics-text; version=1.0.0"))),
        (status = 401, description = "`access.metrics_token` is set and was not given")),
    security((), ("bearer" = [])))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.metrics.scrape_allowed(&headers) {
        return crate::metrics::scrape::refused();
    }
    let (records, bytes) = state.store.queue_depth();
    state.metrics.bridge.set_queue_depth(records, bytes);
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    (
        [(header::CONTENT_TYPE, content_type(format))],
        state.metrics.render(format),
    )
        .into_response()
}

/// `GET /healthz`.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "meta",
    responses((status = 200, description = "The process is up", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "meta",
    responses((status = 200, description = "`ready`", body = String),
        (status = 503, description = "Database unreachable, or commits stalled", body = String)))]
async fn readyz(state: State<AppState>) -> impl IntoResponse {
    readiness(state)
}

/// `GET /ready`: Loki's readiness path, which Vector's `loki` sink checks before pushing.
#[utoipa::path(get, path = "/ready", operation_id = "ready", tag = "meta",
    responses((status = 200, description = "`ready`", body = String),
        (status = 503, description = "Database unreachable, or commits stalled", body = String)))]
async fn ready(state: State<AppState>) -> impl IntoResponse {
    readiness(state)
}

fn readiness(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let health = state.store.health();
    if !health.is_ready() {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    } else if health.is_stalled() {
        (StatusCode::SERVICE_UNAVAILABLE, "commits stalled")
    } else {
        (StatusCode::OK, "ready")
    }
}
