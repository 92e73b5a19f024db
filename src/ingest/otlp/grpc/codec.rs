//! The gRPC codec of `LogsService/Export`: counts a request's records and attribute entries on
//! the wire before prost decodes it, so an oversized request is refused (RESOURCE_EXHAUSTED)
//! without being held. tonic decodes before the handler runs; this is where it decodes.

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use prost::Message as _;
use prost::bytes::Buf as _;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use super::status;
use crate::ingest::otlp::{OtlpLogs, decode_protobuf};
use crate::metrics::Protocol;

/// Decodes requests within the ingest bounds, encodes responses with prost.
pub struct BoundedCodec {
    logs: OtlpLogs,
}

impl BoundedCodec {
    pub fn new(logs: OtlpLogs) -> BoundedCodec {
        BoundedCodec { logs }
    }
}

impl Codec for BoundedCodec {
    type Encode = ExportLogsServiceResponse;
    type Decode = ExportLogsServiceRequest;
    type Encoder = ResponseEncoder;
    type Decoder = BoundedDecoder;

    fn encoder(&mut self) -> ResponseEncoder {
        ResponseEncoder
    }

    fn decoder(&mut self) -> BoundedDecoder {
        BoundedDecoder {
            logs: self.logs.clone(),
        }
    }
}

/// Encodes the export response.
pub struct ResponseEncoder;

impl Encoder for ResponseEncoder {
    type Item = ExportLogsServiceResponse;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // An `EncodeBuf` grows as needed, so encoding cannot run out of space.
        item.encode(buf)
            .map_err(|e| Status::internal(format!("encoding the response: {e}")))
    }
}

/// Decodes one request message after counting it; refusals are counted as failed requests.
pub struct BoundedDecoder {
    logs: OtlpLogs,
}

impl Decoder for BoundedDecoder {
    type Item = ExportLogsServiceRequest;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        // The message's bytes, taken out of tonic's buffer without a copy.
        let message = src.copy_to_bytes(src.remaining());
        let ingest = &self.logs.ingest;
        match decode_protobuf(&message, ingest.bounds()) {
            Ok(request) => Ok(Some(request)),
            Err(error) => {
                self.logs.observe_failure(Protocol::otlp_grpc, &error);
                Err(status(&error, ingest.retry_after_seconds()))
            }
        }
    }
}
