//! The running bridge: shared state, the HTTP router (`http`), the gRPC service, start and
//! graceful stop, and live reload of the configuration file (`reload`).

mod http;
pub mod reload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::config::live::Live;
use crate::ingest::alerts::http::AlertReceiver;
use crate::ingest::otlp::traces::OtlpTraces;
use crate::ingest::otlp::{self, OtlpLogs};
use crate::ingest::{Ingest, elastic};
use crate::jobs::retention::{Retention, schedule};
use crate::listen::{self, BodyAdmission};
use crate::metrics::Metrics;
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

/// Migrates the database, starts the store and binds both listeners; a reload reads
/// `./logbridge.yaml` if present, else the defaults (see [`start_from`]).
pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_from(config, None).await
}

/// [`start`] of a configuration loaded from `source` (the `--config` path), which a reload
/// (SIGHUP, `POST /api/v1/admin/reload`) reads again.
pub async fn start_from(config: Config, source: Option<PathBuf>) -> anyhow::Result<Running> {
    let metrics = Metrics::with_log_metrics(&config.metrics, &config.log_metrics)?
        .with_scrape_token(config.access.metrics_token.as_ref());
    let metrics = Arc::new(metrics);
    let pipeline = Pipeline::from_config(&config)?;
    let redaction_rules = pipeline.redaction_rules().len();
    metrics
        .bridge
        .set_redaction_rules(pipeline.redaction_rules());
    let pipeline = Live::new(Arc::new(pipeline));
    let reloader = reload::Reloader::new(source, &config, pipeline.clone(), metrics.clone());
    let reloader = Arc::new(reloader);
    let (pool, prepared) = store::migrate_reporting(&config)
        .await
        .context("preparing the database")?;
    let migrations = format!(
        "{} applied now, {} in all",
        prepared.applied.len(),
        prepared.total
    );
    let (store, store_tasks) = Store::start(pool.clone(), &config, metrics.bridge.clone()).await?;
    let retention = Retention::new(pool.clone(), &config)?;
    let retention = schedule::spawn(retention, &config.retention, metrics.retention.clone());
    let auth = Authenticator::new(pool.clone(), &config);
    let maps = SourceMaps::new(pool.clone(), &config.sourcemaps, metrics.sourcemaps.clone());
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
    let reads = QueryState::new(&config, auth, operations, reloader.clone())?;
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
    reload::on_sighup(reloader, stopped(stopping.clone()));
    let limits = config.listen.limits.clone();
    let listener_metrics = metrics.listener.clone();
    let admission = BodyAdmission::new(
        &limits,
        config.ingest.retry_after_seconds,
        listener_metrics.clone(),
    );
    let state = AppState { store, metrics };
    let parts = http::Parts {
        state,
        ingest: ingest.clone(),
        alerts,
        reads,
        elastic,
        maps: maps_api,
    };
    let (router, _) = http::surface(parts);
    let router = router
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
    let listeners = (http_addr, grpc_addr);
    listen::exposure::announce(&config, listeners, &migrations, redaction_rules);
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
