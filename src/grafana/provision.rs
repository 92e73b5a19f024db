//! Creating or updating datasources and dashboards through Grafana's HTTP API, idempotently:
//! a datasource is looked up by uid and created or replaced; a dashboard is saved with
//! `overwrite`, so running twice leaves Grafana as running once.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::Targets;
use super::files::{Dashboard, Datasource, load_dashboards, load_datasources};
use crate::config::Secret;

/// What to provision and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// Grafana's base URL (a sub-path such as `http://host/grafana` works).
    pub url: String,
    /// Sent as `Authorization: Bearer` when present.
    pub token: Option<Secret>,
    /// The datasource provisioning file.
    pub datasources: PathBuf,
    /// The folder of dashboard JSON files.
    pub dashboards: PathBuf,
    /// The folder the dashboards go to; Grafana's General folder when absent.
    pub folder_uid: Option<String>,
    /// Where the datasources point (Prometheus, PostgreSQL, the bridge), over the file's values.
    pub targets: Targets,
}

/// What a run did, one line per object.
#[derive(Debug, Default)]
pub struct Summary {
    pub created_datasources: Vec<String>,
    pub updated_datasources: Vec<String>,
    pub saved_dashboards: Vec<String>,
}

impl Summary {
    /// Human-readable lines for the command's output.
    pub fn lines(&self) -> Vec<String> {
        let created = self
            .created_datasources
            .iter()
            .map(|o| format!("created {o}"));
        let updated = self
            .updated_datasources
            .iter()
            .map(|o| format!("updated {o}"));
        let saved = self.saved_dashboards.iter().map(|o| format!("saved {o}"));
        created.chain(updated).chain(saved).collect()
    }
}

/// Why provisioning stopped; every variant names the file or Grafana object concerned.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    #[error(
        "the Grafana role's PostgreSQL password is empty ({source_name}); refusing to provision a datasource that cannot log in: set GRAFANA_DB_PASSWORD or pass --postgres-password-file"
    )]
    EmptyPassword { source_name: String },
    #[error("{object}: cannot reach Grafana: {reason}")]
    Unreachable { object: String, reason: String },
    #[error(
        "{object}: token rejected by Grafana (401 Unauthorized: {message}); pass a valid service account token with --token or GRAFANA_TOKEN"
    )]
    Unauthorized { object: String, message: String },
    #[error(
        "{object}: token lacks permission (403 Forbidden: {message}); datasources need an Admin token, dashboards Editor or better"
    )]
    Forbidden { object: String, message: String },
    #[error(
        "{object}: dashboard changed in Grafana, version conflict (412 Precondition Failed: {message}); another dashboard may have the same title in the folder, or the change was made elsewhere"
    )]
    Conflict { object: String, message: String },
    #[error("{object}: Grafana answered {status}: {message}")]
    Status {
        object: String,
        status: StatusCode,
        message: String,
    },
}

/// Provisions every datasource, then every dashboard; stops at the first failure.
/// `env` looks up the variables of the datasource file.
pub async fn provision(
    options: &Options,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Summary, ProvisionError> {
    let mut datasources = load_datasources(&options.datasources, &env)?;
    options.targets.apply(&mut datasources)?;
    let dashboards = load_dashboards(&options.dashboards)?;
    let grafana = Grafana::new(options)?;
    let mut summary = Summary::default();
    for datasource in &datasources {
        let object = format!("datasource {:?} (uid {})", datasource.name, datasource.uid);
        if grafana.upsert_datasource(datasource, &object).await? {
            summary.created_datasources.push(object);
        } else {
            summary.updated_datasources.push(object);
        }
    }
    for dashboard in &dashboards {
        let object = format!(
            "dashboard {:?} (uid {}, {})",
            dashboard.title,
            dashboard.uid,
            dashboard.path.display()
        );
        grafana.save_dashboard(dashboard, options, &object).await?;
        summary.saved_dashboards.push(object);
    }
    Ok(summary)
}

/// A Grafana HTTP API client.
struct Grafana {
    client: reqwest::Client,
    base: String,
    token: Option<Secret>,
}

impl Grafana {
    fn new(options: &Options) -> Result<Self, ProvisionError> {
        if !options.url.starts_with("http://") && !options.url.starts_with("https://") {
            return Err(ProvisionError::Unreachable {
                object: options.url.clone(),
                reason: "the URL must start with http:// or https://".into(),
            });
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ProvisionError::Unreachable {
                object: options.url.clone(),
                reason: e.to_string(),
            })?;
        Ok(Grafana {
            client,
            base: options.url.trim_end_matches('/').to_string(),
            token: options.token.clone(),
        })
    }

    /// Creates the datasource (true) or replaces the one with its uid (false).
    async fn upsert_datasource(
        &self,
        datasource: &Datasource,
        object: &str,
    ) -> Result<bool, ProvisionError> {
        let by_uid = format!("/api/datasources/uid/{}", datasource.uid);
        let (status, answer) = self.send(Method::GET, &by_uid, None, object).await?;
        let exists = match status {
            StatusCode::OK => true,
            StatusCode::NOT_FOUND => false,
            _ => return Err(failure(status, &answer, object)),
        };
        let (method, path) = match exists {
            true => (Method::PUT, by_uid.as_str()),
            false => (Method::POST, "/api/datasources"),
        };
        let (status, answer) = self
            .send(method, path, Some(&datasource.body), object)
            .await?;
        if !status.is_success() {
            return Err(failure(status, &answer, object));
        }
        Ok(!exists)
    }

    async fn save_dashboard(
        &self,
        dashboard: &Dashboard,
        options: &Options,
        object: &str,
    ) -> Result<(), ProvisionError> {
        let mut json = dashboard.json.clone();
        json["id"] = Value::Null;
        let mut body = json!({
            "dashboard": json,
            "overwrite": true,
            "message": "logbridge provision",
        });
        if let Some(folder_uid) = &options.folder_uid {
            body["folderUid"] = json!(folder_uid);
        }
        let (status, answer) = self
            .send(Method::POST, "/api/dashboards/db", Some(&body), object)
            .await?;
        if !status.is_success() {
            return Err(failure(status, &answer, object));
        }
        Ok(())
    }

    /// Sends one request; answers the status and the body as JSON (`null` when it is not).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        object: &str,
    ) -> Result<(StatusCode, Value), ProvisionError> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let unreachable = |e: reqwest::Error| ProvisionError::Unreachable {
            object: object.to_string(),
            reason: format!("{}: {e}", self.base),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

/// The error for a failed answer, with Grafana's `message` when it gave one.
fn failure(status: StatusCode, answer: &Value, object: &str) -> ProvisionError {
    let object = object.to_string();
    let message = answer
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message")
        .to_string();
    match status {
        StatusCode::UNAUTHORIZED => ProvisionError::Unauthorized { object, message },
        StatusCode::FORBIDDEN => ProvisionError::Forbidden { object, message },
        StatusCode::PRECONDITION_FAILED => ProvisionError::Conflict { object, message },
        status => ProvisionError::Status {
            object,
            status,
            message,
        },
    }
}
