//! Table `api_tokens`: tokens are stored as SHA-256 hashes, looked up by hash, revoked by id.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// A token as listed: never its secret or its hash.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// Services a `reader` or `support` token may read; null means all.
    pub services: Option<Vec<String>>,
    /// Origins a `browser` key may be used from; null for other roles.
    pub origins: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, name, role, services, origins, created_at, revoked_at, last_used_at";

/// A token to store: its hash and what it may do.
pub struct NewRow<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub services: Option<&'a [String]>,
    pub origins: Option<&'a [String]>,
    pub hash: &'a [u8],
}

/// Stores a new token's hash and returns its row.
pub async fn insert(pool: &PgPool, new: &NewRow<'_>) -> sqlx::Result<TokenRow> {
    let sql = format!(
        "INSERT INTO api_tokens (name, role, services, origins, token_hash) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(new.name)
        .bind(new.role)
        .bind(new.services)
        .bind(new.origins)
        .bind(new.hash)
        .fetch_one(pool)
        .await
}

/// The live (not revoked) token with this hash, marking it used.
pub async fn find_live(pool: &PgPool, hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    let sql = format!(
        "UPDATE api_tokens SET last_used_at = now() \
         WHERE token_hash = $1 AND revoked_at IS NULL RETURNING {COLUMNS}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(hash)
        .fetch_optional(pool)
        .await
}

/// Every token, newest first.
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<TokenRow>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id DESC");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
}

/// The origins of every live browser key, for answering CORS preflights (which carry no key).
pub async fn browser_origins(pool: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT unnest(origins) FROM api_tokens \
         WHERE role = 'browser' AND revoked_at IS NULL",
    )
    .fetch_all(pool)
    .await
}

/// Revokes a token; false when no live token has this id.
pub async fn revoke(pool: &PgPool, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
