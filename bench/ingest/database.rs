//! The bench database: created fresh and migrated (as tests/api/helpers.rs does), emptied and
//! checkpointed before each phase, dropped at the end.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Days, Utc};
use logbridge::config::{Config, Secret};
use sqlx::{PgPool, Row};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, migrated database with today's and yesterday's partitions (of every class).
pub struct BenchDatabase {
    name: String,
    url: String,
    pub pool: PgPool,
}

impl BenchDatabase {
    pub async fn create() -> anyhow::Result<BenchDatabase> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
        let name = format!("logbridge_bench_{}_{nanos}", std::process::id());
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let mut config = Config::default();
        config.database.url = Secret::from(url.as_str());
        let pool = logbridge::store::migrate(&config).await?;
        let today = Utc::now().date_naive();
        for day in [today - Days::new(1), today] {
            for class in &config.retention.classes {
                sqlx::query("SELECT logbridge_ensure_logs_partition($1, $2)")
                    .bind(day)
                    .bind(&class.name)
                    .execute(&pool)
                    .await?;
            }
            sqlx::query("SELECT logbridge_ensure_day_partition('spans', 'start_ts', $1)")
                .bind(day)
                .execute(&pool)
                .await?;
        }
        println!("database: {name}");
        Ok(BenchDatabase { name, url, pool })
    }

    /// A bridge configuration on this database, listening on free ports of 127.0.0.1.
    pub fn config(&self) -> Config {
        let mut config = Config::default();
        config.database.url = Secret::from(self.url.as_str());
        config.listen.http = "127.0.0.1:0".parse().expect("a socket address");
        config.listen.grpc = "127.0.0.1:0".parse().expect("a socket address");
        config
    }

    /// Empties `logs` (and the dedup heads pointing into it) and `spans`, and checkpoints, so
    /// that every phase starts from the same state.
    pub async fn reset(&self) -> anyhow::Result<()> {
        sqlx::query("TRUNCATE logs, dedup_heads, spans")
            .execute(&self.pool)
            .await?;
        sqlx::query("CHECKPOINT").execute(&self.pool).await?;
        Ok(())
    }

    /// Records in `logs`: rows, each counting for the records it stands for (deduplication).
    pub async fn count(&self) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT coalesce(sum(dedup_count), 0)::bigint FROM logs")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Rows in `spans`.
    pub async fn count_spans(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM spans")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Rows in `logs`.
    pub async fn rows(&self) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT count(*) FROM logs")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Runs one statement written by the benchmark itself.
    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let admin = PgPool::connect(ADMIN_URL).await?;
        let sql = format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&admin)
            .await?;
        Ok(())
    }
}
