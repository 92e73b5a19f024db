//! The optional trigram index for `contains` (`storage.substring_index`): `serve` and
//! `migrate` create it or drop it so that the schema follows the setting. One index on the
//! partitioned `logs`, so every partition, present or made later, has its own.

use sqlx::PgPool;

/// The index's name on `logs` (its partitions' indexes are named by PostgreSQL).
pub const NAME: &str = "logs_body_trgm_idx";

/// The statement creating it: the expression `contains` filters ASCII substrings by
/// (`store::read::filter`), so that the planner can answer the filter from it.
pub const CREATE: &str = "CREATE INDEX IF NOT EXISTS logs_body_trgm_idx ON logs \
                      USING gin (lower(body COLLATE \"C\") gin_trgm_ops)";

/// What following the setting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Dropped,
}

/// Creates the index when `wanted` and missing, drops it when not wanted and present. Creating
/// it over existing rows holds writes to `logs` until it is built.
pub async fn follow(pool: &PgPool, wanted: bool) -> sqlx::Result<Option<Change>> {
    match (wanted, exists(pool).await?) {
        (true, false) => {
            tracing::info!(
                index = NAME,
                "creating the substring index (storage.substring_index)"
            );
            create(pool).await.map(|()| Some(Change::Created))
        }
        (false, true) => {
            sqlx::query("DROP INDEX IF EXISTS logs_body_trgm_idx")
                .execute(pool)
                .await?;
            tracing::info!(
                index = NAME,
                "dropped the substring index (storage.substring_index off)"
            );
            Ok(Some(Change::Dropped))
        }
        _ => Ok(None),
    }
}

async fn create(pool: &PgPool) -> sqlx::Result<()> {
    let created = async {
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .execute(pool)
            .await?;
        sqlx::query(CREATE).execute(pool).await
    }
    .await;
    match created {
        // Another bridge starting beside this one may have created it meanwhile.
        Err(_) if exists(pool).await? => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Whether the index exists.
pub async fn exists(connection: impl sqlx::PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(NAME)
        .fetch_one(connection)
        .await
}
