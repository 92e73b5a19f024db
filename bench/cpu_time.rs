//! A criterion measurement of the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`)
//! instead of wall time: on a shared machine, time the thread spends waiting for a core is not
//! counted, so other processes move the figures much less. On a quiet machine the two agree for
//! these single-threaded benchmarks.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// The calling thread's CPU time, in nanoseconds.
fn thread_cpu_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to write; the clock exists on Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "CLOCK_THREAD_CPUTIME_ID is readable");
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// Thread CPU time as a criterion measurement, in nanoseconds.
pub struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }

    fn end(&self, started: u64) -> u64 {
        thread_cpu_nanos().saturating_sub(started)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, nanos: &u64) -> f64 {
        *nanos as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds of CPU time as criterion formats wall time.
struct CpuFormatter;

impl CpuFormatter {
    /// The unit for a typical value in nanoseconds, and the factor from nanoseconds to it.
    fn unit(typical_nanos: f64) -> (&'static str, f64) {
        match typical_nanos {
            n if n < 1e3 => ("ns", 1.0),
            n if n < 1e6 => ("µs", 1e-3),
            n if n < 1e9 => ("ms", 1e-6),
            _ => ("s", 1e-9),
        }
    }
}

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (unit, factor) = Self::unit(typical);
        values.iter_mut().for_each(|value| *value *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per_iteration, unit) = match throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => {
                (*n as f64, "elem/s (CPU)")
            }
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, "B/s (CPU)"),
            Throughput::Bits(n) => (*n as f64, "bit/s (CPU)"),
        };
        values
            .iter_mut()
            .for_each(|nanos| *nanos = per_iteration * 1e9 / *nanos);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
