//! The `logbridge` binary: the command line of [`logbridge::cli`].

use std::process::ExitCode;

/// The allocator of the `logbridge` binary; the decode path allocates per field, and mimalloc
/// does that markedly faster than the system allocator (see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the command; an error is printed as one line, `error: a: b: c`, each cause once.
fn main() -> ExitCode {
    match logbridge::cli::main() {
        Ok(code) => code,
        Err(error) => {
            eprintln!(
                "error: {}",
                logbridge::telemetry::repeats::chain(error.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}
