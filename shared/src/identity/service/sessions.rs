//! Refreshing and ending sessions: rotation with theft detection, a short double-submit grace, sign-out.

use super::*;

/// `POST /v1/auth/refresh`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: Secret<String>,
}

impl RefreshRequest {
    /// The refresh token in a web portal request's cookie (see [`crate::http::browser`]).
    pub fn from_cookie(req: &lambda_http::Request) -> Option<Self> {
        crate::http::browser::cookie(req, crate::http::browser::REFRESH_COOKIE).map(|token| Self {
            refresh_token: Secret::new(token),
        })
    }
}

pub(crate) fn invalid_refresh() -> IdentityError {
    IdentityError::InvalidRefreshToken
}

/// Rotates a refresh token. Presenting a token that was already rotated means it was
/// copied: the whole session is revoked (theft detection). A deactivated user, a reset
/// password or a logout ends the session here.
pub async fn refresh(
    id: &Identity,
    req: RefreshRequest,
    now: DateTime<Utc>,
) -> Result<TokenPair, IdentityError> {
    let hash = token_hash(req.refresh_token.expose());
    let token: RefreshToken = id
        .store
        .get(&keys::refresh_token(&hash))
        .await?
        .ok_or_else(invalid_refresh)?;
    if token.expires_at <= now.timestamp() {
        return Err(invalid_refresh());
    }
    let (session_key, cred_key) = (
        keys::session(&token.session_id),
        keys::credential(&token.email),
    );
    let partner_key = token.partner_id.as_deref().map(keys::partner);
    let mut wanted = vec![session_key.clone(), cred_key.clone()];
    wanted.extend(partner_key.clone());
    let mut items = id.store.fetch(&wanted).await?;
    let session: Option<Session> = items.take(&session_key)?;
    let cred: Option<Credential> = items.take(&cred_key)?;
    let partner: Option<Partner> = match &partner_key {
        Some(k) => items.take(k)?,
        None => None,
    };

    let now_ms = now.timestamp_millis();
    if let Some(used) = token.used_at
        && now_ms - used >= REFRESH_GRACE_SECS * 1000
    {
        revoke_session(&id.store, &token.session_id).await?;
        tracing::warn!(session_id = %token.session_id, "rotated refresh token presented again; session revoked");
        return Err(invalid_refresh());
    }
    let (Some(session), Some(cred)) = (session, cred) else {
        return Err(invalid_refresh());
    };
    // A suspended or rejected partner, or one whose sessions were ended, signs nobody in.
    let partner_ended = partner.as_ref().is_some_and(|p| {
        matches!(p.status, PartnerStatus::Suspended) || session.created_at < p.sessions_valid_after
    }) || (token.partner_id.is_some() && partner.is_none());
    if session.revoked
        || session.expires_at <= now.timestamp()
        || cred.status != UserStatus::Active
        || token.issued_at < cred.sessions_valid_after
        || partner_ended
    {
        return Err(invalid_refresh());
    }

    let first_use = token.used_at.is_none();
    let (next, pair) = issue_pair(id, &cred, &session.id, now)?;
    match rotate(id, &token, &session, &next, now, first_use).await {
        Ok(()) => Ok(pair),
        Err(StoreError::Condition(Failure::Conflict {
            code: "refresh_token_reused",
            ..
        })) => {
            // Another request rotated this token a moment ago (a double submit, or a
            // retry after a lost answer): within the grace it gets a pair of its own.
            let (next, pair) = issue_pair(id, &cred, &session.id, now)?;
            match rotate(id, &token, &session, &next, now, false).await {
                Ok(()) => Ok(pair),
                Err(StoreError::Condition(_)) => Err(invalid_refresh()),
                Err(e) => Err(e.into()),
            }
        }
        Err(StoreError::Condition(_)) => Err(invalid_refresh()),
        Err(e) => Err(e.into()),
    }
}

/// Stores the next refresh token of a live session; on a token's first use, marks it used
/// (only if nobody did meanwhile).
pub(crate) async fn rotate(
    id: &Identity,
    token: &RefreshToken,
    session: &Session,
    next: &RefreshToken,
    now: DateTime<Utc>,
    first_use: bool,
) -> Result<(), StoreError> {
    let mut tx = id.store.tx();
    if first_use {
        tx = tx.patch(
            Patch::new(&token.key())
                .set("used_at", now.timestamp_millis())
                .require_exists()
                .require_unset("used_at")
                .on_failure(Failure::conflict("refresh_token_reused", "reused")),
        );
    }
    let tx = tx
        .patch(
            Patch::new(&session.key())
                .set("last_used_at", now.timestamp_millis())
                .require_eq("revoked", false)
                .on_failure(Failure::conflict("session_revoked", "revoked")),
        )
        .insert(next)
        .build();
    id.store.commit(tx).await
}

pub(crate) async fn revoke_session(store: &Store, session_id: &str) -> Result<(), StoreError> {
    match store
        .apply(
            Patch::new(&keys::session(session_id))
                .set("revoked", true)
                .require_exists(),
        )
        .await
    {
        Ok(()) | Err(StoreError::Condition(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `POST /v1/auth/logout`: revokes the caller's session (every refresh token of it); its
/// access tokens stop working at once too (the per-request check reads the session).
pub async fn logout(id: &Identity, principal: &Principal) -> Result<(), IdentityError> {
    revoke_session(&id.store, &principal.session_id).await?;
    Ok(())
}

/// `POST /v1/auth/logout` with `{refresh_token}` and no access token (RFC 7009 style: a
/// client whose access token expired can still sign out). An unknown or expired token
/// gets the same answer: there is nothing to revoke.
pub async fn logout_with_refresh_token(
    id: &Identity,
    req: RefreshRequest,
) -> Result<(), IdentityError> {
    let hash = token_hash(req.refresh_token.expose());
    if let Some(token) = id
        .store
        .get::<RefreshToken>(&keys::refresh_token(&hash))
        .await?
    {
        revoke_session(&id.store, &token.session_id).await?;
    }
    Ok(())
}
