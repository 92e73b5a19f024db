//! The `LogsService` gRPC server: tonic's generated `LogsServiceServer`, but authenticating
//! the call from its metadata before tonic reads the message, and taking the message as bytes
//! with [`RawCodec`] (the generated server decodes with prost's codec on the async worker).

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::SERVICE_NAME;
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::codec::RawCodec;
use crate::auth::Credentials;
use crate::ingest::otlp::OtlpLogs;
use crate::metrics::Protocol;

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
        let credentials = Credentials::from_headers(request.headers());
        Box::pin(async move {
            let ingest = &logs.ingest;
            let authenticated = ingest.authenticate(Protocol::otlp_grpc, &credentials).await;
            if let Err(error) = authenticated {
                let status = super::status(&error, ingest.retry_after_seconds());
                return Ok(status.into_http());
            }
            let mut gzip = EnabledCompressionEncodings::default();
            gzip.enable(CompressionEncoding::Gzip);
            let mut grpc = Grpc::new(RawCodec)
                .apply_compression_config(gzip, gzip)
                .apply_max_message_size_config(Some(max), None);
            Ok(grpc.unary(Export(logs), request).await)
        })
    }
}

/// The unary method: the message's bytes, exported on the CPU pool.
struct Export(OtlpLogs);

impl UnaryService<Bytes> for Export {
    type Response = ExportLogsServiceResponse;
    type Future = BoxFuture<Response<ExportLogsServiceResponse>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let logs = self.0.clone();
        Box::pin(async move {
            let response = super::export(&logs, request.into_inner()).await?;
            Ok(Response::new(response))
        })
    }
}
