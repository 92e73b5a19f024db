//! The running bridge: shared state, the HTTP router, the gRPC service, start and graceful stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::ingest::alerts::http::{self as alert_http, AlertReceiver};
use crate::ingest::otlp::traces::OtlpTraces;
use crate::ingest::otlp::{self, OtlpLogs};
use crate::ingest::{Ingest, browser, elastic, faro, json, loki};
use crate::jobs::retention::{Retention, schedule};
use crate::listen::{self, BodyAdmission};
use crate::metrics::{BrowserReceiver, Format, Metrics, content_type};
use crate::pipeline::Pipeline;
use crate::query::{self, QueryState};
use crate::sourcemaps::{self, SourceMaps, http::MapsApi};
use crate::store::{self, Store};

/// State of the health and metrics endpoints.
#[derive(Clone)]
struct AppState {
    store: Store,
    metrics: Arc<Metrics>,
}

/// A started bridge: its bound addresses and the handle to stop it.
pub struct Running {
    /// Address of the HTTP listener.
    pub http_addr: SocketAddr,
    /// Address of the gRPC listener.
    pub grpc_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Migrates the database, starts the store and binds both listeners.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let metrics = Metrics::with_log_metrics(&config.metrics, &config.log_metrics)?
        .with_scrape_token(config.access.metrics_token.as_ref());
    let metrics = Arc::new(metrics);
    let pipeline = Arc::new(Pipeline::from_config(&config)?);
    let redaction_rules = pipeline.redaction_rules().len();
    let rules = pipeline
        .redaction_rules()
        .iter()
        .map(|rule| (rule.as_str(), 0));
    metrics.bridge.observe_redactions(rules);
    let pool = store::migrate(&config)
        .await
        .context("preparing the database")?;
    let (store, store_tasks) = Store::start(pool.clone(), &config, metrics.bridge.clone()).await?;
    let retention = Retention::new(pool.clone(), &config)?;
    let retention = schedule::spawn(retention, &config.retention, metrics.retention.clone());
    let auth = Authenticator::new(pool.clone(), &config);
    let maps = SourceMaps::new(pool.clone(), &config.sourcemaps);
    let loaded = sourcemaps::directory::load(&maps)
        .await
        .context("loading sourcemaps.directory")?;
    if loaded > 0 {
        tracing::info!(
            maps = loaded,
            "source maps loaded from sourcemaps.directory"
        );
    }
    let ingest = Ingest::new(
        store.clone(),
        metrics.clone(),
        auth.clone(),
        pipeline,
        &config,
    )
    .with_source_maps(maps.clone());
    let maps_api = MapsApi {
        maps,
        auth: auth.clone(),
    };
    let alerts = AlertReceiver::new(pool.clone(), auth.clone(), &config, ingest.cpu());
    let on_demand = Retention::new(pool.clone(), &config)?;
    let operations = query::operations::Operations::new(store.clone(), on_demand, &config)?;
    let reads = QueryState::new(&config, auth, operations)?;
    let tails = reads.tails.clone();
    let tail_listener = query::tail::start(&reads, &config)?;
    let elastic = elastic::router(ingest.clone(), &config.elasticsearch);
    let http = TcpListener::bind(config.listen.http)
        .await
        .with_context(|| format!("binding HTTP on {}", config.listen.http))?;
    let grpc = TcpListener::bind(config.listen.grpc)
        .await
        .with_context(|| format!("binding gRPC on {}", config.listen.grpc))?;
    let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);
    let (shutdown, stopping) = watch::channel(false);
    // Open tails never end by themselves: they are ended first, so that the HTTP server's
    // graceful stop does not wait for them.
    let tails_stopped = stopped(stopping.clone());
    tokio::spawn(async move {
        tails_stopped.await;
        tails.close();
    });
    let limits = config.listen.limits.clone();
    let listener_metrics = metrics.listener.clone();
    let admission = BodyAdmission::new(
        &limits,
        config.ingest.retry_after_seconds,
        listener_metrics.clone(),
    );
    let state = AppState { store, metrics };
    let router = router(state, ingest.clone(), alerts, reads, elastic, maps_api)
        .layer(axum::middleware::from_fn_with_state(
            admission,
            listen::admit_bodies,
        ))
        .layer(axum::middleware::from_fn(elastic::http::product));
    let max_body_bytes = config.ingest.max_body_bytes;
    let traces_service =
        otlp::grpc::traces_service(OtlpTraces::new(ingest.clone()), max_body_bytes);
    let grpc_service = otlp::grpc::service(OtlpLogs::new(ingest), max_body_bytes);
    let grpc_incoming = listen::grpc::incoming(grpc, &limits, listener_metrics.clone());
    let task = tokio::spawn(async move {
        let http_server = listen::serve_http(
            http,
            router,
            &limits,
            listener_metrics,
            stopped(stopping.clone()),
        );
        let grpc_server = listen::grpc::server(&limits)
            .add_service(grpc_service)
            .add_service(traces_service)
            .serve_with_incoming_shutdown(grpc_incoming, stopped(stopping));
        let ((), grpc_result) = tokio::join!(http_server, grpc_server);
        // The servers, and with them every `Store` handle, are gone: writers drain and end.
        let retention_stopped = async {
            if let Some(retention) = retention {
                retention.stop().await;
            }
        };
        tokio::join!(store_tasks.drain(), retention_stopped);
        let _ = tail_listener.await;
        grpc_result.context("gRPC server")?;
        Ok(())
    });
    listen::exposure::announce(&config, http_addr, grpc_addr, redaction_rules);
    Ok(Running {
        http_addr,
        grpc_addr,
        shutdown,
        task,
    })
}

impl Running {
    /// Stops accepting, finishes in-flight requests, commits what is queued, then returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("bridge task")?
    }
}

async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

fn router(
    state: AppState,
    ingest: Ingest,
    alerts: AlertReceiver,
    reads: QueryState,
    elastic: Router,
    maps: MapsApi,
) -> Router {
    let max_body = ingest.max_body_bytes();
    let cors = |receiver| from_fn_with_state((ingest.clone(), receiver), browser::cors);
    let otlp_http = Router::new()
        .route("/v1/logs", post(otlp::http::export).options(preflight))
        .with_state(OtlpLogs::new(ingest.clone()))
        .layer(cors(BrowserReceiver::otlp_logs));
    let otlp_traces_http = Router::new()
        .route(
            "/v1/traces",
            post(otlp::traces::http::export).options(preflight),
        )
        .with_state(OtlpTraces::new(ingest.clone()))
        .layer(cors(BrowserReceiver::otlp_traces));
    let faro_http = Router::new()
        .route(
            "/faro/collect",
            post(faro::http::collect).options(preflight),
        )
        .route(
            "/collect/{app_key}",
            post(faro::http::collect_with_key).options(preflight),
        )
        .with_state(ingest.clone())
        .layer(cors(BrowserReceiver::faro));
    let json_http = Router::new()
        .route("/api/v1/logs", post(json::http::ingest))
        .with_state(ingest.clone());
    let loki_http = Router::new()
        .route("/loki/api/v1/push", post(loki::http::push))
        .route("/api/prom/push", post(loki::http::push))
        .with_state(ingest);
    let alert_webhook = Router::new()
        .route("/api/v1/alerts/webhook", post(alert_http::webhook))
        .with_state(alerts);
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        // Loki's readiness path, which Vector's `loki` sink checks before pushing.
        .route("/ready", get(ready))
        .with_state(state)
        .merge(otlp_http)
        .merge(otlp_traces_http)
        .merge(faro_http)
        .merge(json_http)
        .merge(loki_http)
        .merge(elastic)
        .merge(alert_webhook)
        .merge(query::router(reads))
        .merge(sourcemaps::http::router(maps))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
}

/// A preflight without an `Origin` (a browser always sends one; [`browser::cors`] answers those).
async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

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

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let health = state.store.health();
    if !health.is_ready() {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    } else if health.is_stalled() {
        (StatusCode::SERVICE_UNAVAILABLE, "commits stalled")
    } else {
        (StatusCode::OK, "ready")
    }
}
