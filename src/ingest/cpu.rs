//! The CPU pool of the accept path: gunzip, decode and prepare run on tokio's blocking threads,
//! at most one request per core at a time, so that the async workers keep answering (small
//! requests, `/healthz`, `/metrics`) while a large request is being decoded. Bounding the
//! concurrency also bounds the decoded records held at once.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tracing::Instrument as _;

use super::error::IngestError;
use crate::store::StoreError;

/// Runs CPU-bound work off the async workers, `permits` jobs at a time; cheap to clone.
#[derive(Clone, Debug)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    /// A pool running up to `permits` jobs at once.
    pub fn new(permits: usize) -> CpuPool {
        CpuPool {
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    /// A pool of one job per available core.
    pub fn per_core() -> CpuPool {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        CpuPool::new(cores)
    }

    /// Runs `work` on a blocking thread once a permit is free, inside the caller's span.
    pub async fn run<T, F>(&self, work: F) -> Result<T, IngestError>
    where
        F: FnOnce() -> Result<T, IngestError> + Send + 'static,
        T: Send + 'static,
    {
        let permits = Arc::clone(&self.permits);
        let waiting = permits
            .acquire_owned()
            .instrument(tracing::trace_span!("cpu_wait"));
        let permit = waiting
            .await
            .map_err(|_| IngestError::from(StoreError::ShuttingDown))?;
        let span = tracing::Span::current();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        });
        match job.await {
            Ok(result) => result,
            // A panic in the work: re-raised here, as it would have been on the worker.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(StoreError::ShuttingDown.into()),
        }
    }
}
