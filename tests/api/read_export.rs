//! `GET /api/v1/logs/export`: every format, the filters, and a large export streamed whole.

use serde_json::{Value, json};

use super::helpers::spawn_app;

#[tokio::test]
async fn exports_in_every_format_hold_every_matching_row() {
    let app = spawn_app().await;
    let records = [
        json!({"service": "api", "level": "error", "message": "quote \" comma , and\nnewline",
               "timestamp": "2026-11-22T10:00:00Z", "k": "v"}),
        json!({"service": "api", "level": "info", "message": "plain", "timestamp": "2026-11-22T10:00:01Z"}),
        json!({"service": "web", "level": "info", "message": "other service", "timestamp": "2026-11-22T10:00:02Z"}),
    ];
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(app.post_json(body).await, 200);
    let token = app.token("reader", None).await;
    let export = |format: &str| {
        let path =
            format!("/api/v1/logs/export?service=api&from=2026-11-22T00:00:00Z&format={format}");
        let (app, token) = (&app, &token);
        async move {
            let response = app.get_as(token, &path).await;
            assert_eq!(response.status(), 200);
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            (content_type, response.text().await.unwrap())
        }
    };

    let (content_type, ndjson) = export("ndjson").await;
    assert_eq!(content_type, "application/x-ndjson");
    let rows: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["body"], "plain", "newest first");
    assert_eq!(rows[1]["attributes"]["k"], "v");

    let (_, json_array) = export("json").await;
    let array: Vec<Value> = serde_json::from_str(&json_array).unwrap();
    assert_eq!(array, rows);

    let (content_type, csv_text) = export("csv").await;
    assert!(content_type.starts_with("text/csv"));
    assert!(csv_text.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "id");
    let body_column = header.iter().position(|h| h == "body").unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(&records[1][body_column], "quote \" comma , and\nnewline");

    let (_, text) = export("txt").await;
    assert!(
        text.starts_with("2026-11-22T10:00:01.000000Z INFO  api plain\n"),
        "{text}"
    );

    let bad = app.get_as(&token, "/api/v1/logs/export?format=xml").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_large_export_streams_every_row() {
    let app = spawn_app().await;
    for batch in 0..4 {
        let body: String = (0..5000)
            .map(|i| {
                format!(
                    "{}\n",
                    json!({"message": format!("row {batch}-{i} {}", "x".repeat(200))})
                )
            })
            .collect();
        assert_eq!(app.post_json(body).await, 200);
    }
    let token = app.token("reader", None).await;
    let mut response = app.get_as(&token, "/api/v1/logs/export").await;
    assert_eq!(response.status(), 200);
    let (mut lines, mut chunks) = (0, 0);
    while let Some(chunk) = response.chunk().await.unwrap() {
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        chunks += 1;
    }
    assert_eq!(lines, 20_000);
    assert!(
        chunks > 10,
        "the body arrives in chunks, not as one buffer ({chunks})"
    );
}
