//! The OTLP export servers (`LogsService`, `TraceService`): tonic's generated servers, but
//! authenticating the call from its metadata before tonic reads the message, and taking the
//! message as bytes with [`RawCodec`] (the generated servers decode with prost's codec on the
//! async worker).

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::GrpcExport;
use super::codec::RawCodec;
use crate::auth::Credentials;

/// One export service over gRPC, gzip accepted and sent, messages up to `max_message_bytes`.
#[derive(Clone)]
pub struct ExportServer<S> {
    service: S,
    max_message_bytes: usize,
}

impl<S> ExportServer<S> {
    pub fn new(service: S, max_message_bytes: usize) -> ExportServer<S> {
        ExportServer {
            service,
            max_message_bytes,
        }
    }
}

impl<S: GrpcExport> NamedService for ExportServer<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<http::Request<B>> for ExportServer<S>
where
    S: GrpcExport,
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
        if request.uri().path() != S::PATH {
            let status = Status::new(Code::Unimplemented, "unknown method");
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let (service, max) = (self.service.clone(), self.max_message_bytes);
        let credentials = Credentials::from_headers(request.headers());
        Box::pin(async move {
            let ingest = service.ingest();
            let authenticated = ingest.authenticate(S::PROTOCOL, &credentials).await;
            if let Err(error) = authenticated {
                let status = super::status(&error, ingest.retry_after_seconds());
                return Ok(status.into_http());
            }
            let mut gzip = EnabledCompressionEncodings::default();
            gzip.enable(CompressionEncoding::Gzip);
            let mut grpc = Grpc::new(RawCodec::<S::Response>::default())
                .apply_compression_config(gzip, gzip)
                .apply_max_message_size_config(Some(max), None);
            Ok(grpc.unary(Export(service), request).await)
        })
    }
}

/// The unary method: the message's bytes, exported on the CPU pool.
struct Export<S>(S);

impl<S: GrpcExport> UnaryService<Bytes> for Export<S> {
    type Response = S::Response;
    type Future = BoxFuture<Response<S::Response>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let service = self.0.clone();
        Box::pin(async move {
            let response = service.export_message(request.into_inner()).await?;
            Ok(Response::new(response))
        })
    }
}
