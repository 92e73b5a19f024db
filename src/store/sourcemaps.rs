//! Table `sourcemaps`: JavaScript source maps by (app, version, minified file), stored as
//! uploaded; listed without their bodies, loaded by the symbolication step on a cache miss.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// A stored map as listed: never its body.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SourceMapRow {
    pub id: i64,
    pub app: String,
    pub version: String,
    /// The minified file's URL path (`/assets/index-B3k1.js`) or base name.
    pub file: String,
    /// The map's size in bytes.
    pub bytes: i32,
    pub uploaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, app, version, file, bytes, uploaded_at";

/// Which map: the app, its version and the minified file.
#[derive(Debug, Clone, Copy)]
pub struct MapKey<'a> {
    pub app: &'a str,
    pub version: &'a str,
    pub file: &'a str,
}

/// Stores a map, replacing the one of the same key; gives its row.
pub async fn upsert(pool: &PgPool, key: MapKey<'_>, map: &[u8]) -> sqlx::Result<SourceMapRow> {
    let sql = format!(
        "INSERT INTO sourcemaps (app, version, file, map, bytes) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (app, version, file) DO UPDATE \
         SET map = EXCLUDED.map, bytes = EXCLUDED.bytes, uploaded_at = now() \
         RETURNING {COLUMNS}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key.app)
        .bind(key.version)
        .bind(key.file)
        .bind(map)
        .bind(i32::try_from(map.len()).unwrap_or(i32::MAX))
        .fetch_one(pool)
        .await
}

/// The maps of `app` (of `version` when given), newest first, at most `limit`.
pub async fn list(
    pool: &PgPool,
    app: &str,
    version: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<SourceMapRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sourcemaps WHERE app = $1 AND ($2::text IS NULL OR version = $2) \
         ORDER BY uploaded_at DESC, id DESC LIMIT $3"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(app)
        .bind(version)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Deletes the map with this id; gives its row if there was one.
pub async fn delete(pool: &PgPool, id: i64) -> sqlx::Result<Option<SourceMapRow>> {
    let sql = format!("DELETE FROM sourcemaps WHERE id = $1 RETURNING {COLUMNS}");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The bodies of the maps of `app` and `version` whose file is one of `files`, by file.
pub async fn load(
    pool: &PgPool,
    app: &str,
    version: &str,
    files: &[String],
) -> sqlx::Result<Vec<(String, Vec<u8>)>> {
    sqlx::query_as(
        "SELECT file, map FROM sourcemaps WHERE app = $1 AND version = $2 AND file = ANY($3)",
    )
    .bind(app)
    .bind(version)
    .bind(files)
    .fetch_all(pool)
    .await
}

/// Whether any map is stored.
pub async fn any(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sourcemaps)")
        .fetch_one(pool)
        .await
}
