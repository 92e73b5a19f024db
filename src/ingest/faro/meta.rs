//! `meta` of a Faro payload: the app names the service (with its version and environment in
//! the resource); the session, user, page, browser, view, SDK, OS and device become attributes
//! of every record (`session.id`, `user.id`, `page.url`, `browser.name`, ...).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::payload::Meta;
use crate::model::Attributes;

/// What `meta` gives every record of the payload.
#[derive(Debug, Default)]
pub struct Shared {
    /// `meta.app.name`, if given.
    pub service: Option<String>,
    /// `service.name`, `service.version`, `service.namespace`, `deployment.environment.name`.
    pub resource: Arc<Attributes>,
    /// The session, user, page, browser, ... attributes.
    pub attributes: Attributes,
}

/// Nested objects deeper than this are kept as JSON text.
const MAX_DEPTH: usize = 3;

/// The shared part of every record of a payload with this `meta`.
pub fn shared(meta: Meta, service_default: Option<&str>) -> Shared {
    let app = meta.app;
    let service = app.name.filter(|name| !name.trim().is_empty());
    let mut resource = Attributes::new();
    let named = service.as_deref().or(service_default);
    let entries = [
        ("service.name", named.map(str::to_owned)),
        ("service.version", app.version.or(app.release)),
        ("service.namespace", app.namespace),
        ("deployment.environment.name", app.environment),
        ("app.bundle_id", app.bundle_id),
    ];
    for (key, value) in entries {
        if let Some(value) = value {
            resource.insert(key.to_string(), Value::String(value));
        }
    }
    let mut attributes = Attributes::new();
    let objects = [
        ("session", meta.session),
        ("user", meta.user),
        ("page", meta.page),
        ("browser", meta.browser),
        ("view", meta.view),
        ("sdk", meta.sdk),
        ("os", meta.os),
        ("device", meta.device),
    ];
    for (prefix, object) in objects {
        if let Some(object) = object {
            flatten(&mut attributes, prefix, object, 1);
        }
    }
    Shared {
        service,
        resource: Arc::new(resource),
        attributes,
    }
}

/// Puts `object`'s members into `into` as `prefix.key`, nested objects as dotted keys.
pub fn flatten(into: &mut Attributes, prefix: &str, object: Map<String, Value>, depth: usize) {
    for (key, value) in object {
        let key = format!("{prefix}.{key}");
        match value {
            Value::Null => {}
            Value::Object(inner) if depth < MAX_DEPTH => flatten(into, &key, inner, depth + 1),
            Value::Object(_) | Value::Array(_) => {
                into.insert(key, Value::String(value.to_string()));
            }
            scalar => {
                into.insert(key, scalar);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_app_names_the_service_and_the_rest_become_attributes() {
        let meta: Meta = serde_json::from_value(json!({
            "app": {"name": "shop", "version": "1.4.2", "environment": "production"},
            "session": {"id": "s-1", "attributes": {"plan": "pro"}},
            "user": {"id": "u-9", "email": "ann@example.com"},
            "page": {"url": "https://shop.example.com/cart?id=3"},
            "browser": {"name": "Chrome", "mobile": false, "brands": [{"brand": "Chromium"}]}
        }))
        .unwrap();
        let shared = shared(meta, Some("fallback"));
        assert_eq!(shared.service.as_deref(), Some("shop"));
        assert_eq!(shared.resource["service.version"], "1.4.2");
        assert_eq!(shared.resource["deployment.environment.name"], "production");
        let attributes = &shared.attributes;
        assert_eq!(attributes["session.id"], "s-1");
        assert_eq!(attributes["session.attributes.plan"], "pro");
        assert_eq!(attributes["user.id"], "u-9");
        assert_eq!(attributes["page.url"], "https://shop.example.com/cart?id=3");
        assert_eq!(attributes["browser.mobile"], false);
        assert_eq!(attributes["browser.brands"], r#"[{"brand":"Chromium"}]"#);
    }

    #[test]
    fn without_an_app_name_the_default_service_is_the_resource_s() {
        let shared = shared(Meta::default(), Some("fallback"));
        assert_eq!(shared.service, None);
        assert_eq!(shared.resource["service.name"], "fallback");
    }
}
