//! Issue 20's input findings: NUL everywhere, cross-site writes, the support mask, and the low
//! items (histogram sums, the /metrics token, OTLP/JSON NaN, unknown-token lookups).

mod cross_site;
mod isolation;
mod low;
mod masking;
mod nul;
