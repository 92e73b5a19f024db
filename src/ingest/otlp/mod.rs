//! OTLP logs: protobuf and JSON decoding, and the one export service behind both the gRPC and
//! the HTTP receiver.

mod convert;
mod doubles;
pub mod grpc;
pub mod http;
pub mod traces;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest,
};
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;
use prost::Message;
use serde::Deserialize;

pub use convert::convert;

use super::body::Raw;
use super::bounds::{self, RequestBounds};
use super::error::IngestError;
use super::{Decoded, Ingest, RequestContext};
use crate::metrics::Protocol;

/// Decodes an OTLP/protobuf body into records: counted on the wire first, refused when over the
/// context's bounds, then parsed and converted.
pub fn decode_protobuf(body: &[u8], context: &RequestContext) -> Result<Decoded, IngestError> {
    let request = parse_protobuf(body, context.bounds)?;
    Ok(convert(request, context.received))
}

/// Decodes an OTLP/JSON body into records, refused before parsing when the upper bounds of its
/// records and attribute entries are over the context's bounds.
pub fn decode_json(body: &[u8], context: &RequestContext) -> Result<Decoded, IngestError> {
    let request = parse_json(body, context.bounds)?;
    Ok(convert(request, context.received))
}

/// Parses an `ExportLogsServiceRequest` in protobuf encoding, once its records and attribute
/// entries, counted on the wire, are within `bounds`.
pub fn parse_protobuf(
    body: &[u8],
    bounds: &RequestBounds,
) -> Result<ExportLogsServiceRequest, IngestError> {
    bounds.check(bounds::protobuf::count(body))?;
    ExportLogsServiceRequest::decode(body).map_err(|e| IngestError::Decode(e.to_string()))
}

/// The OTLP/JSON top level; a body without `resourceLogs` is not an OTLP logs request.
#[derive(Deserialize)]
struct JsonRequest {
    #[serde(rename = "resourceLogs", alias = "resource_logs")]
    resource_logs: Option<Vec<ResourceLogs>>,
}

/// Parses an `ExportLogsServiceRequest` in OTLP/JSON encoding, once the upper bounds of its
/// records and attribute entries are within `bounds`; a `doubleValue` written as a string
/// (`"NaN"`, `"Infinity"`) changes only that value ([`doubles`]).
pub fn parse_json(
    body: &[u8],
    bounds: &RequestBounds,
) -> Result<ExportLogsServiceRequest, IngestError> {
    bounds.check(bounds::json::scan(body).otlp())?;
    let body = doubles::normalize(body);
    let request: JsonRequest =
        serde_json::from_slice(&body).map_err(|e| IngestError::Decode(e.to_string()))?;
    let resource_logs = request.resource_logs.ok_or_else(|| {
        IngestError::Decode("no `resourceLogs` key: not an OTLP logs request".to_string())
    })?;
    Ok(ExportLogsServiceRequest { resource_logs })
}

/// The export service shared by the gRPC and HTTP receivers.
#[derive(Clone)]
pub struct OtlpLogs {
    ingest: Ingest,
}

impl OtlpLogs {
    pub fn new(ingest: Ingest) -> OtlpLogs {
        OtlpLogs { ingest }
    }

    /// Decodes an authenticated request's body with `decode`, stores the valid records, and
    /// answers with a partial success when some were rejected.
    pub async fn export(
        &self,
        protocol: Protocol,
        raw: Raw,
        decode: fn(&[u8], &RequestContext) -> Result<Decoded, IngestError>,
    ) -> Result<Option<ExportLogsPartialSuccess>, IngestError> {
        let accepted = self
            .ingest
            .accept_symbolicated(protocol, raw, decode)
            .await?;
        Ok((accepted.rejected > 0).then(|| ExportLogsPartialSuccess {
            rejected_log_records: accepted.rejected as i64,
            error_message: accepted.first_error.unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests;
