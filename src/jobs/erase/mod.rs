//! `logbridge erase`: removes one person's data from the live tables (GDPR erasure), reports what
//! changed and records the erasure in the audit log.
//!
//! Rows of logs attributed to the person (`user_id`) are deleted, and so are spans attributed to
//! them (a `fields.user_id` alias attribute, `enduser.id` ...). In every other row of logs and
//! spans the identifier is replaced by `[ERASED]` wherever it occurs (see [`Scrubber`]), in
//! spans' events and links too. Each table is one transaction, so a daily partition is the most
//! a statement touches. Archives are files and are not rewritten.

mod rows;
mod scrub;

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

pub use scrub::{ERASED, MIN_FREE_TEXT_LEN, Scrubber};

use crate::config::FieldAliases;
use crate::jobs::rewrite::{LOG_COLUMNS, SPAN_COLUMNS};
use crate::store::audit::{self, AuditRecord};

/// Whose data to erase.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The id in the `user_id` column (from `enduser.id`, `user.id`, ... at ingest).
    UserId(String),
    /// An e-mail address, matched case-insensitively.
    Email(String),
}

impl Subject {
    fn identifier(&self) -> &str {
        match self {
            Subject::UserId(id) | Subject::Email(id) => id,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Subject::UserId(_) => "user_id",
            Subject::Email(_) => "email",
        }
    }
}

/// What the erasure changed in one table.
#[derive(Debug, Clone, Serialize)]
pub struct TableErasure {
    pub table: String,
    /// Rows attributed to the person, deleted.
    pub deleted: u64,
    /// Other rows in which the identifier was replaced.
    pub redacted: u64,
}

/// What the erasure changed, table by table (tables without changes are left out).
#[derive(Debug, Clone, Serialize)]
pub struct ErasureReport {
    pub tables: Vec<TableErasure>,
    /// False for identifiers shorter than [`MIN_FREE_TEXT_LEN`]: free text was not searched.
    pub free_text_searched: bool,
}

impl ErasureReport {
    pub fn deleted(&self) -> u64 {
        self.tables.iter().map(|t| t.deleted).sum()
    }

    pub fn redacted(&self) -> u64 {
        self.tables.iter().map(|t| t.redacted).sum()
    }
}

/// [`erase_with`] the default `fields.user_id` aliases.
pub async fn erase(pool: &PgPool, subject: &Subject) -> sqlx::Result<ErasureReport> {
    erase_with(pool, subject, &FieldAliases::default().user_id).await
}

/// Erases the subject from `logs` and `spans` (every partition), `logs_restored`,
/// `spans_restored` and `exception_groups`, then writes one audit row holding a SHA-256 of the
/// identifier, never the identifier itself. Spans are attributed through `user_keys`.
pub async fn erase_with(
    pool: &PgPool,
    subject: &Subject,
    user_keys: &[String],
) -> sqlx::Result<ErasureReport> {
    let report = pass(pool, subject, user_keys, false).await?;
    audit::insert(pool, &audit_record(subject, &report)).await?;
    Ok(report)
}

/// What [`erase_with`] would change now, table by table, counted without changing anything
/// (nothing is locked, written or audited).
pub async fn preview(
    pool: &PgPool,
    subject: &Subject,
    user_keys: &[String],
) -> sqlx::Result<ErasureReport> {
    pass(pool, subject, user_keys, true).await
}

async fn pass(
    pool: &PgPool,
    subject: &Subject,
    user_keys: &[String],
    dry_run: bool,
) -> sqlx::Result<ErasureReport> {
    let identifier = subject.identifier();
    let scrubber = Scrubber::new(identifier);
    let mut tables = Vec::new();
    let log_tables = rows::log_tables(pool).await?.into_iter();
    let log_tables = log_tables.map(|table| (table, LOG_COLUMNS));
    let span_tables = rows::span_tables(pool).await?.into_iter();
    let span_tables = span_tables.map(|table| (table, SPAN_COLUMNS));
    for (table, columns) in log_tables.chain(span_tables) {
        let rows = (table.as_str(), columns);
        let deleted = rows::delete_attributed(pool, rows, subject, user_keys, dry_run).await?;
        let redacted = match dry_run {
            true => rows::count_scrubbed(pool, rows, subject, user_keys, &scrubber).await?,
            false => rows::scrub_rows(pool, rows, &scrubber, identifier).await?,
        };
        tables.push(TableErasure {
            table,
            deleted,
            redacted,
        });
    }
    let groups = rows::scrub_exception_groups(pool, &scrubber, identifier, dry_run).await?;
    tables.push(TableErasure {
        table: "exception_groups".into(),
        deleted: 0,
        redacted: groups,
    });
    tables.retain(|t| t.deleted + t.redacted > 0);
    Ok(ErasureReport {
        tables,
        free_text_searched: scrubber.searches_free_text(),
    })
}

fn audit_record(subject: &Subject, report: &ErasureReport) -> AuditRecord {
    let digest = Sha256::digest(subject.identifier().to_lowercase().as_bytes());
    AuditRecord {
        token_id: None,
        token_name: Some("logbridge erase".into()),
        role: Some("admin".into()),
        method: "CLI".into(),
        endpoint: "erase".into(),
        filters: json!({
            "subject": subject.kind(),
            "sha256": hex::encode(digest),
            "tables": report.tables,
        }),
        status: 200,
        rows: Some(report.deleted() + report.redacted()),
        client_addr: None,
        user_agent: None,
        stream: None,
    }
}
