//! CPU time spent during a phase, from /proc (Linux): this process (the bridge and its clients)
//! and every local `postgres` process, so that the report says where the time goes.

use std::fs;

/// Clock ticks per second of `utime` and `stime` in /proc/*/stat (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds used so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// This process: the bridge, the load clients and the COPY phase's sender.
    pub bench: f64,
    /// All local processes named `postgres`, backends and background workers.
    pub postgres: f64,
}

impl Cpu {
    pub fn now() -> Cpu {
        let mut cpu = Cpu {
            bench: seconds(&fs::read_to_string("/proc/self/stat").unwrap_or_default()).1,
            postgres: 0.0,
        };
        let Ok(entries) = fs::read_dir("/proc") else {
            return cpu;
        };
        for entry in entries.flatten() {
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            if let ("postgres", used) = seconds(&stat) {
                cpu.postgres += used;
            }
        }
        cpu
    }

    /// CPU used since `earlier`.
    pub fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            bench: self.bench - earlier.bench,
            postgres: self.postgres - earlier.postgres,
        }
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
