//! The `logbridge` binary: the command line of [`logbridge::cli`].

use std::process::ExitCode;

/// The allocator of the `logbridge` binary; the decode path allocates per field, and mimalloc
/// does that markedly faster than the system allocator (see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<ExitCode> {
    logbridge::cli::main()
}
