//! The pure per-record pipeline, between decoding and storage. The ingest path first bounds
//! each record ([`limits`]), then calls [`process`], which runs the enrich step (HTTP
//! request, database query, exception and user from the attributes) and exception grouping; redaction and deduplication
//! will join it. Also home to what decoders share: field lookup through aliases ([`fields`])
//! and level normalization ([`levels`]).

pub mod enrich;
pub mod exception;
pub mod fields;
pub mod grouping;
pub mod levels;
pub mod limits;
pub mod route;
pub mod sql;

use crate::config::FieldAliases;
use crate::model::LogRecord;

/// Runs every pipeline step on one record, in order; the single entry point of the ingest path.
pub fn process(record: &mut LogRecord, aliases: &FieldAliases) {
    enrich::enrich(record, aliases);
    grouping::assign(record);
}
