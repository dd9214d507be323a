//! Whether the holder of a verified access token may still act. A token says who someone
//! was when it was issued; this reads who they are now. One batched read per request takes
//! the user and their partner as stored (plus any items the route itself needs, in the
//! same round trip) and refuses:
//!
//! - a user who is no longer active, or whose role changed since the token was issued;
//! - a session started before the user's or the partner's `sessions_valid_after` (set when
//!   a user is deactivated, demoted or resets the password, and when a partner is
//!   suspended or rejected), or one that was signed out (logout, theft detection);
//! - a route the partner's current standing does not allow ([`Standing`]).

use crate::auth::permissions::Standing;
use crate::auth::{Principal, session_started_ms};
use crate::identity::model::{Session, User, UserStatus};
use crate::partners::{Partner, PartnerStatus};
use crate::store::{Fetched, Key, Store, StoreError, keys};

/// The caller as stored, read once per request.
#[derive(Debug)]
pub struct Access {
    pub principal: Principal,
    pub user: User,
    /// The caller's partner (none for internal staff).
    pub partner: Option<Partner>,
    /// The route's own items, read in the same round trip.
    pub fetched: Fetched,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The user is gone, inactive or changed, or the session was ended: sign in again.
    #[error("Your access has changed or your session was ended; sign in again.")]
    SessionEnded,
    /// The partner's lifecycle state does not allow the route.
    #[error("{}", standing_detail(*.0))]
    Standing(PartnerStatus),
    /// A self-registered owner who has not proven their address yet: onboarding only.
    #[error(
        "Open the link in the email we sent when you applied; POST /v1/auth/email/resend sends a new one."
    )]
    Unverified,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::fault::Fault for AccessError {
    fn kind(&self) -> crate::fault::Kind {
        use crate::fault::Kind;
        match self {
            AccessError::SessionEnded => Kind::Unauthenticated,
            AccessError::Standing(_) | AccessError::Unverified => Kind::Forbidden,
            AccessError::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AccessError::SessionEnded => "session_ended",
            AccessError::Standing(_) => "partner_not_active",
            AccessError::Unverified => "email_unverified",
            AccessError::Store(e) => e.code(),
        }
    }

    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            AccessError::Standing(status) => vec![("partner_status", status.as_str().into())],
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AccessError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}

fn standing_detail(status: PartnerStatus) -> &'static str {
    match status {
        PartnerStatus::Pending | PartnerStatus::UnderReview => {
            "Your application is not approved yet: only the application and KYC documents are open."
        }
        PartnerStatus::Suspended => "Your partner account is suspended.",
        PartnerStatus::Rejected => "Your partner application was rejected.",
        PartnerStatus::Approved => "This is not allowed.",
    }
}

/// Whether a partner in `status` may call a route that needs `standing`.
pub fn allows(status: PartnerStatus, standing: Standing) -> bool {
    match status {
        PartnerStatus::Approved => true,
        PartnerStatus::Pending | PartnerStatus::UnderReview => standing != Standing::Active,
        PartnerStatus::Suspended | PartnerStatus::Rejected => standing == Standing::Any,
    }
}

/// Reads the caller (and `extra`, for the route) in one round trip and applies the rules
/// above.
pub async fn check(
    store: &Store,
    principal: Principal,
    standing: Standing,
    extra: &[Key],
) -> Result<Access, AccessError> {
    let user_key = keys::user(principal.partner_id.as_deref(), &principal.user_id);
    let partner_key = principal.partner_id.as_deref().map(keys::partner);
    let session_key = keys::session(&principal.session_id);
    let mut wanted = vec![user_key.clone(), session_key.clone()];
    wanted.extend(partner_key.clone());
    wanted.extend(
        extra
            .iter()
            .filter(|k| !wanted.contains(k))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let mut fetched = store.fetch(&wanted).await?;
    let user: User = fetched.take(&user_key)?.ok_or(AccessError::SessionEnded)?;
    let partner: Option<Partner> = match &partner_key {
        Some(k) => Some(fetched.take(k)?.ok_or(AccessError::SessionEnded)?),
        None => None,
    };
    let session: Option<Session> = fetched.take(&session_key)?;
    let started = session_started_ms(&principal.session_id);
    let ended = session.is_none_or(|s| s.revoked)
        || user.status != UserStatus::Active
        || user.role != principal.role
        || started < user.sessions_valid_after
        || partner
            .as_ref()
            .is_some_and(|p| started < p.sessions_valid_after);
    if ended {
        tracing::info!(user_id = %principal.user_id, "access token of an ended session refused");
        return Err(AccessError::SessionEnded);
    }
    if let Some(p) = &partner
        && !allows(p.status, standing)
    {
        return Err(AccessError::Standing(p.status));
    }
    if user.email_unverified && standing == Standing::Active {
        return Err(AccessError::Unverified);
    }
    Ok(Access {
        principal,
        user,
        partner,
        fetched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partner_state_opens_exactly_its_routes() {
        use PartnerStatus::*;
        use Standing::*;
        for s in [Any, Onboarding, Active] {
            assert!(allows(Approved, s));
        }
        for status in [Pending, UnderReview] {
            assert!(allows(status, Any) && allows(status, Onboarding));
            assert!(!allows(status, Active));
        }
        for status in [Suspended, Rejected] {
            assert!(allows(status, Any));
            assert!(!allows(status, Onboarding) && !allows(status, Active));
        }
    }

    #[test]
    fn a_session_started_before_the_cut_off_is_ended_and_one_after_is_not() {
        let now = chrono::Utc::now();
        let before = ulid::Ulid::from_parts(now.timestamp_millis() as u64, 1).to_string();
        let cut = crate::auth::session_cut_off(now);
        assert!(session_started_ms(&before) < cut);
        let after = ulid::Ulid::from_parts(cut as u64, 1).to_string();
        assert!(session_started_ms(&after) >= cut);
        assert_eq!(session_started_ms("not-a-ulid"), 0);
    }
}
