//! OTLP/gRPC receivers: `LogsService/Export` and `TraceService/Export`, thin shells around
//! [`OtlpLogs`] and [`OtlpTraces`], served by [`ExportServer`], which authenticates a call
//! before reading its message and decodes the message on the CPU pool.

mod codec;
mod server;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server;
use tonic::Status;
use tonic::codegen::BoxFuture;

pub use server::ExportServer;

use super::traces::{self, OtlpTraces};
use super::{OtlpLogs, decode_protobuf};
use crate::ingest::Ingest;
use crate::ingest::body::Raw;
use crate::ingest::error::IngestError;
use crate::metrics::Protocol;

/// `LogsService` over gRPC.
pub type LogsServer = ExportServer<OtlpLogs>;

/// `TraceService` over gRPC.
pub type TracesServer = ExportServer<OtlpTraces>;

/// An OTLP export service as the gRPC server serves it.
pub trait GrpcExport: Clone + Send + Sync + 'static {
    /// The gRPC service name.
    const NAME: &'static str;
    /// The path of its `Export` method.
    const PATH: &'static str;
    /// The `protocol` label of its requests.
    const PROTOCOL: Protocol;
    type Response: prost::Message + Send + 'static;

    /// The ingest path, for authentication.
    fn ingest(&self) -> &Ingest;

    /// Exports an authenticated call's message.
    fn export_message(&self, message: Bytes) -> BoxFuture<Self::Response, Status>;
}

/// The gRPC logs service, accepting gzip and messages up to `max_body_bytes`.
pub fn service(logs: OtlpLogs, max_body_bytes: usize) -> LogsServer {
    ExportServer::new(logs, max_body_bytes)
}

/// The gRPC traces service, accepting gzip and messages up to `max_body_bytes`.
pub fn traces_service(traces: OtlpTraces, max_body_bytes: usize) -> TracesServer {
    ExportServer::new(traces, max_body_bytes)
}

impl GrpcExport for OtlpLogs {
    const NAME: &'static str = logs_service_server::SERVICE_NAME;
    const PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const PROTOCOL: Protocol = Protocol::otlp_grpc;
    type Response = ExportLogsServiceResponse;

    fn ingest(&self) -> &Ingest {
        &self.ingest
    }

    fn export_message(&self, message: Bytes) -> BoxFuture<ExportLogsServiceResponse, Status> {
        let logs = self.clone();
        Box::pin(async move {
            let exported = logs.export(Self::PROTOCOL, Raw::plain(message), decode_protobuf);
            match exported.await {
                Ok(partial_success) => Ok(ExportLogsServiceResponse { partial_success }),
                Err(error) => Err(status(&error, logs.ingest.retry_after_seconds())),
            }
        })
    }
}

impl GrpcExport for OtlpTraces {
    const NAME: &'static str = trace_service_server::SERVICE_NAME;
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    const PROTOCOL: Protocol = Protocol::otlp_grpc_traces;
    type Response = ExportTraceServiceResponse;

    fn ingest(&self) -> &Ingest {
        OtlpTraces::ingest(self)
    }

    fn export_message(&self, message: Bytes) -> BoxFuture<ExportTraceServiceResponse, Status> {
        let traces = self.clone();
        Box::pin(async move {
            let raw = Raw::plain(message);
            let exported = traces.export(Self::PROTOCOL, raw, traces::decode_protobuf);
            match exported.await {
                Ok(partial_success) => Ok(ExportTraceServiceResponse { partial_success }),
                Err(error) => Err(status(&error, traces.ingest().retry_after_seconds())),
            }
        })
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
