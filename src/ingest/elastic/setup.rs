//! The calls shippers make before sending, answered as a one-node cluster that has every
//! template, policy and pipeline it is asked about: Filebeat, Logstash, Vector and the official
//! clients start and go on to `_bulk`. Nothing here is stored.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::Elastic;
use super::answer;
use crate::config::ElasticsearchConfig;

/// The name, cluster name and node name the root reports.
const NAME: &str = "logbridge";
/// A fixed cluster UUID, in Elasticsearch's form (22 URL-safe characters).
const CLUSTER_UUID: &str = "bG9nYnJpZGdlLWVzLXJvb3";

/// What the root tells about itself.
#[derive(Debug, Clone)]
pub struct Cluster {
    version: String,
}

impl Cluster {
    pub fn new(config: &ElasticsearchConfig) -> Cluster {
        Cluster {
            version: config.version.clone(),
        }
    }

    /// `GET /`'s body: Filebeat reads `version.number` and `build_flavor`, Logstash and the
    /// 7.x clients also `tagline`.
    pub fn info(&self) -> Value {
        json!({
            "name": NAME,
            "cluster_name": NAME,
            "cluster_uuid": CLUSTER_UUID,
            "version": {
                "number": self.version,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": NAME,
                "build_date": "2024-12-11T12:08:05.663969764Z",
                "build_snapshot": false,
                "lucene_version": "9.12.0",
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        })
    }
}

fn ok(body: Value) -> Response {
    answer::json_response(StatusCode::OK, body.to_string().into_bytes())
}

/// `GET|HEAD /es/`.
pub async fn info(State(elastic): State<Elastic>) -> Response {
    ok(elastic.cluster.info())
}

/// `GET /es/_license`: Logstash marks a node dead without `license.status`.
pub async fn license() -> Response {
    ok(json!({"license": {
        "status": "active",
        "uid": CLUSTER_UUID,
        "type": "basic",
        "issue_date": "2024-01-01T00:00:00.000Z",
        "issue_date_in_millis": 1_704_067_200_000_u64,
        "max_nodes": 1000,
        "max_resource_units": null,
        "issued_to": NAME,
        "issuer": "elasticsearch",
        "start_date_in_millis": -1,
    }}))
}

/// `GET /es/_xpack`.
pub async fn xpack(State(elastic): State<Elastic>) -> Response {
    ok(json!({
        "build": {"hash": NAME, "date": "2024-12-11T12:08:05.663969764Z"},
        "license": {"uid": CLUSTER_UUID, "type": "basic", "mode": "basic", "status": "active"},
        "features": {},
        "tagline": "You know, for X",
        "version": elastic.cluster.version,
    }))
}

/// `GET /es/_cluster/health`: Vector's health check needs a 200.
pub async fn health() -> Response {
    ok(json!({
        "cluster_name": NAME,
        "status": "green",
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 0,
        "active_shards": 0,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0,
    }))
}

/// `GET /es/_nodes*`: one node, without an HTTP address (sniffing finds nothing to switch to).
pub async fn nodes(State(elastic): State<Elastic>) -> Response {
    ok(json!({
        "_nodes": {"total": 1, "successful": 1, "failed": 0},
        "cluster_name": NAME,
        "nodes": {CLUSTER_UUID: {
            "name": NAME,
            "version": elastic.cluster.version,
            "roles": ["data", "ingest", "master"],
        }},
    }))
}

/// `PUT` of a template, policy, pipeline or data stream: acknowledged, not kept.
pub async fn acknowledged() -> Response {
    ok(json!({"acknowledged": true}))
}

/// `GET|HEAD /es/_index_template/{name}`: it exists, so shippers do not install theirs.
pub async fn index_template(Path(name): Path<String>) -> Response {
    ok(json!({"index_templates": [{
        "name": name,
        "index_template": {"index_patterns": [format!("{name}*")], "composed_of": []},
    }]}))
}

/// `GET|HEAD /es/_template/{name}` (Beats 7).
pub async fn legacy_template(Path(name): Path<String>) -> Response {
    let template = json!({"order": 0, "index_patterns": [format!("{name}*")], "settings": {}});
    ok(json!({ name: template }))
}

/// `GET /es/_ilm/policy/{name}`.
pub async fn ilm_policy(Path(name): Path<String>) -> Response {
    let policy = json!({"version": 1, "policy": {"phases": {}}});
    ok(json!({ name: policy }))
}

/// `GET /es/_ingest/pipeline/{id}`.
pub async fn pipeline(Path(id): Path<String>) -> Response {
    ok(json!({ id: {"description": "accepted by logbridge", "processors": []} }))
}

/// `GET /es/_data_stream/{name}`.
pub async fn data_stream(Path(name): Path<String>) -> Response {
    ok(json!({"data_streams": [{
        "name": name,
        "timestamp_field": {"name": "@timestamp"},
        "indices": [],
        "generation": 1,
        "status": "GREEN",
        "template": name,
    }]}))
}

/// `GET /es/_data_stream/{name}/_lifecycle`.
pub async fn lifecycle(Path(name): Path<String>) -> Response {
    ok(json!({"data_streams": [{"name": name, "lifecycle": {"enabled": true}}]}))
}

/// `POST /es/{index}/_refresh` (pino-elasticsearch calls it when its stream ends): records are
/// searchable once acknowledged, so there is nothing to do.
pub async fn refreshed() -> Response {
    ok(json!({"_shards": {"total": 1, "successful": 1, "failed": 0}}))
}

/// Any other path under `/es`: Elasticsearch's 404 error, naming what the root implements.
pub async fn unknown(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    let reason = format!(
        "no handler found for uri [{}] and method [{method}]: logbridge implements _bulk and \
         the setup calls of log shippers",
        uri.path()
    );
    let status = StatusCode::NOT_FOUND;
    answer::error(status, answer::error_type(status), &reason, None)
}
