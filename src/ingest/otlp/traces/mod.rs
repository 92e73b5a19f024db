//! OTLP traces: protobuf and JSON decoding of `ExportTraceServiceRequest`, and the one export
//! service behind both `TraceService/Export` on the gRPC port and `POST /v1/traces`.

mod convert;
pub mod http;
#[cfg(test)]
mod tests;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest,
};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use prost::Message;
use serde::Deserialize;

pub use convert::convert;

use super::doubles;
use crate::ingest::body::Raw;
use crate::ingest::bounds::{self, RequestBounds};
use crate::ingest::error::IngestError;
use crate::ingest::{DecodedSpans, Ingest, RequestContext};
use crate::metrics::Protocol;

/// Decodes an OTLP/protobuf trace body into spans: counted on the wire first, refused when over
/// the context's bounds, then parsed and converted.
pub fn decode_protobuf(body: &[u8], context: &RequestContext) -> Result<DecodedSpans, IngestError> {
    Ok(convert(parse_protobuf(body, context.bounds)?))
}

/// Decodes an OTLP/JSON trace body into spans, refused before parsing when the upper bounds of
/// its spans and attribute entries are over the context's bounds.
pub fn decode_json(body: &[u8], context: &RequestContext) -> Result<DecodedSpans, IngestError> {
    Ok(convert(parse_json(body, context.bounds)?))
}

/// Parses an `ExportTraceServiceRequest` in protobuf encoding, once its spans and attribute
/// entries, counted on the wire, are within `bounds`.
pub fn parse_protobuf(
    body: &[u8],
    bounds: &RequestBounds,
) -> Result<ExportTraceServiceRequest, IngestError> {
    bounds.check_spans(bounds::protobuf::count_spans(body))?;
    ExportTraceServiceRequest::decode(body).map_err(|e| IngestError::Decode(e.to_string()))
}

/// The OTLP/JSON top level; a body without `resourceSpans` is not an OTLP traces request.
#[derive(Deserialize)]
struct JsonRequest {
    #[serde(rename = "resourceSpans", alias = "resource_spans")]
    resource_spans: Option<Vec<ResourceSpans>>,
}

/// Parses an `ExportTraceServiceRequest` in OTLP/JSON encoding (hex ids, integer enums, 64-bit
/// integers as strings or numbers), once the upper bounds of its spans and attribute entries
/// are within `bounds`; string `doubleValue`s are read as the log decoder reads them.
pub fn parse_json(
    body: &[u8],
    bounds: &RequestBounds,
) -> Result<ExportTraceServiceRequest, IngestError> {
    bounds.check_spans(bounds::json::scan(body).otlp())?;
    let body = doubles::normalize(body);
    let request: JsonRequest =
        serde_json::from_slice(&body).map_err(|e| IngestError::Decode(e.to_string()))?;
    let resource_spans = request.resource_spans.ok_or_else(|| {
        IngestError::Decode("no `resourceSpans` key: not an OTLP traces request".to_string())
    })?;
    Ok(ExportTraceServiceRequest { resource_spans })
}

/// The trace export service shared by the gRPC and HTTP receivers.
#[derive(Clone)]
pub struct OtlpTraces {
    ingest: Ingest,
}

impl OtlpTraces {
    pub fn new(ingest: Ingest) -> OtlpTraces {
        OtlpTraces { ingest }
    }

    /// The ingest path, for the receivers' authentication and refusals.
    pub fn ingest(&self) -> &Ingest {
        &self.ingest
    }

    /// Decodes an authenticated request's body with `decode`, stores the valid spans once
    /// committed, and answers with a partial success when some were rejected.
    pub async fn export(
        &self,
        protocol: Protocol,
        raw: Raw,
        decode: fn(&[u8], &RequestContext) -> Result<DecodedSpans, IngestError>,
    ) -> Result<Option<ExportTracePartialSuccess>, IngestError> {
        let accepted = self
            .ingest
            .accept_symbolicated(protocol, raw, decode)
            .await?;
        Ok((accepted.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: accepted.rejected as i64,
            error_message: accepted.first_error.unwrap_or_default(),
        }))
    }
}
