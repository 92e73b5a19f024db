//! A request the database refuses is isolated by halving its commit group, not by committing
//! every job of the group alone (issue 20, item 6): one bad request among N costs about
//! 1 + 2·log2(N) commits, so a trickle of them cannot cut everyone's throughput.

use std::time::Duration;

use serde_json::json;

use crate::api::helpers::{eventually, spawn_app_with};

/// Counts every `COPY` into `logs`, committed or not (a sequence is never rolled back), and
/// refuses any row whose body is `poison`, as the database might refuse a bad batch.
const TRAPS: &str = "\
    CREATE SEQUENCE copy_attempts; \
    CREATE FUNCTION count_copy() RETURNS trigger LANGUAGE plpgsql AS $$ \
    BEGIN PERFORM nextval('copy_attempts'); RETURN NULL; END $$; \
    CREATE TRIGGER count_copy BEFORE INSERT ON logs \
    FOR EACH STATEMENT EXECUTE FUNCTION count_copy(); \
    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
    BEGIN IF NEW.body = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; \
    RETURN NEW; END $$; \
    CREATE TRIGGER refuse_poison BEFORE INSERT ON logs \
    FOR EACH ROW EXECUTE FUNCTION refuse_poison();";

fn record(body: &str) -> String {
    json!({"service": "shop", "level": "info", "message": body}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_costs_log_n_commits_not_one_per_job() {
    let app = spawn_app_with(|c| c.ingest.writers = 1).await;
    sqlx::raw_sql(TRAPS).execute(&app.db).await.unwrap();
    // The first request holds the one writer while the next 16 queue up into one group.
    let blocker = app.lock_logs().await;
    let first = app.post_json_in_background(record("first"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let group: Vec<_> = (0..16)
        .map(|i| app.post_json_in_background(record(if i == 5 { "poison" } else { "ok" })))
        .collect();
    let queued = eventually(Duration::from_secs(10), || async {
        app.metric_sum("logbridge_queue_records", &[]).await == 17.0
    })
    .await;
    assert!(queued, "every request waits in the queue");
    blocker.rollback().await.unwrap();
    assert_eq!(first.await.unwrap(), 200);
    let mut statuses = Vec::new();
    for request in group {
        statuses.push(request.await.unwrap().as_u16());
    }
    let mut expected = vec![200; 16];
    expected[5] = 500;
    assert_eq!(statuses, expected, "only the poisoned request fails");
    let copies: i64 = sqlx::query_scalar("SELECT last_value FROM copy_attempts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // The first request's commit, then 1 for the group and 2 per halving (4 halvings of 16):
    // 10. Committing every job of a refused group alone (and each refusal twice) took 20.
    assert!(copies <= 10, "{copies} COPY statements for 17 requests");
    assert_eq!(app.count("body = 'ok'").await, 15);
}
