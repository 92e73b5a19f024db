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
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, name, role, services, created_at, revoked_at, last_used_at";

/// Stores a new token's hash and returns its row.
pub async fn insert(
    pool: &PgPool,
    name: &str,
    role: &str,
    services: Option<&[String]>,
    hash: &[u8],
) -> sqlx::Result<TokenRow> {
    let sql = format!(
        "INSERT INTO api_tokens (name, role, services, token_hash) VALUES ($1, $2, $3, $4) \
         RETURNING {COLUMNS}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .bind(role)
        .bind(services)
        .bind(hash)
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
