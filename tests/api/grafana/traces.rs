//! The Request trace dashboard's span panels, run as the Grafana role over seeded spans: the
//! `traces` panel's frame has Grafana's trace columns with the types its PostgreSQL datasource
//! maps them to (text → string, float8 → float64, int8 → int64, jsonb → JSON), the service
//! graph's two frames have the node graph's columns, and trace ids link to the Logs dashboard.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::{Column, PgPool, Row, TypeInfo};

use super::super::helpers::spawn_app;
use super::sql::{Range, Selection, TRACE, expand, run, seed};
use super::{POSTGRES_UID, dashboards, panels};

/// Grafana's field type of a PostgreSQL column type, as its datasource maps them.
fn field_type(pg_type: &str) -> &'static str {
    match pg_type {
        "TEXT" | "VARCHAR" => "string",
        "FLOAT8" => "float64",
        "INT8" => "int64",
        "JSONB" | "JSON" => "json",
        "TIMESTAMPTZ" => "time",
        other => panic!("column type {other} is not one the trace frame should use"),
    }
}

/// The rows of a query and its columns as `(name, Grafana field type)`.
async fn frame(
    grafana: &PgPool,
    sql: String,
) -> (Vec<(String, &'static str)>, Vec<sqlx::postgres::PgRow>) {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_all(grafana)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let columns = rows[0]
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), field_type(c.type_info().name())))
        .collect();
    (columns, rows)
}

fn named(columns: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    columns.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

/// The dashboard and the SQL of each target of its panel of `kind`.
fn panel_sql(kind: &str) -> (Value, Vec<String>) {
    let (_, dashboard) = dashboards()
        .into_iter()
        .find(|(_, d)| d["uid"] == "logbridge-trace")
        .unwrap();
    let panel = panels(&dashboard)
        .into_iter()
        .find(|p| p["type"] == kind)
        .unwrap_or_else(|| panic!("a {kind} panel"))
        .clone();
    assert_eq!(panel["datasource"]["uid"], POSTGRES_UID);
    let sql = panel["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(
                t["format"], "table",
                "Grafana's trace and graph frames are tables"
            );
            t["rawSql"].as_str().unwrap().to_string()
        })
        .collect();
    (dashboard, sql)
}

async fn grafana_pool(db_name: &str) -> PgPool {
    let url = format!("postgres://logbridge_grafana@127.0.0.1:5432/{db_name}");
    PgPool::connect(&url).await.unwrap()
}

fn range() -> Range {
    Range {
        from: Utc::now() - Duration::hours(1),
        to: Utc::now() + Duration::hours(1),
    }
}

#[tokio::test]
async fn the_traces_panel_answers_grafana_s_trace_frame() {
    let app = spawn_app().await;
    seed(&app).await;
    let grafana = grafana_pool(&app.db_name).await;
    let (dashboard, sql) = panel_sql("traces");
    let query = expand(&sql[0], &dashboard, Selection::Chosen, &range());
    let (columns, rows) = frame(&grafana, query).await;
    let expected = [
        ("traceID", "string"),
        ("spanID", "string"),
        ("parentSpanID", "string"),
        ("operationName", "string"),
        ("serviceName", "string"),
        ("serviceTags", "json"),
        ("startTime", "float64"),
        ("duration", "float64"),
        ("tags", "json"),
        ("logs", "json"),
        ("kind", "string"),
        ("statusCode", "int64"),
        ("statusMessage", "string"),
    ];
    assert_eq!(columns, named(&expected));
    assert_eq!(rows.len(), 2);
    let (root, child) = (&rows[0], &rows[1]);
    assert_eq!(root.get::<String, _>("traceID"), TRACE);
    assert_eq!(
        root.get::<Option<String>, _>("parentSpanID"),
        None,
        "the root"
    );
    assert_eq!(child.get::<String, _>("parentSpanID"), "00f067aa0ba902b7");
    assert_eq!(root.get::<f64, _>("duration"), 50.0, "milliseconds");
    let start = root.get::<f64, _>("startTime");
    let now_ms = Utc::now().timestamp_millis() as f64;
    assert!(
        (now_ms - start).abs() < 60_000.0,
        "epoch milliseconds: {start}"
    );
    assert!((child.get::<f64, _>("startTime") - start - 5.0).abs() < 0.01);
    assert_eq!(
        root.get::<Value, _>("serviceTags"),
        json!([{"key": "host.name", "value": "h1"}])
    );
    assert_eq!(
        root.get::<Value, _>("tags"),
        json!([{"key": "http.route", "value": "/login"}])
    );
    let logs = child.get::<Value, _>("logs");
    let at = logs[0]["timestamp"].as_f64();
    assert_eq!(at, Some(1_767_323_045_006.0), "milliseconds");
    assert_eq!(logs[0]["name"], "exception");
    assert_eq!(
        logs[0]["fields"],
        json!([{"key": "exception.type", "value": "PanicError"}])
    );
    assert_eq!(child.get::<String, _>("kind"), "client");
    assert_eq!(child.get::<i64, _>("statusCode"), 2);
    let empty = expand(&sql[0], &dashboard, Selection::Defaults, &range());
    let (_, count) = run(&grafana, empty).await.unwrap();
    assert_eq!(count, 0, "no trace id, no spans");
}

#[tokio::test]
async fn the_service_graph_answers_the_node_graph_s_frames() {
    let app = spawn_app().await;
    seed(&app).await;
    let grafana = grafana_pool(&app.db_name).await;
    let (dashboard, sql) = panel_sql("nodeGraph");
    assert_eq!(sql.len(), 2, "nodes and edges");
    let nodes = expand(&sql[0], &dashboard, Selection::Defaults, &range());
    let (columns, rows) = frame(&grafana, nodes).await;
    let expected = [
        ("id", "string"),
        ("title", "string"),
        ("mainstat", "int64"),
        ("secondarystat", "float64"),
        ("arc__errors", "float64"),
        ("arc__ok", "float64"),
    ];
    assert_eq!(columns, named(&expected));
    let ids: Vec<String> = rows.iter().map(|r| r.get("id")).collect();
    assert_eq!(ids, ["checkout", "payments"]);
    for row in &rows {
        let arcs = row.get::<f64, _>("arc__errors") + row.get::<f64, _>("arc__ok");
        assert!((arcs - 1.0).abs() < 1e-9, "the arcs make a whole circle");
    }
    assert_eq!(
        rows[1].get::<f64, _>("secondarystat"),
        100.0,
        "payments failed"
    );
    let edges = expand(&sql[1], &dashboard, Selection::Defaults, &range());
    let (columns, rows) = frame(&grafana, edges).await;
    let expected = [
        ("id", "string"),
        ("source", "string"),
        ("target", "string"),
        ("mainstat", "int64"),
        ("secondarystat", "float64"),
    ];
    assert_eq!(columns, named(&expected));
    assert_eq!(rows.len(), 1);
    let edge = (
        rows[0].get::<String, _>("source"),
        rows[0].get::<String, _>("target"),
    );
    assert_eq!(edge, ("checkout".to_string(), "payments".to_string()));
    assert_eq!(rows[0].get::<i64, _>("mainstat"), 1);
}

#[tokio::test]
async fn trace_ids_link_to_the_logs_dashboard_filtered_by_the_trace() {
    let (dashboard, _) = panel_sql("traces");
    let text = dashboard.to_string();
    assert!(
        text.contains("/d/logbridge-logs?var-trace=${__value.raw}"),
        "from a trace id"
    );
    assert!(
        text.contains("/d/logbridge-logs?var-trace=${trace_id}"),
        "from the dashboard"
    );
    let app = spawn_app().await;
    seed(&app).await;
    let grafana = grafana_pool(&app.db_name).await;
    let recent = panels(&dashboard)
        .into_iter()
        .find(|p| p["title"] == "Recent traces")
        .unwrap();
    assert!(
        recent
            .to_string()
            .contains("/d/logbridge-trace?var-trace_id=${__value.raw}")
    );
    let sql = recent["targets"][0]["rawSql"].as_str().unwrap();
    let (columns, rows) = frame(
        &grafana,
        expand(sql, &dashboard, Selection::Defaults, &range()),
    )
    .await;
    assert_eq!(columns[1], ("trace_id".to_string(), "string"));
    assert_eq!(rows.len(), 1, "one root span in range");
}

#[tokio::test]
async fn the_slowest_spans_panel_lists_the_longest_spans_of_the_chosen_services_first() {
    let app = spawn_app().await;
    seed(&app).await;
    let grafana = grafana_pool(&app.db_name).await;
    let (_, dashboard) = dashboards()
        .into_iter()
        .find(|(_, d)| d["uid"] == "logbridge-trace")
        .unwrap();
    let slowest = panels(&dashboard)
        .into_iter()
        .find(|p| p["title"] == "Slowest spans")
        .expect("a Slowest spans panel")
        .clone();
    let sql = slowest["targets"][0]["rawSql"].as_str().unwrap();
    let shown = |selection| {
        let sql = expand(sql, &dashboard, selection, &range());
        let grafana = grafana.clone();
        async move {
            let (_, rows) = frame(&grafana, sql).await;
            (rows.iter())
                .map(|r| {
                    (
                        r.get::<String, _>("service"),
                        r.get::<f64, _>("duration_ms"),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let every_service = shown(Selection::Defaults).await;
    assert_eq!(
        every_service,
        [
            ("checkout".to_string(), 50.0),
            ("payments".to_string(), 30.0)
        ],
        "longest first, every service with All"
    );
    sqlx::query("UPDATE spans SET service = 'cart' WHERE service = 'payments'")
        .execute(&app.db)
        .await
        .unwrap();
    let chosen = shown(Selection::Chosen).await;
    assert_eq!(
        chosen,
        [("checkout".to_string(), 50.0)],
        "only the chosen services ('checkout','payments')"
    );
}
