//! The HTTP listener's connections, driven through hyper-util's server (HTTP/1 and HTTP/2): at
//! most `max_connections` at once (one more is answered 503 and closed), headers read within
//! `header_read_timeout_seconds` (hyper's own timer, which also bounds an HTTP/1 keep-alive
//! wait), and closed after `idle_timeout_seconds` with no byte read or written (before its first
//! byte, after the header timeout). Stopping lets every open request finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

use super::activity::{Activity, Watched};
use crate::config::ListenLimits;
use crate::metrics::{CloseReason, Listener, ListenerMetrics};

/// The answer to a connection over the cap; its request is not read.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\
content-type: text/plain\r\ncontent-length: 36\r\nconnection: close\r\n\r\n\
too many connections; retry shortly\n";

/// Largest read buffer of an HTTP/1 connection (hyper's default grows to about 400 KiB): bounds
/// what a thousand connections hold besides their admitted body bytes.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// How the connections of one listener are served.
struct Settings {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    metrics: Arc<ListenerMetrics>,
}

/// Serves `router` on `listener` under `limits` until `shutdown` completes, then waits for the
/// open connections' requests to finish.
pub async fn serve_http(
    listener: TcpListener,
    router: Router,
    limits: &ListenLimits,
    metrics: Arc<ListenerMetrics>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let settings = Arc::new(Settings {
        header_read_timeout: Duration::from_secs(limits.header_read_timeout_seconds),
        idle_timeout: Duration::from_secs(limits.idle_timeout_seconds),
        metrics,
    });
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, or a connection reset before it was accepted.
                tracing::debug!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            settings.metrics.refused(Listener::http);
            tokio::spawn(refuse(stream));
            continue;
        };
        let (router, settings) = (router.clone(), settings.clone());
        let connection = (stream, peer);
        tokio::spawn(serve(
            connection,
            router,
            settings,
            graceful.watcher(),
            slot,
        ));
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Answers 503 and closes, reading what the client sent meanwhile (briefly) so that the close
/// does not reset the connection before the answer is read.
async fn refuse(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    if stream.write_all(REFUSAL).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

async fn serve(
    (stream, peer): (TcpStream, SocketAddr),
    router: Router,
    settings: Arc<Settings>,
    watcher: Watcher,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    settings.metrics.connection(Listener::http, true);
    let activity = Activity::default();
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        .max_buf_size(READ_BUFFER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(settings.idle_timeout / 2);
    // The peer's address goes in every request's extensions, where axum's `ConnectInfo`
    // extractor finds it (the audit trail records it).
    let service = service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    let connection = builder.serve_connection(io, service);
    let connection = watcher.watch(connection.into_owned());
    let closed_by = tokio::select! {
        ended = connection => ended.err().and_then(|error| header_timeout(&*error)),
        reason = idle(&activity, &settings) => Some(reason),
    };
    if let Some(reason) = closed_by {
        settings.metrics.timed_out(reason);
    }
    settings.metrics.connection(Listener::http, false);
}

/// Whether hyper ended the connection because its headers did not arrive in time.
fn header_timeout(error: &(dyn std::error::Error + 'static)) -> Option<CloseReason> {
    let error = error.downcast_ref::<hyper::Error>()?;
    error.is_timeout().then_some(CloseReason::header_timeout)
}

/// Completes once the connection has been silent too long: `idle_timeout`, or the header
/// timeout while the client has not sent its first byte.
async fn idle(activity: &Activity, settings: &Settings) -> CloseReason {
    loop {
        let (limit, reason) = match activity.has_read() {
            true => (settings.idle_timeout, CloseReason::idle_timeout),
            false => (settings.header_read_timeout, CloseReason::header_timeout),
        };
        let last = activity.last();
        if last.elapsed() >= limit {
            return reason;
        }
        tokio::time::sleep_until(last + limit).await;
    }
}
