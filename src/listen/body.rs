//! Request bodies as they are read: each byte is admitted against one budget shared by every
//! connection (`max_body_bytes_in_flight`, a byte semaphore held until the body is dropped), and
//! a body must bring at least `min_body_bytes_per_second` × `body_grace_seconds` bytes in every
//! window of `body_grace_seconds` (so a burst earns no credit for a later stall). A body refused either
//! way fails its read, and the request is answered 503 with Retry-After, closing the connection.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt as _;
use http_body::{Body as _, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::config::ListenLimits;
use crate::error::{ErrorCode, json_response};
use crate::metrics::{BodyRefusal, ListenerMetrics};

/// How long the rest of a refused body is read (and thrown away) before the connection closes.
const LINGER: Duration = Duration::from_secs(2);

/// What every request body shares: the byte budget and the rate rule.
#[derive(Clone)]
pub struct BodyAdmission {
    budget: Arc<Semaphore>,
    grace: Duration,
    min_bytes_per_second: u64,
    retry_after_seconds: u64,
    metrics: Arc<ListenerMetrics>,
}

/// A body cut off by the listener; the error its read fails with.
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum BodyRefused {
    #[error("the request body arrived slower than the minimum rate")]
    TooSlow,
    #[error("too many request bodies are being read at once")]
    Busy,
}

impl BodyAdmission {
    /// The admission of `limits`, answering refusals with `Retry-After: retry_after_seconds`.
    pub fn new(
        limits: &ListenLimits,
        retry_after_seconds: u64,
        metrics: Arc<ListenerMetrics>,
    ) -> BodyAdmission {
        BodyAdmission {
            budget: Arc::new(Semaphore::new(limits.max_body_bytes_in_flight)),
            grace: Duration::from_secs(limits.body_grace_seconds),
            min_bytes_per_second: limits.min_body_bytes_per_second,
            retry_after_seconds,
            metrics,
        }
    }

    /// The rate window of a body starting now.
    fn window(&self) -> RateWindow {
        RateWindow {
            end: Instant::now() + self.grace,
            length: self.grace,
            bytes: 0,
            min_bytes: self
                .min_bytes_per_second
                .saturating_mul(self.grace.as_secs()),
        }
    }

    fn refused(&self, refusal: BodyRefused) -> Response {
        self.metrics.body_refused(match refusal {
            BodyRefused::TooSlow => BodyRefusal::too_slow,
            BodyRefused::Busy => BodyRefusal::busy,
        });
        let details = serde_json::json!({});
        let code = ErrorCode::Unavailable;
        let mut response =
            json_response(code, refusal.to_string(), details, self.retry_after_seconds);
        let close = HeaderValue::from_static("close");
        response.headers_mut().insert(header::CONNECTION, close);
        response
    }
}

/// Middleware: the request's body is read through the admission; if it was refused, whatever
/// the handler answered is replaced by 503 with Retry-After.
pub async fn admit_bodies(
    State(admission): State<BodyAdmission>,
    request: Request,
    next: Next,
) -> Response {
    let refusal = Arc::new(OnceLock::new());
    let request = request.map(|body| {
        Body::new(Admitted {
            inner: body,
            admission: admission.clone(),
            refusal: refusal.clone(),
            window: admission.window(),
            held: None,
            deadline: None,
        })
    });
    let response = next.run(request).await;
    match refusal.get() {
        Some(refused) => admission.refused(*refused),
        None => response,
    }
}

/// The bytes a body brought in its current window of the rate rule.
#[derive(Debug, Clone)]
struct RateWindow {
    end: Instant,
    length: Duration,
    bytes: u64,
    min_bytes: u64,
}

impl RateWindow {
    /// Whether a window that ended by `now` brought too few bytes; moves on to the current one.
    fn fell_behind(&mut self, now: Instant) -> bool {
        while now >= self.end {
            if self.bytes < self.min_bytes {
                return true;
            }
            self.bytes = 0;
            self.end += self.length;
        }
        false
    }
}

/// A body read through the admission.
struct Admitted {
    inner: Body,
    admission: BodyAdmission,
    refusal: Arc<OnceLock<BodyRefused>>,
    window: RateWindow,
    /// The budget's bytes this body holds.
    held: Option<OwnedSemaphorePermit>,
    /// Wakes the read when the next bytes are late; made at the first wait.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Admitted {
    fn admit(&mut self, bytes: usize) -> Result<(), BodyRefused> {
        let Ok(permits) = u32::try_from(bytes) else {
            return Err(BodyRefused::Busy);
        };
        let budget = self.admission.budget.clone();
        let permit = budget
            .try_acquire_many_owned(permits)
            .map_err(|_| BodyRefused::Busy)?;
        match &mut self.held {
            Some(held) => held.merge(permit),
            None => self.held = Some(permit),
        }
        self.window.bytes += bytes as u64;
        self.admission.metrics.body_bytes(bytes as i64);
        Ok(())
    }

    /// Whether the body fell under the rate; arms the timer that wakes the read when the
    /// current window ends.
    fn is_late(&mut self, cx: &mut Context<'_>) -> bool {
        if self.window.fell_behind(Instant::now()) {
            return true;
        }
        let deadline = self.window.end;
        let sleep = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        sleep.as_mut().poll(cx).is_ready() && self.window.fell_behind(Instant::now())
    }

    fn refuse(&mut self, refused: BodyRefused) -> axum::Error {
        let _ = self.refusal.set(refused);
        axum::Error::new(refused)
    }
}

impl http_body::Body for Admitted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending if this.is_late(cx) => {
                return Poll::Ready(Some(Err(this.refuse(BodyRefused::TooSlow))));
            }
            Poll::Pending => return Poll::Pending,
        };
        let bytes = match &frame {
            Some(Ok(frame)) => frame.data_ref().map_or(0, Bytes::len),
            _ => 0,
        };
        if this.window.fell_behind(Instant::now()) {
            return Poll::Ready(Some(Err(this.refuse(BodyRefused::TooSlow))));
        }
        if bytes > 0
            && let Err(refused) = this.admit(bytes)
        {
            return Poll::Ready(Some(Err(this.refuse(refused))));
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            self.admission
                .metrics
                .body_bytes(-(held.num_permits() as i64));
        }
        if self.refusal.get().is_some() && !self.inner.is_end_stream() {
            tokio::spawn(discard(std::mem::take(&mut self.inner)));
        }
    }
}

/// Reads the rest of a refused body, for [`LINGER`] at most, holding none of it: the client
/// that is still sending then gets its 503 before the connection closes, instead of a reset.
async fn discard(body: Body) {
    let mut data = body.into_data_stream();
    let drained = async { while let Some(Ok(_)) = data.next().await {} };
    let _ = tokio::time::timeout(LINGER, drained).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(budget: usize) -> BodyAdmission {
        let limits = ListenLimits {
            max_body_bytes_in_flight: budget,
            body_grace_seconds: 10,
            min_body_bytes_per_second: 1000,
            ..ListenLimits::default()
        };
        BodyAdmission::new(&limits, 1, Arc::default())
    }

    #[test]
    fn every_window_must_bring_the_minimum_bytes() {
        let start = Instant::now();
        let second = Duration::from_secs(1);
        let mut window = RateWindow {
            end: start + second,
            length: second,
            bytes: 0,
            min_bytes: 100,
        };
        window.bytes = 500;
        assert!(!window.fell_behind(start), "the window is still open");
        assert!(
            !window.fell_behind(start + second),
            "500 bytes in the first second"
        );
        assert_eq!(
            window.bytes, 0,
            "a burst earns no credit for the next window"
        );
        assert!(
            window.fell_behind(start + 2 * second),
            "nothing in the second second"
        );
    }

    #[tokio::test]
    async fn bodies_share_one_byte_budget_released_when_dropped() {
        let admission = admission(100);
        let body = |data: &'static [u8]| Admitted {
            inner: Body::from(data),
            admission: admission.clone(),
            refusal: Arc::default(),
            window: admission.window(),
            held: None,
            deadline: None,
        };
        let first = axum::body::to_bytes(Body::new(body(&[1; 60])), 1000).await;
        assert_eq!(
            first.unwrap().len(),
            60,
            "the body is dropped after it is read"
        );
        let mut holding = body(&[1; 60]);
        holding.admit(60).unwrap();
        let refused = axum::body::to_bytes(Body::new(body(&[1; 60])), 1000).await;
        assert!(refused.is_err(), "60 + 60 bytes exceed the budget of 100");
        drop(holding);
        let admitted = axum::body::to_bytes(Body::new(body(&[1; 60])), 1000).await;
        assert!(
            admitted.is_ok(),
            "the budget is back once the holder is dropped"
        );
    }
}
