//! Proving the owner's address: single-use verification links and resends.

use super::*;

/// Email-verification links work for 48 hours.
pub const VERIFICATION_TTL_HOURS: i64 = 48;

/// A verification token for `user` and the email carrying its link.
pub(crate) fn verification_email(
    id: &Identity,
    user: &User,
    now: DateTime<Utc>,
) -> (OneTimeToken, OutboxEmail) {
    let token = random_token();
    let record = OneTimeToken {
        token_hash: token_hash(&token),
        purpose: TokenPurpose::EmailVerification,
        email: user.email.clone(),
        user_id: user.id.clone(),
        partner_id: user.partner_id.clone(),
        expires_at: (now + Duration::hours(VERIFICATION_TTL_HOURS)).timestamp(),
    };
    let mail = OutboxEmail::new(
        &user.email,
        EmailKind::VerifyEmail {
            link: format!(
                "{}/verify-email?token={token}",
                id.portal_url.trim_end_matches('/')
            ),
        },
        &rfc3339(now),
    );
    (record, mail)
}

/// `POST /v1/auth/email/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub token: Secret<String>,
}

/// Marks the address verified with the emailed token (single use, 48 hours).
pub async fn verify_email(
    id: &Identity,
    req: VerifyEmailRequest,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let key = keys::email_verification(&token_hash(req.token.expose()));
    let record: OneTimeToken = id.store.get(&key).await?.ok_or_else(invalid_link)?;
    if record.expires_at <= now.timestamp() {
        return Err(invalid_link());
    }
    let tx = id
        .store
        .tx()
        .delete(&key, Failure::conflict("invalid_token", "used"))
        .patch(
            Patch::new(&keys::user(record.partner_id.as_deref(), &record.user_id))
                .remove("email_unverified")
                .add("version", 1)
                .require_exists(),
        )
        .patch(
            Patch::new(&keys::credential(&record.email))
                .remove("email_unverified")
                .require_exists(),
        )
        .insert(&AuditEntry::new(
            record.partner_id.as_deref(),
            &record.user_id,
            "user.email_verified",
            format!("user:{}", record.user_id),
            &rfc3339(now),
        ))
        .build();
    id.store.commit(tx).await.map_err(|err| match err {
        StoreError::Condition(_) => invalid_link(),
        other => other.into(),
    })
}

/// `POST /v1/auth/email/resend`: a new link for the signed-in user, if their address still
/// needs verifying (limited per user: each one is an email).
pub async fn resend_verification(
    id: &Identity,
    user: &User,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    if !user.email_unverified {
        return Ok(());
    }
    let (record, mail) = verification_email(id, user, now);
    let tx = id
        .store
        .tx()
        .insert(&record)
        .insert(&mail)
        .patch(
            id.limits
                .resets_per_email()
                .take_patch("verify-resend", &user.id, now),
        )
        .build();
    id.store.commit(tx).await?;
    Ok(())
}
