//! 1,000 slow clients against the real binary (issue 20, item 2): 900 send half their headers
//! and wait, 100 declare a 16 MB body, send 4 MiB of it and stall. Every one is cut off (after
//! the header timeout, or with 503 once the body falls under the minimum rate or the body byte
//! budget is taken), the process's peak RSS stays under [`MAX_RSS_MIB`], and the bridge still
//! serves ordinary clients.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::process::{BridgeProcess, fresh_database};

const HALF_SENT_HEADERS: usize = 900;
const STALLED_BODIES: usize = 100;
/// Bytes each stalled body sends before it stalls.
const SENT_BYTES: usize = 4 * 1024 * 1024;
/// The bound README.md documents for the default `listen.limits` (64 MiB of bodies in flight):
/// the idle process takes about 30 MiB.
const MAX_RSS_MIB: f64 = 256.0;
/// Longer than every limit set here: a client not cut off by then never would be.
const NEVER: Duration = Duration::from_secs(60);

/// How a slow client's connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// The bridge answered 503 and closed.
    Answered503,
    /// The bridge closed (or reset) without an answer.
    Closed,
    /// Still open after [`NEVER`].
    StillOpen,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_are_cut_off_and_memory_stays_bounded() {
    let (_, url) = fresh_database();
    let settings = [
        ("LOGBRIDGE_LISTEN__LIMITS__HEADER_READ_TIMEOUT_SECONDS", "2"),
        ("LOGBRIDGE_LISTEN__LIMITS__BODY_GRACE_SECONDS", "2"),
        (
            "LOGBRIDGE_LISTEN__LIMITS__MIN_BODY_BYTES_PER_SECOND",
            "1048576",
        ),
    ];
    let bridge = BridgeProcess::start(&url, &settings).await;
    let address = bridge.http.trim_start_matches("http://").to_string();
    let idle_rss = bridge.peak_rss_mib();

    let mut clients = JoinSet::new();
    for _ in 0..HALF_SENT_HEADERS {
        clients.spawn(half_sent_headers(address.clone()));
    }
    for _ in 0..STALLED_BODIES {
        clients.spawn(stalled_body(address.clone()));
    }
    let endings = clients.join_all().await;

    let still_open = endings.iter().filter(|e| **e == Ending::StillOpen).count();
    let answered = endings
        .iter()
        .filter(|e| **e == Ending::Answered503)
        .count();
    let peak_rss = bridge.peak_rss_mib();
    eprintln!(
        "slow clients: {answered} answered 503, {still_open} still open, peak RSS {peak_rss:.1} \
         MiB (idle {idle_rss:.1} MiB)"
    );
    assert_eq!(still_open, 0, "every slow client is cut off");
    assert!(peak_rss < MAX_RSS_MIB, "peak RSS {peak_rss:.1} MiB");
    let timed_out = bridge.metric("logbridge_connections_timed_out_total").await;
    assert!(
        timed_out >= HALF_SENT_HEADERS as f64,
        "{timed_out} header timeouts counted"
    );
    assert!(bridge.metric("logbridge_http_bodies_refused_total").await >= 1.0);
    let client = reqwest::Client::new();
    let ordinary = client
        .post(format!("{}/api/v1/logs", bridge.http))
        .header("content-type", "application/json")
        .body(r#"{"message": "after the slow clients"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(ordinary.status(), 200, "ordinary clients are still served");
}

async fn half_sent_headers(address: String) -> Ending {
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return Ending::Closed;
    };
    let half = b"POST /api/v1/logs HTTP/1.1\r\nhost: bridge\r\ncontent-ty";
    if stream.write_all(half).await.is_err() {
        return Ending::Closed;
    }
    ending(&mut stream).await
}

async fn stalled_body(address: String) -> Ending {
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return Ending::Closed;
    };
    let head = "POST /api/v1/logs HTTP/1.1\r\nhost: bridge\r\ncontent-type: application/json\r\n\
                content-length: 16000000\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return Ending::Closed;
    }
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..SENT_BYTES / chunk.len() {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
    }
    ending(&mut stream).await
}

/// Reads until the bridge closes the connection.
async fn ending(stream: &mut TcpStream) -> Ending {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buffer = [0u8; 1024];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            received.extend_from_slice(&buffer[..n]);
        }
    });
    if read.await.is_err() {
        return Ending::StillOpen;
    }
    match received.starts_with(b"HTTP/1.1 503") {
        true => Ending::Answered503,
        false => Ending::Closed,
    }
}
