//! Request authentication: every function verifies the bearer token itself (the local
//! runner has no gateway authorizer), then the permission matrix decides the route.

use lambda_http::Request;
use lambda_http::http::header;

use super::roles::{self, Access, Role};
use super::tokens::TokenKeys;
use crate::http::Problem;

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
