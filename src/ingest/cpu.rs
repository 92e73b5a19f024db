//! The CPU pool of the accept path: gunzip, decode and prepare run on a few threads of their
//! own, one per core, so that the async workers keep answering (small requests, `/healthz`,
//! `/metrics`) while a large request is being decoded. Bounding the concurrency also bounds the
//! decoded records held at once. Dedicated threads rather than tokio's `spawn_blocking` behind a
//! semaphore: a hop costs 5 µs instead of 22, and a 500-record prepare ran 2.3 ms on them against
//! 3.5 ms on the blocking pool (`cargo bench --bench cpu_pool`, bench/RESULTS.md).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

use super::error::IngestError;
use crate::store::StoreError;

type Job = Box<dyn FnOnce() + Send>;

/// Runs CPU-bound work off the async workers on `threads` threads; cheap to clone. The threads
/// end once every clone is dropped.
#[derive(Clone, Debug)]
pub struct CpuPool {
    jobs: mpsc::Sender<Job>,
}

impl CpuPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> CpuPool {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let thread = std::thread::Builder::new().name(format!("logbridge-cpu-{index}"));
            thread
                .spawn(move || work(&queue))
                .expect("the CPU pool's thread starts");
        }
        CpuPool { jobs }
    }

    /// A pool of one thread per available core.
    pub fn per_core() -> CpuPool {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        CpuPool::new(cores)
    }

    /// Runs `work` on a pool thread once one is free, inside the caller's span; a panic in it
    /// is raised again here, as it would have been on the worker.
    pub async fn run<T, F>(&self, work: F) -> Result<T, IngestError>
    where
        F: FnOnce() -> Result<T, IngestError> + Send + 'static,
        T: Send + 'static,
    {
        let (done, answer) = oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| span.in_scope(work)));
            let _ = done.send(outcome);
        });
        let shut_down = || IngestError::from(StoreError::ShuttingDown);
        self.jobs.send(job).map_err(|_| shut_down())?;
        match answer.await.map_err(|_| shut_down())? {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// A pool thread: takes jobs until the pool is dropped.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let next = queue.lock().map(|queue| queue.recv());
        let Ok(Ok(job)) = next else { return };
        job();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_runs_off_the_async_workers() {
        let caller = std::thread::current().id();
        let pool = CpuPool::new(2);
        let ran_on = pool.run(|| Ok(std::thread::current().id())).await.unwrap();
        assert_ne!(ran_on, caller);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_jobs_than_permits_run_at_once() {
        let pool = CpuPool::new(2);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..8).map(|_| {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
            })
        });
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    #[should_panic(expected = "in the job")]
    async fn a_panic_is_raised_in_the_caller() {
        let _ = CpuPool::new(1)
            .run(|| -> Result<(), _> { panic!("in the job") })
            .await;
    }

    #[tokio::test]
    async fn errors_come_back_as_they_are() {
        let pool = CpuPool::new(1);
        let failed = pool.run(|| Err::<(), _>(IngestError::Decode("x".into())));
        assert!(matches!(failed.await, Err(IngestError::Decode(_))));
    }
}
