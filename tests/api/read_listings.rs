//! The listings of what is stored (issue 23): services with records, errors and last record,
//! scopes (logger names) per service, records per level; from the rollups, within the caller's
//! scope.

use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app};

async fn plant(app: &TestApp) {
    let logs = json!([
        {"service": "api", "logger": "db", "level": "info", "message": "a"},
        {"service": "api", "logger": "db", "level": "error", "message": "b"},
        {"service": "api", "logger": "http", "level": "info", "message": "c"},
        {"service": "api", "level": "warn", "message": "d"},
        {"service": "web", "logger": "ui", "level": "info", "message": "e"},
    ]);
    assert_eq!(app.post_json(logs.to_string()).await, 200);
}

fn find<'a>(list: &'a Value, key: &str, value: Value) -> &'a Value {
    let items = list.as_array().unwrap();
    items
        .iter()
        .find(|i| i[key] == value)
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn services_scopes_and_levels_are_listed_from_the_rollups() {
    let app = spawn_app().await;
    plant(&app).await;
    // The listings read the rollups: rows gone from `logs` are still counted there.
    sqlx::query("DELETE FROM logs")
        .execute(&app.db)
        .await
        .unwrap();
    let reader = app.token("reader", None).await;

    let services = app.get_json(&reader, "/api/v1/logs/services").await;
    let list = &services["services"];
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["service"], "api", "most records first");
    let api = find(list, "service", json!("api"));
    assert_eq!(
        (api["records"].as_i64(), api["errors"].as_i64()),
        (Some(4), Some(1))
    );
    assert!(api["last_seen"].is_string());
    let web = find(list, "service", json!("web"));
    assert_eq!(
        (web["records"].as_i64(), web["errors"].as_i64()),
        (Some(1), Some(0))
    );

    let scopes = app
        .get_json(&reader, "/api/v1/logs/scopes?service=api")
        .await;
    let list = &scopes["scopes"];
    assert_eq!(list.as_array().unwrap().len(), 3, "{scopes}");
    assert_eq!(find(list, "scope", json!("db"))["records"], 2);
    assert_eq!(find(list, "scope", json!("http"))["records"], 1);
    assert_eq!(find(list, "scope", Value::Null)["records"], 1, "no logger");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["service"] == "api")
    );

    let levels = app.get_json(&reader, "/api/v1/logs/levels").await;
    let counts: Vec<(String, i64)> = levels["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["level"].as_str().unwrap().into(),
                l["records"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("trace", 0),
        ("debug", 0),
        ("info", 3),
        ("warn", 1),
        ("error", 1),
        ("fatal", 0),
    ];
    let expected: Vec<(String, i64)> = expected.iter().map(|(l, n)| (l.to_string(), *n)).collect();
    assert_eq!(counts, expected);

    let past = app
        .get_json(&reader, "/api/v1/logs/services?from=now-3d&to=now-2d")
        .await;
    assert_eq!(past["services"], json!([]), "nothing in another window");
}

#[tokio::test]
async fn scoped_tokens_list_only_their_services() {
    let app = spawn_app().await;
    plant(&app).await;
    let scoped = app.token("reader", Some(&["web"])).await;
    let services = app.get_json(&scoped, "/api/v1/logs/services").await;
    let names: Vec<&Value> = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["service"])
        .collect();
    assert_eq!(names, [&json!("web")]);
    let scopes = app.get_json(&scoped, "/api/v1/logs/scopes").await;
    assert_eq!(scopes["scopes"].as_array().unwrap().len(), 1);
    assert_eq!(scopes["scopes"][0]["scope"], "ui");
    let levels = app.get_json(&scoped, "/api/v1/logs/levels").await;
    let info = find(&levels["levels"], "level", json!("info"));
    assert_eq!(info["records"], 1, "only web's records");
    let refused = app.get_as(&scoped, "/api/v1/logs/scopes?service=api").await;
    assert_eq!(refused.status(), 403);
    let bad = app.get_as(&scoped, "/api/v1/logs/services?limit=0").await;
    assert_eq!(bad.status(), 400);
    let ingest = app.token("ingest", None).await;
    assert_eq!(
        app.get_as(&ingest, "/api/v1/logs/levels").await.status(),
        403
    );
}
