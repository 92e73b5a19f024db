//! OTLP/gRPC receiver: `LogsService/Export`, a thin shell around [`OtlpLogs`], served by
//! [`server::LogsServer`] whose codec bounds a request before decoding it.

mod codec;
mod server;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsService;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use tonic::{Request, Response, Status};

pub use server::LogsServer;

use super::OtlpLogs;
use crate::ingest::error::IngestError;
use crate::metrics::Protocol;

/// The gRPC service, accepting gzip and messages up to `max_body_bytes`.
pub fn service(logs: OtlpLogs, max_body_bytes: usize) -> LogsServer {
    LogsServer::new(logs, max_body_bytes)
}

#[tonic::async_trait]
impl LogsService for OtlpLogs {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let protocol = Protocol::otlp_grpc;
        let authorization = request.metadata().get("authorization");
        let authorization = authorization.and_then(|value| value.to_str().ok());
        if let Err(error) = self.ingest.authorize(authorization).await {
            self.observe_failure(protocol, &error);
            return Err(status(&error, self.ingest.retry_after_seconds()));
        }
        match OtlpLogs::export(self, request.into_inner(), protocol).await {
            Ok(partial_success) => Ok(Response::new(ExportLogsServiceResponse { partial_success })),
            Err(error) => Err(status(&error, self.ingest.retry_after_seconds())),
        }
    }
}

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
