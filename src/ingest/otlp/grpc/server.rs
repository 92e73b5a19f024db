//! The `LogsService` gRPC server: tonic's generated `LogsServiceServer`, but decoding with
//! [`BoundedCodec`] (the generated one hard-codes prost's codec).

use std::convert::Infallible;
use std::task::{Context, Poll};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, SERVICE_NAME,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::codec::BoundedCodec;
use crate::ingest::otlp::OtlpLogs;

const EXPORT_PATH: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// `LogsService/Export` over gRPC, gzip accepted and sent, messages up to `max_message_bytes`.
#[derive(Clone)]
pub struct LogsServer {
    logs: OtlpLogs,
    max_message_bytes: usize,
}

impl LogsServer {
    pub fn new(logs: OtlpLogs, max_message_bytes: usize) -> LogsServer {
        LogsServer {
            logs,
            max_message_bytes,
        }
    }
}

impl NamedService for LogsServer {
    const NAME: &'static str = SERVICE_NAME;
}

impl<B> Service<http::Request<B>> for LogsServer
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != EXPORT_PATH {
            let status = Status::new(Code::Unimplemented, "unknown method");
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let (logs, max) = (self.logs.clone(), self.max_message_bytes);
        Box::pin(async move {
            let mut gzip = EnabledCompressionEncodings::default();
            gzip.enable(CompressionEncoding::Gzip);
            let mut grpc = Grpc::new(BoundedCodec::new(logs.clone()))
                .apply_compression_config(gzip, gzip)
                .apply_max_message_size_config(Some(max), None);
            Ok(grpc.unary(Export(logs), request).await)
        })
    }
}

/// The unary method, calling [`LogsService::export`].
struct Export(OtlpLogs);

impl UnaryService<ExportLogsServiceRequest> for Export {
    type Response = ExportLogsServiceResponse;
    type Future = BoxFuture<Response<ExportLogsServiceResponse>, Status>;

    fn call(&mut self, request: Request<ExportLogsServiceRequest>) -> Self::Future {
        let logs = self.0.clone();
        Box::pin(async move { LogsService::export(&logs, request).await })
    }
}
