//! Drain (He et al., 2017), the template miner behind `GET /api/v1/logs/patterns`: message
//! bodies are split into tokens and routed down a fixed-depth tree (by token count, then by
//! its first token); in the leaf, a body joins the template it shares enough tokens with,
//! and the positions where they differ become the variable `<*>`. Tokens holding a digit are
//! variables from the start (ids, counts, addresses), as in Drain's preprocessing.

use std::collections::HashMap;

/// How a variable is shown in a template.
pub const VARIABLE: &str = "<*>";
/// Tokens of a body past which the rest is one variable, so that one long body costs little.
const MAX_TOKENS: usize = 64;
/// Leading tokens that route a body to its leaf, after its token count (Drain3 routes by two;
/// one lets the second token be a word that varies, as in `user alice logged in`).
const DEPTH: usize = 1;
/// Children of one tree node; past it, further tokens share the `<*>` child.
const MAX_CHILDREN: usize = 100;
/// The share of equal tokens above which a body joins a template.
const SIMILARITY: f64 = 0.5;

/// One template and what the bodies it gathered added up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    tokens: Vec<String>,
    /// The bodies gathered, each weighed by what it stands for.
    pub weight: f64,
    /// Their bytes, weighed alike.
    pub bytes: f64,
    /// The first body gathered.
    pub sample: String,
}

impl Cluster {
    /// The template: tokens separated by one space, variables as `<*>`.
    pub fn template(&self) -> String {
        self.tokens.join(" ")
    }
}

/// The tree and its clusters.
#[derive(Debug, Default)]
pub struct Drain {
    clusters: Vec<Cluster>,
    /// Leaves by their route (token count and leading tokens): indexes into `clusters`.
    leaves: HashMap<Vec<String>, Vec<usize>>,
    /// Children seen per node (its route prefix), to cap the fan-out.
    children: HashMap<Vec<String>, Vec<String>>,
}

impl Drain {
    /// Adds one body that stands for `weight` records of `bytes` bytes.
    pub fn add(&mut self, body: &str, weight: f64, bytes: f64) {
        let tokens = tokens(body);
        let leaf = self.leaf_of(&tokens);
        let leaf = self.leaves.entry(leaf).or_default();
        let best = leaf
            .iter()
            .map(|&index| (index, similarity(&self.clusters[index].tokens, &tokens)))
            .filter(|(_, score)| *score >= SIMILARITY)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let index = match best {
            Some((index, _)) => {
                merge(&mut self.clusters[index].tokens, &tokens);
                index
            }
            None => {
                leaf.push(self.clusters.len());
                self.clusters.push(Cluster {
                    tokens,
                    weight: 0.0,
                    bytes: 0.0,
                    sample: body.to_string(),
                });
                self.clusters.len() - 1
            }
        };
        let cluster = &mut self.clusters[index];
        cluster.weight += weight;
        cluster.bytes += bytes;
    }

    /// The clusters, in the order they were made.
    pub fn into_clusters(self) -> Vec<Cluster> {
        self.clusters
    }

    /// The leaf of a body: its token count, then its first token (a variable, or a token
    /// past a full node, routed as `<*>`).
    fn leaf_of(&mut self, tokens: &[String]) -> Vec<String> {
        let mut route = vec![tokens.len().to_string()];
        for token in tokens.iter().take(DEPTH) {
            let children = self.children.entry(route.clone()).or_default();
            let step = if token == VARIABLE {
                VARIABLE.to_string()
            } else if children.contains(token) {
                token.clone()
            } else if children.len() < MAX_CHILDREN {
                children.push(token.clone());
                token.clone()
            } else {
                VARIABLE.to_string()
            };
            route.push(step);
        }
        route
    }
}

/// The body's tokens (split on whitespace), those holding a digit as variables; past
/// [`MAX_TOKENS`], the rest is one variable.
pub fn tokens(body: &str) -> Vec<String> {
    let mut tokens: Vec<String> = body
        .split_whitespace()
        .take(MAX_TOKENS + 1)
        .map(|token| {
            if token.bytes().any(|b| b.is_ascii_digit()) {
                VARIABLE.to_string()
            } else {
                token.to_string()
            }
        })
        .collect();
    if tokens.len() > MAX_TOKENS {
        tokens.truncate(MAX_TOKENS);
        tokens.push(VARIABLE.to_string());
    }
    tokens
}

/// The share of positions where the template and the body hold the same token; a variable
/// matches a variable (a token holding a digit), not a constant.
fn similarity(template: &[String], tokens: &[String]) -> f64 {
    if template.is_empty() {
        return 1.0;
    }
    let equal = template.iter().zip(tokens).filter(|(a, b)| a == b).count();
    equal as f64 / template.len() as f64
}

/// Makes a variable of every position where the body differs from the template.
fn merge(template: &mut [String], tokens: &[String]) {
    for (kept, token) in template.iter_mut().zip(tokens) {
        if kept != token {
            *kept = VARIABLE.to_string();
        }
    }
}
