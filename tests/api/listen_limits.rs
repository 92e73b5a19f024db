//! The listeners' limits (issue 20, item 2): half-sent headers and silent connections are closed
//! after the header timeout, a body slower than the minimum rate is cut off with 503, bodies over
//! the shared byte budget answer 503 with Retry-After, connections over the cap are answered 503;
//! each counted in `/metrics`.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::helpers::{TestApp, eventually, spawn_app_with};

/// Longer than any limit the tests set: a connection still open after it was never cut off.
const NEVER: Duration = Duration::from_secs(30);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.http.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection; `None` if it is still open after
/// [`NEVER`].
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    });
    read.await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

/// A POST of a JSON body of `length` bytes whose headers are sent with `sent` of its bytes.
fn request_head(length: usize) -> String {
    format!(
        "POST /api/v1/logs HTTP/1.1\r\nhost: bridge\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_silent_connections_are_closed_after_the_header_timeout() {
    let app = spawn_app_with(|c| c.listen.limits.header_read_timeout_seconds = 1).await;
    let mut half_sent = connect(&app).await;
    half_sent
        .write_all(b"POST /api/v1/logs HTTP/1.1\r\nhost: bridge\r\n")
        .await
        .unwrap();
    let mut silent = connect(&app).await;
    assert!(
        read_until_closed(&mut half_sent).await.is_some(),
        "half-sent headers are cut off"
    );
    assert!(
        read_until_closed(&mut silent).await.is_some(),
        "a connection that sends nothing is cut off"
    );
    let timed_out = app
        .metric_sum(
            "logbridge_connections_timed_out_total",
            &[("reason", "header_timeout")],
        )
        .await;
    assert_eq!(timed_out, 2.0, "both are counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_minimum_rate_is_cut_off_with_503() {
    let app = spawn_app_with(|c| {
        c.listen.limits.body_grace_seconds = 1;
        c.listen.limits.min_body_bytes_per_second = 1024 * 1024;
    })
    .await;
    let mut slow = connect(&app).await;
    let head = request_head(1_000_000);
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(b"[{\"message\": \"trickled").await.unwrap();
    let answer = read_until_closed(&mut slow).await;
    let answer = answer.expect("the slow body is cut off");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    let refused = app
        .metric_sum(
            "logbridge_http_bodies_refused_total",
            &[("reason", "too_slow")],
        )
        .await;
    assert_eq!(refused, 1.0);
    let as_too_large = app
        .metric_sum(
            "logbridge_rejected_records_total",
            &[("reason", "too_large")],
        )
        .await;
    assert_eq!(as_too_large, 0.0, "a slow body is not counted as too large");
    assert_eq!(
        app.post_json(json!({"message": "fast"}).to_string()).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_byte_budget_answer_503_until_it_is_released() {
    let app = spawn_app_with(|c| {
        c.ingest.max_body_bytes = 1024 * 1024;
        c.listen.limits.max_body_bytes_in_flight = 1024 * 1024;
    })
    .await;
    // One client holds 900 KiB of the 1 MiB budget while it (slowly) sends the rest.
    let mut holder = connect(&app).await;
    holder
        .write_all(request_head(1_000_000).as_bytes())
        .await
        .unwrap();
    holder.write_all(&[b' '; 900 * 1024]).await.unwrap();
    let held = eventually(Duration::from_secs(10), || async {
        app.metric_sum("logbridge_http_body_in_flight_bytes", &[])
            .await
            >= 900.0 * 1024.0
    })
    .await;
    assert!(held, "the holder's bytes are admitted");

    let body = json!([{"message": "x".repeat(200 * 1024)}]).to_string();
    let refused = app
        .post("/api/v1/logs", "application/json", body.clone())
        .await;
    assert_eq!(refused.status(), 503, "the budget is taken");
    assert_eq!(refused.headers()["retry-after"], "1");
    let counted = app
        .metric_sum("logbridge_http_bodies_refused_total", &[("reason", "busy")])
        .await;
    assert_eq!(counted, 1.0);

    drop(holder);
    let admitted = eventually(Duration::from_secs(10), || async {
        let answer = app
            .post("/api/v1/logs", "application/json", body.clone())
            .await;
        answer.status() == 200
    })
    .await;
    assert!(admitted, "the budget comes back when the holder goes away");
    assert_eq!(
        app.metric_sum("logbridge_http_body_in_flight_bytes", &[])
            .await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_answered_503() {
    let app = spawn_app_with(|c| c.listen.limits.max_connections = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: bridge\r\n\r\n")
            .await
            .unwrap();
        let mut answer = [0u8; 12];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"HTTP/1.1 200", "kept alive after its answer");
        held.push(stream);
    }
    let mut over = connect(&app).await;
    over.write_all(b"GET /healthz HTTP/1.1\r\nhost: bridge\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut over)
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");

    drop(held);
    let served = eventually(Duration::from_secs(10), || async {
        let client = reqwest::Client::new();
        let answer = client.get(format!("{}/healthz", app.http)).send().await;
        answer.is_ok_and(|answer| answer.status() == 200)
    })
    .await;
    assert!(served, "served again once connections close");
    let refused = app
        .metric_sum(
            "logbridge_connections_refused_total",
            &[("listener", "http")],
        )
        .await;
    assert!(refused >= 1.0, "refusals are counted: {refused}");
}
