//! Reading an archive file back from the store: its SHA-256, its size, and its rows (lines of the
//! decompressed NDJSON), compared with what was written or what the manifest says.

use std::io::Write;
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};

use super::ArchiveError;
use super::write::Written;

/// What reading an archive file back found.
#[derive(Debug)]
struct ReadBack {
    sha256: String,
    bytes: u64,
    rows: u64,
    /// Why the bytes do not decompress to complete lines, if they do not.
    broken: Option<String>,
}

/// Reads `file` back and checks it against `expected`: Ok only when the checksum, the size and
/// the row count all match.
pub async fn check(
    store: &Arc<dyn ObjectStore>,
    file: &Path,
    expected: &Written,
) -> Result<(), ArchiveError> {
    let found = read_back(store, file).await?;
    let failed = |reason: String| {
        Err(ArchiveError::Verification {
            file: file.to_string(),
            reason,
        })
    };
    if found.sha256 != expected.sha256 {
        let (sha256, wanted) = (&found.sha256, &expected.sha256);
        return failed(format!("its SHA-256 is {sha256}, expected {wanted}"));
    }
    if let Some(reason) = found.broken {
        return failed(reason);
    }
    if found.bytes != expected.bytes {
        return failed(format!(
            "{} bytes, expected {}",
            found.bytes, expected.bytes
        ));
    }
    if found.rows != expected.rows {
        return failed(format!("{} rows, expected {}", found.rows, expected.rows));
    }
    Ok(())
}

/// Streams `file`, hashing every byte and counting decompressed lines. A decompression error
/// does not stop the hashing, so that a damaged file reports its checksum mismatch.
async fn read_back(store: &Arc<dyn ObjectStore>, file: &Path) -> Result<ReadBack, ArchiveError> {
    let object = store
        .get(file)
        .await
        .map_err(|e| ArchiveError::from_storage(e, file))?;
    let mut chunks = object.into_stream();
    let mut sha256 = Sha256::new();
    let mut bytes = 0;
    let mut decoder = zstd::stream::write::Decoder::new(LineCounter::default())?;
    let mut broken = None;
    while let Some(chunk) = chunks.try_next().await? {
        sha256.update(&chunk);
        bytes += chunk.len() as u64;
        if broken.is_none()
            && let Err(error) = decoder.write_all(&chunk)
        {
            broken = Some(format!("it does not decompress: {error}"));
        }
    }
    if broken.is_none()
        && let Err(error) = decoder.flush()
    {
        broken = Some(format!("it does not decompress: {error}"));
    }
    let counter = decoder.into_inner();
    if broken.is_none() && counter.bytes > 0 && counter.last != b'\n' {
        broken = Some("its last line is incomplete".to_string());
    }
    Ok(ReadBack {
        sha256: hex::encode(sha256.finalize()),
        bytes,
        rows: counter.lines,
        broken,
    })
}

/// Counts the lines written to it and keeps nothing else.
#[derive(Default)]
struct LineCounter {
    lines: u64,
    bytes: u64,
    last: u8,
}

impl Write for LineCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        self.bytes += buf.len() as u64;
        if let Some(&last) = buf.last() {
            self.last = last;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
