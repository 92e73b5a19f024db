//! OTLP logs: protobuf and JSON decoding, and the one export service behind both the gRPC and
//! the HTTP receiver.

mod convert;
pub mod grpc;
pub mod http;

use chrono::Utc;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest,
};
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;
use prost::Message;
use serde::Deserialize;

pub use convert::{Converted, convert};

use super::Ingest;
use super::bounds::{self, RequestBounds};
use super::error::IngestError;
use crate::metrics::{Protocol, RejectReason};

/// Decodes an `ExportLogsServiceRequest` in protobuf encoding, once its records and attribute
/// entries, counted on the wire, are within `bounds`.
pub fn decode_protobuf(
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

/// Decodes an `ExportLogsServiceRequest` in OTLP/JSON encoding, once the upper bounds of its
/// records and attribute entries are within `bounds`.
pub fn decode_json(
    body: &[u8],
    bounds: &RequestBounds,
) -> Result<ExportLogsServiceRequest, IngestError> {
    bounds.check(bounds::json::scan(body).otlp())?;
    let request: JsonRequest =
        serde_json::from_slice(body).map_err(|e| IngestError::Decode(e.to_string()))?;
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

    /// Stores the valid records and answers with a partial success when some were rejected.
    pub async fn export(
        &self,
        request: ExportLogsServiceRequest,
        protocol: Protocol,
    ) -> Result<Option<ExportLogsPartialSuccess>, IngestError> {
        let converted = convert(request, Utc::now());
        if converted.rejected > 0 {
            self.ingest
                .metrics()
                .bridge
                .observe_rejected(RejectReason::invalid_record, converted.rejected);
        }
        if !converted.records.is_empty() {
            self.ingest.accept(protocol, converted.records).await?;
        }
        Ok((converted.rejected > 0).then(|| ExportLogsPartialSuccess {
            rejected_log_records: converted.rejected as i64,
            error_message: converted.first_error.unwrap_or_default(),
        }))
    }

    /// Counts a request that failed before its records reached the store.
    pub fn observe_failure(&self, protocol: Protocol, error: &IngestError) {
        self.ingest.observe_failure(protocol, error, 0);
    }
}
