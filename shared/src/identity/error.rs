//! What can go wrong signing in, with sessions, users and invitations, in the domain's terms.

use super::access::AccessError;
use crate::auth::AuthError;
use crate::auth::tokens::TokenError;
use crate::fault::{Fault, FieldError, Invalid, Kind};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The token or the role does not let the caller in.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The caller as stored now (user, partner, session) does not allow the route.
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("Your role does not allow this.")]
    NoPartner(#[from] crate::auth::NoPartner),
    /// Wrong email or password, or no such account (never told apart).
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("Contact the partner team to find out why and what happens next.")]
    PartnerSuspended,
    #[error("The refresh token is invalid, expired or revoked; sign in again.")]
    InvalidRefreshToken,
    /// A single-use link (invitation, reset, verification) that does not work.
    #[error("This link is invalid, already used or expired.")]
    InvalidLink,
    #[error("Another owner has to change your role or status.")]
    CannotChangeSelf,
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error(
        "The resource was modified since you read it; fetch it again and retry with its new ETag."
    )]
    Stale,
    #[error("The user activates by accepting their invitation.")]
    InvitationPending,
    /// A function built without token keys, or keys that cannot sign.
    #[error("token keys: {0}")]
    Keys(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TokenError> for IdentityError {
    fn from(e: TokenError) -> Self {
        IdentityError::Keys(e.to_string())
    }
}

impl Fault for IdentityError {
    fn kind(&self) -> Kind {
        match self {
            IdentityError::Invalid(e) => e.kind(),
            IdentityError::Auth(e) => e.kind(),
            IdentityError::Access(e) => e.kind(),
            IdentityError::NoPartner(_)
            | IdentityError::PartnerSuspended
            | IdentityError::CannotChangeSelf => Kind::Forbidden,
            IdentityError::InvalidCredentials | IdentityError::InvalidRefreshToken => {
                Kind::Unauthenticated
            }
            IdentityError::InvalidLink => Kind::Invalid,
            IdentityError::NotFound(_) => Kind::NotFound,
            IdentityError::Stale => Kind::Stale,
            IdentityError::InvitationPending => Kind::Conflict,
            IdentityError::Keys(_) => Kind::Internal,
            IdentityError::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            IdentityError::Invalid(e) => e.code(),
            IdentityError::Auth(e) => e.code(),
            IdentityError::Access(e) => e.code(),
            IdentityError::NoPartner(_) => "forbidden",
            IdentityError::InvalidCredentials => "invalid_credentials",
            IdentityError::PartnerSuspended => "partner_suspended",
            IdentityError::InvalidRefreshToken => "invalid_refresh_token",
            IdentityError::InvalidLink => "invalid_token",
            IdentityError::CannotChangeSelf => "cannot_change_self",
            IdentityError::NotFound(_) => "not_found",
            IdentityError::Stale => "stale_version",
            IdentityError::InvitationPending => "invitation_pending",
            IdentityError::Keys(_) => "internal",
            IdentityError::Store(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            IdentityError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            IdentityError::Access(e) => e.extensions(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            IdentityError::Store(e) => e.retry_after(),
            IdentityError::Access(e) => e.retry_after(),
            _ => None,
        }
    }
}
