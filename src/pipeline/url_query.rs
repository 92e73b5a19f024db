//! Between sanitize and redact: the page URLs browsers send (Faro's `page.url`) lose their
//! query string and fragment, where reset tokens, e-mail addresses and OAuth fragments ride
//! (`?token=...`, `#access_token=...`). `redaction.strip_url_queries` names the attribute keys.

use crate::config::RedactionConfig;
use crate::model::Attributes;

/// The attribute keys whose URL values are cut at `?` or `#`.
#[derive(Debug, Clone, Default)]
pub struct UrlQueries {
    keys: Vec<String>,
}

impl UrlQueries {
    /// The keys `redaction.strip_url_queries` names (none: every URL kept as sent).
    pub fn from_config(config: &RedactionConfig) -> UrlQueries {
        UrlQueries {
            keys: config.strip_url_queries.clone(),
        }
    }

    /// Cuts the query string and fragment off the values of the configured keys; other
    /// values, and values that are not strings, are left alone.
    pub fn strip(&self, attributes: &mut Attributes) {
        for key in &self.keys {
            if let Some(serde_json::Value::String(url)) = attributes.get_mut(key) {
                strip_query(url);
            }
        }
    }
}

/// `https://shop.example.com/reset?token=abc#x` becomes `https://shop.example.com/reset`.
pub fn strip_query(url: &mut String) {
    if let Some(at) = url.find(['?', '#']) {
        url.truncate(at);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn queries_and_fragments_go_from_the_named_keys_only() {
        let config = RedactionConfig::default();
        let queries = UrlQueries::from_config(&config);
        let mut attributes: Attributes = serde_json::from_value(json!({
            "page.url": "https://shop.example.com/reset?token=s3cr3t&email=ann@example.com#top",
            "event.name": "https://shop.example.com/?q=1",
        }))
        .unwrap();
        queries.strip(&mut attributes);
        assert_eq!(attributes["page.url"], "https://shop.example.com/reset");
        assert_eq!(attributes["event.name"], "https://shop.example.com/?q=1");
        let mut fragment = "https://shop.example.com/#access_token=x".to_string();
        strip_query(&mut fragment);
        assert_eq!(fragment, "https://shop.example.com/");
        let mut number: Attributes = serde_json::from_value(json!({"page.url": 7})).unwrap();
        queries.strip(&mut number);
        assert_eq!(number["page.url"], 7);
    }

    #[test]
    fn an_empty_list_keeps_them() {
        let config = RedactionConfig {
            strip_url_queries: Vec::new(),
            ..RedactionConfig::default()
        };
        let mut attributes: Attributes =
            serde_json::from_value(json!({"page.url": "https://x/?a=1"})).unwrap();
        UrlQueries::from_config(&config).strip(&mut attributes);
        assert_eq!(attributes["page.url"], "https://x/?a=1");
    }
}
