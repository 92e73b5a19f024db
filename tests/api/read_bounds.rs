//! Reads bounded in bytes and rows (issue 20): list views cut long fields in SQL and say so, the
//! whole record is at `/logs/{id}`, trace logs and error rates come a page at a time, exports
//! quote spreadsheet formulas and escape forged lines, and a cursor the database cannot store
//! is the client's error.

use serde_json::{Value, json};

use super::helpers::{TestApp, spawn_app};

/// Rows of `bytes`-character bodies (and as large an attribute), written straight into `logs`
/// as an attacker's records would be stored, without the ingest bounds.
pub async fn plant_huge_rows(app: &TestApp, rows: i64, bytes: i64) {
    plant_huge_rows_in(&app.db, rows, bytes).await
}

/// [`plant_huge_rows`] into any database of the bridge.
pub async fn plant_huge_rows_in(db: &sqlx::PgPool, rows: i64, bytes: i64) {
    sqlx::query(
        "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body, attributes) \
         SELECT now() - g * interval '1 second', now(), 'huge', 'info', 9, \
                left(repeat(md5(g::text), ($2 / 32 + 1)::int), $2::int), \
                jsonb_build_object('blob', repeat('a', $2::int)) \
         FROM generate_series(1, $1) g",
    )
    .bind(rows)
    .bind(bytes)
    .execute(db)
    .await
    .expect("huge rows planted");
}

#[tokio::test]
async fn list_views_cut_long_fields_and_say_so_and_the_record_is_whole_by_id() {
    let app = spawn_app().await;
    plant_huge_rows(&app, 3, 1 << 20).await;
    let reader = app.token("reader", None).await;
    let page = app.get_json(&reader, "/api/v1/logs?service=huge").await;
    let logs = page["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 3);
    for row in logs {
        assert_eq!(row["body"].as_str().unwrap().len(), 4096, "cut in the list");
        assert_eq!(row["attributes"], json!({}), "a large object is left out");
        assert_eq!(row["truncated"], json!(["body", "attributes"]));
    }
    let id = logs[0]["id"].as_i64().unwrap();
    let whole = app.get_json(&reader, &format!("/api/v1/logs/{id}")).await;
    assert_eq!(whole["body"].as_str().unwrap().len(), 1 << 20);
    assert_eq!(whole["attributes"]["blob"].as_str().unwrap().len(), 1 << 20);
    assert!(
        whole.get("truncated").is_none(),
        "nothing cut: {:?}",
        whole.get("truncated")
    );

    let small = json!({"service": "small", "message": "short"}).to_string();
    assert_eq!(app.post_json(small).await, 200);
    let page = app.get_json(&reader, "/api/v1/logs?service=small").await;
    assert!(page["logs"][0].get("truncated").is_none(), "{page}");
}

#[tokio::test]
async fn a_page_ends_early_at_its_byte_budget_and_its_cursor_leads_to_the_rest() {
    let app = super::helpers::spawn_app_with(|c| c.query.bounds.answer_max_bytes = 20_000).await;
    plant_huge_rows(&app, 10, 1 << 20).await;
    let reader = app.token("reader", None).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/logs?service=huge&limit=1000".to_string();
    loop {
        let page = app.get_json(&reader, &path).await;
        let logs = page["logs"].as_array().unwrap();
        assert!(
            logs.len() <= 4,
            "about 4.4 KiB a row in a 20 kB budget: {}",
            logs.len()
        );
        seen.extend(logs.iter().map(|row| row["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/logs?service=huge&limit=1000&cursor={cursor}"),
            None => break,
        }
    }
    seen.dedup();
    assert_eq!(seen.len(), 10, "every row once: {seen:?}");
}

async fn trace_page(app: &TestApp, token: &str, query: &str) -> Value {
    let path = format!("/api/v1/traces/{}/logs?{query}", "ab".repeat(16));
    app.get_json(token, &path).await
}

#[tokio::test]
async fn trace_logs_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let body: String = (0..5)
        .map(|i| {
            let record = json!({"message": format!("step {i}"), "trace_id": "ab".repeat(16),
                "timestamp": format!("2026-11-22T10:00:0{i}Z")});
            format!("{record}\n")
        })
        .collect();
    assert_eq!(app.post_json(body).await, 200);
    let reader = app.token("reader", None).await;
    let mut bodies = Vec::new();
    let mut query = "limit=2".to_string();
    loop {
        let page = trace_page(&app, &reader, &query).await;
        let logs = page["logs"].as_array().unwrap();
        assert!(logs.len() <= 2, "{page}");
        bodies.extend(logs.iter().map(|l| l["body"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        bodies,
        (0..5).map(|i| format!("step {i}")).collect::<Vec<_>>()
    );
    let whole = trace_page(&app, &reader, "").await;
    assert_eq!(
        whole["logs"].as_array().unwrap().len(),
        5,
        "1000 by default"
    );
    let refused = app
        .get_as(
            &reader,
            &format!("/api/v1/traces/{}/logs?limit=1001", "ab".repeat(16)),
        )
        .await;
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn error_rates_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let records: String = (0..7)
        .flat_map(|route| {
            (0..=route).map(move |i| {
                let status = if i == 0 { 500 } else { 200 };
                let record = json!({"message": "request", "service": "web",
                    "request_method": "GET", "request_path": format!("/r{route}"),
                    "response_status": status, "duration_ms": 5});
                format!("{record}\n")
            })
        })
        .collect();
    assert_eq!(app.post_json(records).await, 200);
    let reader = app.token("reader", None).await;
    let mut routes = Vec::new();
    let mut path = "/api/v1/monitoring/error-rates?limit=3".to_string();
    for _ in 0..10 {
        let page = app.get_json(&reader, &path).await;
        let found = page["routes"].as_array().unwrap();
        assert!(found.len() <= 3, "{page}");
        routes.extend(
            found
                .iter()
                .map(|r| r["route"].as_str().unwrap().to_string()),
        );
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        path = format!("/api/v1/monitoring/error-rates?limit=3&cursor={cursor}");
    }
    let expected: Vec<String> = (0..7).map(|r| format!("/r{r}")).collect();
    assert_eq!(routes, expected, "highest ratio first, every route once");
}

#[tokio::test]
async fn csv_cells_cannot_be_formulas_and_text_lines_cannot_be_forged() {
    let app = spawn_app().await;
    let forged = "ok\n2026-11-22T10:00:00.000000Z ERROR api forged \u{1b}[2J";
    let records = [
        json!({"service": "api", "message": "=HYPERLINK(\"http://x\")", "timestamp": "2026-11-22T10:00:00Z"}),
        json!({"service": "api", "message": forged, "timestamp": "2026-11-22T10:00:01Z"}),
    ];
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(app.post_json(body).await, 200);
    let reader = app.token("reader", None).await;
    let export = |format: &'static str| {
        let (app, reader) = (&app, &reader);
        async move {
            let path = format!(
                "/api/v1/logs/export?service=api&from=2026-11-22T00:00:00Z&format={format}"
            );
            let response = app.get_as(reader, &path).await;
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let csv_text = export("csv").await;
    let mut reader_csv = csv::Reader::from_reader(csv_text.as_bytes());
    let body_column = reader_csv
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "body")
        .unwrap();
    let bodies: Vec<String> = reader_csv
        .records()
        .map(|r| r.unwrap()[body_column].to_string())
        .collect();
    assert_eq!(
        bodies[1], "'=HYPERLINK(\"http://x\")",
        "a formula is quoted"
    );
    assert_eq!(bodies[0], forged, "CSV keeps other text as it is");

    let text = export("txt").await;
    assert_eq!(text.lines().count(), 2, "one line per record: {text:?}");
    assert!(!text.contains('\u{1b}'), "no terminal escape: {text:?}");
    assert!(text.contains("ok\\n2026-11-22T10:00:00.000000Z ERROR api forged \\u{001b}[2J"));
}

#[tokio::test]
async fn a_cursor_the_database_cannot_store_is_a_400_naming_it() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let reader = app.token("reader", None).await;
    let before_4713_bc =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("-210900000000000000:1");
    for path in [
        format!("/api/v1/logs?cursor={before_4713_bc}"),
        format!(
            "/api/v1/traces/{}/logs?cursor={before_4713_bc}",
            "ab".repeat(16)
        ),
    ] {
        let response = app.get_as(&reader, &path).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"]["parameter"], "cursor", "{body}");
    }
}

#[tokio::test]
async fn a_cut_field_never_shows_a_support_token_part_of_an_address() {
    let app = spawn_app().await;
    // Stored as it is (ingest would redact the address): cut at 4096, it is `alice`.
    sqlx::query(
        "INSERT INTO logs (ts, observed_ts, service, level, severity_number, body) \
         VALUES (now(), now(), 'pii', 'info', 9, repeat('a', 4090) || ' alice@example.com and more')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let support = app.token("support", None).await;
    let page = app.get_json(&support, "/api/v1/logs?service=pii").await;
    let cut = page["logs"][0]["body"].as_str().unwrap();
    assert_eq!(page["logs"][0]["truncated"], json!(["body"]));
    assert!(
        !cut.contains("alice"),
        "the cut address is dropped: {}",
        &cut[4080..]
    );
    let reader = app.token("reader", None).await;
    let page = app.get_json(&reader, "/api/v1/logs?service=pii").await;
    assert!(
        page["logs"][0]["body"]
            .as_str()
            .unwrap()
            .ends_with(" alice")
    );
}
