//! `spawn_app`: a bridge on random ports with a fresh database, and request helpers.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use logbridge::app::{self, Running};
use logbridge::config::{Config, Secret};
use sqlx::{PgPool, Row};
use tokio::task::JoinHandle;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A running bridge and a connection to its database.
pub struct TestApp {
    pub http: String,
    pub grpc: String,
    pub db: PgPool,
    pub db_name: String,
    pub client: reqwest::Client,
    running: Option<Running>,
}

/// A fresh database name, unique across concurrent test processes.
fn database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("logbridge_test_{}_{n}_{nanos}", std::process::id())
}

/// Starts a bridge with default configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a bridge after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let db_name = database_name();
    let mut config = Config::default();
    let url = format!("postgres://postgres@127.0.0.1:5432/{db_name}");
    config.database.url = Secret::from(url.as_str());
    config.listen.http = "127.0.0.1:0".parse().unwrap();
    config.listen.grpc = "127.0.0.1:0".parse().unwrap();
    adjust(&mut config);
    let running = app::start(config).await.expect("bridge starts");
    let db = PgPool::connect(&url)
        .await
        .expect("test connects to its database");
    TestApp {
        http: format!("http://{}", running.http_addr),
        grpc: format!("http://{}", running.grpc_addr),
        db,
        db_name,
        client: reqwest::Client::new(),
        running: Some(running),
    }
}

/// Starts a bridge from the configuration file `path` (naming its own fresh database and
/// port-0 listeners) as `logbridge serve --config <path>` does: a reload reads it again.
pub async fn spawn_app_from(path: &std::path::Path) -> TestApp {
    let config = logbridge::settings::load(Some(path)).expect("the test's file loads");
    let url = config.database.url.expose().to_string();
    let db_name = url.rsplit('/').next().unwrap_or_default().to_string();
    let running = app::start_from(config, Some(path.to_path_buf()))
        .await
        .expect("bridge starts");
    let db = PgPool::connect(&url)
        .await
        .expect("test connects to its database");
    TestApp {
        http: format!("http://{}", running.http_addr),
        grpc: format!("http://{}", running.grpc_addr),
        db,
        db_name,
        client: reqwest::Client::new(),
        running: Some(running),
    }
}

/// Starts a second bridge on `first`'s database (a replica beside it), after `adjust`.
pub async fn spawn_beside(first: &TestApp, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let url = first.database_url();
    let mut config = Config::default();
    config.database.url = Secret::from(url.as_str());
    config.listen.http = "127.0.0.1:0".parse().unwrap();
    config.listen.grpc = "127.0.0.1:0".parse().unwrap();
    adjust(&mut config);
    let running = app::start(config).await.expect("second bridge starts");
    TestApp {
        http: format!("http://{}", running.http_addr),
        grpc: format!("http://{}", running.grpc_addr),
        db: first.db.clone(),
        db_name: first.db_name.clone(),
        client: reqwest::Client::new(),
        running: Some(running),
    }
}

impl TestApp {
    /// The URL of the test's database, for running the `logbridge` binary against it.
    pub fn database_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.db_name)
    }

    /// POSTs a body with a content type to a path.
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.http))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request is sent")
    }

    /// POSTs a JSON body to the JSON receiver and returns the status.
    pub async fn post_json(&self, body: String) -> reqwest::StatusCode {
        self.post("/api/v1/logs", "application/json", body)
            .await
            .status()
    }

    /// POSTs a JSON body to the JSON receiver from a task of its own.
    pub fn post_json_in_background(&self, body: String) -> JoinHandle<reqwest::StatusCode> {
        let (client, url) = (self.client.clone(), format!("{}/api/v1/logs", self.http));
        tokio::spawn(async move {
            let request = client
                .post(url)
                .header("content-type", "application/json")
                .body(body);
            request.send().await.expect("request is sent").status()
        })
    }

    /// Holds an exclusive lock on `logs` until the returned transaction ends, so commits wait.
    pub async fn lock_logs(&self) -> sqlx::Transaction<'static, sqlx::Postgres> {
        let mut transaction = self.db.begin().await.unwrap();
        let lock = sqlx::query("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE");
        lock.execute(&mut *transaction).await.unwrap();
        transaction
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.http))
            .send()
            .await
            .expect("request is sent")
    }

    /// Number of rows in `logs` matching a SQL condition written by the test itself.
    pub async fn count(&self, condition: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM logs WHERE {condition}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.db)
            .await
            .unwrap()
            .get(0)
    }

    /// Sum of a metric's samples whose labels include all of `labels`, from `/metrics` in
    /// Prometheus text format (whose syntax `promtool check metrics` verifies in its own test).
    pub async fn metric_sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(parse_sample)
            .filter(|(metric, _, _)| metric == name)
            .filter(|(_, found, _)| {
                labels
                    .iter()
                    .all(|(k, v)| found.iter().any(|(fk, fv)| fk == k && fv == v))
            })
            .map(|(_, _, value)| value)
            .sum()
    }

    /// Stops the bridge gracefully.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("bridge stops cleanly");
        }
    }

    /// Makes the database refuse connections and drops the bridge's, as if it were down.
    pub async fn take_database_down(&self) {
        let admin = PgPool::connect(ADMIN_URL).await.unwrap();
        let sql = format!(
            "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS false",
            self.db_name
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&admin)
            .await
            .unwrap();
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'logbridge'")
            .bind(&self.db_name)
            .execute(&admin)
            .await
            .unwrap();
    }

    /// Lets the database accept connections again.
    pub async fn bring_database_back(&self) {
        let admin = PgPool::connect(ADMIN_URL).await.unwrap();
        let sql = format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true", self.db_name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&admin)
            .await
            .unwrap();
    }
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The bytes of a fixture in tests/fixtures.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A sample line: metric name, label pairs and value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses `name{k="v",...} value` with quoted, escaped label values.
fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_string();
    let mut labels = Vec::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let chars = inner.char_indices();
        let (mut key, mut value, mut in_value, mut escaped) =
            (String::new(), String::new(), false, false);
        let mut end = None;
        for (i, c) in chars {
            match (in_value, c) {
                (true, _) if escaped => {
                    value.push(match c {
                        'n' => '\n',
                        other => other,
                    });
                    escaped = false;
                }
                (true, '\\') => escaped = true,
                (true, '"') => {
                    labels.push((std::mem::take(&mut key), std::mem::take(&mut value)));
                    in_value = false;
                }
                (true, c) => value.push(c),
                (false, '"') => in_value = true,
                (false, '}') => {
                    end = Some(i);
                    break;
                }
                (false, '=' | ',') => {}
                (false, c) => key.push(c),
            }
        }
        rest = &inner[end? + 1..];
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some((name, labels, value))
}

impl TestApp {
    /// A new token of `role` ("ingest", "reader", "support", "admin"), scoped to `services`
    /// when given, created the way `logbridge tokens create` does.
    pub async fn token(&self, role: &str, services: Option<&[&str]>) -> String {
        let new = logbridge::query::NewToken {
            role: serde_json::from_value(serde_json::json!(role)).expect("a role name"),
            services: services.map(|s| s.iter().map(|name| name.to_string()).collect()),
            origins: None,
            name: Some(format!("test-{role}")),
        };
        logbridge::query::create_token(&self.db, &new)
            .await
            .expect("token is created")
            .token
    }

    /// A new browser key for `service`, usable from `origins`, created the way `logbridge tokens
    /// create --role browser` does.
    pub async fn browser_key(&self, service: &str, origins: &[&str]) -> String {
        let new = logbridge::query::NewToken {
            role: logbridge::auth::Role::Browser,
            services: Some(vec![service.to_string()]),
            origins: Some(origins.iter().map(|o| o.to_string()).collect()),
            name: Some(format!("browser-{service}")),
        };
        logbridge::query::create_token(&self.db, &new)
            .await
            .expect("browser key is created")
            .token
    }

    /// Rows of `audit_log` matching a SQL condition (test-controlled text).
    pub async fn count_audit(&self, condition: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM audit_log WHERE {condition}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.db)
            .await
            .expect("audit count")
    }

    /// GETs a path with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.http))
            .bearer_auth(token)
            .send()
            .await
            .expect("request is sent")
    }

    /// GETs a path with a bearer token and returns the JSON of a 200 answer.
    pub async fn get_json(&self, token: &str, path: &str) -> serde_json::Value {
        let response = self.get_as(token, path).await;
        let status = response.status();
        let body = response.text().await.expect("body is read");
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("answer is JSON")
    }
}
