//! Authentication and authorisation: the verified caller ([`Principal`]), roles and the
//! permission matrix ([`permissions`]), and access tokens ([`tokens`]). Every function
//! verifies the bearer token itself (the local runner has no gateway authorizer), then the
//! matrix decides the route. A leaf: it knows nothing of users or partners as stored.

pub mod permissions;
pub mod tokens;

pub use permissions::Role;

use lambda_http::Request;
use lambda_http::http::header;

use crate::http::Problem;
use permissions::{self as roles, Access};
use tokens::TokenKeys;

/// The verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub partner_id: Option<String>,
    pub role: Role,
    pub session_id: String,
}

impl Principal {
    /// The caller's partner, for partner routes (internal staff have none: 403).
    pub fn partner_id(&self) -> Result<&str, Problem> {
        self.partner_id.as_deref().ok_or_else(Problem::forbidden)
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

/// Verifies tokens and applies the permission matrix.
#[derive(Debug)]
pub struct Auth {
    keys: TokenKeys,
}

impl Auth {
    pub fn new(keys: TokenKeys) -> Self {
        Self { keys }
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// 401 unless the request carries a valid bearer token.
    pub fn authenticate(&self, req: &Request) -> Result<Principal, Problem> {
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Problem::unauthorized("Send a bearer access token."))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| Problem::unauthorized("Send a bearer access token."))?
            .trim();
        let claims = self.keys.verify(token).map_err(|e| {
            tracing::info!(reason = %e, "access token rejected");
            Problem::unauthorized("The access token is invalid or expired.")
        })?;
        Ok(Principal {
            user_id: claims.sub,
            partner_id: claims.pid,
            role: claims.role,
            session_id: claims.sid,
        })
    }

    /// Authenticates (unless the route is public) and checks the matrix: 401, then 403.
    pub fn require(&self, req: &Request, route: &str) -> Result<Principal, Problem> {
        let principal = self.authenticate(req)?;
        match roles::access(route) {
            Some(Access::Authenticated) => Ok(principal),
            Some(Access::Roles(_)) if roles::allows(route, principal.role) => Ok(principal),
            Some(Access::Public) => Ok(principal),
            _ => Err(Problem::forbidden()),
        }
    }
}
