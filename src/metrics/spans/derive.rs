//! The pure derivation from a batch of spans to samples: the request, query and exception
//! samples logs derive too, the span metrics (summed per label set in the batch, so that
//! spans of one operation share their labels' strings), and the service-graph sides.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use serde_json::Value;

use super::graph::{GraphSpan, Side, VirtualNode};
use crate::metrics::derived::{
    Sample, Thresholds, TraceExemplar, derive_exception, derive_query, derive_request,
};
use crate::metrics::guard::{OVERFLOW, Overflow};
use crate::model::{Attributes, SpanKind, SpanRecord, SpanStatus};
use crate::pipeline::fields::truncate;

/// The longest virtual node name kept, in bytes.
const MAX_NODE_BYTES: usize = 128;

/// The labels of `traces_span_metrics_*`, as the OTel collector's spanmetrics connector sets
/// them.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SpanLabels {
    pub service_name: String,
    pub span_name: String,
    pub span_kind: &'static str,
    pub status_code: &'static str,
}

impl Overflow for SpanLabels {
    fn overflow(&self) -> Self {
        SpanLabels {
            service_name: OVERFLOW.to_string(),
            span_name: OVERFLOW.to_string(),
            span_kind: OVERFLOW,
            status_code: OVERFLOW,
        }
    }
}

/// The spans of one label set in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanCalls {
    pub labels: SpanLabels,
    /// Each span's duration.
    pub seconds: Vec<f64>,
    /// Each duration's span: its place in the batch.
    spans: Vec<u32>,
    /// The trace of the slowest span, the one worth jumping to.
    pub exemplar: Option<TraceExemplar>,
    slowest: f64,
}

/// What a batch of spans adds to the metrics once committed. Each sample remembers its span's
/// place in the batch, so that the spans the store skipped (stored already: sent again) can be
/// left out ([`SpanSamples::forget`]).
#[derive(Debug, Default)]
pub struct SpanSamples {
    /// Request, query and exception samples, as logs derive them.
    pub derived: Vec<Sample>,
    derived_spans: Vec<u32>,
    /// Services of the HTTP server spans (database client spans) in the batch.
    pub request_services: Vec<String>,
    pub query_services: Vec<String>,
    pub calls: Vec<SpanCalls>,
    pub graph: Vec<GraphSpan>,
    graph_spans: Vec<u32>,
}

impl SpanSamples {
    /// Leaves out the samples of the spans at `skipped` (places in the batch, ascending).
    pub fn forget(&mut self, skipped: &[u32]) {
        if skipped.is_empty() {
            return;
        }
        let kept = |span: &u32| skipped.binary_search(span).is_err();
        retain_by_span(&mut self.derived, &mut self.derived_spans, kept);
        retain_by_span(&mut self.graph, &mut self.graph_spans, kept);
        for calls in &mut self.calls {
            retain_by_span(&mut calls.seconds, &mut calls.spans, kept);
        }
        self.calls.retain(|calls| !calls.seconds.is_empty());
    }
}

/// Keeps the items whose span (at the same place in `spans`) is `kept`.
fn retain_by_span<T>(items: &mut Vec<T>, spans: &mut Vec<u32>, kept: impl Fn(&u32) -> bool) {
    let mut keep = spans.iter().map(&kept);
    items.retain(|_| keep.next().unwrap_or(true));
    spans.retain(kept);
}

/// `SPAN_KIND_*` of the OTLP enum.
pub fn kind_label(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Unspecified => "SPAN_KIND_UNSPECIFIED",
        SpanKind::Internal => "SPAN_KIND_INTERNAL",
        SpanKind::Server => "SPAN_KIND_SERVER",
        SpanKind::Client => "SPAN_KIND_CLIENT",
        SpanKind::Producer => "SPAN_KIND_PRODUCER",
        SpanKind::Consumer => "SPAN_KIND_CONSUMER",
    }
}

/// `STATUS_CODE_*` of the OTLP enum.
pub fn status_label(status: &SpanStatus) -> &'static str {
    match status.code {
        1 => "STATUS_CODE_OK",
        SpanStatus::ERROR => "STATUS_CODE_ERROR",
        _ => "STATUS_CODE_UNSET",
    }
}

/// Derives the samples of a batch of processed spans.
pub fn derive(spans: &[SpanRecord], thresholds: Thresholds) -> SpanSamples {
    let mut samples = SpanSamples::default();
    let mut calls: HashMap<(&str, &str, SpanKind, i16), usize> = HashMap::new();
    let mut services: Vec<Arc<str>> = Vec::new();
    for (place, span) in (0u32..).zip(spans) {
        let seconds = span.duration_ns as f64 / 1e9;
        let key = (
            span.service.as_str(),
            span.name.as_str(),
            span.kind,
            span.status.code,
        );
        match calls.entry(key) {
            Entry::Occupied(at) => samples.calls[*at.get()].add(span, (place, seconds)),
            Entry::Vacant(at) => {
                at.insert(samples.calls.len());
                samples.calls.push(SpanCalls::first(span, (place, seconds)));
            }
        }
        derive_signals(span, thresholds, &mut samples);
        let derived = samples.derived.len() - samples.derived_spans.len();
        samples
            .derived_spans
            .extend(std::iter::repeat_n(place, derived));
        if let Some(graph) = graph_span(span, seconds, &mut services) {
            samples.graph.push(graph);
            samples.graph_spans.push(place);
        }
    }
    samples
}

impl SpanCalls {
    fn first(span: &SpanRecord, (place, seconds): (u32, f64)) -> SpanCalls {
        SpanCalls {
            labels: SpanLabels {
                service_name: span.service.clone(),
                span_name: span.name.clone(),
                span_kind: kind_label(span.kind),
                status_code: status_label(&span.status),
            },
            seconds: vec![seconds],
            spans: vec![place],
            exemplar: Some(exemplar(span)),
            slowest: seconds,
        }
    }

    fn add(&mut self, span: &SpanRecord, (place, seconds): (u32, f64)) {
        self.seconds.push(seconds);
        self.spans.push(place);
        if seconds > self.slowest {
            self.slowest = seconds;
            self.exemplar = Some(exemplar(span));
        }
    }
}

fn exemplar(span: &SpanRecord) -> TraceExemplar {
    TraceExemplar {
        trace_id: span.trace_id.clone(),
    }
}

/// The request, query and exception samples of a span, and its service among those whose
/// spans count for requests or queries.
fn derive_signals(span: &SpanRecord, thresholds: Thresholds, samples: &mut SpanSamples) {
    let service = &span.service;
    let exemplar = || Some(exemplar(span));
    if let Some(request) = &span.request {
        derive_request(service, request, exemplar, thresholds, &mut samples.derived);
        note(&mut samples.request_services, service);
    }
    if let Some(query) = &span.query {
        derive_query(service, query, exemplar, thresholds, &mut samples.derived);
        note(&mut samples.query_services, service);
    }
    for found in &span.exceptions {
        derive_exception(service, &found.exception, &mut samples.derived);
    }
}

/// Adds a service to a batch's few services unless listed.
fn note(services: &mut Vec<String>, service: &str) {
    if !services.iter().any(|listed| listed == service) {
        services.push(service.to_string());
    }
}

/// The service-graph side of a client, producer, server or consumer span.
fn graph_span(span: &SpanRecord, seconds: f64, services: &mut Vec<Arc<str>>) -> Option<GraphSpan> {
    let trace = u128::from_str_radix(&span.trace_id, 16).ok()?;
    let id = |hex: &str| u64::from_str_radix(hex, 16).ok();
    let mut side = || Side {
        service: intern(services, &span.service),
        seconds,
        failed: span.status.code == SpanStatus::ERROR,
    };
    match span.kind {
        SpanKind::Client | SpanKind::Producer => Some(GraphSpan::Client {
            key: (trace, id(&span.span_id)?),
            side: side(),
            messaging: span.kind == SpanKind::Producer,
            node: virtual_node(span),
        }),
        SpanKind::Server | SpanKind::Consumer => Some(GraphSpan::Server {
            trace,
            parent: match &span.parent_span_id {
                Some(parent) => Some(id(parent)?),
                None => None,
            },
            side: side(),
        }),
        SpanKind::Internal | SpanKind::Unspecified => None,
    }
}

/// The service's name shared by the batch's sides.
fn intern(services: &mut Vec<Arc<str>>, service: &str) -> Arc<str> {
    if let Some(known) = services.iter().find(|known| &***known == service) {
        return Arc::clone(known);
    }
    let new: Arc<str> = Arc::from(service);
    services.push(Arc::clone(&new));
    new
}

/// The node a client span stands for without a server peer: its database, named after
/// `db.namespace`/`db.name` else the system; else its `peer.service`/`server.address`.
fn virtual_node(span: &SpanRecord) -> Option<VirtualNode> {
    if span.kind != SpanKind::Client {
        return None;
    }
    let name = |keys: &[&str]| text(&span.attributes, keys);
    if let Some(system) = &span.promoted.db_system {
        let database = name(&["db.namespace", "db.name"]).unwrap_or(system);
        return Some(VirtualNode::Database(node_name(database)));
    }
    let peer = name(&["peer.service", "server.address"])?;
    Some(VirtualNode::Peer(node_name(peer)))
}

fn text<'a>(attributes: &'a Attributes, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| match attributes.get(*key) {
        Some(Value::String(text)) if !text.is_empty() => Some(text.as_str()),
        _ => None,
    })
}

fn node_name(name: &str) -> String {
    truncate(name, MAX_NODE_BYTES).to_string()
}

#[cfg(test)]
mod tests;
