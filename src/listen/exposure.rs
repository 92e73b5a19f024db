//! What the listeners expose, said once at startup: a warning for every listener that takes
//! unauthenticated writes on an address other hosts can reach, and the one-line summary of
//! listeners, auth mode, retention classes and redaction rules.

use std::net::SocketAddr;

use crate::config::Config;

/// One warning per listener that accepts writes without a token on a non-loopback address.
pub fn warnings(require_token: bool, http: SocketAddr, grpc: SocketAddr) -> Vec<String> {
    if require_token {
        return Vec::new();
    }
    let fix = "set ingest.require_token: true (LOGBRIDGE_INGEST__REQUIRE_TOKEN=true) and create ingest tokens, or listen on 127.0.0.1";
    let mut said = Vec::new();
    if !http.ip().is_loopback() {
        said.push(format!(
            "HTTP listener {http} accepts unauthenticated writes from the network: ingest (/v1/logs, /v1/traces, /api/v1/logs, /loki/api/v1/push, /es/_bulk) and the Alertmanager webhook (/api/v1/alerts/webhook); {fix}"
        ));
    }
    if !grpc.ip().is_loopback() {
        said.push(format!(
            "gRPC listener {grpc} accepts unauthenticated OTLP logs and traces from the network; {fix}"
        ));
    }
    said
}

/// Logs the warnings and the startup summary (listeners, database, migrations, auth mode,
/// retention classes, archive, redaction rules); the configuration source is logged just
/// before, by every command.
pub fn announce(
    config: &Config,
    (http, grpc): (SocketAddr, SocketAddr),
    migrations: &str,
    redaction_rules: usize,
) {
    for warning in warnings(config.ingest.require_token, http, grpc) {
        tracing::warn!("{warning}");
    }
    let auth = match config.ingest.require_token {
        true => "ingest and webhook need an ingest or admin token; reads need a token",
        false => "ingest and webhook open; reads need a token",
    };
    let classes: Vec<String> = config
        .retention
        .classes
        .iter()
        .map(|class| format!("{} {}d", class.name, class.days))
        .collect();
    tracing::info!(
        %http,
        %grpc,
        database = %config.database.url.url_without_password(),
        migrations,
        auth,
        retention = %classes.join(", "),
        archive = config.archive.enabled && !config.archive.location.is_empty(),
        redaction_rules,
        "logbridge listening"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_open_listeners_on_reachable_addresses_are_named() {
        let open = warnings(false, addr("0.0.0.0:4318"), addr("0.0.0.0:4317"));
        assert_eq!(open.len(), 2);
        assert!(open[0].contains("0.0.0.0:4318") && open[0].contains("webhook"));
        assert!(open[1].contains("0.0.0.0:4317"));
        let local = warnings(false, addr("127.0.0.1:4318"), addr("[::1]:4317"));
        assert!(local.is_empty(), "{local:?}");
        let mixed = warnings(false, addr("127.0.0.1:4318"), addr("10.0.0.5:4317"));
        assert_eq!(mixed.len(), 1);
        let guarded = warnings(true, addr("0.0.0.0:4318"), addr("0.0.0.0:4317"));
        assert!(guarded.is_empty());
    }
}
