//! Table `audit_log`: one row per read request, and the admin's view of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

/// One audited request.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    pub role: Option<String>,
    pub method: String,
    pub endpoint: String,
    /// The request's query parameters.
    #[schema(value_type = Object)]
    pub filters: Json<Value>,
    /// The HTTP status of the answer.
    pub status: i16,
    /// Rows returned, when the endpoint returns rows.
    pub rows: Option<i64>,
}

/// What is recorded about one request.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    pub role: Option<String>,
    pub method: String,
    pub endpoint: String,
    pub filters: Value,
    pub status: u16,
    pub rows: Option<u64>,
}

/// Writes one audit row.
pub async fn insert(pool: &PgPool, record: &AuditRecord) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (token_id, token_name, role, method, endpoint, filters, status, rows) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(record.token_id)
    .bind(&record.token_name)
    .bind(&record.role)
    .bind(&record.method)
    .bind(&record.endpoint)
    .bind(Json(&record.filters))
    .bind(record.status as i16)
    .bind(record.rows.map(|rows| rows as i64))
    .execute(pool)
    .await?;
    Ok(())
}

/// Filters of the audit view.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub token_id: Option<i64>,
    pub endpoint: Option<String>,
    /// Entries with an id below this one (paging, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Audit entries, newest first.
pub async fn list(pool: &PgPool, filter: &AuditFilter) -> sqlx::Result<Vec<AuditEntry>> {
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT id, at, token_id, token_name, role, method, endpoint, filters, status, rows \
         FROM audit_log WHERE true",
    );
    if let Some(from) = filter.from {
        sql.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        sql.push(" AND at < ").push_bind(to);
    }
    if let Some(token_id) = filter.token_id {
        sql.push(" AND token_id = ").push_bind(token_id);
    }
    if let Some(endpoint) = &filter.endpoint {
        sql.push(" AND endpoint = ").push_bind(endpoint.clone());
    }
    if let Some(before) = filter.before_id {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(filter.limit);
    sql.build_query_as().fetch_all(pool).await
}
