//! Clients that push numbered batches of JSON records, each retried with the same numbers until
//! it is acknowledged, and the check that every acknowledged batch is in PostgreSQL.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::RETRY_AFTER;
use sqlx::{PgPool, Row};
use tokio::task::JoinHandle;

use crate::api::helpers::eventually;

/// Pause between attempts of a batch (shorter than `Retry-After`, to keep the tests short).
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// A request without an answer by then counts as a transport error and is retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// A batch not acknowledged by then is given up (and stays unacknowledged).
const GIVE_UP: Duration = Duration::from_secs(60);

/// What the clients send.
#[derive(Clone)]
pub struct LoadSpec {
    /// The JSON receiver's URL.
    pub url: String,
    pub clients: usize,
    pub records_per_batch: usize,
    /// The records' service, which tells this load's rows apart.
    pub service: String,
}

/// Running clients.
pub struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<ClientReport>>,
}

/// What one client saw.
#[derive(Debug, Default)]
pub struct ClientReport {
    pub client: usize,
    /// Sequence numbers of the acknowledged batches.
    pub acked: Vec<u64>,
    /// Sequence numbers of batches sent more than once.
    pub retried: HashSet<u64>,
    /// Answers by HTTP status, acknowledgements included.
    pub statuses: BTreeMap<u16, usize>,
    /// 429 and 503 answers without `Retry-After`.
    pub missing_retry_after: usize,
    /// Attempts without an answer (connection refused or reset, timeout).
    pub transport_errors: usize,
    /// Milliseconds from send to acknowledgement of each acknowledged attempt.
    pub ack_ms: Vec<f64>,
}

impl Load {
    /// Starts `spec.clients` clients, each pushing batch 0, 1, 2, ... until [`Self::finish`].
    pub fn start(spec: &LoadSpec) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let tasks = (0..spec.clients)
            .map(|id| {
                let (spec, stop, acked) = (spec.clone(), stop.clone(), acked.clone());
                tokio::spawn(client(spec, id, stop, acked))
            })
            .collect();
        Load { stop, acked, tasks }
    }

    /// Batches acknowledged so far.
    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::Relaxed)
    }

    /// Whether at least `count` batches are acknowledged within `timeout`.
    pub async fn wait_acked(&self, count: usize, timeout: Duration) -> bool {
        eventually(timeout, || async { self.acked() >= count }).await
    }

    /// Lets every client finish its current batch, then returns what they saw.
    pub async fn finish(self) -> Vec<ClientReport> {
        self.stop.store(true, Ordering::Relaxed);
        let mut reports = Vec::new();
        for task in self.tasks {
            reports.push(task.await.expect("client task"));
        }
        reports
    }
}

async fn client(
    spec: LoadSpec,
    id: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
) -> ClientReport {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap();
    let mut report = ClientReport {
        client: id,
        ..ClientReport::default()
    };
    let mut seq = 0;
    while !stop.load(Ordering::Relaxed) {
        let body = batch(&spec, id, seq);
        if push_until_acked(&http, &spec.url, body, seq, &mut report).await {
            report.acked.push(seq);
            acked.fetch_add(1, Ordering::Relaxed);
        }
        seq += 1;
    }
    report
}

/// NDJSON: `records_per_batch` records carrying the client, the batch's sequence number and
/// their index in it.
fn batch(spec: &LoadSpec, client: usize, seq: u64) -> String {
    (0..spec.records_per_batch)
        .map(|item| {
            let record = serde_json::json!({
                "message": format!("load {client}/{seq}/{item}"),
                "service": spec.service,
                "load_client": client,
                "load_seq": seq,
                "load_item": item,
            });
            format!("{record}\n")
        })
        .collect()
}

/// Sends one batch until it is acknowledged; false if it never was within [`GIVE_UP`].
async fn push_until_acked(
    http: &reqwest::Client,
    url: &str,
    body: String,
    seq: u64,
    report: &mut ClientReport,
) -> bool {
    let deadline = Instant::now() + GIVE_UP;
    loop {
        let started = Instant::now();
        let request = http
            .post(url)
            .header("content-type", "application/x-ndjson")
            .body(body.clone());
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                *report.statuses.entry(status.as_u16()).or_default() += 1;
                if status.is_success() {
                    report.ack_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                    return true;
                }
                let throttled = status == 429 || status == 503;
                if throttled && !response.headers().contains_key(RETRY_AFTER) {
                    report.missing_retry_after += 1;
                }
            }
            Err(_) => report.transport_errors += 1,
        }
        report.retried.insert(seq);
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// Acknowledged batches against the rows in `logs`.
#[derive(Debug)]
pub struct Verdict {
    pub acked: usize,
    pub retried: usize,
    /// Acknowledged batches with no rows: lost.
    pub missing: Vec<(usize, u64)>,
    /// Batches stored more than once.
    pub duplicated: Vec<(usize, u64)>,
    /// Rows beyond the first copy of each batch.
    pub duplicate_rows: i64,
    /// Duplicated batches that were never retried: duplicates nothing explains.
    pub unexplained: Vec<(usize, u64)>,
    /// Batches whose row count is not a whole number of batches (a torn batch).
    pub torn: Vec<(usize, u64)>,
}

/// Compares what the clients saw acknowledged with the rows of `spec.service`.
pub async fn verify(db: &PgPool, spec: &LoadSpec, reports: &[ClientReport]) -> Verdict {
    let rows = sqlx::query(
        "SELECT (attributes->>'load_client')::int AS client, (attributes->>'load_seq')::bigint \
         AS seq, count(*) AS n FROM logs WHERE service = $1 GROUP BY 1, 2",
    )
    .bind(&spec.service)
    .fetch_all(db)
    .await
    .unwrap();
    let stored: HashMap<(usize, u64), i64> = rows
        .iter()
        .map(|row| {
            let (client, seq): (i32, i64) = (row.get("client"), row.get("seq"));
            ((client as usize, seq as u64), row.get("n"))
        })
        .collect();
    let per_batch = spec.records_per_batch as i64;
    let retried: HashSet<(usize, u64)> = reports
        .iter()
        .flat_map(|r| r.retried.iter().map(|seq| (r.client, *seq)))
        .collect();
    let acked = reports
        .iter()
        .flat_map(|r| r.acked.iter().map(|seq| (r.client, *seq)));
    let missing = acked.filter(|key| !stored.contains_key(key)).collect();
    let duplicated: Vec<_> = stored
        .iter()
        .filter(|(_, n)| **n > per_batch)
        .map(|(key, _)| *key)
        .collect();
    Verdict {
        acked: reports.iter().map(|r| r.acked.len()).sum(),
        retried: retried.len(),
        missing,
        duplicate_rows: stored.values().map(|n| (n - per_batch).max(0)).sum(),
        unexplained: duplicated
            .iter()
            .filter(|key| !retried.contains(key))
            .copied()
            .collect(),
        torn: stored
            .iter()
            .filter(|(_, n)| **n % per_batch != 0)
            .map(|(key, _)| *key)
            .collect(),
        duplicated,
    }
}

impl Verdict {
    /// Fails the test unless every acknowledged batch is stored whole and every duplicate was
    /// retried; prints the figures.
    pub fn assert_nothing_acknowledged_lost(&self, what: &str) {
        eprintln!(
            "{what}: {} batches acknowledged, {} retried, {} stored twice or more ({} extra rows)",
            self.acked,
            self.retried,
            self.duplicated.len(),
            self.duplicate_rows
        );
        assert!(self.acked > 0, "{what}: nothing was acknowledged");
        assert!(self.missing.is_empty(), "{what}: lost {:?}", self.missing);
        assert!(self.torn.is_empty(), "{what}: torn {:?}", self.torn);
        assert!(
            self.unexplained.is_empty(),
            "{what}: duplicates never retried {:?}",
            self.unexplained
        );
    }
}

/// Every client's answers added up, by status.
pub fn statuses(reports: &[ClientReport]) -> BTreeMap<u16, usize> {
    let mut all = BTreeMap::new();
    for (status, n) in reports.iter().flat_map(|r| &r.statuses) {
        *all.entry(*status).or_default() += n;
    }
    all
}
