//! Per-request bounds on log records and attribute entries, checked on the raw body before a
//! decoder allocates them: an exact wire walk for OTLP protobuf ([`protobuf`]), a structural
//! scan giving an upper bound for JSON ([`json`]), and both for the Loki push body ([`loki`]).
//! Runs between reading the body and decoding.

pub mod json;
pub mod loki;
pub mod protobuf;

use super::error::IngestError;
use crate::config::IngestConfig;

/// What a request body holds, counted before decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Log records.
    pub records: usize,
    /// Attribute entries: resource, scope and record attributes, nested map entries and array
    /// elements.
    pub attributes: usize,
    /// Whether the counts are upper bounds (JSON) rather than exact (protobuf).
    pub estimated: bool,
}

/// The bounds: `ingest.max_records_per_request` and `ingest.max_attributes_per_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBounds {
    pub max_records: usize,
    pub max_attributes: usize,
}

impl RequestBounds {
    pub fn from_config(config: &IngestConfig) -> RequestBounds {
        RequestBounds {
            max_records: config.max_records_per_request,
            max_attributes: config.max_attributes_per_request,
        }
    }

    /// 413 when the request holds more records or attribute entries than allowed.
    pub fn check(&self, counted: Counted) -> Result<(), IngestError> {
        self.check_of("log records", counted)
    }

    /// 413 when the request holds more spans or attribute entries than allowed; spans are
    /// bounded by `ingest.max_records_per_request` as log records are.
    pub fn check_spans(&self, counted: Counted) -> Result<(), IngestError> {
        self.check_of("spans", counted)
    }

    /// 413 when the request holds more `records` (what they are) or attribute entries than
    /// allowed.
    fn check_of(&self, records: &'static str, counted: Counted) -> Result<(), IngestError> {
        let too_many = |what, counted_here, key, limit| IngestError::TooMany {
            what,
            counted: counted_here,
            estimated: counted.estimated,
            key,
            limit,
        };
        if counted.records > self.max_records {
            return Err(too_many(
                records,
                counted.records,
                "ingest.max_records_per_request",
                self.max_records,
            ));
        }
        if counted.attributes > self.max_attributes {
            return Err(too_many(
                "attribute entries",
                counted.attributes,
                "ingest.max_attributes_per_request",
                self.max_attributes,
            ));
        }
        Ok(())
    }
}

impl Default for RequestBounds {
    fn default() -> RequestBounds {
        RequestBounds::from_config(&IngestConfig::default())
    }
}

#[cfg(test)]
mod tests;
