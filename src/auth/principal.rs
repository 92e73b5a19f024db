//! Who is calling: a token's id, name, role and service scope.

use crate::store::tokens::TokenRow;

use super::AuthError;

/// What a token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Send logs only.
    Ingest,
    /// Read logs, exceptions and monitoring views, optionally of some services only.
    Reader,
    /// A reader whose results have user ids, e-mail addresses and IP addresses masked.
    Support,
    /// Everything, including token management and the audit log.
    Admin,
    /// A public key a web page carries: sends records of its one service from its listed
    /// origins, to the browser receivers only; never reads.
    Browser,
}

impl Role {
    /// The name stored in `api_tokens.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Reader => "reader",
            Role::Support => "support",
            Role::Admin => "admin",
            Role::Browser => "browser",
        }
    }

    /// The role of a stored name.
    pub fn parse(name: &str) -> Option<Role> {
        [
            Role::Ingest,
            Role::Reader,
            Role::Support,
            Role::Admin,
            Role::Browser,
        ]
        .into_iter()
        .find(|role| role.as_str() == name)
    }

    /// Whether the role may send logs.
    pub fn can_ingest(self) -> bool {
        matches!(self, Role::Ingest | Role::Admin)
    }

    /// Whether the role may send to the receivers a web page uses (`/v1/logs`, `/v1/traces`,
    /// the Faro receiver).
    pub fn can_ingest_from_browser(self) -> bool {
        self.can_ingest() || self == Role::Browser
    }

    /// Whether the role may read logs and the views over them.
    pub fn can_read(self) -> bool {
        matches!(self, Role::Reader | Role::Support | Role::Admin)
    }

    /// Whether the role may manage tokens and read the audit log.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    /// The services the token may read (a browser key: send); `None` means all.
    pub services: Option<Vec<String>>,
    /// The origins a browser key may be used from (normalized, see [`super::origins`]).
    pub origins: Option<Vec<String>>,
}

impl Principal {
    /// The principal of a stored token; `None` for an unknown role.
    pub fn from_row(row: TokenRow) -> Option<Principal> {
        Some(Principal {
            token_id: row.id,
            name: row.name,
            role: Role::parse(&row.role)?,
            services: row.services,
            origins: row.origins,
        })
    }

    /// `Ok` when the role passes `allowed`, else 403 naming `action`.
    pub fn require(&self, allowed: fn(Role) -> bool, action: &str) -> Result<(), AuthError> {
        if allowed(self.role) {
            return Ok(());
        }
        Err(AuthError::Forbidden {
            role: self.role.as_str(),
            action: action.to_string(),
        })
    }

    /// The services this caller may read, `None` meaning all; admins are never scoped.
    pub fn scope(&self) -> Option<Vec<String>> {
        if self.role.is_admin() {
            return None;
        }
        self.services.clone()
    }

    /// Whether the caller may read rows of `service`.
    pub fn may_read_service(&self, service: &str) -> bool {
        self.scope()
            .is_none_or(|scope| scope.iter().any(|s| s == service))
    }

    /// The one service a browser key may send records of; `None` for other roles.
    pub fn browser_service(&self) -> Option<&str> {
        let services = self
            .services
            .as_deref()
            .filter(|_| self.role == Role::Browser);
        services.and_then(<[String]>::first).map(String::as_str)
    }

    /// Whether results must have personal data masked.
    pub fn masks_personal_data(&self) -> bool {
        self.role == Role::Support
    }
}
