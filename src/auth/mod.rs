//! Access control shared by the receivers and the read API: bearer tokens (stored as SHA-256
//! hashes), roles with optional service scopes, per-token rate limits, per-client-address
//! limits of browser keys ([`clients`]), and a bounded pace of database lookups for tokens not
//! cached ([`lookups`]).

pub mod clients;
mod credentials;
mod limits;
mod lookups;
pub mod origins;
mod principal;
pub mod token;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;

pub use credentials::{ClientAddress, Credentials, query_key};
pub use limits::{Direction, RateLimits};
pub use principal::{Principal, Role};

use crate::config::Config;
use crate::error::ErrorCode;
use crate::store;
use clients::ClientLimits;
use lookups::Lookups;

/// How long a looked-up token is trusted before it is looked up again; a token revoked from
/// another process (`logbridge tokens revoke`) stops working within this time.
const CACHE_TTL: Duration = Duration::from_secs(5);

/// Recently looked-up principals by token hash, with the time of the lookup.
type TokenCache = HashMap<Vec<u8>, (Principal, Instant)>;

/// The origins of every live browser key, with the time of the lookup.
type OriginsCache = Option<(Arc<[String]>, Instant)>;

/// Why a request was refused; the read API and the receivers map these to their statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "a token is required (Authorization: Bearer <token>, or Basic with the token as the password)"
    )]
    Missing,
    #[error("the bearer token is invalid or revoked")]
    Invalid,
    #[error("the token's role {role} may not {action}")]
    Forbidden { role: &'static str, action: String },
    #[error(
        "this browser key may not be used from the origin {0:?}; \
         a browser key is used from a page on one of its origins"
    )]
    OriginRefused(String),
    #[error(
        "a browser key sends only to /v1/logs, /v1/traces and /faro/collect, \
         records of its service {0:?}"
    )]
    BrowserOnly(String),
    #[error("too many requests for this token; retry in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error(
        "too many requests with browser keys from this client address; \
         retry in {retry_after_seconds} s"
    )]
    ClientRateLimited { retry_after_seconds: u64 },
    #[error(
        "only a browser key may be given in the URL (?key= or /collect/{{key}}); \
         send other tokens in the Authorization header"
    )]
    UrlKeyNotBrowser,
    #[error("tokens cannot be checked: the database is unavailable")]
    Unavailable,
}

impl AuthError {
    /// Its code in the error table (status, gRPC code, metric labels).
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Missing | AuthError::Invalid => ErrorCode::Unauthorized,
            AuthError::Forbidden { .. }
            | AuthError::OriginRefused(_)
            | AuthError::BrowserOnly(_)
            | AuthError::UrlKeyNotBrowser => ErrorCode::Forbidden,
            AuthError::RateLimited { .. } | AuthError::ClientRateLimited { .. } => {
                ErrorCode::RateLimited
            }
            AuthError::Unavailable => ErrorCode::Unavailable,
        }
    }

    /// Seconds to wait before retrying, for the retryable ones.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            AuthError::RateLimited {
                retry_after_seconds,
            }
            | AuthError::ClientRateLimited {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            AuthError::Unavailable => Some(1),
            _ => None,
        }
    }
}

/// Looks up tokens (with a short cache) and applies the rate limits. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    pool: PgPool,
    cache: Arc<Mutex<TokenCache>>,
    limits: Arc<RateLimits>,
    clients: Arc<ClientLimits>,
    lookups: Arc<Lookups>,
    require_ingest_token: bool,
    browser_origins: Arc<Mutex<OriginsCache>>,
}

impl Authenticator {
    /// An authenticator over the tokens in `pool`'s database.
    pub fn new(pool: PgPool, config: &Config) -> Authenticator {
        Authenticator {
            pool,
            cache: Arc::default(),
            limits: Arc::new(RateLimits::new(config)),
            clients: Arc::new(ClientLimits::new(&config.access)),
            lookups: Arc::new(Lookups::new(config.access.token_lookups_per_second)),
            require_ingest_token: config.ingest.require_token,
            browser_origins: Arc::default(),
        }
    }

    /// The principal of an `Authorization` header value, rate-limited for `direction`.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        direction: Direction,
    ) -> Result<Principal, AuthError> {
        let secret = authorization
            .and_then(token::secret)
            .ok_or(if authorization.is_some() {
                AuthError::Invalid
            } else {
                AuthError::Missing
            })?;
        let principal = self.lookup(&token::hash(&secret)).await?;
        self.limits.check(direction, principal.token_id)?;
        Ok(principal)
    }

    /// Checks an ingest request: a token when one is given or required, of role `ingest` or
    /// `admin`. `None` means an anonymous request that is allowed.
    pub async fn authorize_ingest(
        &self,
        authorization: Option<&str>,
    ) -> Result<Option<Principal>, AuthError> {
        if authorization.is_none() && !self.require_ingest_token {
            return Ok(None);
        }
        let principal = self.authenticate(authorization, Direction::Ingest).await?;
        if let Some(service) = principal.browser_service() {
            return Err(AuthError::BrowserOnly(service.to_string()));
        }
        principal.require(Role::can_ingest, "send logs")?;
        Ok(Some(principal))
    }

    /// Checks a request to a receiver web pages use: as [`Self::authorize_ingest`], and a
    /// browser key is accepted too when the request's `Origin` is one of the key's.
    pub async fn authorize_browser_ingest(
        &self,
        authorization: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Option<Principal>, AuthError> {
        if authorization.is_none() && !self.require_ingest_token {
            return Ok(None);
        }
        let principal = self.authenticate(authorization, Direction::Ingest).await?;
        principal.require(Role::can_ingest_from_browser, "send logs")?;
        let Some(allowed) = principal.origins.as_deref() else {
            return Ok(Some(principal));
        };
        match origin {
            Some(origin) if origins::allows(allowed, origin) => Ok(Some(principal)),
            _ => Err(AuthError::OriginRefused(origin.unwrap_or("").to_string())),
        }
    }

    /// Whether some live browser key allows `origin`: what a CORS preflight, which carries no
    /// key, is answered by. Looked up at most once per cache period.
    pub async fn browser_key_allows(&self, origin: &str) -> Result<bool, AuthError> {
        let cached = self
            .browser_origins
            .lock()
            .expect("origins cache lock")
            .clone();
        let fresh = cached.filter(|(_, at)| at.elapsed() < CACHE_TTL);
        let allowed = match fresh {
            Some((allowed, _)) => allowed,
            None => {
                let looked_up = store::tokens::browser_origins(&self.pool).await;
                let allowed: Arc<[String]> = looked_up
                    .map_err(|error| {
                        tracing::warn!(%error, "browser key origins lookup failed");
                        AuthError::Unavailable
                    })?
                    .into();
                let entry = (Arc::clone(&allowed), Instant::now());
                *self.browser_origins.lock().expect("origins cache lock") = Some(entry);
                allowed
            }
        };
        Ok(origins::allows(&allowed, origin))
    }

    /// The origins of `key` when it is a live browser key, `None` when it is another token or
    /// no token at all: what a preflight to a URL naming a key is answered by.
    pub async fn browser_key_origins(&self, key: &str) -> Result<Option<Vec<String>>, AuthError> {
        match self.lookup(&token::hash(key)).await {
            Ok(principal) if principal.role == Role::Browser => Ok(principal.origins),
            Ok(_) | Err(AuthError::Invalid) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Takes one request from the bucket of the client address a browser key is used from.
    pub fn check_browser_client(&self, address: &ClientAddress) -> Result<(), AuthError> {
        self.clients.check(address)
    }

    /// Forgets cached tokens, so that a revocation takes effect at once in this process.
    pub fn forget_cached(&self) {
        self.cache.lock().expect("token cache lock").clear();
        *self.browser_origins.lock().expect("origins cache lock") = None;
        self.lookups.forget();
    }

    async fn lookup(&self, hash: &[u8]) -> Result<Principal, AuthError> {
        if let Some(principal) = self.cached(hash) {
            return Ok(principal);
        }
        self.lookups.admit(hash)?;
        let row = store::tokens::find_live(&self.pool, hash)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "token lookup failed");
                AuthError::Unavailable
            })?;
        let Some(principal) = row.and_then(Principal::from_row) else {
            self.lookups.found_unknown(hash);
            return Err(AuthError::Invalid);
        };
        let mut cache = self.cache.lock().expect("token cache lock");
        cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
        cache.insert(hash.to_vec(), (principal.clone(), Instant::now()));
        Ok(principal)
    }

    fn cached(&self, hash: &[u8]) -> Option<Principal> {
        let cache = self.cache.lock().expect("token cache lock");
        let (principal, at) = cache.get(hash)?;
        (at.elapsed() < CACHE_TTL).then(|| principal.clone())
    }
}
