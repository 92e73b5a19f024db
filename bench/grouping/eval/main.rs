//! The grouping evaluation (`cargo run --example grouping [CORPUS_DIR]`): every event of the
//! corpus through the bridge's decode and pipeline, scored against the ground truth (adjusted
//! Rand index, pairwise precision and recall), then every undetected event and every mistake (a
//! group holding two true groups, a true group split in two) with both traces side by side.

mod corpus;
mod score;

use std::collections::BTreeMap;
use std::path::PathBuf;

use corpus::Event;

/// Characters of each side of a side-by-side trace.
const COLUMN: usize = 78;
/// Lines of each trace shown.
const TRACE_LINES: usize = 14;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/grouping/corpus"));
    let events = corpus::load(&dir);
    let truth: Vec<String> = events.iter().map(|e| e.truth.clone()).collect();
    let predicted: Vec<Option<String>> = events.iter().map(Event::group).collect();
    let scores = score::score(&truth, &predicted);
    let undetected: Vec<&Event> = events.iter().filter(|e| e.group().is_none()).collect();
    let true_groups = count_distinct(truth.iter().map(String::as_str));
    let bridge_groups = count_distinct(predicted.iter().flatten().map(String::as_str));
    println!(
        "events {}, true groups {true_groups}, bridge groups {bridge_groups}, undetected {}",
        events.len(),
        undetected.len()
    );
    println!(
        "adjusted Rand index {:.3}, pairwise precision {:.3}, recall {:.3}",
        scores.adjusted_rand, scores.precision, scores.recall
    );
    for event in &undetected {
        println!("\n== undetected {} ({})", event.origin, event.truth);
        println!("{}", first_lines(&event.record.body, TRACE_LINES));
    }
    print_mistakes(&events);
}

fn count_distinct<'a>(items: impl Iterator<Item = &'a str>) -> usize {
    items.collect::<std::collections::BTreeSet<_>>().len()
}

/// Merges (one bridge group, two true groups) and splits (one true group, two bridge groups),
/// one example pair each.
fn print_mistakes(events: &[Event]) {
    let mut by_group: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    let mut by_truth: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in events {
        if let Some(group) = event.group() {
            by_group.entry(group).or_default().push(event);
            by_truth.entry(&event.truth).or_default().push(event);
        }
    }
    for (group, members) in &by_group {
        if let Some(other) = members.iter().find(|e| e.truth != members[0].truth) {
            println!(
                "\n== merged in bridge group {group}: {} and {}",
                members[0].truth, other.truth
            );
            side_by_side(members[0], other);
        }
    }
    for (truth, members) in &by_truth {
        if let Some(other) = members.iter().find(|e| e.group() != members[0].group()) {
            println!(
                "\n== split: {truth} in bridge groups {:?} and {:?}",
                members[0].group(),
                other.group()
            );
            side_by_side(members[0], other);
        }
    }
}

/// Two events' exceptions, type and message then trace, in two columns.
fn side_by_side(left: &Event, right: &Event) {
    let text = |event: &Event| {
        let exception = event.record.exception.as_ref();
        let head = exception.map_or(String::new(), |e| {
            format!("{}: {}", e.exception_type, e.message)
        });
        let stack = exception
            .and_then(|e| e.stacktrace.clone())
            .unwrap_or_default();
        format!(
            "[{}]\n{head}\n{}",
            event.origin,
            first_lines(&stack, TRACE_LINES)
        )
    };
    let (left, right) = (text(left), text(right));
    let (left, right): (Vec<&str>, Vec<&str>) = (left.lines().collect(), right.lines().collect());
    for i in 0..left.len().max(right.len()) {
        let cell = |lines: &[&str]| clip(lines.get(i).copied().unwrap_or_default());
        println!("{:<width$} | {}", cell(&left), cell(&right), width = COLUMN);
    }
}

fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n")
}

fn clip(line: &str) -> String {
    let line = line.replace('\t', "  ");
    line.chars().take(COLUMN).collect()
}
