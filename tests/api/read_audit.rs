//! An audit trail that cannot be skipped (issue 20): an export's entry exists before its first
//! byte and is completed at its end; refusals (401, 429) are audited with the client's address
//! and user agent, within a per-source budget; one id spelled three ways is one endpoint; a
//! token over its reads in flight gets 429, and stalled exports never hold every read
//! connection.

use std::time::Duration;

use serde_json::{Value, json};

use super::helpers::{eventually, spawn_app, spawn_app_with};
use super::read_bounds::plant_huge_rows;

#[tokio::test]
async fn an_export_is_audited_before_its_first_byte_and_completed_at_its_end() {
    let app = spawn_app().await;
    plant_huge_rows(&app, 40, 1 << 20).await;
    let reader = app.token("reader", None).await;
    let mut response = app.get_as(&reader, "/api/v1/logs/export").await;
    assert_eq!(response.status(), 200);
    // The headers are here, the body not yet read: the entry must exist already.
    let open = "endpoint = '/api/v1/logs/export' AND stream = 'open' AND rows IS NULL";
    assert_eq!(
        app.count_audit(open).await,
        1,
        "audited before the first byte"
    );
    let mut lines = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    assert_eq!(lines, 40);
    let complete = "endpoint = '/api/v1/logs/export' AND stream = 'complete' AND rows = 40";
    let completed = eventually(Duration::from_secs(10), || async {
        app.count_audit(complete).await == 1
    });
    assert!(completed.await, "the entry is completed with the rows sent");
}

#[tokio::test]
async fn refusals_are_audited_with_the_client_s_address_and_user_agent_within_a_budget() {
    let app = spawn_app_with(|c| {
        c.query.token_requests_per_second = 1;
        c.query.token_burst = 1;
    })
    .await;
    let unknown = app
        .client
        .get(format!("{}/api/v1/logs?q=x", app.http))
        .bearer_auth("not-a-token")
        .header("user-agent", "probe/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let audited = "status = 401 AND token_id IS NULL AND endpoint = '/api/v1/logs' \
        AND host(client_addr) = '127.0.0.1' AND user_agent = 'probe/1.0' \
        AND filters = '{\"q\": \"x\"}'";
    assert_eq!(app.count_audit(audited).await, 1);

    let reader = app.token("reader", None).await;
    let statuses = [
        app.get_as(&reader, "/api/v1/logs").await.status(),
        app.get_as(&reader, "/api/v1/logs").await.status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [200, 429]);
    assert_eq!(app.count_audit("status = 429").await, 1, "429 audited");

    for _ in 0..60 {
        let status = app.get_as("not-a-token", "/api/v1/logs").await.status();
        assert_eq!(status, 401);
    }
    let refusals = app.count_audit("status IN (401, 429)").await;
    assert!(
        refusals <= 25,
        "a flood of refusals is audited within a budget: {refusals}"
    );
}

#[tokio::test]
async fn one_id_spelled_three_ways_is_audited_as_one_endpoint() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_json(json!({"message": "one"}).to_string()).await,
        200
    );
    let reader = app.token("reader", None).await;
    let page = app.get_json(&reader, "/api/v1/logs").await;
    let id = page["logs"][0]["id"].as_i64().unwrap();
    let encoded: String = id
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    for spelling in [format!("000{id}"), format!("+{id}"), encoded] {
        let log = app
            .get_json(&reader, &format!("/api/v1/logs/{spelling}"))
            .await;
        assert_eq!(log["id"], id, "{spelling}");
    }
    let canonical = format!("endpoint = '/api/v1/logs/{id}' AND status = 200");
    assert_eq!(app.count_audit(&canonical).await, 3);
}

/// Starts an export of every row without reading it; the response holds the stream open.
async fn stalled_export(app: &super::helpers::TestApp, token: &str) -> reqwest::Response {
    app.get_as(token, "/api/v1/logs/export").await
}

#[tokio::test]
async fn a_token_over_its_reads_in_flight_gets_429_and_others_are_served() {
    let app = spawn_app_with(|c| {
        c.query.bounds.token_max_concurrent = 2;
        c.query.bounds.export_idle_seconds = 300;
    })
    .await;
    plant_huge_rows(&app, 40, 1 << 20).await;
    let greedy = app.token("reader", None).await;
    let other = app.token("reader", None).await;
    let held = [
        stalled_export(&app, &greedy).await,
        stalled_export(&app, &greedy).await,
    ];
    assert!(held.iter().all(|r| r.status() == 200));
    let over = app.get_as(&greedy, "/api/v1/logs?limit=1").await;
    assert_eq!(over.status(), 429);
    assert!(over.headers().contains_key("retry-after"));
    let served = app.get_as(&other, "/api/v1/logs?limit=1").await;
    assert_eq!(served.status(), 200, "another token is served");
    drop(held);
    let freed = eventually(Duration::from_secs(20), || async {
        app.get_as(&greedy, "/api/v1/logs?limit=1").await.status() == 200
    });
    assert!(
        freed.await,
        "the slots are freed once the exports' clients are gone"
    );
}

#[tokio::test]
async fn eight_stalled_exports_leave_read_connections_for_other_readers() {
    let app = spawn_app_with(|c| {
        c.query.bounds.export_idle_seconds = 300;
        c.database.connect_timeout_seconds = 3;
    })
    .await;
    plant_huge_rows(&app, 40, 1 << 20).await;
    let tokens = [
        app.token("reader", None).await,
        app.token("reader", None).await,
    ];
    let mut held = Vec::new();
    for i in 0..8 {
        held.push(stalled_export(&app, &tokens[i % 2]).await);
    }
    let reader = app.token("reader", None).await;
    for _ in 0..4 {
        let page = app.get_as(&reader, "/api/v1/logs?limit=5").await;
        let (status, body) = (page.status(), page.text().await.unwrap());
        assert_eq!(status, 200, "other readers are served: {body}");
    }
    let statuses: Vec<u16> = held.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        4,
        "{statuses:?}"
    );
    for refused in held.drain(..).filter(|r| r.status() != 200) {
        assert_eq!(refused.status(), 503);
        assert!(refused.headers().contains_key("retry-after"));
        let body: Value = refused.json().await.unwrap();
        assert_eq!(
            body["error"]["code"], "busy",
            "busy, not unavailable: {body}"
        );
    }
    drop(held);
}

#[tokio::test]
async fn an_export_left_unread_is_ended_at_its_idle_bound_and_its_backend_released() {
    let app = spawn_app_with(|c| c.query.bounds.export_idle_seconds = 2).await;
    plant_huge_rows(&app, 40, 1 << 20).await;
    let reader = app.token("reader", None).await;
    let held = stalled_export(&app, &reader).await;
    assert_eq!(held.status(), 200);
    let ended = eventually(Duration::from_secs(30), || async {
        app.count_audit("stream = 'idle_timeout' AND rows < 40")
            .await
            == 1
    });
    assert!(ended.await, "the unread export ended at its idle bound");
    let released = eventually(Duration::from_secs(30), || async {
        let backends: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
             AND application_name = 'logbridge-read' AND state <> 'idle'",
        )
        .bind(&app.db_name)
        .fetch_one(&app.db)
        .await
        .unwrap();
        backends == 0
    });
    assert!(
        released.await,
        "the export's backend is gone, not left scanning"
    );
    let body = held.text().await;
    assert!(
        body.is_err(),
        "the cut body ends in an error, never as if complete"
    );
}
