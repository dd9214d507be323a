//! Issuing token pairs: the signed access token and the rotating refresh token of a session.

use super::*;

/// `{access_token, token_type, expires_in, refresh_token, user}`.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub user: SignedInUser,
}

#[derive(Debug, Serialize)]
pub struct SignedInUser {
    pub id: String,
    pub email: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
}

/// Starts a session: the session item and its first refresh token, to be written in the
/// caller's transaction, and the token pair to return once it commits.
pub(crate) fn start_session(
    id: &Identity,
    cred: &Credential,
    now: DateTime<Utc>,
) -> Result<(Session, RefreshToken, TokenPair), IdentityError> {
    let session = Session {
        id: ulid::Ulid::new().to_string(),
        user_id: cred.user_id.clone(),
        email: cred.email.clone(),
        created_at: now.timestamp_millis(),
        expires_at: (now + Duration::days(SESSION_TTL_DAYS)).timestamp(),
        revoked: false,
    };
    let (refresh, pair) = issue_pair(id, cred, &session.id, now)?;
    Ok((session, refresh, pair))
}

pub(crate) fn issue_pair(
    id: &Identity,
    cred: &Credential,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<(RefreshToken, TokenPair), IdentityError> {
    let refresh_value = random_token();
    let refresh = RefreshToken {
        token_hash: token_hash(&refresh_value),
        session_id: session_id.to_string(),
        email: cred.email.clone(),
        partner_id: cred.partner_id.clone(),
        issued_at: now.timestamp_millis(),
        expires_at: (now + Duration::days(SESSION_TTL_DAYS)).timestamp(),
        used_at: None,
    };
    let (access, expires_in) = id
        .tokens()?
        .issue(
            &cred.user_id,
            cred.role,
            cred.partner_id.as_deref(),
            session_id,
            now.timestamp(),
        )
        .map_err(IdentityError::from)?;
    let pair = TokenPair {
        access_token: access,
        token_type: "Bearer",
        expires_in,
        refresh_token: refresh_value,
        user: SignedInUser {
            id: cred.user_id.clone(),
            email: cred.email.clone(),
            role: cred.role,
            partner_id: cred.partner_id.clone(),
        },
    };
    Ok((refresh, pair))
}

pub(crate) fn partner_suspended() -> IdentityError {
    IdentityError::PartnerSuspended
}

pub(crate) fn invalid_credentials() -> IdentityError {
    IdentityError::InvalidCredentials
}
