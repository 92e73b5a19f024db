//! Migration 0008 on a database that already has day partitions: empty ones are made again split
//! by class, ones holding rows stay plain and keep taking every class. Migration 0018 on spans
//! stored twice: one of each stays, and the unique index refuses a third.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::PgPool;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The SQL of the migrations numbered `from` up to (not including) `below`, in order.
fn migrations(from: u32, below: u32) -> Vec<String> {
    let dir = format!("{}/migrations", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let number: u32 = name[..4].parse().unwrap();
            (from..below).contains(&number)
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect()
}

async fn execute(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn kind(pool: &PgPool, table: &str) -> Option<String> {
    sqlx::query_scalar("SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)")
        .bind(table)
        .fetch_optional(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn empty_day_partitions_are_split_by_class_and_filled_ones_stay_plain() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("logbridge_test_m8_{}_{nanos}", std::process::id());
    let admin = PgPool::connect(ADMIN_URL).await.unwrap();
    execute(&admin, &format!("CREATE DATABASE {name}")).await;
    let pool = PgPool::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
        .await
        .unwrap();
    for sql in migrations(1, 8) {
        execute(&pool, &sql).await;
    }
    execute(&pool, "SELECT logbridge_ensure_logs_partition('2026-01-01'), logbridge_ensure_logs_partition('2026-01-02')").await;
    let row = "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body) \
               VALUES ('2026-01-01 10:00+00', now(), 's', 'debug', 5, 'before')";
    execute(&pool, row).await;

    for sql in migrations(8, 9) {
        execute(&pool, &sql).await;
    }
    assert_eq!(
        kind(&pool, "logs_p20260101").await.as_deref(),
        Some("r"),
        "holds a row: kept"
    );
    assert_eq!(kind(&pool, "logs_p20260102").await, None, "empty: dropped");
    execute(&pool, "SELECT logbridge_ensure_logs_partition('2026-01-01', 'debug'), logbridge_ensure_logs_partition('2026-01-02', 'debug')").await;
    assert_eq!(kind(&pool, "logs_p20260102").await.as_deref(), Some("p"));
    assert_eq!(
        kind(&pool, "logs_p20260102_debug").await.as_deref(),
        Some("r")
    );
    assert_eq!(
        kind(&pool, "logs_p20260101_debug").await,
        None,
        "the plain day takes every class"
    );
    let after = "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, retention_class) \
                 VALUES ('2026-01-01 11:00+00', now(), 's', 'debug', 5, 'after', 'debug'), \
                        ('2026-01-02 11:00+00', now(), 's', 'debug', 5, 'next', 'debug')";
    execute(&pool, after).await;
    let classes: Vec<(String, String)> =
        sqlx::query_as("SELECT body, retention_class FROM logs ORDER BY ts")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = [
        ("before", "standard"),
        ("after", "debug"),
        ("next", "debug"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(b, c)| (b.to_string(), c.to_string()))
        .collect();
    assert_eq!(classes, expected);
    pool.close().await;
    execute(&admin, &format!("DROP DATABASE {name} WITH (FORCE)")).await;
}

#[tokio::test]
async fn spans_stored_twice_before_0018_are_kept_once_and_then_refused() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("logbridge_test_m18_{}_{nanos}", std::process::id());
    let admin = PgPool::connect(ADMIN_URL).await.unwrap();
    execute(&admin, &format!("CREATE DATABASE {name}")).await;
    let pool = PgPool::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
        .await
        .unwrap();
    for sql in migrations(1, 18) {
        execute(&pool, &sql).await;
    }
    execute(
        &pool,
        "SELECT logbridge_ensure_day_partition('spans', 'start_ts', '2026-01-01')",
    )
    .await;
    let insert = "INSERT INTO spans (trace_id, span_id, name, kind, start_ts, duration_ns, \
        status_code, service) SELECT 'ab', 'cd' || (i % 3), 'op', 'server', \
        '2026-01-01 10:00:00+00', i, 0, 'svc' FROM generate_series(1, 7) i";
    execute(&pool, insert).await;
    for sql in migrations(18, 10_000) {
        execute(&pool, &sql).await;
    }
    let kept: Vec<(String, i64)> =
        sqlx::query_as("SELECT span_id, count(*) FROM spans GROUP BY span_id ORDER BY span_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = [("cd0", 1), ("cd1", 1), ("cd2", 1)].map(|(id, n)| (id.to_string(), n));
    assert_eq!(kept, expected);
    let again = sqlx::raw_sql(sqlx::AssertSqlSafe(insert.to_string()))
        .execute(&pool)
        .await
        .unwrap_err();
    let code = again.as_database_error().and_then(|e| e.code()).unwrap();
    assert_eq!(code, "23505", "{again}");
    pool.close().await;
    execute(&admin, &format!("DROP DATABASE {name} WITH (FORCE)")).await;
}
