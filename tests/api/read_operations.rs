//! The admins' operations endpoints (issue 23): the health view (database, queue, last commit,
//! partitions ahead, last retention run, archive location) and a retention run on demand,
//! audited and answered with its report; every other role is refused.

use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app, spawn_app_with};

async fn post_as(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.http))
        .bearer_auth(token)
        .send()
        .await
        .expect("request is sent")
}

#[tokio::test]
async fn the_health_view_reports_the_bridge_and_its_database() {
    let archive = tempfile::tempdir().unwrap();
    let location = archive.path().display().to_string();
    let app = spawn_app_with(|c| c.archive.location = location.clone()).await;
    let admin = app.token("admin", None).await;
    let before = app.get_json(&admin, "/api/v1/health").await;
    assert_eq!(before["last_commit_age_seconds"], Value::Null, "{before}");
    assert_eq!(before["last_retention_run"], Value::Null);
    let log = json!({"service": "api", "message": "hello"});
    assert_eq!(app.post_json(log.to_string()).await, 200);

    let health = app.get_json(&admin, "/api/v1/health").await;
    assert_eq!(health["healthy"], true, "{health}");
    assert_eq!(health["database_reachable"], true);
    assert!(health["last_commit_age_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(health["queue"]["records"], 0);
    assert_eq!(health["queue"]["max_records"], 100_000);
    assert!(
        health["partitions"]["days_ahead"].as_u64().unwrap() >= 3,
        "{health}"
    );
    assert_eq!(health["partitions"]["wanted"], 3);
    assert_eq!(health["archive"]["configured"], true);
    let shown = health["archive"]["location"].as_str().unwrap();
    assert!(shown.ends_with(&location), "{shown}");
    assert_eq!(health["archive"]["reachable"], true);
}

#[tokio::test]
async fn missing_partitions_ahead_make_the_bridge_unhealthy() {
    let app = spawn_app().await;
    let admin = app.token("admin", None).await;
    let tomorrow = (chrono::Utc::now() + chrono::Days::new(1)).format("logs_p%Y%m%d");
    let detach = format!("ALTER TABLE logs DETACH PARTITION {tomorrow}");
    sqlx::query(sqlx::AssertSqlSafe(detach))
        .execute(&app.db)
        .await
        .unwrap();
    let health = app.get_json(&admin, "/api/v1/health").await;
    assert_eq!(health["partitions"]["days_ahead"], 0, "{health}");
    assert_eq!(health["healthy"], false);
    assert_eq!(health["archive"]["configured"], false);
}

#[tokio::test]
async fn an_admin_runs_retention_and_gets_its_report_audited() {
    let app = spawn_app().await;
    let admin = app.token("admin", None).await;
    sqlx::query(
        "INSERT INTO audit_log (at, method, endpoint, status) \
         VALUES (now() - interval '400 days', 'GET', '/old', 200)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let response = post_as(&app, &admin, "/api/v1/retention/run").await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["status"], "ok", "{report}");
    assert_eq!(report["trigger"], "api");
    assert_eq!(report["deleted"]["audit_log"], 1, "{report}");
    let id = report["id"].as_i64().unwrap();
    let trigger: String = sqlx::query_scalar("SELECT trigger FROM retention_runs WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(trigger, "api");
    let audited = "method = 'POST' AND endpoint = '/api/v1/retention/run' AND status = 200 \
        AND role = 'admin'";
    assert_eq!(app.count_audit(audited).await, 1);
    let health = app.get_json(&admin, "/api/v1/health").await;
    assert_eq!(health["last_retention_run"]["id"], id);
    assert_eq!(health["last_retention_run"]["status"], "ok");
}

#[tokio::test]
async fn only_admins_see_the_health_or_run_retention() {
    let app = spawn_app().await;
    for role in ["reader", "support", "ingest"] {
        let token = app.token(role, None).await;
        let health = app.get_as(&token, "/api/v1/health").await;
        assert_eq!(health.status(), 403, "{role}");
        let run = post_as(&app, &token, "/api/v1/retention/run").await;
        assert_eq!(run.status(), 403, "{role}");
    }
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM retention_runs")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(runs, 0, "nothing ran");
    let refused = "endpoint = '/api/v1/retention/run' AND status = 403";
    assert_eq!(app.count_audit(refused).await, 3, "refusals are audited");
    let anonymous = app.get("/api/v1/health").await;
    assert_eq!(anonymous.status(), 401);
}
