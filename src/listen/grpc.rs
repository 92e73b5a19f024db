//! The gRPC listener's bounds, from what tonic offers: requests per connection, a time limit per
//! request, HTTP/2 keep-alive pings that close dead or silent peers; and the same cap on open
//! connections as HTTP (one more is closed at once; gRPC clients retry).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::Server;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::config::ListenLimits;
use crate::metrics::{Listener, ListenerMetrics};

/// How long a keep-alive ping may go unanswered before the connection is closed.
const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// A tonic server builder with `limits` applied.
pub fn server(limits: &ListenLimits) -> Server {
    let idle = Duration::from_secs(limits.idle_timeout_seconds);
    Server::builder()
        .concurrency_limit_per_connection(limits.grpc_max_requests_per_connection)
        .timeout(Duration::from_secs(limits.grpc_request_timeout_seconds))
        .http2_keepalive_interval(Some(idle / 2))
        .http2_keepalive_timeout(Some(PING_TIMEOUT))
}

/// The connections of `listener`, at most `limits.max_connections` open at once.
pub fn incoming(
    listener: TcpListener,
    limits: &ListenLimits,
    metrics: Arc<ListenerMetrics>,
) -> impl Stream<Item = std::io::Result<Capped>> + use<> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    futures_util::stream::unfold(listener, move |listener| {
        let (slots, metrics) = (slots.clone(), metrics.clone());
        async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(error) => return Some((Err(error), listener)),
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    metrics.refused(Listener::grpc);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                metrics.connection(Listener::grpc, true);
                let capped = Capped {
                    inner: stream,
                    _slot: slot,
                    metrics: metrics.clone(),
                };
                return Some((Ok(capped), listener));
            }
        }
    })
}

/// A gRPC connection holding its slot under the cap until it closes.
pub struct Capped {
    inner: TcpStream,
    _slot: OwnedSemaphorePermit,
    metrics: Arc<ListenerMetrics>,
}

impl Drop for Capped {
    fn drop(&mut self) {
        self.metrics.connection(Listener::grpc, false);
    }
}

impl Connected for Capped {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.inner.connect_info()
    }
}

impl AsyncRead for Capped {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Capped {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
