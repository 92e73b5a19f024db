//! The grouping corpus (`bench/grouping/corpus/NAME.ndjson` with `NAME.truth`) read through the
//! bridge's real path: each line decoded by its receiver's decoder (OTLP/JSON or the JSON logs
//! API), then the pipeline's one entry, `Pipeline::process`.

use std::fs;
use std::path::Path;

use chrono::Utc;
use logbridge::config::Config;
use logbridge::ingest::bounds::RequestBounds;
use logbridge::ingest::{RequestContext, json, otlp};
use logbridge::model::LogRecord;
use logbridge::pipeline::Pipeline;

/// One event of the corpus and what the bridge made of it.
pub struct Event {
    /// `NAME:LINE` of the event in the corpus.
    pub origin: String,
    /// The true group.
    pub truth: String,
    /// The record the pipeline produced (its exception, if detected, is grouped).
    pub record: LogRecord,
}

impl Event {
    /// The exception group the bridge gave the event, if it found an exception.
    pub fn group(&self) -> Option<String> {
        Some(self.record.exception.as_ref()?.fingerprint.clone())
    }
}

/// Every event of the corpus in `dir`, files in name order, through decode and pipeline.
pub fn load(dir: &Path) -> Vec<Event> {
    let pipeline = Pipeline::from_config(&Config::default()).expect("the default pipeline");
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the corpus directory")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| Some(name.strip_suffix(".ndjson")?.to_string()))
        .collect();
    names.sort();
    let mut events = Vec::new();
    for name in names {
        let lines = fs::read_to_string(dir.join(format!("{name}.ndjson"))).expect("corpus");
        let truth = fs::read_to_string(dir.join(format!("{name}.truth"))).expect("truth");
        assert_eq!(
            lines.lines().count(),
            truth.lines().count(),
            "{name}: one truth a line"
        );
        for (index, (line, truth)) in lines.lines().zip(truth.lines()).enumerate() {
            events.push(Event {
                origin: format!("{name}:{}", index + 1),
                truth: truth.to_string(),
                record: decode(&pipeline, line),
            });
        }
    }
    events
}

/// The one record a corpus line holds, decoded and processed.
fn decode(pipeline: &Pipeline, line: &str) -> LogRecord {
    let bounds = RequestBounds::default();
    let context = RequestContext {
        received: Utc::now(),
        service: None,
        aliases: pipeline.aliases(),
        bounds: &bounds,
    };
    let mut records = if line.starts_with("{\"resourceLogs\"") {
        otlp::decode_json(line.as_bytes(), &context)
            .expect("OTLP/JSON")
            .records
    } else {
        json::decode(line.as_bytes(), &context).expect("a JSON log record")
    };
    assert_eq!(records.len(), 1, "one record a line: {line}");
    let mut record = records.remove(0);
    let mut redactions = pipeline.redactions();
    pipeline.process(&mut record, &mut redactions);
    record
}
