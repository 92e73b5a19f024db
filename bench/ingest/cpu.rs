//! CPU time spent during a phase, from /proc (Linux): the bridge's own threads, the rest of this
//! process (the load clients, or the COPY phase's sender) and PostgreSQL's processes (the
//! backends of the bench database and the server's own), so that the report says where the
//! time goes.

use std::fs;
use std::sync::OnceLock;

/// Clock ticks per second of `utime` and `stime` in /proc/*/stat (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// The prefix of the bridge's thread names: its runtime's workers and blocking threads
/// ([`BRIDGE_THREAD_NAME`]) and its CPU pool (`logbridge-cpu-N`). The kernel keeps 15 bytes of a
/// thread's name.
const BRIDGE_THREAD_PREFIX: &str = "logbridge-";

/// The name the benchmark gives the threads of the bridge's own runtime.
pub const BRIDGE_THREAD_NAME: &str = "logbridge-rt";

/// The bench database, whose backends are counted; other databases' backends (other people's
/// tests on a shared machine, which come and go) are not.
static DATABASE: OnceLock<String> = OnceLock::new();

/// Counts the backends of `database` from now on.
pub fn count_database(database: &str) {
    let _ = DATABASE.set(database.to_string());
}

/// CPU seconds used so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// The bridge's threads: its runtime (HTTP, gRPC, decoding, the writers) and its CPU pool.
    pub bridge: f64,
    /// The rest of this process: the load clients, or the COPY phase's sender.
    pub load: f64,
    /// Local processes named `postgres`: the backends of the bench database and the server's
    /// own processes (postmaster, checkpointer, WAL writer, autovacuum, ...).
    pub postgres: f64,
}

impl Cpu {
    pub fn now() -> Cpu {
        let process = seconds(&fs::read_to_string("/proc/self/stat").unwrap_or_default()).1;
        let bridge = bridge_threads();
        Cpu {
            bridge,
            load: process - bridge,
            postgres: postgres(),
        }
    }

    /// CPU used since `earlier`.
    pub fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            bridge: self.bridge - earlier.bridge,
            load: self.load - earlier.load,
            postgres: self.postgres - earlier.postgres,
        }
    }
}

/// CPU seconds of this process's threads named `logbridge-...` (the bridge's threads keep
/// living through a phase: a thread that ended would take its time out of the sum).
fn bridge_threads() -> f64 {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let stats = tasks.flatten().filter_map(|task| {
        let stat = fs::read_to_string(task.path().join("stat")).ok()?;
        let (name, used) = seconds(&stat);
        name.starts_with(BRIDGE_THREAD_PREFIX).then_some(used)
    });
    stats.sum()
}

/// CPU seconds of the local `postgres` processes that serve the bench database: its backends
/// and the server's own processes, not the backends of other databases.
fn postgres() -> f64 {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0.0;
    };
    let stats = entries.flatten().filter_map(|entry| {
        let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
        let (name, used) = seconds(&stat);
        let cmdline = fs::read(entry.path().join("cmdline")).ok()?;
        (name == "postgres" && serves_bench(&String::from_utf8_lossy(&cmdline))).then_some(used)
    });
    stats.sum()
}

/// Whether a `postgres` process works for the bench: a backend's title names its user,
/// database and client (`postgres: 15/main: postgres logbridge_bench_1 127.0.0.1(4242) idle`),
/// the server's own processes name no client.
fn serves_bench(cmdline: &str) -> bool {
    let title = cmdline.replace('\0', " ");
    let backend =
        title.contains("127.0.0.1(") || title.contains("[local]") || title.contains("::1(");
    match DATABASE.get() {
        Some(database) => !backend || title.split_whitespace().any(|word| word == database),
        None => true,
    }
}

/// The command name and `utime + stime` in seconds of a /proc/PID/stat line.
fn seconds(stat: &str) -> (&str, f64) {
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return ("", 0.0);
    };
    // Fields after the command: state is field 3, utime 14 and stime 15 (1-based).
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        &stat[open + 1..close],
        (ticks(11) + ticks(12)) / TICKS_PER_SECOND,
    )
}
