//! Request bodies: the size limit, bounded gzip decompression and content types.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use flate2::read::MultiGzDecoder;

use super::error::IngestError;
use crate::listen::BodyRefused;

/// A body as received, gzip-compressed or not; [`Raw::decompress`] is the CPU-bound part.
#[derive(Debug, Clone)]
pub struct Raw {
    bytes: Bytes,
    gzip: bool,
    limit: usize,
    /// The one service a browser key may send records of.
    service_scope: Option<String>,
}

impl Raw {
    /// Bytes that are not compressed.
    pub fn plain(bytes: Bytes) -> Raw {
        Raw {
            bytes,
            gzip: false,
            limit: usize::MAX,
            service_scope: None,
        }
    }

    /// This body, whose records must all be of `service` (a browser key's) when given.
    pub fn scoped_to(self, service: Option<String>) -> Raw {
        Raw {
            service_scope: service,
            ..self
        }
    }

    /// The service every record must be of, if the body is scoped to one.
    pub fn service_scope(&self) -> Option<&str> {
        self.service_scope.as_deref()
    }

    /// The body's bytes, decompressing gzip with the body limit on its output (a gzip bomb
    /// stops at `limit` bytes of memory and answers 413).
    pub fn decompress(self) -> Result<Bytes, IngestError> {
        match self.gzip {
            true => gunzip(&self.bytes, self.limit),
            false => Ok(self.bytes),
        }
    }
}

/// Reads the body, at most `limit` bytes, and its content encoding; the decompressed body is
/// held to the same limit by [`Raw::decompress`].
pub async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Raw, IngestError> {
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|error| match refusal(&error) {
            Some(refused) => IngestError::BodyRefused(refused),
            None => IngestError::TooLarge { limit },
        })?;
    let encoding = header(headers, CONTENT_ENCODING.as_str()).unwrap_or("identity");
    let gzip = match encoding.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => false,
        "gzip" | "x-gzip" => true,
        other => {
            return Err(IngestError::UnsupportedMediaType {
                found: format!("content-encoding {other}"),
                expected: "content-encoding gzip or identity".to_string(),
            });
        }
    };
    Ok(Raw {
        bytes,
        gzip,
        limit,
        service_scope: None,
    })
}

/// The listener's refusal behind a failed body read, if that is what failed it.
fn refusal(error: &axum::Error) -> Option<BodyRefused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(refused) = error.downcast_ref::<BodyRefused>() {
            return Some(*refused);
        }
        source = error.source();
    }
    None
}

/// Decompresses a gzip body (several members allowed), answering 413 past `limit` bytes.
pub fn gunzip(compressed: &[u8], limit: usize) -> Result<Bytes, IngestError> {
    let mut out = Vec::new();
    MultiGzDecoder::new(compressed)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::Decode(format!("invalid gzip: {e}")))?;
    if out.len() > limit {
        return Err(IngestError::TooLarge { limit });
    }
    Ok(out.into())
}

/// The media type of the request, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    let value = header(headers, CONTENT_TYPE.as_str()).unwrap_or("");
    let essence = value.split(';').next().unwrap_or("");
    essence.trim().to_ascii_lowercase()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_within_limit_decompresses() {
        assert_eq!(&gunzip(&gzip(b"hello"), 5).unwrap()[..], b"hello");
    }

    #[test]
    fn gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![0u8; 50 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024, "compresses well: {}", bomb.len());
        let error = gunzip(&bomb, 1024 * 1024).unwrap_err();
        assert!(matches!(error, IngestError::TooLarge { limit: 1048576 }));
    }

    #[test]
    fn corrupt_gzip_is_a_decode_error() {
        let error = gunzip(b"\x1f\x8bnot really", 100).unwrap_err();
        assert!(matches!(error, IngestError::Decode(_)));
    }

    #[test]
    fn media_type_ignores_parameters_and_case() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(media_type(&headers), "application/json");
    }
}
