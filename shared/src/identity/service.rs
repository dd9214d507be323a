//! Identity services: registration, login, token rotation, invitations, password resets,
//! and the partner's users. Functions call these; every multi-item write is one transaction.

mod login;
mod passwords;
mod registration;
mod session_tokens;
mod sessions;
mod staff;
mod users;
mod verification;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::IdentityError;
use super::model::{
    Credential, OneTimeToken, RefreshToken, Session, TokenPurpose, User, UserStatus, new_member,
    new_staff,
};
use super::password::{self, Password};
use crate::audit::AuditEntry;
use crate::auth::permissions::{self as roles, Role};
use crate::auth::tokens::TokenKeys;
use crate::auth::{Auth, Principal};
use crate::config::Secret;
use crate::contact::{Email, Phone};
use crate::fault::{FieldError, Invalid};
use crate::notifications::{EmailKind, OutboxEmail};
use crate::outbox::CrmSync;
use crate::partners::registration::PartnerDraft;
use crate::partners::{Address, BusinessType, KycStatus, Partner, PartnerStatus};
use crate::store::{Entity, Failure, Page, Patch, Query, Store, StoreError, keys};
use crate::validate::{optional, required, rfc3339};

/// Refresh tokens (sessions) last 30 days.
pub const SESSION_TTL_DAYS: i64 = 30;
/// A rotated refresh token presented again within this many seconds is a double submit
/// (two tabs, a retry after a lost answer) and gets a pair of its own; later, it is reuse
/// of a copied token and revokes the session.
pub const REFRESH_GRACE_SECS: i64 = 30;
/// Invitations are valid 7 days, password resets 1 hour.
pub const INVITATION_TTL_HOURS: i64 = 7 * 24;
pub const RESET_TTL_HOURS: i64 = 1;

/// What the identity functions share, built once per cold start (see [`crate::app`]).
#[derive(Debug)]
pub struct Identity {
    pub store: Store,
    /// Token verification (and signing, for the functions that issue tokens).
    pub auth: Option<Auth>,
    /// The web app's base URL, for links in emails.
    pub portal_url: String,
    /// Country code for phone numbers given without one (e.g. "27").
    pub default_country_code: String,
    /// The stage's rate limits (`RATE_LIMITS`).
    pub limits: crate::limits::Limits,
}

impl Identity {
    /// The token keys; a function built without them cannot issue or verify tokens.
    pub fn tokens(&self) -> Result<std::sync::Arc<TokenKeys>, IdentityError> {
        self.auth
            .as_ref()
            .map(Auth::keys)
            .ok_or_else(|| IdentityError::Keys("function built without token keys".into()))
    }

    /// Authenticates and authorises the request for `route`: the token (401), the
    /// permission matrix (403), then the caller as stored now (see [`super::access`]).
    pub async fn require(
        &self,
        req: &lambda_http::Request,
        route: &str,
    ) -> Result<Principal, IdentityError> {
        Ok(self.authorize(req, route, |_| Vec::new()).await?.principal)
    }

    /// [`Self::require`], returning the caller's user and partner as read, and reading the
    /// route's own items (`extra`, keyed from the verified caller) in the same round trip.
    pub async fn authorize(
        &self,
        req: &lambda_http::Request,
        route: &str,
        extra: impl FnOnce(&Principal) -> Vec<crate::store::Key>,
    ) -> Result<super::access::Access, IdentityError> {
        let principal = self
            .auth
            .as_ref()
            .ok_or_else(|| IdentityError::Keys("function built without token keys".into()))?
            .require(req, route)
            .await?;
        let extra = extra(&principal);
        Ok(super::access::check(&self.store, principal, roles::standing(route), &extra).await?)
    }
}

pub use crate::crypto::{random_token, token_hash};

fn email_field(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<Email> {
    Email::parse(value)
        .map_err(|m| errors.push(FieldError::new(field, m)))
        .ok()
}

fn password_field(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &Secret<String>,
) -> Option<Password> {
    Password::parse(value.expose())
        .map_err(|m| errors.push(FieldError::new(field, m)))
        .ok()
}

fn validated<T>(errors: Vec<FieldError>, value: impl FnOnce() -> T) -> Result<T, Invalid> {
    Invalid::check(errors, value)
}

pub use login::*;
pub use passwords::*;
pub use registration::*;
pub use session_tokens::*;
pub use sessions::*;
pub use staff::*;
pub use users::*;
pub use verification::*;
