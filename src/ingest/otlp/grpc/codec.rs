//! The gRPC codec of `LogsService/Export` and `TraceService/Export`: hands the handler a request
//! message's bytes as they
//! are (tonic has already held them to the maximum message size and decompressed them), so that
//! counting, decoding and preparing run on the CPU pool after authentication, not here on an
//! async worker.

use std::marker::PhantomData;

use bytes::Bytes;
use prost::Message;
use prost::bytes::Buf as _;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Takes request messages as bytes, encodes responses (`R`) with prost.
#[derive(Debug, Clone, Copy)]
pub struct RawCodec<R>(PhantomData<R>);

impl<R> Default for RawCodec<R> {
    fn default() -> Self {
        RawCodec(PhantomData)
    }
}

impl<R: Message + Send + 'static> Codec for RawCodec<R> {
    type Encode = R;
    type Decode = Bytes;
    type Encoder = ResponseEncoder<R>;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> ResponseEncoder<R> {
        ResponseEncoder(PhantomData)
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Encodes the export response.
pub struct ResponseEncoder<R>(PhantomData<R>);

impl<R: Message> Encoder for ResponseEncoder<R> {
    type Item = R;
    type Error = Status;

    fn encode(&mut self, item: R, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // An `EncodeBuf` grows as needed, so encoding cannot run out of space.
        item.encode(buf)
            .map_err(|e| Status::internal(format!("encoding the response: {e}")))
    }
}

/// Takes one request message's bytes.
pub struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        // The message's bytes, taken out of tonic's buffer without a copy.
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
