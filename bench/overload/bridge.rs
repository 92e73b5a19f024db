//! The bridge under test: a release `logbridge` binary as its own process, so that its memory
//! (`VmRSS`, `VmHWM`) can be read from `/proc`, and its queue depth from `/metrics`. Used by the
//! overload and the latency benchmarks.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::process::{Child, Command};

/// How long the bridge may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The running process.
pub struct Bridge {
    child: Child,
    pub probe: Probe,
}

/// What can be read of the running bridge; cheap to clone.
#[derive(Clone)]
pub struct Probe {
    pid: u32,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    http: reqwest::Client,
}

impl Bridge {
    /// Starts `binary serve` on free ports with the default configuration (plus `settings`,
    /// `LOGBRIDGE_...` variables), output in `$TMPDIR/logbridge-bench-NAME.log`, and waits until
    /// it is ready.
    pub async fn start(
        binary: &Path,
        name: &str,
        database_url: &str,
        settings: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let free = || -> anyhow::Result<u16> {
            Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
        };
        let (http, grpc) = (free()?, free()?);
        let log = std::env::temp_dir().join(format!("logbridge-bench-{name}.log"));
        println!(
            "bridge: {} serve on 127.0.0.1:{http}, output in {}",
            binary.display(),
            log.display()
        );
        let output = std::fs::File::create(&log)?;
        let child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("LOGBRIDGE_LISTEN__HTTP", format!("127.0.0.1:{http}"))
            .env("LOGBRIDGE_LISTEN__GRPC", format!("127.0.0.1:{grpc}"))
            .envs(settings.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("the bridge exited at once")?;
        let probe = Probe {
            pid,
            base: format!("http://127.0.0.1:{http}"),
            http: reqwest::Client::new(),
        };
        probe.wait_ready().await?;
        Ok(Bridge { child, probe })
    }

    /// SIGKILL: the benchmark's database is dropped next, nothing needs a graceful stop.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

impl Probe {
    async fn wait_ready(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < READY_TIMEOUT {
            let answer = self.http.get(format!("{}/readyz", self.base)).send().await;
            if answer.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("the bridge was not ready within {READY_TIMEOUT:?}")
    }

    /// A memory figure from `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in MiB.
    pub fn memory_mib(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// `logbridge_queue_records` and `logbridge_queue_bytes` from `/metrics`.
    pub async fn queue(&self) -> anyhow::Result<(f64, f64)> {
        let url = format!("{}/metrics", self.base);
        let text = self.http.get(url).send().await?.text().await?;
        let value = |name: &str| -> f64 {
            let prefix = format!("{name} ");
            text.lines()
                .find_map(|line| line.strip_prefix(&prefix)?.trim().parse().ok())
                .unwrap_or(f64::NAN)
        };
        Ok((
            value("logbridge_queue_records"),
            value("logbridge_queue_bytes"),
        ))
    }
}
