//! Grafana provisioning over its HTTP API: the repository's datasources
//! (`grafana/provisioning/datasources/`) and dashboards (`dashboards/`), the same objects
//! Grafana's own file provisioning loads; `logbridge grafana provision` is in `cli::grafana`.

mod files;
mod provision;

pub use files::{Dashboard, Datasource, interpolate, load_dashboards, load_datasources};
pub use provision::{Options, ProvisionError, Summary, provision};
