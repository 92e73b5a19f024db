//! Where the provisioned datasources point: the Prometheus URL, the PostgreSQL host, database,
//! user and password, and the bridge's Jaeger root. They replace what the provisioning file
//! says (its values are the compose stack's), so one file provisions any Grafana.

use serde_json::Value;

use super::{Datasource, ProvisionError};
use crate::config::Secret;

/// The uids of the datasources the targets rewrite.
const PROMETHEUS_UID: &str = "logbridge-prometheus";
const POSTGRES_UID: &str = "logbridge-postgres";
const JAEGER_UID: &str = "logbridge-jaeger";

/// The addresses and credentials of the provisioned datasources.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Prometheus as Grafana reaches it.
    pub prometheus_url: String,
    /// PostgreSQL `host:port` as Grafana reaches it.
    pub postgres_host: String,
    /// The bridge's database.
    pub postgres_database: String,
    /// The read-only role Grafana logs in as.
    pub postgres_user: String,
    /// That role's password; provisioning refuses an empty one.
    pub postgres_password: Secret,
    /// Where the password came from, for the refusal message.
    pub password_source: String,
    /// The bridge's Jaeger query root as Grafana reaches it.
    pub jaeger_url: String,
}

impl Targets {
    /// The docker-compose values, with `password`.
    pub fn compose(password: Secret, password_source: &str) -> Targets {
        Targets {
            prometheus_url: "http://prometheus:9090".into(),
            postgres_host: "postgres:5432".into(),
            postgres_database: "logbridge".into(),
            postgres_user: "logbridge_grafana".into(),
            postgres_password: password,
            password_source: password_source.into(),
            jaeger_url: "http://logbridge:4318/jaeger".into(),
        }
    }

    /// Writes the targets into the datasources they concern; refuses an empty password.
    pub fn apply(&self, datasources: &mut [Datasource]) -> Result<(), ProvisionError> {
        if self.postgres_password.expose().is_empty() {
            return Err(ProvisionError::EmptyPassword {
                source_name: self.password_source.clone(),
            });
        }
        for datasource in datasources.iter_mut() {
            let body = &mut datasource.body;
            match datasource.uid.as_str() {
                PROMETHEUS_UID => body["url"] = self.prometheus_url.clone().into(),
                JAEGER_UID => body["url"] = self.jaeger_url.clone().into(),
                POSTGRES_UID => self.apply_postgres(body),
                _ => {}
            }
        }
        Ok(())
    }

    fn apply_postgres(&self, body: &mut Value) {
        body["url"] = self.postgres_host.clone().into();
        body["user"] = self.postgres_user.clone().into();
        if !body["jsonData"].is_object() {
            body["jsonData"] = Value::Object(Default::default());
        }
        body["jsonData"]["database"] = self.postgres_database.clone().into();
        if !body["secureJsonData"].is_object() {
            body["secureJsonData"] = Value::Object(Default::default());
        }
        body["secureJsonData"]["password"] = self.postgres_password.expose().into();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn postgres() -> Datasource {
        Datasource {
            uid: POSTGRES_UID.into(),
            name: "pg".into(),
            body: json!({"url": "postgres:5432", "jsonData": {"sslmode": "disable"}}),
        }
    }

    #[test]
    fn the_targets_replace_the_files_values_and_keep_the_rest() {
        let mut targets = Targets::compose(Secret::from("pw"), "GRAFANA_DB_PASSWORD");
        targets.postgres_host = "db.internal:5433".into();
        let mut datasources = [postgres()];
        targets.apply(&mut datasources).unwrap();
        let body = &datasources[0].body;
        assert_eq!(body["url"], "db.internal:5433");
        assert_eq!(body["jsonData"]["sslmode"], "disable");
        assert_eq!(body["jsonData"]["database"], "logbridge");
        assert_eq!(body["secureJsonData"]["password"], "pw");
    }

    #[test]
    fn an_empty_password_is_refused_naming_its_source() {
        let targets = Targets::compose(Secret::from(""), "GRAFANA_DB_PASSWORD");
        let error = targets.apply(&mut [postgres()]).unwrap_err().to_string();
        assert!(error.contains("GRAFANA_DB_PASSWORD"), "{error}");
    }
}
