//! The bridge phase: the bridge runs in-process on port 0, on a runtime of its own whose threads
//! are named so that their CPU time is read apart from the clients' ([`crate::cpu`]), and
//! `clients` concurrent clients push pre-encoded requests from the benchmark's runtime; rows/s is
//! rows counted in `logs` (or `spans`) over the time until the last ack.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use logbridge::app::{self, Running};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use tokio::runtime::Runtime;
use tonic::transport::Channel;

use crate::cpu::{BRIDGE_THREAD_NAME, Cpu};
use crate::database::BenchDatabase;
use crate::report::PhaseResult;
use crate::requests::Requests;
use crate::{Args, Protocol, Signal, workload};

/// What the clients send, prepared before any timing.
enum Payloads {
    Http {
        url: String,
        content_type: &'static str,
        bodies: Vec<Bytes>,
    },
    Grpc {
        channel: Channel,
        requests: Vec<ExportLogsServiceRequest>,
    },
    GrpcTraces {
        channel: Channel,
        requests: Vec<ExportTraceServiceRequest>,
    },
}

/// A started bridge and its prepared load.
pub struct Bridge {
    runtime: Runtime,
    running: Running,
    metrics_url: String,
    http: reqwest::Client,
    payloads: Arc<Payloads>,
    clients: usize,
    dedup: bool,
    signal: Signal,
    /// Whether the bridge samples, so that records received and rows stored differ.
    sampled: bool,
}

impl Bridge {
    /// Starts the bridge on the bench database and encodes every request for `args.protocol`.
    pub async fn start(
        args: &Args,
        db: &BenchDatabase,
        requests: &Requests,
    ) -> anyhow::Result<Bridge> {
        let mut config = db.config();
        config.ingest.writers = args.writers;
        config.dedup.enabled = args.dedup;
        config.redaction.enabled = !args.no_redaction;
        config.storage.substring_index = args.substring_index;
        config.policy.sampling.default_ratio = args.sample_ratio;
        let runtime = bridge_runtime()?;
        let running = (runtime.spawn(app::start(config)).await?).context("starting the bridge")?;
        let base = format!("http://{}", running.http_addr);
        let payloads = match requests {
            Requests::Traces(spans) => traces_payloads(args.protocol, &running, spans).await?,
            Requests::Logs(logs) => logs_payloads(args.protocol, &running, logs).await?,
        };
        Ok(Bridge {
            runtime,
            running,
            metrics_url: format!("{base}/metrics"),
            http: reqwest::Client::new(),
            payloads: Arc::new(payloads),
            clients: args.clients,
            dedup: args.dedup,
            signal: args.signal,
            sampled: args.sample_ratio < 1.0,
        })
    }

    /// Sends the first requests once, so that connections and caches are warm.
    pub async fn warm_up(&self) -> anyhow::Result<()> {
        let count = self.payloads.len().min(20);
        push(&self.http, &self.payloads, count, self.clients).await?;
        Ok(())
    }

    /// Pushes every request and waits for every ack; `db` must be empty.
    pub async fn run(&self, db: &BenchDatabase) -> anyhow::Result<PhaseResult> {
        let before = self.commit_stats().await?;
        let received_before = self.received().await?;
        let cpu = Cpu::now();
        let started = Instant::now();
        let count = self.payloads.len();
        let latencies = push(&self.http, &self.payloads, count, self.clients).await?;
        let seconds = started.elapsed().as_secs_f64();
        let cpu = Cpu::now().since(cpu);
        let after = self.commit_stats().await?;
        let commits = after.0 - before.0;
        let rows = self.signal.stored(db).await?;
        if self.sampled {
            let received = self.received().await? - received_before;
            println!(
                "  (sampling: received {:.0} records/s, {received} records; stored {:.0} rows/s, {rows} rows)",
                received / seconds,
                rows as f64 / seconds
            );
        }
        if self.dedup {
            println!(
                "  (dedup: {} rows stored for the records)",
                db.rows().await?
            );
        }
        Ok(PhaseResult {
            rows,
            seconds,
            latencies_ms: latencies,
            commits: Some(commits),
            commit_ms: Some((after.1 - before.1) / commits * 1000.0),
            cpu,
        })
    }

    /// Successful group commits so far and the seconds they took, from the bridge's `/metrics`.
    async fn commit_stats(&self) -> anyhow::Result<(f64, f64)> {
        let text = self
            .http
            .get(&self.metrics_url)
            .send()
            .await?
            .text()
            .await?;
        let sample = |name: &str| -> f64 {
            let prefix = format!("{name}{{success=\"true\"}} ");
            text.lines()
                .filter_map(|line| line.strip_prefix(&prefix)?.trim().parse::<f64>().ok())
                .sum()
        };
        Ok((
            sample("logbridge_commits_total"),
            sample("logbridge_commit_duration_seconds_sum"),
        ))
    }

    /// Records (or spans) the bridge accepted so far, stored or not, from its `/metrics`.
    async fn received(&self) -> anyhow::Result<f64> {
        let text = (self.http.get(&self.metrics_url).send().await?.text()).await?;
        let accepted = |line: &&str| {
            line.starts_with("logbridge_ingest_records_total{")
                && line.contains("outcome=\"accepted\"")
        };
        let values = text.lines().filter(accepted);
        Ok(values
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let stopped = self.runtime.spawn(self.running.stop()).await?;
        self.runtime.shutdown_background();
        stopped
    }
}

/// The bridge's runtime: as many workers as the binary's (one per core), threads named
/// [`BRIDGE_THREAD_NAME`], blocking threads kept for the whole benchmark so that none takes its
/// CPU time with it when it ends.
fn bridge_runtime() -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .thread_name(BRIDGE_THREAD_NAME)
        .thread_keep_alive(Duration::from_secs(24 * 3600))
        .enable_all()
        .build()?)
}

/// The log requests as `protocol` sends them.
async fn logs_payloads(
    protocol: Protocol,
    running: &Running,
    requests: &[ExportLogsServiceRequest],
) -> anyhow::Result<Payloads> {
    let base = format!("http://{}", running.http_addr);
    let http = |path: &str, content_type, bodies| Payloads::Http {
        url: format!("{base}{path}"),
        content_type,
        bodies,
    };
    Ok(match protocol {
        Protocol::Otlp => http("/v1/logs", "application/x-protobuf", encode(requests)),
        Protocol::Json => http(
            "/api/v1/logs",
            "application/x-ndjson",
            requests
                .iter()
                .map(|r| workload::ndjson(r).into())
                .collect(),
        ),
        Protocol::Loki => http(
            "/loki/api/v1/push",
            "application/x-protobuf",
            (requests.iter())
                .map(|r| workload::loki_push(r, chrono::Utc::now().timestamp()).into())
                .collect(),
        ),
        Protocol::Es => http(
            "/es/_bulk",
            "application/x-ndjson",
            requests.iter().map(|r| workload::bulk(r).into()).collect(),
        ),
        Protocol::Grpc => Payloads::Grpc {
            channel: channel(running).await?,
            requests: requests.to_vec(),
        },
    })
}

/// The trace requests as `protocol` sends them: OTLP/HTTP protobuf or OTLP/gRPC.
async fn traces_payloads(
    protocol: Protocol,
    running: &Running,
    requests: &[ExportTraceServiceRequest],
) -> anyhow::Result<Payloads> {
    Ok(match protocol {
        Protocol::Otlp => Payloads::Http {
            url: format!("http://{}/v1/traces", running.http_addr),
            content_type: "application/x-protobuf",
            bodies: encode(requests),
        },
        Protocol::Grpc => Payloads::GrpcTraces {
            channel: channel(running).await?,
            requests: requests.to_vec(),
        },
        other => bail!("--signal traces is sent as OTLP only, not {other:?}"),
    })
}

fn encode<M: prost::Message>(requests: &[M]) -> Vec<Bytes> {
    requests.iter().map(|r| r.encode_to_vec().into()).collect()
}

async fn channel(running: &Running) -> anyhow::Result<Channel> {
    let url = format!("http://{}", running.grpc_addr);
    Ok(Channel::from_shared(url)?.connect().await?)
}

impl Payloads {
    fn len(&self) -> usize {
        match self {
            Payloads::Http { bodies, .. } => bodies.len(),
            Payloads::Grpc { requests, .. } => requests.len(),
            Payloads::GrpcTraces { requests, .. } => requests.len(),
        }
    }
}

/// Sends the first `count` payloads from `clients` tasks; returns each request's ack latency
/// in milliseconds. Any non-success answer fails the run.
async fn push(
    http: &reqwest::Client,
    payloads: &Arc<Payloads>,
    count: usize,
    clients: usize,
) -> anyhow::Result<Vec<f64>> {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, payloads, next) = (http.clone(), payloads.clone(), next.clone());
            tokio::spawn(async move { client(http, payloads, next, count).await })
        })
        .collect();
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(latencies)
}

async fn client(
    http: reqwest::Client,
    payloads: Arc<Payloads>,
    next: Arc<AtomicUsize>,
    count: usize,
) -> anyhow::Result<Vec<f64>> {
    let mut sender = Sender::new(http, &payloads);
    let mut latencies = Vec::new();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= count {
            return Ok(latencies);
        }
        let started = Instant::now();
        sender.send(&payloads, index).await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
}

/// One client's connection: HTTP, or a gRPC client of the payloads' service.
enum Sender {
    Http(reqwest::Client),
    Logs(LogsServiceClient<Channel>),
    Traces(TraceServiceClient<Channel>),
}

impl Sender {
    fn new(http: reqwest::Client, payloads: &Payloads) -> Sender {
        match payloads {
            Payloads::Http { .. } => Sender::Http(http),
            Payloads::Grpc { channel, .. } => Sender::Logs(LogsServiceClient::new(channel.clone())),
            Payloads::GrpcTraces { channel, .. } => {
                Sender::Traces(TraceServiceClient::new(channel.clone()))
            }
        }
    }

    /// Sends payload `index` and waits for its ack; any non-success answer is an error.
    async fn send(&mut self, payloads: &Payloads, index: usize) -> anyhow::Result<()> {
        match (self, payloads) {
            (Sender::Logs(grpc), Payloads::Grpc { requests, .. }) => {
                grpc.export(requests[index].clone()).await?;
            }
            (Sender::Traces(grpc), Payloads::GrpcTraces { requests, .. }) => {
                grpc.export(requests[index].clone()).await?;
            }
            (
                Sender::Http(http),
                Payloads::Http {
                    url,
                    content_type,
                    bodies,
                },
            ) => {
                let response = (http.post(url))
                    .header("content-type", *content_type)
                    .body(bodies[index].clone())
                    .send()
                    .await?;
                if !response.status().is_success() {
                    let status = response.status();
                    bail!("request {index}: {status}: {}", response.text().await?);
                }
            }
            _ => unreachable!("a sender is made for its payloads"),
        }
        Ok(())
    }
}
