//! A private PostgreSQL cluster for one test (`initdb` into a temporary directory, `pg_ctl` on a
//! free port), so that the test can stop and restart PostgreSQL without touching the machine's
//! shared server. PostgreSQL refuses to run as root: as root, its commands run as `postgres`.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running private cluster, stopped (immediately) and deleted when dropped.
pub struct PrivateCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    /// `initdb` (trust authentication, user `postgres`) and start on a free port of 127.0.0.1.
    pub fn start() -> PrivateCluster {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new()
            .prefix("logbridge-pg-")
            .tempdir()
            .unwrap();
        if running_as_root() {
            let chown = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status();
            assert!(chown.unwrap().success(), "chown of the cluster directory");
        }
        let port = super::process::free_ports().0;
        let cluster = PrivateCluster { bin, dir, port };
        let initdb = cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(cluster.data())
            .output()
            .unwrap();
        cluster.check("initdb", initdb);
        cluster.pg_ctl("start", &[]);
        cluster
    }

    /// The URL of database `name` in this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// `pg_ctl restart -m immediate`: every backend is killed without a checkpoint, as in a
    /// crash, and the server recovers from its WAL.
    pub fn crash_restart(&self) {
        self.pg_ctl("restart", &["-m", "immediate"]);
    }

    /// `pg_ctl stop -m fast`: active transactions are rolled back, connections closed.
    pub fn stop(&self) {
        self.pg_ctl("stop", &["-m", "fast"]);
    }

    /// `pg_ctl start` after [`Self::stop`].
    pub fn start_again(&self) {
        self.pg_ctl("start", &[]);
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs `pg_ctl <action>` and waits for it to complete.
    fn pg_ctl(&self, action: &str, extra: &[&str]) {
        let mut command = self.pg_ctl_command(action);
        let output = command.args(extra).output().unwrap();
        self.check("pg_ctl", output);
    }

    fn pg_ctl_command(&self, action: &str) -> Command {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let mut command = self.command("pg_ctl");
        command.args([action, "-w", "-D"]).arg(self.data());
        command.arg("-l").arg(log).args(["-o", &options]);
        command
    }

    /// A command of the PostgreSQL installation, run as `postgres` when this process is root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if !running_as_root() {
            return Command::new(program);
        }
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    }

    fn check(&self, what: &str, output: Output) {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "{what}: {}{}\nserver log:\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // Never panics: this may run while a failed test unwinds.
        let _ = self
            .pg_ctl_command("stop")
            .args(["-m", "immediate"])
            .output();
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian's layout, as on the test machines).
fn postgres_bin() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .expect("a PostgreSQL server installation");
    root.join(newest.to_string()).join("bin")
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}
