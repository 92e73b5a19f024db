//! Hostile and malformed push bodies: each refused with the status and text a Loki client
//! expects, nothing stored.

use logbridge::ingest::loki::proto::{Entry, PushRequest, Stream};
use prost::Message;

use super::{JSON, PROTOBUF, push, snappy, snappy_push};
use crate::api::helpers::spawn_app;

/// Pushes and returns the status and the text answer.
async fn refused(
    app: &crate::api::helpers::TestApp,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, String) {
    let response = push(app, headers, body).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn broken_bodies_answer_400_naming_the_fault() {
    let app = spawn_app().await;
    let good = snappy_push(r#"{app="a"}"#, &["x"; 50]);
    let (status, text) = refused(&app, &[PROTOBUF], good[..good.len() / 2].to_vec()).await;
    assert_eq!((status, text.contains("snappy")), (400, true), "{text}");
    let labels = snappy_push(r#"{a=""#, &["x"]);
    let (status, text) = refused(&app, &[PROTOBUF], labels).await;
    assert_eq!(status, 400);
    assert!(text.contains("couldn't parse labels"), "{text}");
    let number = br#"{"streams":[{"stream":{"a":"b"},"values":[[1796292000000000000,"x"]]}]}"#;
    let (status, text) = refused(&app, &[JSON], number.to_vec()).await;
    assert_eq!(status, 400);
    assert!(text.contains("timestamp must be a string"), "{text}");
    let (status, _) = refused(&app, &[("content-type", "text/plain")], good).await;
    assert_eq!(status, 415, "a type browsers send cross-site");
    assert_eq!(app.count("true").await, 0);
    let refusals = [("protocol", "loki"), ("outcome", "rejected")];
    let counted = app
        .metric_sum("logbridge_ingest_requests_total", &refusals)
        .await;
    assert!(counted >= 3.0, "{counted}");
}

#[tokio::test]
async fn a_4_gib_snappy_length_header_is_413_without_allocating() {
    let app = spawn_app().await;
    let body = vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, b'x'];
    let (status, text) = refused(&app, &[PROTOBUF], body).await;
    assert_eq!(status, 413, "{text}");
}

#[tokio::test]
async fn a_hundred_thousand_streams_over_the_bounds_are_413_before_decoding() {
    let app = spawn_app().await;
    let stream = |n: usize| Stream {
        labels: format!(r#"{{app="flood", n="{n}"}}"#),
        entries: vec![Entry::default(); 2],
    };
    let request = PushRequest {
        streams: (0..100_000).map(stream).collect(),
    };
    let (status, text) = refused(&app, &[PROTOBUF], snappy(&request.encode_to_vec())).await;
    assert_eq!(status, 413);
    assert!(text.contains("200000 log records"), "{text}");
    assert_eq!(app.count("true").await, 0);
}

#[tokio::test]
async fn a_browser_origin_is_refused_even_without_a_content_type() {
    let app = spawn_app().await;
    let body = snappy_push(r#"{app="a"}"#, &["x"]);
    let (status, _) = refused(&app, &[("origin", "https://evil.example")], body).await;
    assert_eq!(status, 403);
    assert_eq!(app.count("true").await, 0);
}
