//! The bridge under test: the release `logbridge` binary, built first, run as its own process
//! (`logbridge serve`) on the bench database, so that its memory can be read from `/proc`.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::process::{Child, Command};

/// How long the bridge may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the bridge may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Bridge {
    child: Child,
    pid: u32,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Bridge {
    /// Builds the binary (`cargo build --release --bin logbridge`), starts it on free ports with
    /// a read rate limit that the benchmark cannot hit, and waits until it is ready.
    pub async fn start(database_url: &str, substring_index: bool) -> anyhow::Result<Bridge> {
        let binary = crate::release_binary::build("query").await?;
        let (http, grpc) = (free_port()?, free_port()?);
        let log = std::env::temp_dir().join("logbridge-bench-query.log");
        println!(
            "bridge: {} serve on 127.0.0.1:{http} (its output in {})",
            binary.display(),
            log.display()
        );
        let output = std::fs::File::create(&log)?;
        let child = Command::new(&binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("LOGBRIDGE_LISTEN__HTTP", format!("127.0.0.1:{http}"))
            .env("LOGBRIDGE_LISTEN__GRPC", format!("127.0.0.1:{grpc}"))
            .env("LOGBRIDGE_QUERY__TOKEN_REQUESTS_PER_SECOND", "100000")
            .env("LOGBRIDGE_QUERY__TOKEN_BURST", "100000")
            .env(
                "LOGBRIDGE_STORAGE__SUBSTRING_INDEX",
                substring_index.to_string(),
            )
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("the bridge exited at once")?;
        let bridge = Bridge {
            child,
            pid,
            base: format!("http://127.0.0.1:{http}"),
        };
        bridge.wait_ready().await?;
        Ok(bridge)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.base);
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            let answer = client.get(&url).send().await;
            if answer.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("the bridge was not ready within {READY_TIMEOUT:?}")
    }

    /// A memory figure of the bridge process from `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
    pub fn memory_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Resets the process's peak RSS (`VmHWM`) to its current RSS; false if the kernel refused.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// SIGTERM (a graceful stop), then SIGKILL if it takes too long.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await?;
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
