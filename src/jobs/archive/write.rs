//! Writing an archive file: `COPY` streams the table's rows as JSON lines, zstd compresses them
//! a block at a time, and the compressed blocks go to the store as a multipart upload, so that
//! memory stays flat whatever the partition's size.

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use object_store::ObjectStore;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use sqlx::postgres::PgPoolCopyExt;

use super::ArchiveError;
use super::manifest::Column;

/// Compressed bytes gathered before they are handed to the upload.
const BLOCK_BYTES: usize = 1 << 20;
/// Size of one upload part (S3 wants at least 5 MiB for all but the last).
const PART_BYTES: usize = 8 << 20;
/// Upload parts in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// What was written: rows, sizes and the checksum of the compressed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub bytes: u64,
    pub uncompressed_bytes: u64,
    pub sha256: String,
}

/// `table` as an SQL identifier.
pub fn quoted(table: &str) -> String {
    format!("\"{}\"", table.replace('"', "\"\""))
}

/// The columns of `table`, in order; none when there is no such table.
pub async fn columns(pool: &PgPool, table: &str) -> Result<Vec<Column>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
         WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(pool)
    .await?;
    let columns = rows
        .into_iter()
        .map(|(name, type_name)| Column { name, type_name });
    Ok(columns.collect())
}

/// Earliest and latest `column` (`ts`, `start_ts`: from the bridge) in `table` (none when it
/// is empty).
pub async fn time_range(
    pool: &PgPool,
    table: &str,
    column: &str,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>), sqlx::Error> {
    let sql = format!("SELECT min({column}), max({column}) FROM {}", quoted(table));
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
}

/// `COPY` of every row as one JSON object per line. CSV with a quote and a delimiter that JSON
/// text never holds unescaped (0x01, 0x02) prints each value verbatim: no quoting, no escapes.
fn copy_statement(table: &str) -> String {
    format!(
        "COPY (SELECT to_jsonb(t) FROM {} t) TO STDOUT \
         WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')",
        quoted(table)
    )
}

/// Streams every row of `table` into the archive file `file`. On error the upload is aborted
/// (or, if it failed while completing, left to the caller to remove).
pub async fn write_rows(
    store: &Arc<dyn ObjectStore>,
    pool: &PgPool,
    table: &str,
    file: &Path,
    zstd_level: i32,
) -> Result<Written, ArchiveError> {
    let mut upload = BufWriter::with_capacity(store.clone(), file.clone(), PART_BYTES)
        .with_max_concurrency(PARTS_IN_FLIGHT);
    let written = match stream_rows(pool, table, zstd_level, &mut upload).await {
        Ok(written) => written,
        Err(error) => {
            // Best effort: the caller removes whatever is left.
            let _ = upload.abort().await;
            return Err(error);
        }
    };
    tokio::io::AsyncWriteExt::shutdown(&mut upload)
        .await
        .map_err(upload_error)?;
    Ok(written)
}

/// An error completing the upload: the store's own error where it is one.
fn upload_error(error: std::io::Error) -> ArchiveError {
    let Some(inner) = error.get_ref() else {
        return ArchiveError::Compression(error);
    };
    if !inner.is::<object_store::Error>() {
        return ArchiveError::Compression(error);
    }
    let inner = error.into_inner().expect("checked above");
    ArchiveError::Storage(
        *inner
            .downcast::<object_store::Error>()
            .expect("checked above"),
    )
}

/// Compresses the rows into `upload`, all but completing it.
async fn stream_rows(
    pool: &PgPool,
    table: &str,
    zstd_level: i32,
    upload: &mut BufWriter,
) -> Result<Written, ArchiveError> {
    let mut rows = pool.copy_out_raw(&copy_statement(table)).await?;
    let mut compressor = Compressor::new(zstd_level)?;
    while let Some(chunk) = rows.try_next().await? {
        compressor.write(&chunk)?;
        if let Some(block) = compressor.full_block() {
            upload.put(block).await?;
        }
    }
    let (last, written) = compressor.finish()?;
    upload.put(last).await?;
    Ok(written)
}

/// zstd over the NDJSON, counting rows and hashing the compressed bytes as they leave.
struct Compressor {
    encoder: zstd::stream::write::Encoder<'static, Vec<u8>>,
    sha256: Sha256,
    rows: u64,
    bytes: u64,
    uncompressed_bytes: u64,
}

impl Compressor {
    fn new(level: i32) -> std::io::Result<Compressor> {
        let mut encoder =
            zstd::stream::write::Encoder::new(Vec::with_capacity(BLOCK_BYTES), level)?;
        encoder.include_checksum(true)?;
        Ok(Compressor {
            encoder,
            sha256: Sha256::new(),
            rows: 0,
            bytes: 0,
            uncompressed_bytes: 0,
        })
    }

    fn write(&mut self, lines: &[u8]) -> std::io::Result<()> {
        self.rows += lines.iter().filter(|&&b| b == b'\n').count() as u64;
        self.uncompressed_bytes += lines.len() as u64;
        self.encoder.write_all(lines)
    }

    /// The compressed bytes so far, once there are at least a block of them.
    fn full_block(&mut self) -> Option<Bytes> {
        if self.encoder.get_ref().len() < BLOCK_BYTES {
            return None;
        }
        let block = std::mem::replace(self.encoder.get_mut(), Vec::with_capacity(BLOCK_BYTES));
        Some(self.leave(block))
    }

    fn leave(&mut self, block: Vec<u8>) -> Bytes {
        self.sha256.update(&block);
        self.bytes += block.len() as u64;
        Bytes::from(block)
    }

    /// The last compressed bytes, and what was written in all.
    fn finish(mut self) -> std::io::Result<(Bytes, Written)> {
        self.encoder.do_finish()?;
        let rest = std::mem::take(self.encoder.get_mut());
        let last = self.leave(rest);
        let written = Written {
            rows: self.rows,
            bytes: self.bytes,
            uncompressed_bytes: self.uncompressed_bytes,
            sha256: hex::encode(self.sha256.finalize()),
        };
        Ok((last, written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_quoted_as_identifiers() {
        assert_eq!(quoted("logs_p20240201"), "\"logs_p20240201\"");
        assert_eq!(
            quoted("a\"; DROP TABLE logs; --"),
            "\"a\"\"; DROP TABLE logs; --\""
        );
    }

    #[test]
    fn compressed_blocks_decompress_to_the_lines_with_their_count_and_checksum() {
        let mut compressor = Compressor::new(3).unwrap();
        let mut out = Vec::new();
        for i in 0..50_000 {
            let line = format!(
                "{{\"i\":{i},\"body\":\"r\u{e9}sum\u{e9} {}\"}}\n",
                i * 7919 % 1000
            );
            compressor.write(line.as_bytes()).unwrap();
            out.extend(compressor.full_block().unwrap_or_default());
        }
        let (last, written) = compressor.finish().unwrap();
        out.extend(last);
        assert_eq!(written.rows, 50_000);
        assert_eq!(written.bytes, out.len() as u64);
        assert_eq!(written.sha256, hex::encode(Sha256::digest(&out)));
        let text = zstd::decode_all(out.as_slice()).unwrap();
        assert_eq!(text.len() as u64, written.uncompressed_bytes);
        let last_line = format!(
            "{{\"i\":49999,\"body\":\"r\u{e9}sum\u{e9} {}\"}}\n",
            49_999 * 7919 % 1000
        );
        assert!(String::from_utf8(text).unwrap().ends_with(&last_line));
    }
}
