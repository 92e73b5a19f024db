//! `grafana provision` against a fake Grafana that records every request.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use logbridge::config::Secret;
use logbridge::grafana::{Options, ProvisionError, Targets, provision};
use serde_json::{Value, json};

use super::{datasources_file, repo_path};

const TOKEN: &str = "glsa_test_token";
const DASHBOARDS: usize = 8;

/// One request as the fake Grafana received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// The fake's state: what it received, which datasources exist, and an optional forced failure
/// `(method, path prefix, status, message)`.
#[derive(Default)]
pub struct Fake {
    received: Vec<Recorded>,
    datasources: HashSet<String>,
    fail: Option<(Method, &'static str, StatusCode, &'static str)>,
}

pub type Shared = Arc<Mutex<Fake>>;

fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn grafana(
    State(fake): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = fake.lock().unwrap();
    let path = uri.path().to_string();
    let authorization = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.received.push(Recorded {
        method: method.clone(),
        path: path.clone(),
        authorization,
        body: body.clone(),
    });
    if let Some((fail_method, prefix, status, message)) = &fake.fail
        && *fail_method == method
        && path.starts_with(prefix)
    {
        return answer(*status, json!({"message": message}));
    }
    let by_uid = path
        .strip_prefix("/api/datasources/uid/")
        .map(str::to_string);
    match (method, path.as_str(), by_uid) {
        (Method::GET, _, Some(uid)) if fake.datasources.contains(&uid) => {
            answer(StatusCode::OK, json!({"uid": uid}))
        }
        (Method::GET, _, Some(_)) => answer(
            StatusCode::NOT_FOUND,
            json!({"message": "Data source not found"}),
        ),
        (Method::PUT, _, Some(uid)) => answer(
            StatusCode::OK,
            json!({"message": "Datasource updated", "uid": uid}),
        ),
        (Method::POST, "/api/datasources", _) => {
            fake.datasources
                .insert(body["uid"].as_str().unwrap().to_string());
            answer(StatusCode::OK, json!({"message": "Datasource added"}))
        }
        (Method::POST, "/api/dashboards/db", _) => answer(
            StatusCode::OK,
            json!({"status": "success", "uid": body["dashboard"]["uid"], "version": 1}),
        ),
        _ => answer(StatusCode::NOT_FOUND, json!({"message": "Not found"})),
    }
}

/// Starts a fake Grafana; answers its URL and state.
pub async fn fake_grafana() -> (String, Shared) {
    let fake = Shared::default();
    let app = Router::new().fallback(grafana).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, fake)
}

fn options(url: &str, token: Option<&str>) -> Options {
    Options {
        url: format!("{url}/"),
        token: token.map(Secret::from),
        datasources: datasources_file(),
        dashboards: repo_path("dashboards"),
        folder_uid: Some("logbridge".into()),
        targets: Targets::compose(Secret::from("s3cret"), "the test"),
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "GRAFANA_DB_PASSWORD" => Some("s3cret".to_string()),
        "GRAFANA_READ_TOKEN" => Some("lb_reader".to_string()),
        _ => None,
    }
}

pub fn taken(fake: &Shared) -> Vec<Recorded> {
    std::mem::take(&mut fake.lock().unwrap().received)
}

fn calls(received: &[Recorded]) -> Vec<(Method, String)> {
    received
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect()
}

/// The calls of one run when the datasources are `present` (PUT) or not (POST).
fn expected_calls(present: bool) -> Vec<(Method, String)> {
    let mut expected = Vec::new();
    for uid in [
        "logbridge-prometheus",
        "logbridge-postgres",
        "logbridge-jaeger",
    ] {
        let path = format!("/api/datasources/uid/{uid}");
        expected.push((Method::GET, path.clone()));
        expected.push(match present {
            true => (Method::PUT, path),
            false => (Method::POST, "/api/datasources".into()),
        });
    }
    expected.extend((0..DASHBOARDS).map(|_| (Method::POST, "/api/dashboards/db".to_string())));
    expected
}

#[tokio::test]
async fn a_first_run_creates_the_datasources_and_saves_every_dashboard() {
    let (url, fake) = fake_grafana().await;
    let summary = provision(&options(&url, Some(TOKEN)), env).await.unwrap();
    assert_eq!(summary.created_datasources.len(), 3);
    assert_eq!(summary.saved_dashboards.len(), DASHBOARDS);
    let received = taken(&fake);
    assert_eq!(calls(&received), expected_calls(false));
    for request in &received {
        assert_eq!(
            request.authorization.as_deref(),
            Some("Bearer glsa_test_token"),
            "{}",
            request.path
        );
    }
    let postgres = &received[3].body;
    assert_eq!(postgres["uid"], "logbridge-postgres");
    assert_eq!(postgres["type"], "grafana-postgresql-datasource");
    assert_eq!(postgres["url"], "postgres:5432");
    assert_eq!(postgres["user"], "logbridge_grafana");
    assert_eq!(postgres["jsonData"]["database"], "logbridge");
    assert_eq!(postgres["jsonData"]["sslmode"], "disable");
    assert_eq!(
        postgres["secureJsonData"]["password"], "s3cret",
        "the targets' password"
    );
    let prometheus = &received[1].body;
    assert_eq!(prometheus["url"], "http://prometheus:9090");
    let destination = &prometheus["jsonData"]["exemplarTraceIdDestinations"][0];
    assert_eq!(destination["name"], "trace_id");
    assert_eq!(
        destination["url"], "/d/logbridge-trace?var-trace_id=${__value.raw}",
        "$$ is a literal $"
    );
    let to_spans = &prometheus["jsonData"]["exemplarTraceIdDestinations"][1];
    assert_eq!(to_spans["datasourceUid"], "logbridge-jaeger");
    assert!(
        prometheus.get("editable").is_none(),
        "file-only keys are not sent"
    );
    let jaeger = &received[5].body;
    assert_eq!(jaeger["uid"], "logbridge-jaeger");
    assert_eq!(jaeger["type"], "jaeger");
    assert_eq!(jaeger["url"], "http://logbridge:4318/jaeger");
    assert_eq!(jaeger["jsonData"]["httpHeaderName1"], "Authorization");
    assert_eq!(jaeger["jsonData"]["nodeGraph"]["enabled"], true);
    assert_eq!(
        jaeger["secureJsonData"]["httpHeaderValue1"], "Bearer lb_reader",
        "the read token, interpolated from the environment"
    );
    let mut uids = HashSet::new();
    for request in &received[6..] {
        let body = &request.body;
        assert_eq!(body["overwrite"], true);
        assert_eq!(body["message"], "logbridge provision");
        assert_eq!(body["folderUid"], "logbridge");
        assert_eq!(body["dashboard"]["id"], Value::Null);
        assert_eq!(body["dashboard"]["schemaVersion"], 39);
        uids.insert(body["dashboard"]["uid"].as_str().unwrap().to_string());
    }
    assert_eq!(uids.len(), DASHBOARDS);
}

#[tokio::test]
async fn a_second_run_updates_the_same_objects() {
    let (url, fake) = fake_grafana().await;
    provision(&options(&url, Some(TOKEN)), env).await.unwrap();
    let first = taken(&fake);
    let summary = provision(&options(&url, Some(TOKEN)), env).await.unwrap();
    assert_eq!(summary.created_datasources.len(), 0);
    assert_eq!(summary.updated_datasources.len(), 3);
    let second = taken(&fake);
    assert_eq!(calls(&second), expected_calls(true));
    assert_eq!(
        second[1].body, first[1].body,
        "the PUT carries what the POST did"
    );
    assert_eq!(second[3].body, first[3].body);
    assert_eq!(second[5].body, first[5].body);
    let dashboards = |run: &[Recorded]| run[6..].iter().map(|r| r.body.clone()).collect::<Vec<_>>();
    assert_eq!(dashboards(&second), dashboards(&first));
    provision(&options(&url, Some(TOKEN)), env).await.unwrap();
    assert_eq!(
        calls(&taken(&fake)),
        expected_calls(true),
        "a third run is the same as the second"
    );
}

async fn failure(
    fail: (Method, &'static str, StatusCode, &'static str),
    token: Option<&str>,
) -> (String, Vec<Recorded>) {
    let (url, fake) = fake_grafana().await;
    fake.lock().unwrap().fail = Some(fail);
    let error = provision(&options(&url, token), env).await.unwrap_err();
    (error.to_string(), taken(&fake))
}

#[tokio::test]
async fn a_rejected_token_names_the_object_and_stops() {
    let fail = (
        Method::GET,
        "/api/",
        StatusCode::UNAUTHORIZED,
        "invalid API key",
    );
    let (error, received) = failure(fail, None).await;
    assert!(error.contains("token rejected"), "{error}");
    assert!(error.contains("logbridge-prometheus"), "{error}");
    assert!(error.contains("invalid API key"), "{error}");
    assert_eq!(received.len(), 1, "stops at the first failure");
    assert_eq!(received[0].authorization, None, "no token, no header");
}

#[tokio::test]
async fn a_token_without_permission_names_the_object() {
    let fail = (
        Method::POST,
        "/api/datasources",
        StatusCode::FORBIDDEN,
        "Permissions needed: datasources:create",
    );
    let (error, received) = failure(fail, Some(TOKEN)).await;
    assert!(error.contains("token lacks permission"), "{error}");
    assert!(
        error.contains("datasource \"logbridge Prometheus\" (uid logbridge-prometheus)"),
        "{error}"
    );
    assert!(error.contains("datasources:create"), "{error}");
    assert_eq!(calls(&received), expected_calls(false)[..2]);
}

#[tokio::test]
async fn a_version_conflict_names_the_dashboard() {
    let fail = (
        Method::POST,
        "/api/dashboards/db",
        StatusCode::PRECONDITION_FAILED,
        "The dashboard has been changed by someone else",
    );
    let (error, _) = failure(fail, Some(TOKEN)).await;
    assert!(
        error.contains("dashboard changed in Grafana, version conflict"),
        "{error}"
    );
    assert!(
        error.contains("uid logbridge-alerts"),
        "the first dashboard: {error}"
    );
    assert!(error.contains("changed by someone else"), "{error}");
}

#[tokio::test]
async fn other_answers_carry_grafanas_message() {
    let fail = (
        Method::POST,
        "/api/dashboards/db",
        StatusCode::BAD_REQUEST,
        "Dashboard title cannot be empty",
    );
    let (error, _) = failure(fail, Some(TOKEN)).await;
    assert!(
        error.contains("400 Bad Request: Dashboard title cannot be empty"),
        "{error}"
    );
    let missing = Options {
        datasources: repo_path("no-such.yml"),
        ..options("http://127.0.0.1:9", None)
    };
    let error = provision(&missing, env).await.unwrap_err();
    assert!(matches!(error, ProvisionError::File { .. }), "{error}");
}
