use super::drain::{Drain, VARIABLE};

/// Known templates (`{}` where a variable goes) and what fills them, line by line.
const TEMPLATES: [&str; 8] = [
    "user {} logged in from {}",
    "connection to {} closed after {} ms",
    "GET {} answered {} in {} ms",
    "cache miss for key {}",
    "payment {} declined: card expired",
    "job {} finished with status {}",
    "worker pool resized to {} threads",
    "could not reach upstream {} retrying in {} s",
];

const WORDS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];

/// The `n`-th line of template `t`: variables alternate between words and values with digits.
fn line(t: usize, n: usize) -> String {
    let mut out = String::new();
    for (i, part) in TEMPLATES[t].split("{}").enumerate() {
        if i > 0 {
            let value = if (n + i).is_multiple_of(2) {
                WORDS[(n * 7 + i) % WORDS.len()].to_string()
            } else {
                format!("{}-{}", n * 31 + i, t)
            };
            out.push_str(&value);
        }
        out.push_str(part);
    }
    out
}

#[test]
fn known_templates_are_recovered_exactly_with_their_counts() {
    let mut drain = Drain::default();
    for n in 0..200 {
        for t in 0..TEMPLATES.len() {
            // Template t appears t + 1 times per round, 7 bytes a line.
            for _ in 0..=t {
                drain.add(&line(t, n), 1.0, 7.0);
            }
        }
    }
    let mut found: Vec<(String, f64, f64)> = drain
        .into_clusters()
        .into_iter()
        .map(|c| (c.template(), c.weight, c.bytes))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<(String, f64, f64)> = TEMPLATES
        .iter()
        .enumerate()
        .map(|(t, template)| {
            let records = 200.0 * (t + 1) as f64;
            (template.replace("{}", VARIABLE), records, records * 7.0)
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(found, expected);
}

#[test]
fn a_constant_line_keeps_its_words_and_its_first_body_as_sample() {
    let mut drain = Drain::default();
    drain.add("shutting  down\tnow", 2.0, 10.0);
    drain.add("shutting down now", 1.0, 5.0);
    let clusters = drain.into_clusters();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].template(), "shutting down now");
    assert_eq!(clusters[0].sample, "shutting  down\tnow");
    assert_eq!((clusters[0].weight, clusters[0].bytes), (3.0, 15.0));
}

#[test]
fn different_lengths_and_different_words_stay_apart() {
    let mut drain = Drain::default();
    for body in ["disk full on sda", "disk full", "queue empty on sda"] {
        drain.add(body, 1.0, 1.0);
    }
    let templates: Vec<String> = drain.into_clusters().iter().map(|c| c.template()).collect();
    assert_eq!(
        templates,
        ["disk full on sda", "disk full", "queue empty on sda"]
    );
}

#[test]
fn a_long_body_is_cut_to_a_bounded_template() {
    let body = vec!["word"; 500].join(" ");
    let tokens = super::drain::tokens(&body);
    assert_eq!(tokens.len(), 65);
    assert_eq!(tokens.last().map(String::as_str), Some(VARIABLE));
}

fn row(slice: i32, body: &str, bytes: i64, records: i64) -> super::SampledBody {
    super::SampledBody {
        slice,
        body: body.to_string(),
        bytes,
        records,
    }
}

#[test]
fn each_sampled_record_stands_for_its_slice_and_bytes_count_every_record() {
    // Slice 0 was read whole (2 records of 2); slice 1 gave 2 rows of its 20 records.
    let rows = [
        row(0, "disk full on sda", 10, 1),
        row(0, "disk full on sdb", 10, 1),
        row(1, "disk full on sdc", 10, 1),
        row(1, "queue empty now", 4, 1),
    ];
    let weights = super::Weights::new(&rows, &[(0, 2), (1, 20)], 2);
    assert!(weights.estimated);
    let patterns = super::group(&rows, &weights, 10);
    let found: Vec<(&str, i64, i64)> = patterns
        .iter()
        .map(|p| (p.template.as_str(), p.records, p.bytes))
        .collect();
    assert_eq!(
        found,
        [("disk full on <*>", 12, 120), ("queue empty now", 10, 40)]
    );
    assert!((patterns[0].share - 0.75).abs() < 1e-9);
}

#[test]
fn a_window_read_whole_is_exact_and_a_deduplicated_row_counts_its_records() {
    let rows = [row(0, "retrying", 8, 5)];
    let weights = super::Weights::new(&rows, &[(0, 5)], 1);
    assert!(!weights.estimated);
    let patterns = super::group(&rows, &weights, 10);
    assert_eq!((patterns[0].records, patterns[0].bytes), (5, 40));
}
