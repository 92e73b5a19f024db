//! The policy step on a processed batch, after its metric samples were derived from every
//! record: the pipeline's verdicts (levels, sampling), then the per-service quotas, then the
//! tally of what was not stored and of the bytes stored, counted once the batch is committed.

use std::collections::HashSet;

use super::quota::{Demand, Now, Quotas, Refusal};
use crate::metrics::{NotStored, PolicyMetrics, Protocol};
use crate::model::{Level, LogRecord, SpanRecord};
use crate::pipeline::policy::size::Sizer;
use crate::pipeline::policy::{Policy, Verdict};

/// How a request answers records over their service's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaAnswer {
    /// The whole request is refused (429 + Retry-After) and nothing is stored: the JSON, Loki,
    /// Elasticsearch and Faro receivers, whose clients retry a whole request.
    RefuseRequest,
    /// The over-quota services' records are rejected (OTLP's `partial_success`), the rest stored.
    RejectRecords,
}

impl QuotaAnswer {
    /// How a protocol answers: OTLP through `partial_success`, the others by refusing.
    pub fn of(protocol: Protocol) -> QuotaAnswer {
        match protocol {
            Protocol::otlp_grpc
            | Protocol::otlp_http_protobuf
            | Protocol::otlp_http_json
            | Protocol::otlp_grpc_traces
            | Protocol::otlp_http_protobuf_traces
            | Protocol::otlp_http_json_traces => QuotaAnswer::RejectRecords,
            Protocol::json | Protocol::loki | Protocol::elasticsearch | Protocol::faro => {
                QuotaAnswer::RefuseRequest
            }
        }
    }
}

/// What the policy step did to one batch.
#[derive(Debug, Default)]
pub struct Applied {
    /// Records rejected over quota (`RejectRecords`).
    pub rejected: usize,
    /// The first service rejected over quota.
    pub first_refusal: Option<Refusal>,
    /// The places of the stored items in the batch, when some were left out.
    pub stored_places: Option<Vec<u32>>,
    /// What is counted once the batch is committed.
    pub tally: PolicyTally,
}

/// A record or span as the policy step sees it.
pub trait Item {
    fn service(&self) -> &str;
    fn level(&self) -> Level;
    fn verdict(&self, policy: &Policy) -> Verdict;
    fn size(&self, sizer: &mut Sizer) -> u64;
}

impl Item for LogRecord {
    fn service(&self) -> &str {
        &self.service
    }
    fn level(&self) -> Level {
        self.level
    }
    fn verdict(&self, policy: &Policy) -> Verdict {
        policy.decide(self)
    }
    fn size(&self, sizer: &mut Sizer) -> u64 {
        sizer.record(self)
    }
}

/// Spans count as `info` records.
impl Item for SpanRecord {
    fn service(&self) -> &str {
        &self.service
    }
    fn level(&self) -> Level {
        Level::Info
    }
    fn verdict(&self, policy: &Policy) -> Verdict {
        policy.decide_span(self)
    }
    fn size(&self, sizer: &mut Sizer) -> u64 {
        sizer.span(self)
    }
}

/// Applies the policy and, when `answer` is given, the quotas to a batch, keeping the items to
/// store. `Err` (nothing kept, nothing used up) when the request is refused whole; its tally
/// counts the held records.
pub fn apply<T: Item>(
    items: &mut Vec<T>,
    policy: &Policy,
    quotas: Option<(&Quotas, QuotaAnswer)>,
) -> Result<Applied, (Refusal, PolicyTally)> {
    let mut applied = Applied::default();
    let mut keep: Vec<bool> = (items.iter())
        .map(|item| applied.tally.verdict(item, item.verdict(policy)))
        .collect();
    let mut sizer = Sizer::default();
    let sizes: Vec<u64> = (items.iter().zip(&keep))
        .map(|(item, kept)| if *kept { item.size(&mut sizer) } else { 0 })
        .collect();
    if let Some((quotas, answer)) = quotas.filter(|_| policy.has_quotas()) {
        let demands = demands(items, &keep, &sizes);
        let refusals = quotas.admit(
            policy,
            &demands,
            answer == QuotaAnswer::RefuseRequest,
            Now::current(),
        );
        if let Some(first) = refusals.first().cloned() {
            if answer == QuotaAnswer::RefuseRequest {
                return Err((first, held(items, &keep)));
            }
            let refused: HashSet<&str> = refusals.iter().map(|r| r.service.as_str()).collect();
            applied.reject(items, &mut keep, &refused);
            applied.first_refusal = Some(first);
        }
    }
    for ((item, kept), size) in items.iter().zip(&keep).zip(&sizes) {
        if *kept {
            applied.tally.row(item.service(), item.level()).stored_bytes += size;
        }
    }
    applied.stored_places = retain(items, &keep);
    Ok(applied)
}

impl Applied {
    /// Leaves out the kept items of the refused services, counting them.
    fn reject<T: Item>(&mut self, items: &[T], keep: &mut [bool], refused: &HashSet<&str>) {
        for (item, kept) in items.iter().zip(keep.iter_mut()) {
            if *kept && refused.contains(item.service()) {
                *kept = false;
                self.rejected += 1;
                self.tally.row(item.service(), item.level()).quota += 1;
            }
        }
    }
}

/// Each service's records and bytes among the kept items.
fn demands<T: Item>(items: &[T], keep: &[bool], sizes: &[u64]) -> Vec<Demand> {
    let mut demands: Vec<Demand> = Vec::new();
    for ((item, _), size) in items.iter().zip(keep).zip(sizes).filter(|((_, k), _)| **k) {
        let found = demands.iter_mut().find(|d| d.service == item.service());
        match found {
            Some(demand) => {
                demand.records += 1;
                demand.bytes += size;
            }
            None => demands.push(Demand {
                service: item.service().to_string(),
                records: 1,
                bytes: *size,
            }),
        }
    }
    demands
}

/// The tally of a request refused whole: every item it would have stored, held at quota.
fn held<T: Item>(items: &[T], keep: &[bool]) -> PolicyTally {
    let mut tally = PolicyTally::default();
    for (item, _) in items.iter().zip(keep).filter(|(_, k)| **k) {
        tally.row(item.service(), item.level()).quota += 1;
    }
    tally
}

/// Keeps the items marked; gives their places when some were left out.
fn retain<T>(items: &mut Vec<T>, keep: &[bool]) -> Option<Vec<u32>> {
    if keep.iter().all(|k| *k) {
        return None;
    }
    let places = (keep.iter().enumerate())
        .filter(|(_, k)| **k)
        .map(|(i, _)| i as u32)
        .collect();
    let mut marks = keep.iter();
    items.retain(|_| *marks.next().expect("a mark per item"));
    Some(places)
}

/// What one batch did not store, by service, level and reason, and the bytes it stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyTally {
    rows: Vec<TallyRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TallyRow {
    service: String,
    level: Level,
    below_level: u64,
    sampled: u64,
    quota: u64,
    stored_bytes: u64,
}

impl PolicyTally {
    /// Counts a verdict; gives whether the item is kept.
    fn verdict<T: Item>(&mut self, item: &T, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Store => return true,
            Verdict::BelowLevel => self.row(item.service(), item.level()).below_level += 1,
            Verdict::Sampled => self.row(item.service(), item.level()).sampled += 1,
        }
        false
    }

    /// The row of a service and level; batches hold few, so a scan from the latest is fastest.
    fn row(&mut self, service: &str, level: Level) -> &mut TallyRow {
        let found = (self.rows.iter()).rposition(|r| r.level == level && r.service == service);
        let index = found.unwrap_or_else(|| {
            self.rows.push(TallyRow::new(service, level));
            self.rows.len() - 1
        });
        &mut self.rows[index]
    }

    /// Records held at quota in this tally.
    pub fn held_at_quota(&self) -> u64 {
        self.rows.iter().map(|r| r.quota).sum()
    }

    /// Counts the tally in the policy's metrics.
    pub fn observe(&self, metrics: &PolicyMetrics) {
        for row in &self.rows {
            let reasons = [
                (NotStored::BelowLevel, row.below_level),
                (NotStored::Sampled, row.sampled),
                (NotStored::Quota, row.quota),
            ];
            for (reason, n) in reasons.into_iter().filter(|(_, n)| *n > 0) {
                metrics.observe_not_stored(&row.service, row.level, reason, n);
            }
            if row.stored_bytes > 0 {
                metrics.observe_stored_bytes(&row.service, row.level, row.stored_bytes);
            }
        }
    }
}

impl TallyRow {
    fn new(service: &str, level: Level) -> TallyRow {
        TallyRow {
            service: service.to_string(),
            level,
            below_level: 0,
            sampled: 0,
            quota: 0,
            stored_bytes: 0,
        }
    }
}
