//! The real `logbridge` binary as a child process: started on fixed free ports, killed with
//! SIGKILL and started again on the same ports, its memory read from `/proc`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::api::helpers::eventually;

/// A `logbridge serve` process and how to start it again.
pub struct BridgeProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub http: String,
    env: Vec<(String, String)>,
    /// Arguments after `serve` (`--config <file>`).
    args: Vec<String>,
    log: PathBuf,
}

impl BridgeProcess {
    /// Starts `logbridge serve` on `database_url` with `settings` (environment overrides such
    /// as `LOGBRIDGE_INGEST__WRITERS`) and waits until `/readyz` answers 200.
    pub async fn start(database_url: &str, settings: &[(&str, &str)]) -> BridgeProcess {
        BridgeProcess::start_with_args(database_url, settings, &[]).await
    }

    /// [`BridgeProcess::start`] with `serve`'s arguments (`--config <file>`).
    pub async fn start_with_args(
        database_url: &str,
        settings: &[(&str, &str)],
        args: &[&str],
    ) -> BridgeProcess {
        let (http, grpc) = free_ports();
        let mut env = vec![
            ("DATABASE_URL".to_string(), database_url.to_string()),
            ("LOGBRIDGE_LISTEN__HTTP".into(), format!("127.0.0.1:{http}")),
            ("LOGBRIDGE_LISTEN__GRPC".into(), format!("127.0.0.1:{grpc}")),
        ];
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let log =
            std::env::temp_dir().join(format!("logbridge-faults-{}-{n}.log", std::process::id()));
        let mut bridge = BridgeProcess {
            child: None,
            http: format!("http://127.0.0.1:{http}"),
            env,
            args: args.iter().map(|a| a.to_string()).collect(),
            log,
        };
        bridge.restart().await;
        bridge
    }

    /// Starts the process again with the same ports and settings (after [`Self::kill`]) and
    /// waits until it is ready.
    pub async fn restart(&mut self) {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_logbridge"))
            .arg("serve")
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .expect("logbridge starts");
        self.child = Some(child);
        let ready = self.wait_ready(Duration::from_secs(30)).await;
        assert!(ready, "the bridge is ready; its output:\n{}", self.output());
    }

    /// Whether `/readyz` answers 200 within `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.http);
        eventually(timeout, || async {
            let answer = client.get(&url).send().await;
            answer.is_ok_and(|response| response.status() == 200)
        })
        .await
    }

    /// SIGKILL: no graceful stop, nothing flushed.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("SIGKILL is delivered");
        }
    }

    /// Sends SIGHUP (reload the configuration file).
    pub fn hangup(&self) {
        let pid = self.child.as_ref().and_then(Child::id).expect("running");
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGHUP is delivered");
    }

    /// Peak resident memory of the running process (`VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let pid = self.child.as_ref().and_then(Child::id).expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib / 1024.0
    }

    /// Sum of a metric's samples in `/metrics`, whatever their labels.
    pub async fn metric(&self, name: &str) -> f64 {
        let url = format!("{}/metrics", self.http);
        let text = reqwest::get(url).await.unwrap().text().await.unwrap();
        text.lines()
            .filter(|line| {
                line.starts_with(&format!("{name} ")) || line.starts_with(&format!("{name}{{"))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Everything the process (and its earlier runs) printed.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Two distinct ports free right now on 127.0.0.1.
pub fn free_ports() -> (u16, u16) {
    let bind = || std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (first, second) = (bind(), bind());
    let port = |l: &std::net::TcpListener| l.local_addr().unwrap().port();
    (port(&first), port(&second))
}

/// A database name on the shared cluster that no other test uses; the bridge creates it.
pub fn fresh_database() -> (String, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("logbridge_faults_{}_{n}_{nanos}", std::process::id());
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    (name, url)
}
