//! Secrets of the configuration (database URLs with passwords, tokens, keys): they never print,
//! in `Debug`, in logs or in `config check`; a database URL prints without its password.

use serde::{Deserialize, Serialize};

/// A string that never prints: database URLs carry passwords.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value as a URL with its password replaced by `***`, for logs and messages about a
    /// database.
    pub fn url_without_password(&self) -> String {
        url_without_password(&self.0)
    }
}

/// `scheme://user:password@host/...` as `scheme://user:***@host/...`; other text unchanged,
/// except that anything that is not a URL is hidden whole.
pub fn url_without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => url.to_string(),
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_password_of_a_url_is_hidden() {
        let cases = [
            (
                "postgres://u:hunter2@db:5432/x?sslmode=require",
                "postgres://u:***@db:5432/x?sslmode=require",
            ),
            (
                "postgres://postgres@127.0.0.1/logbridge",
                "postgres://postgres@127.0.0.1/logbridge",
            ),
            ("postgres://db/x", "postgres://db/x"),
            ("host=db password=hunter2", "***"),
        ];
        for (url, shown) in cases {
            assert_eq!(url_without_password(url), shown, "{url}");
        }
        let serialized = serde_json::to_string(&Secret::from("hunter2")).unwrap();
        assert_eq!(serialized, "\"***\"");
    }
}
