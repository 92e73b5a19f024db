//! OTLP/gRPC receiver: `LogsService/Export`, a thin shell around [`OtlpLogs`], served by
//! [`server::LogsServer`], which authenticates a call before reading its message and decodes
//! the message on the CPU pool.

mod codec;
mod server;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use tonic::Status;

pub use server::LogsServer;

use super::{OtlpLogs, decode_protobuf};
use crate::ingest::body::Raw;
use crate::ingest::error::IngestError;
use crate::metrics::Protocol;

/// The gRPC service, accepting gzip and messages up to `max_body_bytes`.
pub fn service(logs: OtlpLogs, max_body_bytes: usize) -> LogsServer {
    LogsServer::new(logs, max_body_bytes)
}

/// Exports an authenticated call's message.
async fn export(logs: &OtlpLogs, message: Bytes) -> Result<ExportLogsServiceResponse, Status> {
    let exported = logs.export(Protocol::otlp_grpc, Raw::plain(message), decode_protobuf);
    match exported.await {
        Ok(partial_success) => Ok(ExportLogsServiceResponse { partial_success }),
        Err(error) => Err(status(&error, logs.ingest.retry_after_seconds())),
    }
}

/// The gRPC status answering an error: its code in the error table, and its public message.
fn status(error: &IngestError, retry_after_seconds: u64) -> Status {
    let mut status = Status::new(error.grpc_code(), error.public_message());
    if error.is_retryable() {
        // Not part of OTLP, but harmless, and it tells operators what the bridge asked for.
        if let Ok(value) = retry_after_seconds.to_string().parse() {
            status.metadata_mut().insert("retry-after", value);
        }
    }
    status
}
