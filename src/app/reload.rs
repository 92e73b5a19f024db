//! Live reload of the configuration file, on SIGHUP or `POST /api/v1/admin/reload` (admins):
//! the file is read and checked again exactly as at startup, then the sections a reload
//! applies ([`RELOADABLE`]: the redaction rules and the ingest policies, held by the
//! [`Pipeline`], and the log metrics) are put in force whole, for the next batch. A file that
//! does not load is refused with the startup's message and changes nothing; a changed section
//! that only a restart applies (listeners, database, ...) is named as such, not applied.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;

use crate::config::live::Live;
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::settings;

/// The top-level sections a reload applies; any other changed section needs a restart.
pub const RELOADABLE: [&str; 3] = ["redaction", "log_metrics", "policy"];

/// Copies the sections of [`RELOADABLE`] from `new` into `running`.
fn take_reloadable(running: &mut Config, new: &Config) {
    running.redaction = new.redaction.clone();
    running.log_metrics = new.log_metrics.clone();
    running.policy = new.policy.clone();
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reloaded {
    /// The file read, or `defaults`.
    pub origin: String,
    /// The reloadable sections that changed, now in force.
    pub applied: Vec<String>,
    /// The sections that changed but keep their running values until a restart.
    pub needs_restart: Vec<String>,
}

/// Reloads the configuration of one running bridge; reloads run one at a time.
pub struct Reloader {
    /// The `--config` path the bridge was started with (`None`: `./logbridge.yaml` if
    /// present, else defaults, as at startup).
    source: Option<PathBuf>,
    /// The configuration in force: the started one with the reloaded sections.
    running: Mutex<Config>,
    pipeline: Live<Pipeline>,
    metrics: Arc<Metrics>,
}

impl Reloader {
    /// The reloader of a bridge started with `config` from `source`, running `pipeline` and
    /// `metrics`.
    pub fn new(
        source: Option<PathBuf>,
        config: &Config,
        pipeline: Live<Pipeline>,
        metrics: Arc<Metrics>,
    ) -> Reloader {
        Reloader {
            source,
            running: Mutex::new(config.clone()),
            pipeline,
            metrics,
        }
    }

    /// Reads and checks the file, then puts its reloadable sections in force; on error nothing
    /// changes and the error is the one startup gives for that file. Blocking (it reads a
    /// file and compiles patterns).
    pub fn reload(&self) -> Result<Reloaded, ConfigError> {
        let (new, origin) = settings::load_named(self.source.as_deref())?;
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = running.clone();
        take_reloadable(&mut next, &new);
        let pipeline = Pipeline::from_config(&next)?;
        self.metrics
            .reload_log_metrics(&next.log_metrics)
            .map_err(|error| ConfigError::Invalid {
                origin: origin.clone(),
                message: error.to_string(),
            })?;
        self.metrics
            .bridge
            .set_redaction_rules(pipeline.redaction_rules());
        self.pipeline.replace(Arc::new(pipeline));
        let reloaded = Reloaded {
            origin,
            applied: changed(&running, &next),
            needs_restart: changed(&next, &new),
        };
        *running = next;
        Ok(reloaded)
    }

    /// [`Reloader::reload`] off the async workers, logged: what was applied, or why the file
    /// was refused. `None` when the reload itself failed (a panic, logged).
    pub async fn reload_logged(
        self: &Arc<Self>,
        trigger: &'static str,
    ) -> Option<Result<Reloaded, ConfigError>> {
        let reloader = Arc::clone(self);
        let result = match tokio::task::spawn_blocking(move || reloader.reload()).await {
            Ok(result) => result,
            Err(panic) => {
                tracing::error!(trigger, %panic, "configuration reload failed");
                return None;
            }
        };
        match &result {
            Ok(reloaded) => tracing::info!(
                trigger,
                config = %reloaded.origin,
                applied = ?reloaded.applied,
                needs_restart = ?reloaded.needs_restart,
                "configuration reloaded"
            ),
            Err(error) => tracing::error!(
                trigger,
                %error,
                "configuration not reloaded: the running configuration stays in force"
            ),
        }
        Some(result)
    }
}

/// The top-level sections that differ between two configurations, secrets compared too, in
/// name order.
fn changed(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(Value::Object(old_tree)), Ok(Value::Object(new_tree))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    let mut sections: Vec<String> = old_tree
        .iter()
        .filter(|(key, value)| new_tree.get(*key) != Some(*value))
        .map(|(key, _)| key.clone())
        .collect();
    let secrets = secrets(old).into_iter().zip(secrets(new));
    for ((section, old), (_, new)) in secrets {
        if old != new && !sections.iter().any(|s| s == section) {
            sections.push(section.to_string());
        }
    }
    sections.sort();
    sections
}

/// The secrets of a configuration by section (they serialize as `***`).
fn secrets(config: &Config) -> [(&'static str, Option<&str>); 4] {
    fn expose(secret: &Option<crate::config::Secret>) -> Option<&str> {
        secret.as_ref().map(|s| s.expose())
    }
    [
        ("database", Some(config.database.url.expose())),
        ("access", expose(&config.access.metrics_token)),
        ("archive", expose(&config.archive.s3.secret_access_key)),
        ("archive", expose(&config.archive.s3.session_token)),
    ]
}

/// Reloads on every SIGHUP until `stopped` completes.
pub fn on_sighup(reloader: Arc<Reloader>, stopped: impl Future<Output = ()> + Send + 'static) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be listened for: reload through the API only");
            return;
        };
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = &mut stopped => return,
                hangup = hangups.recv() => {
                    if hangup.is_none() {
                        return;
                    }
                    let _ = reloader.reload_logged("sighup").await;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_sections_are_named_secrets_included() {
        let old = Config::default();
        let mut new = old.clone();
        assert!(changed(&old, &new).is_empty());
        new.listen.http = "127.0.0.1:1".parse().unwrap();
        new.database.url = crate::config::Secret::from("postgres://other@db/x");
        new.redaction.disabled_rules = vec!["email".into()];
        assert_eq!(changed(&old, &new), ["database", "listen", "redaction"]);
    }

    #[test]
    fn only_the_reloadable_sections_are_taken() {
        let mut running = Config::default();
        let mut new = running.clone();
        new.listen.http = "127.0.0.1:1".parse().unwrap();
        new.redaction.disabled_rules = vec!["email".into()];
        take_reloadable(&mut running, &new);
        assert_eq!(changed(&running, &new), ["listen"]);
        let mut reloadable: Vec<String> = RELOADABLE.iter().map(|s| s.to_string()).collect();
        let mut all = Config::default();
        all.redaction.disabled_rules = vec!["email".into()];
        all.log_metrics.clear();
        all.policy.sampling.default_ratio = 0.5;
        reloadable.sort();
        assert_eq!(changed(&Config::default(), &all), reloadable);
    }
}
