//! Authentication and authorisation: the verified caller ([`Principal`]), roles and the
//! permission matrix ([`permissions`]), and access tokens ([`tokens`]). Every function
//! verifies the bearer token itself (the local runner has no gateway authorizer), then the
//! matrix decides the route. A leaf: it knows nothing of users or partners as stored.

pub mod permissions;
pub mod tokens;

pub use permissions::Role;

use lambda_http::Request;
use lambda_http::http::header;

use permissions::{self as roles, Access};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokens::{TokenError, TokenKeys};

/// The verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub partner_id: Option<String>,
    pub role: Role,
    pub session_id: String,
}

impl Principal {
    /// The caller's partner, for partner routes (internal staff have none: forbidden).
    pub fn partner_id(&self) -> Result<&str, NoPartner> {
        self.partner_id.as_deref().ok_or(NoPartner)
    }
}

/// A partner route called by someone without a partner (internal staff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Your role does not allow this.")]
pub struct NoPartner;

impl crate::fault::Fault for NoPartner {
    fn kind(&self) -> crate::fault::Kind {
        crate::fault::Kind::Forbidden
    }
    fn code(&self) -> &'static str {
        "forbidden"
    }
}

/// When a session started (epoch milliseconds): session ids are ULIDs, minted at sign-in.
/// An id that is not a ULID started at 0, so any cut-off ends it.
pub fn session_started_ms(session_id: &str) -> i64 {
    ulid::Ulid::from_string(session_id)
        .map(|u| u.timestamp_ms() as i64)
        .unwrap_or(0)
}

/// The cut-off to store when sessions must end now: every session started up to this
/// millisecond is void; one started later is not.
pub fn session_cut_off(now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.timestamp_millis() + 1
}

/// Where a function's token keys come from: the signing secret (the functions that issue
/// tokens) or the public-keys secret (every verifier: it holds no private key).
#[derive(Debug, Clone)]
pub struct KeySource {
    pub secrets: crate::secrets::Secrets,
    pub secret_id: String,
    pub issuer: String,
    pub audience: String,
    pub can_sign: bool,
}

impl KeySource {
    async fn load(&self, fresh: bool) -> Result<TokenKeys, KeyLoadError> {
        let secret: tokens::SigningKeySecret = if fresh {
            self.secrets.fresh_json(&self.secret_id).await?
        } else {
            self.secrets.json(&self.secret_id).await?
        };
        Ok(TokenKeys::from_secret(
            &secret,
            &self.issuer,
            &self.audience,
            self.can_sign,
        )?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyLoadError {
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Tokens(#[from] tokens::TokenError),
}

/// A verifier reloads its keys on a key id it does not know at most this often, so a key
/// published by a rotation verifies at once while forged key ids cannot make every request
/// read Secrets Manager.
pub const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

/// Verifies tokens and applies the permission matrix.
#[derive(Debug)]
pub struct Auth {
    keys: RwLock<Arc<TokenKeys>>,
    source: Option<KeySource>,
    last_reload: Mutex<Option<Instant>>,
}

impl Auth {
    /// Fixed keys (tests, tools): an unknown key id is simply refused.
    pub fn new(keys: TokenKeys) -> Self {
        Self {
            keys: RwLock::new(Arc::new(keys)),
            source: None,
            last_reload: Mutex::new(None),
        }
    }

    /// Keys read from Secrets Manager at cold start, re-read when a token names a key id
    /// published since (a rotation), at most once per [`KEY_RELOAD_INTERVAL`].
    pub async fn load(source: KeySource) -> Result<Self, KeyLoadError> {
        let keys = source.load(false).await?;
        Ok(Self {
            keys: RwLock::new(Arc::new(keys)),
            source: Some(source),
            last_reload: Mutex::new(None),
        })
    }

    pub fn keys(&self) -> Arc<TokenKeys> {
        self.keys.read().expect("key lock").clone()
    }

    /// The caller, if the request carries a valid bearer token.
    pub async fn authenticate(&self, req: &Request) -> Result<Principal, AuthError> {
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthError::NoToken)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::NoToken)?
            .trim();
        let mut verified = self.keys().verify(token);
        if verified == Err(TokenError::Rejected(tokens::UNKNOWN_KEY)) && self.reload().await {
            verified = self.keys().verify(token);
        }
        let claims = verified.map_err(|e| {
            tracing::info!(reason = %e, "access token rejected");
            AuthError::InvalidToken
        })?;
        Ok(Principal {
            user_id: claims.sub,
            partner_id: claims.pid,
            role: claims.role,
            session_id: claims.sid,
        })
    }

    /// Re-reads the keys if allowed now; whether they were re-read.
    async fn reload(&self) -> bool {
        let Some(source) = &self.source else {
            return false;
        };
        {
            let mut last = self.last_reload.lock().expect("reload lock");
            if last.is_some_and(|t| t.elapsed() < KEY_RELOAD_INTERVAL) {
                return false;
            }
            *last = Some(Instant::now());
        }
        match source.load(true).await {
            Ok(keys) => {
                tracing::info!("token keys re-read for a key id published since start");
                *self.keys.write().expect("key lock") = Arc::new(keys);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "token keys could not be re-read");
                false
            }
        }
    }

    /// Authenticates (unless the route is public) and checks the matrix: unauthenticated,
    /// then forbidden.
    pub async fn require(&self, req: &Request, route: &str) -> Result<Principal, AuthError> {
        let principal = self.authenticate(req).await?;
        match roles::access(route) {
            Some(Access::Authenticated) => Ok(principal),
            Some(Access::Roles(_)) if roles::allows(route, principal.role) => Ok(principal),
            Some(Access::Public) => Ok(principal),
            _ => Err(AuthError::RoleNotAllowed),
        }
    }
}

/// Why a request's caller is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Send a bearer access token.")]
    NoToken,
    #[error("The access token is invalid or expired.")]
    InvalidToken,
    #[error("Your role does not allow this.")]
    RoleNotAllowed,
}

impl crate::fault::Fault for AuthError {
    fn kind(&self) -> crate::fault::Kind {
        match self {
            AuthError::NoToken | AuthError::InvalidToken => crate::fault::Kind::Unauthenticated,
            AuthError::RoleNotAllowed => crate::fault::Kind::Forbidden,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AuthError::NoToken | AuthError::InvalidToken => "unauthenticated",
            AuthError::RoleNotAllowed => "forbidden",
        }
    }
}
