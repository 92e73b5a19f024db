//! Retention of the tables beside `logs`: old rows go, recent ones stay, and the run says how
//! many went from each table.

use serde_json::{Value, json};

use super::{retention, run};

/// One row 400 days old and one from today in each pruned table.
const SEED: &str = "
    INSERT INTO audit_log (at, method, endpoint, status) VALUES
        (now() - interval '400 days', 'GET', '/old', 200), (now(), 'GET', '/new', 200);
    INSERT INTO alert_history (received_at, fingerprint, alertname, status) VALUES
        (now() - interval '400 days', 'a', 'Old', 'firing'), (now(), 'b', 'New', 'firing');
    INSERT INTO log_counts (minute, service, level, count) VALUES
        (date_trunc('minute', now() - interval '400 days'), 's', 'info', 1),
        (date_trunc('minute', now()), 's', 'info', 1);
    INSERT INTO error_counts (minute, service, fingerprint, message, count, last_seen) VALUES
        (date_trunc('minute', now() - interval '400 days'), 's', 'f', 'm', 1, now() - interval '400 days'),
        (date_trunc('minute', now()), 's', 'f', 'm', 1, now());
    INSERT INTO scope_counts (hour, service, scope, count, last_seen) VALUES
        (date_trunc('hour', now() - interval '400 days'), 's', 'db', 1, now() - interval '400 days'),
        (date_trunc('hour', now()), 's', 'db', 1, now());
    INSERT INTO exception_groups (fingerprint, service, exception_type, message, first_seen, last_seen, occurrences) VALUES
        ('old', 's', 'E', 'm', now() - interval '500 days', now() - interval '400 days', 1),
        ('new', 's', 'E', 'm', now() - interval '500 days', now() - interval '1 day', 1);";

#[tokio::test]
async fn rows_older_than_their_tables_days_are_deleted() {
    let app = super::app().await;
    sqlx::raw_sql(SEED).execute(&app.db).await.unwrap();
    let report = run(&retention(&app, |_| {})).await;
    assert_eq!(report.status.as_str(), "ok", "{report:?}");
    let tables = [
        "alert_history",
        "audit_log",
        "error_counts",
        "exception_groups",
        "log_counts",
        "scope_counts",
    ];
    for table in tables {
        let left: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(left, 1, "{table}: the recent row stays");
        assert_eq!(report.deleted.get(table), Some(&1), "{table}: {report:?}");
    }
    let kept: String = sqlx::query_scalar("SELECT fingerprint FROM exception_groups")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        kept, "new",
        "a group seen yesterday stays, whenever it was first seen"
    );
    let deleted: Value = sqlx::query_scalar("SELECT deleted FROM retention_runs WHERE id = $1")
        .bind(report.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(deleted["audit_log"], json!(1));
    let grafana = format!(
        "postgres://logbridge_grafana@127.0.0.1:5432/{}",
        app.db_name
    );
    let grafana = sqlx::PgPool::connect(&grafana).await.unwrap();
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM retention_runs")
        .fetch_one(&grafana)
        .await
        .expect("Grafana's role reads the runs");
    assert_eq!(runs, 1);
}
