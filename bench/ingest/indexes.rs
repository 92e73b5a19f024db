//! `--copy-only`: raw COPY rows/s into `logs` with no secondary index, each index of
//! migrations/0002_logs_indexes.sql alone, and all of them, interleaved over runs.

use std::sync::Arc;

use clap::ValueEnum;

use crate::Args;
use crate::copy::{self, Batch};
use crate::database::BenchDatabase;
use crate::report::{median, thousands};

/// The migration whose indexes are measured; their definitions are taken from it as they are.
const MIGRATION: &str = include_str!("../../migrations/0002_logs_indexes.sql");

/// Which secondary indexes exist during a COPY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IndexSet {
    None,
    Ts,
    #[value(name = "service_ts")]
    ServiceTs,
    Trace,
    All,
}

impl IndexSet {
    fn indexes(self) -> &'static [&'static str] {
        match self {
            IndexSet::None => &[],
            IndexSet::Ts => &["logs_ts_idx"],
            IndexSet::ServiceTs => &["logs_service_ts_idx"],
            IndexSet::Trace => &["logs_trace_id_idx"],
            IndexSet::All => &["logs_ts_idx", "logs_service_ts_idx", "logs_trace_id_idx"],
        }
    }

    fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// The `CREATE INDEX` statements of the migration, by index name.
fn definitions() -> Vec<(&'static str, &'static str)> {
    MIGRATION
        .lines()
        .filter(|line| line.starts_with("CREATE INDEX"))
        .filter_map(|line| Some((line.split_whitespace().nth(2)?, line)))
        .collect()
}

/// Empties `logs`, drops every index of the migration, then creates those of `set`.
async fn apply(db: &BenchDatabase, set: IndexSet) -> anyhow::Result<()> {
    db.reset().await?;
    for (name, create) in definitions() {
        db.execute(&format!("DROP INDEX IF EXISTS {name}")).await?;
        if set.indexes().contains(&name) {
            db.execute(create).await?;
        }
    }
    Ok(())
}

/// Runs every index set `args.runs` times, rotating their order each run, and prints the
/// medians with each set's cost relative to no index.
pub async fn run(args: &Args, db: &BenchDatabase, batches: &Arc<Vec<Batch>>) -> anyhow::Result<()> {
    let defined: Vec<&str> = definitions().iter().map(|(name, _)| *name).collect();
    anyhow::ensure!(
        defined.len() == 3,
        "expected three indexes in the migration, found {defined:?}"
    );
    let plan = args.copy_plan();
    println!(
        "COPY only: {} connections, {} request batch(es) per COPY",
        plan.connections, plan.group
    );
    copy::run(db, batches, batches.len().min(20), plan).await?;
    let sets = &args.indexes;
    let (mut rates, mut postgres_cpu) =
        (vec![Vec::new(); sets.len()], vec![Vec::new(); sets.len()]);
    for run in 0..args.runs {
        for offset in 0..sets.len() {
            let which = (run + offset) % sets.len();
            apply(db, sets[which]).await?;
            let result = copy::run(db, batches, batches.len(), plan).await?;
            println!(
                "run {} {:>10}: {}",
                run + 1,
                sets[which].name(),
                result.summary()
            );
            rates[which].push(result.rate());
            postgres_cpu[which].push(result.cpu_per_row().1);
        }
    }
    let rates: Vec<f64> = rates.into_iter().map(median).collect();
    let postgres_cpu: Vec<f64> = postgres_cpu.into_iter().map(median).collect();
    let baseline = sets.iter().position(|s| *s == IndexSet::None);
    let change = |values: &[f64], i: usize| {
        baseline.map_or(String::new(), |b| {
            format!(" ({:+.1}% vs none)", (values[i] / values[b] - 1.0) * 100.0)
        })
    };
    println!("medians over {} runs", args.runs);
    for (i, set) in sets.iter().enumerate() {
        println!(
            "  {:>10} {:>9} rows/s{}  postgres CPU {:.1} µs/row{}",
            set.name(),
            thousands(rates[i]),
            change(&rates, i),
            postgres_cpu[i],
            change(&postgres_cpu, i)
        );
    }
    apply(db, IndexSet::All).await
}
