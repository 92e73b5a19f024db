//! JavaScript stacks of OTLP records and span events (`exception.stacktrace`, as OpenTelemetry
//! JS in a page or Node sends them) symbolicated through the source maps of their service's
//! version (`service.name`, `service.version`) before the pipeline groups them, as the Faro
//! receiver does for its frames. A stack without mapped frames stays as sent.

use serde_json::Value;

use super::body::Raw;
use super::error::IngestError;
use super::policy::QuotaAnswer;
use super::prepare::{Preparable, Prepared};
use super::{Accepted, Counting, Decoded, DecodedSpans, Ingest, RequestContext};
use crate::metrics::Protocol;
use crate::model::{Attributes, LogRecord, SpanRecord};
use crate::pipeline::span_signals::EXCEPTION_EVENT;
use crate::sourcemaps::{AppMaps, Wanted};

/// The attribute holding a stack trace (OpenTelemetry's semantic conventions).
const STACKTRACE: &str = "exception.stacktrace";
/// The resource attribute naming the build whose maps apply.
const VERSION: &str = "service.version";

impl Ingest {
    /// [`Ingest::accept`] with the request's JavaScript stacks symbolicated: when some map is
    /// stored and a stack has frames, their maps are resolved between decoding and the
    /// pipeline (a cache miss loads from the database without holding a CPU worker).
    pub async fn accept_symbolicated<F, D>(
        &self,
        protocol: Protocol,
        raw: Raw,
        decode: F,
    ) -> Result<Accepted, IngestError>
    where
        F: FnOnce(&[u8], &RequestContext) -> Result<D, IngestError> + Send + 'static,
        D: Preparable + Stacks,
    {
        let maps = match &self.source_maps {
            Some(maps) if maps.any().await => maps.clone(),
            _ => return self.accept(protocol, raw, None, decode).await,
        };
        let (decoding, preparer) = (self.decoding(raw, None), self.preparer.clone());
        let answer = QuotaAnswer::of(protocol);
        let decoded = self.cpu.run(move || {
            let decoded = decoding.decode(decode)?;
            let wanted = decoded.wanted();
            Ok(match wanted.is_empty() {
                true => Stage::Prepared(Box::new(decoded.prepare(&preparer, answer)?)),
                false => Stage::Wanting(decoded, wanted),
            })
        });
        let decoded = decoded
            .await
            .map_err(|error| self.refuse(protocol, error))?;
        let prepared = match decoded {
            Stage::Prepared(prepared) => *prepared,
            Stage::Wanting(mut decoded, wanted) => {
                let maps = maps.resolve_wanted(wanted).await;
                let preparer = self.preparer.clone();
                let prepared = self.cpu.run(move || {
                    decoded.symbolicate(&maps);
                    decoded.prepare(&preparer, answer)
                });
                prepared
                    .await
                    .map_err(|error| self.refuse(protocol, error))?
            }
        };
        self.finish(Counting::Request(protocol), prepared).await
    }
}

/// What the first step on the CPU pool gives: the request prepared already (no stack to
/// look up), or decoded with the frame files its stacks want.
enum Stage<D> {
    Prepared(Box<(Prepared, Accepted)>),
    Wanting(D, Wanted),
}

/// A decoded request whose stacks may be symbolicated.
pub trait Stacks {
    /// The frame files of its stacks, per service and version.
    fn wanted(&self) -> Wanted;

    /// Rewrites its stacks through `maps`.
    fn symbolicate(&mut self, maps: &AppMaps);
}

impl Stacks for Decoded {
    fn wanted(&self) -> Wanted {
        let mut wanted = Wanted::default();
        for record in &self.records {
            if let Some((version, stack)) = record_stack(record) {
                wanted.add(&record.service, version, stack);
            }
        }
        wanted
    }

    fn symbolicate(&mut self, maps: &AppMaps) {
        for record in &mut self.records {
            let Some((version, stack)) = record_stack(record) else {
                continue;
            };
            if let Some(stack) = maps.symbolicate(&record.service, version, stack) {
                record.attributes.insert(STACKTRACE.into(), stack.into());
            }
        }
    }
}

impl Stacks for DecodedSpans {
    fn wanted(&self) -> Wanted {
        let mut wanted = Wanted::default();
        for span in &self.spans {
            let Some(version) = version(&span.resource) else {
                continue;
            };
            for stack in exception_events(span).filter_map(|a| stack(a)) {
                wanted.add(&span.service, version, stack);
            }
        }
        wanted
    }

    fn symbolicate(&mut self, maps: &AppMaps) {
        for span in &mut self.spans {
            let Some(version) = version(&span.resource).map(str::to_owned) else {
                continue;
            };
            let events = span.events.iter_mut().filter(|e| e.name == EXCEPTION_EVENT);
            for event in events {
                let Some(stack) = stack(&event.attributes) else {
                    continue;
                };
                if let Some(stack) = maps.symbolicate(&span.service, &version, stack) {
                    event.attributes.insert(STACKTRACE.into(), stack.into());
                }
            }
        }
    }
}

/// The version and stack of a record that has both.
fn record_stack(record: &LogRecord) -> Option<(&str, &str)> {
    Some((version(&record.resource)?, stack(&record.attributes)?))
}

fn version(resource: &Attributes) -> Option<&str> {
    resource.get(VERSION).and_then(Value::as_str)
}

fn stack(attributes: &Attributes) -> Option<&str> {
    attributes.get(STACKTRACE).and_then(Value::as_str)
}

fn exception_events(span: &SpanRecord) -> impl Iterator<Item = &Attributes> {
    let events = span.events.iter().filter(|e| e.name == EXCEPTION_EVENT);
    events.map(|event| &event.attributes)
}
