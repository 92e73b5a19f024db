//! Grafana provisioning over its HTTP API: the repository's datasources
//! (`grafana/provisioning/datasources/`) and dashboards (`dashboards/`), the same objects
//! Grafana's own file provisioning loads; `logbridge grafana provision` is in `cli::grafana`.

mod files;
mod locate;
mod provision;
mod targets;

pub use files::{Dashboard, Datasource, interpolate, load_dashboards, load_datasources};
pub use locate::{DASHBOARDS_DIR, DATASOURCES_FILE, root};
pub use provision::{Options, ProvisionError, Summary, provision};
pub use targets::Targets;
