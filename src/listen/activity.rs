//! A connection's socket, noting when bytes last went either way, for its idle timer.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// When a connection last read or wrote, and whether it has read anything yet.
#[derive(Clone)]
pub(super) struct Activity(Arc<Inner>);

struct Inner {
    origin: Instant,
    /// The last read or write, in ms since `origin`.
    last_ms: AtomicU64,
    has_read: AtomicBool,
}

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(Inner {
            origin: Instant::now(),
            last_ms: AtomicU64::new(0),
            has_read: AtomicBool::new(false),
        }))
    }
}

impl Activity {
    /// When bytes last went either way (the connection's start before any did).
    pub fn last(&self) -> Instant {
        self.0.origin + Duration::from_millis(self.0.last_ms.load(Ordering::Relaxed))
    }

    /// Whether the client has sent anything yet.
    pub fn has_read(&self) -> bool {
        self.0.has_read.load(Ordering::Relaxed)
    }

    fn read(&self) {
        self.0.has_read.store(true, Ordering::Relaxed);
        self.touch();
    }

    fn wrote(&self) {
        self.touch();
    }

    fn touch(&self) {
        let now = self.0.origin.elapsed().as_millis() as u64;
        self.0.last_ms.fetch_max(now, Ordering::Relaxed);
    }
}

/// The socket, noting when bytes last went either way.
pub(super) struct Watched {
    inner: TcpStream,
    activity: Activity,
}

impl Watched {
    pub fn new(inner: TcpStream, activity: Activity) -> Watched {
        Watched { inner, activity }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
