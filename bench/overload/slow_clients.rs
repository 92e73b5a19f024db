//! The "slow clients" phase: connections that hold the HTTP listener without finishing a request
//! (half-sent headers, and bodies that declare 16 MB, send a few MiB and stall), while an
//! ordinary client posts one record a second. Prints how the slow clients ended, how long the
//! last took to be cut off, the ordinary client's answers and the bridge's peak RSS.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::bridge::Probe;

/// A slow client still connected after this long was never cut off.
const NEVER: Duration = Duration::from_secs(120);

/// The phase's clients.
pub struct Spec {
    /// Connections that send half their headers and wait.
    pub half_sent: usize,
    /// Connections that declare a 16 MB body, send `sent_bytes` of it and stall.
    pub stalled_bodies: usize,
    pub sent_bytes: usize,
}

/// How a slow client's connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Answered503,
    Closed,
    StillOpen,
}

/// Runs the phase and prints its lines.
pub async fn run(probe: &Probe, spec: &Spec) -> anyhow::Result<()> {
    let address = probe.base.trim_start_matches("http://").to_string();
    let peak_before = probe.memory_mib("VmHWM").unwrap_or(f64::NAN);
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for _ in 0..spec.half_sent {
        clients.spawn(half_sent(address.clone(), started));
    }
    for _ in 0..spec.stalled_bodies {
        clients.spawn(stalled_body(address.clone(), spec.sent_bytes, started));
    }
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let ordinary = tokio::spawn(ordinary_client(probe.base.clone(), statuses.clone()));
    let endings = clients.join_all().await;
    let last_cut = endings.iter().map(|(_, at)| *at).fold(0.0, f64::max);
    ordinary.abort();
    let ordinary = statuses.lock().expect("statuses").clone();
    let count = |wanted: Ending| endings.iter().filter(|(e, _)| *e == wanted).count();
    println!(
        "slow clients: {} half-sent headers, {} bodies stalled after {} MiB",
        spec.half_sent,
        spec.stalled_bodies,
        spec.sent_bytes / (1024 * 1024)
    );
    println!(
        "  ended: {} answered 503, {} closed, {} still open after {NEVER:?}; last cut off at {last_cut:.1} s",
        count(Ending::Answered503),
        count(Ending::Closed),
        count(Ending::StillOpen),
    );
    println!("  ordinary client meanwhile (one record a second): {ordinary:?}");
    let peak = probe.memory_mib("VmHWM").unwrap_or(f64::NAN);
    println!("  bridge peak RSS (VmHWM): {peak:.1} MiB (before the phase {peak_before:.1} MiB)");
    Ok(())
}

async fn half_sent(address: String, started: Instant) -> (Ending, f64) {
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return (Ending::Closed, started.elapsed().as_secs_f64());
    };
    let half = b"POST /api/v1/logs HTTP/1.1\r\nhost: bridge\r\ncontent-ty";
    let _ = stream.write_all(half).await;
    (ending(&mut stream).await, started.elapsed().as_secs_f64())
}

async fn stalled_body(address: String, sent_bytes: usize, started: Instant) -> (Ending, f64) {
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return (Ending::Closed, started.elapsed().as_secs_f64());
    };
    let head = "POST /api/v1/logs HTTP/1.1\r\nhost: bridge\r\ncontent-type: application/json\r\n\
                content-length: 16000000\r\n\r\n";
    let chunk = vec![b' '; 64 * 1024];
    if stream.write_all(head.as_bytes()).await.is_ok() {
        for _ in 0..sent_bytes / chunk.len() {
            if stream.write_all(&chunk).await.is_err() {
                break;
            }
        }
    }
    (ending(&mut stream).await, started.elapsed().as_secs_f64())
}

/// Reads until the bridge closes the connection, or [`NEVER`].
async fn ending(stream: &mut TcpStream) -> Ending {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buffer = [0u8; 1024];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            received.extend_from_slice(&buffer[..n]);
        }
    });
    match read.await {
        Err(_) => Ending::StillOpen,
        Ok(()) if received.starts_with(b"HTTP/1.1 503") => Ending::Answered503,
        Ok(()) => Ending::Closed,
    }
}

/// Posts one record a second until aborted, counting the statuses it gets (0: no answer).
async fn ordinary_client(base: String, statuses: Arc<Mutex<Vec<(u16, usize)>>>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    loop {
        let answer = http
            .post(format!("{base}/api/v1/logs"))
            .header("content-type", "application/json")
            .body(r#"{"message": "ordinary client", "service": "overload"}"#)
            .send()
            .await;
        let status = answer.map_or(0, |a| a.status().as_u16());
        {
            let mut statuses = statuses.lock().expect("statuses");
            match statuses.iter_mut().find(|(s, _)| *s == status) {
                Some((_, n)) => *n += 1,
                None => statuses.push((status, 1)),
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
