//! `--copy-only`: raw COPY rows/s into `logs` with no secondary index, each index of the
//! migrations (0002, 0004 and 0015) alone, those of 0002 together, and all of them, interleaved over
//! runs; optionally a proposed trigram index on `body` too.

use std::sync::Arc;

use clap::ValueEnum;

use crate::Args;
use crate::copy::{self, Batch};
use crate::database::BenchDatabase;
use crate::report::{median, thousands};
use crate::schema::{self, IndexDefinition};

/// Which secondary indexes exist during a COPY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IndexSet {
    None,
    Ts,
    #[value(name = "service_ts")]
    ServiceTs,
    Trace,
    /// The full-text GIN index of migration 0004.
    Text,
    /// The partial exception-group index of migration 0004.
    Fingerprint,
    /// The partial index of errors by service of migration 0015.
    Errors,
    /// `storage.substring_index`'s trigram GIN index on the lowered body (pg_trgm), alone.
    Trigram,
    /// Every index of the migrations and the trigram index: the schema with the setting on.
    AllTrigram,
    /// The three of migration 0002 (the schema before the read side).
    Base,
    /// Every index of the migrations.
    All,
}

const TS: &str = "logs_ts_idx";
const SERVICE_TS: &str = "logs_service_ts_idx";
const TRACE: &str = "logs_trace_id_idx";
const TEXT: &str = "logs_text_idx";
const FINGERPRINT: &str = "logs_exception_fingerprint_idx";
const ERRORS: &str = "logs_service_errors_ts_idx";
const TRIGRAM: &str = "logs_body_trgm_idx";

/// `storage.substring_index`'s trigram index, measured beside those of the migrations.
fn trigram() -> IndexDefinition {
    IndexDefinition {
        name: logbridge::store::substring_index::NAME.into(),
        create: logbridge::store::substring_index::CREATE.into(),
    }
}

impl IndexSet {
    fn indexes(self) -> &'static [&'static str] {
        match self {
            IndexSet::None => &[],
            IndexSet::Ts => &[TS],
            IndexSet::ServiceTs => &[SERVICE_TS],
            IndexSet::Trace => &[TRACE],
            IndexSet::Text => &[TEXT],
            IndexSet::Fingerprint => &[FINGERPRINT],
            IndexSet::Errors => &[ERRORS],
            IndexSet::Trigram => &[TRIGRAM],
            IndexSet::Base => &[TS, SERVICE_TS, TRACE],
            IndexSet::All => &[TS, SERVICE_TS, TRACE, TEXT, FINGERPRINT, ERRORS],
            IndexSet::AllTrigram => &[TS, SERVICE_TS, TRACE, TEXT, FINGERPRINT, ERRORS, TRIGRAM],
        }
    }

    fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// Empties `logs`, drops every index of `definitions`, then creates those of `set`.
async fn apply(
    db: &BenchDatabase,
    definitions: &[IndexDefinition],
    set: IndexSet,
) -> anyhow::Result<()> {
    db.reset().await?;
    for index in definitions {
        db.execute(&format!("DROP INDEX IF EXISTS {}", index.name))
            .await?;
        if set.indexes().contains(&index.name.as_str()) {
            db.execute(&index.create).await?;
        }
    }
    Ok(())
}

/// Runs every index set `args.runs` times, rotating their order each run, and prints the
/// medians with each set's cost relative to no index.
pub async fn run(args: &Args, db: &BenchDatabase, batches: &Arc<Vec<Batch>>) -> anyhow::Result<()> {
    let mut definitions = schema::log_indexes();
    let defined: Vec<&str> = definitions.iter().map(|i| i.name.as_str()).collect();
    anyhow::ensure!(
        IndexSet::All.indexes().iter().all(|i| defined.contains(i)) && defined.len() == 6,
        "expected the six indexes of migrations 0002, 0004 and 0015, found {defined:?}"
    );
    if args
        .indexes
        .iter()
        .any(|set| set.indexes().contains(&TRIGRAM))
    {
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
        definitions.push(trigram());
    }
    let plan = args.copy_plan(copy::Grouping::Batches(args.copy_group));
    println!(
        "COPY only: {} connections, {} request batch(es) per COPY",
        plan.connections, args.copy_group
    );
    copy::run(db, batches, batches.len().min(20), plan).await?;
    let sets = &args.indexes;
    let (mut rates, mut postgres_cpu) =
        (vec![Vec::new(); sets.len()], vec![Vec::new(); sets.len()]);
    for run in 0..args.runs {
        for offset in 0..sets.len() {
            let which = (run + offset) % sets.len();
            apply(db, &definitions, sets[which]).await?;
            let result = copy::run(db, batches, batches.len(), plan).await?;
            println!(
                "run {} {:>10}: {}",
                run + 1,
                sets[which].name(),
                result.summary()
            );
            rates[which].push(result.rate());
            postgres_cpu[which].push(result.cpu_per_row().postgres);
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
    apply(db, &definitions, IndexSet::All).await
}
