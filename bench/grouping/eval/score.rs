//! Scores of a clustering against the ground truth: the adjusted Rand index (Hubert and Arabie)
//! and pairwise precision and recall. An event without a group counts as a group of its own.

use std::collections::HashMap;

/// The scores of one grouping of the corpus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub adjusted_rand: f64,
    pub precision: f64,
    pub recall: f64,
}

fn pairs(n: u64) -> f64 {
    (n * n.saturating_sub(1) / 2) as f64
}

/// Scores `predicted` (a group per event, `None` when the event got none) against `truth`.
pub fn score(truth: &[String], predicted: &[Option<String>]) -> Scores {
    let predicted: Vec<String> = (predicted.iter().enumerate())
        .map(|(i, group)| group.clone().unwrap_or_else(|| format!("\0none{i}")))
        .collect();
    let mut cells: HashMap<(&str, &str), u64> = HashMap::new();
    let mut rows: HashMap<&str, u64> = HashMap::new();
    let mut columns: HashMap<&str, u64> = HashMap::new();
    for (t, p) in truth.iter().zip(&predicted) {
        *cells.entry((t, p)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(p).or_default() += 1;
    }
    let same_both: f64 = cells.values().map(|&n| pairs(n)).sum();
    let same_truth: f64 = rows.values().map(|&n| pairs(n)).sum();
    let same_predicted: f64 = columns.values().map(|&n| pairs(n)).sum();
    let expected = same_truth * same_predicted / pairs(truth.len() as u64).max(1.0);
    let maximum = (same_truth + same_predicted) / 2.0;
    let ratio = |a: f64, b: f64| if b == 0.0 { 1.0 } else { a / b };
    Scores {
        adjusted_rand: ratio(same_both - expected, maximum - expected),
        precision: ratio(same_both, same_predicted),
        recall: ratio(same_both, same_truth),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<String> {
        text.chars().map(String::from).collect()
    }

    #[test]
    fn identical_groupings_score_one_and_a_relabelling_too() {
        let truth = labels("aabbbc");
        let same: Vec<Option<String>> = labels("xxyyyz").into_iter().map(Some).collect();
        let scores = score(&truth, &same);
        assert_eq!(
            (scores.adjusted_rand, scores.precision, scores.recall),
            (1.0, 1.0, 1.0)
        );
    }

    #[test]
    fn merges_cost_precision_and_splits_recall() {
        let truth = labels("aabb");
        let merged: Vec<Option<String>> = labels("xxxx").into_iter().map(Some).collect();
        let scores = score(&truth, &merged);
        assert_eq!((scores.precision, scores.recall), (2.0 / 6.0, 1.0));
        assert!(scores.adjusted_rand <= 0.0);
        let split = vec![Some("x".into()), None, Some("y".into()), None];
        let scores = score(&truth, &split);
        assert_eq!((scores.precision, scores.recall), (1.0, 0.0));
    }
}
