//! Restoring an archive: its rows go into `logs_restored` (the columns `logs` has now, plus
//! `archive_file`), or those of an archive of spans into `spans_restored` (the columns of
//! `spans`, plus `archive_file`), in one transaction, a few thousand rows per `INSERT`;
//! restoring the same file again replaces its rows instead of adding them twice.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use sqlx::{PgPool, Postgres, Transaction};

use super::ArchiveError;
use super::manifest::{Manifest, Source};

/// The table restored rows of `logs` go to.
pub const RESTORED_TABLE: &str = "logs_restored";
/// Rows per `INSERT`, at most.
const CHUNK_ROWS: usize = 5000;
/// JSON bytes per `INSERT`, at most (long rows make smaller chunks).
const CHUNK_BYTES: usize = 16 << 20;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The archive file restored.
    pub file: String,
    /// The table the rows were archived from (`logs`, `spans`).
    pub source: Source,
    /// The table its rows are in now.
    pub table: String,
    /// Rows restored.
    pub rows: u64,
    /// Rows of an earlier restore of the same file that these replaced.
    pub replaced: u64,
    /// Earliest and latest `ts` of the rows, from the manifest.
    pub min_ts: Option<DateTime<Utc>>,
    pub max_ts: Option<DateTime<Utc>>,
    /// Archived columns that `logs` (or `spans`) no longer has: their values stay in the
    /// archive only.
    pub dropped_columns: Vec<String>,
}

/// Loads the (already verified) archive file of `manifest` into its restored table, committing
/// only when every row of the manifest was loaded.
pub async fn load(
    store: &Arc<dyn ObjectStore>,
    pool: &PgPool,
    manifest: &Manifest,
) -> Result<RestoreReport, ArchiveError> {
    let table = manifest.source.restored_table();
    let mut transaction = pool.begin().await?;
    let ensure = match manifest.source {
        Source::Logs => "SELECT logbridge_ensure_logs_restored()",
        Source::Spans => "SELECT logbridge_ensure_spans_restored()",
    };
    sqlx::query(ensure).execute(&mut *transaction).await?;
    let delete = format!("DELETE FROM {table} WHERE archive_file = $1");
    let replaced = sqlx::query(sqlx::AssertSqlSafe(delete))
        .bind(&manifest.file)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    let file = Path::from(manifest.file.as_str());
    let rows = insert_rows(store, &mut transaction, &file, table).await?;
    if rows != manifest.rows {
        return Err(ArchiveError::Verification {
            file: manifest.file.clone(),
            reason: format!("{rows} rows loaded, the manifest says {}", manifest.rows),
        });
    }
    let dropped_columns = dropped_columns(&mut transaction, manifest).await?;
    transaction.commit().await?;
    Ok(RestoreReport {
        file: manifest.file.clone(),
        source: manifest.source,
        table: table.to_string(),
        rows,
        replaced,
        min_ts: manifest.min_ts,
        max_ts: manifest.max_ts,
        dropped_columns,
    })
}

/// Streams the file, decompresses it and inserts its lines in chunks; returns the rows inserted.
async fn insert_rows(
    store: &Arc<dyn ObjectStore>,
    transaction: &mut Transaction<'static, Postgres>,
    file: &Path,
    table: &'static str,
) -> Result<u64, ArchiveError> {
    let object = store
        .get(file)
        .await
        .map_err(|e| ArchiveError::from_storage(e, file))?;
    let mut chunks = object.into_stream();
    let mut decoder = zstd::stream::write::Decoder::new(Vec::new())?;
    let mut chunk = Chunk::new(file, table);
    let mut rows = 0;
    while let Some(compressed) = chunks.try_next().await? {
        decoder.write_all(&compressed)?;
        rows += chunk.take_lines(decoder.get_mut(), transaction).await?;
    }
    decoder.flush()?;
    rows += chunk.take_lines(decoder.get_mut(), transaction).await?;
    if !decoder.get_ref().is_empty() {
        return Err(chunk.invalid("its last line is incomplete"));
    }
    rows += chunk.insert(transaction).await?;
    Ok(rows)
}

/// Rows gathered for one `INSERT`, as a JSON array.
struct Chunk {
    file: String,
    /// The restored table (`logs_restored`, `spans_restored`).
    table: &'static str,
    json: String,
    rows: usize,
}

impl Chunk {
    fn new(file: &Path, table: &'static str) -> Chunk {
        Chunk {
            file: file.to_string(),
            table,
            json: String::new(),
            rows: 0,
        }
    }

    fn invalid(&self, reason: &str) -> ArchiveError {
        ArchiveError::Verification {
            file: self.file.clone(),
            reason: reason.to_string(),
        }
    }

    fn push(&mut self, line: &[u8]) -> Result<(), ArchiveError> {
        let line = std::str::from_utf8(line).map_err(|_| self.invalid("a line is not UTF-8"))?;
        self.json.push(if self.rows == 0 { '[' } else { ',' });
        self.json.push_str(line);
        self.rows += 1;
        Ok(())
    }

    /// Moves the complete lines of `text` into the chunk, inserting each time it fills up;
    /// returns the rows inserted.
    async fn take_lines(
        &mut self,
        text: &mut Vec<u8>,
        transaction: &mut Transaction<'static, Postgres>,
    ) -> Result<u64, ArchiveError> {
        let Some(end) = text.iter().rposition(|&b| b == b'\n') else {
            return Ok(0);
        };
        let lines: Vec<u8> = text.drain(..=end).collect();
        let mut rows = 0;
        for line in lines.split(|&b| b == b'\n').filter(|line| !line.is_empty()) {
            self.push(line)?;
            if self.is_full() {
                rows += self.insert(transaction).await?;
            }
        }
        Ok(rows)
    }

    fn is_full(&self) -> bool {
        self.rows >= CHUNK_ROWS || self.json.len() >= CHUNK_BYTES
    }

    /// Inserts the gathered rows (unknown keys are ignored, missing columns are null) and
    /// empties the chunk; returns the rows inserted.
    async fn insert(
        &mut self,
        transaction: &mut Transaction<'static, Postgres>,
    ) -> Result<u64, ArchiveError> {
        if self.rows == 0 {
            return Ok(0);
        }
        self.json.push(']');
        let table = self.table;
        let sql = format!(
            "INSERT INTO {table} SELECT * FROM jsonb_populate_recordset(\
             jsonb_populate_record(NULL::{table}, jsonb_build_object('archive_file', $2::text)), \
             $1::jsonb)"
        );
        let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(std::mem::take(&mut self.json))
            .bind(&self.file)
            .persistent(false)
            .execute(&mut **transaction)
            .await?
            .rows_affected();
        self.rows = 0;
        Ok(inserted)
    }
}

/// Columns of the archive that its restored table does not have.
async fn dropped_columns(
    transaction: &mut Transaction<'static, Postgres>,
    manifest: &Manifest,
) -> Result<Vec<String>, sqlx::Error> {
    let present: Vec<String> = sqlx::query_scalar(
        "SELECT attname::text FROM pg_attribute \
         WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
    )
    .bind(manifest.source.restored_table())
    .fetch_all(&mut **transaction)
    .await?;
    let present: HashSet<String> = present.into_iter().collect();
    let columns = manifest.columns.iter().map(|column| &column.name);
    Ok(columns
        .filter(|name| !present.contains(*name))
        .cloned()
        .collect())
}
