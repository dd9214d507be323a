//! Forgotten passwords: reset links that answer alike for every address, and resets that prove (and claim) an address.

use super::*;

/// `POST /v1/auth/password/forgot`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    pub email: String,
}

/// Emails a reset link (valid 1 hour, single use) if an active account has this email.
/// The caller answers 202 either way.
pub async fn forgot_password(
    id: &Identity,
    req: ForgotPasswordRequest,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let subject = token_hash(&req.email.trim().to_lowercase());
    crate::limits::take_all(
        &id.store,
        &[
            ("forgot-email", &subject, id.limits.resets_per_email()),
            ("forgot-source", source, id.limits.resets_per_source()),
        ],
        now,
    )
    .await?;
    let cred = match Email::parse(&req.email) {
        Ok(email) => {
            id.store
                .get::<Credential>(&keys::credential(email.as_str()))
                .await?
        }
        Err(_) => None,
    };
    let token = random_token();
    let at = rfc3339(now);
    let expires_at = (now + Duration::hours(RESET_TTL_HOURS)).timestamp();
    let tx = match cred.filter(|c| c.status == UserStatus::Active) {
        Some(cred) => {
            let reset = OneTimeToken {
                token_hash: token_hash(&token),
                purpose: TokenPurpose::PasswordReset,
                email: cred.email.clone(),
                user_id: cred.user_id.clone(),
                partner_id: cred.partner_id.clone(),
                expires_at,
            };
            let mail = OutboxEmail::new(
                &cred.email,
                EmailKind::PasswordReset {
                    link: format!(
                        "{}/password/reset?token={token}",
                        id.portal_url.trim_end_matches('/')
                    ),
                },
                &at,
            );
            id.store.tx().insert(&reset).insert(&mail)
        }
        // No account: the same work (a reset token nobody will ever hold, expiring like a
        // real one), so the answer's timing says nothing about the address.
        None => id.store.tx().insert(&OneTimeToken {
            token_hash: token_hash(&token),
            purpose: TokenPurpose::PasswordReset,
            email: String::new(),
            user_id: String::new(),
            partner_id: None,
            expires_at,
        }),
    };
    id.store.commit(tx.build()).await?;
    Ok(())
}

/// `POST /v1/auth/password/reset`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: Secret<String>,
    pub password: Secret<String>,
}

/// Sets a new password with a reset token (consumed in the same transaction) and ends
/// every existing session of the account.
pub async fn reset_password(
    id: &Identity,
    req: ResetPasswordRequest,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let mut e = Vec::new();
    let password = password_field(&mut e, "/password", &req.password);
    let password = validated(e, || password.unwrap())?;
    let key = keys::password_reset(&token_hash(req.token.expose()));
    let reset: OneTimeToken = id.store.get(&key).await?.ok_or_else(invalid_link)?;
    if reset.expires_at <= now.timestamp() {
        return Err(invalid_link());
    }
    let at = rfc3339(now);
    let audit = AuditEntry::new(
        reset.partner_id.as_deref(),
        &reset.user_id,
        "user.password_reset",
        format!("user:{}", reset.user_id),
        &at,
    );
    let cut_off = crate::auth::session_cut_off(now);
    let cred: Credential = id
        .store
        .get(&keys::credential(&reset.email))
        .await?
        .ok_or_else(invalid_link)?;
    let mut tx = id
        .store
        .tx()
        .delete(&key, Failure::conflict("invalid_token", "used"))
        .patch(
            Patch::new(&keys::credential(&reset.email))
                .set("password_hash", password::hash(&password))
                .set("sessions_valid_after", cut_off)
                .remove("email_unverified")
                .require_exists(),
        )
        // The user item carries the same cut-off for the per-request check; the version
        // moves so that a concurrent whole-item update cannot put the old one back.
        .patch(
            Patch::new(&keys::user(reset.partner_id.as_deref(), &reset.user_id))
                .set("sessions_valid_after", cut_off)
                .remove("email_unverified")
                .add("version", 1)
                .require_exists(),
        )
        .insert(&audit);
    if let (true, Some(partner_id)) = (cred.email_unverified, &reset.partner_id) {
        tx = claim(id, tx, partner_id, &reset.user_id, cut_off, &at).await?;
    }
    id.store.commit(tx.build()).await.map_err(|err| match err {
        StoreError::Condition(_) => invalid_link(),
        other => other.into(),
    })?;
    Ok(())
}

/// Users of an unverified owner's partner removed when the address is claimed, at most
/// (each costs two writes in the claiming transaction).
pub const MAX_CLAIMED_USERS: i32 = 40;

/// The owner of an address nobody had verified proves it with a reset: whoever registered
/// it may not have been them, so every other user of that partner (all added before the
/// address was proven) is deactivated and signed out, in the reset's transaction.
pub(crate) async fn claim<'a>(
    id: &'a Identity,
    mut tx: crate::store::TxBuilder<'a>,
    partner_id: &str,
    owner_id: &str,
    cut_off: i64,
    at: &str,
) -> Result<crate::store::TxBuilder<'a>, IdentityError> {
    let users: Vec<User> = id
        .store
        .query_up_to(
            &Query::partition(None, keys::partner_partition(partner_id), MAX_CLAIMED_USERS)
                .prefix(keys::USER_PREFIX),
        )
        .await?;
    let mut owners_removed = 0;
    for user in users
        .iter()
        .filter(|u| u.id != owner_id && u.status != UserStatus::Deactivated)
    {
        if user.role == Role::Owner && user.status == UserStatus::Active {
            owners_removed += 1;
        }
        tx = tx
            .patch(
                Patch::new(&user.key())
                    .set("status", UserStatus::Deactivated)
                    .set("sessions_valid_after", cut_off)
                    .set("updated_at", at)
                    .add("version", 1),
            )
            .patch(
                Patch::new(&keys::credential(&user.email))
                    .set("status", UserStatus::Deactivated)
                    .set("sessions_valid_after", cut_off)
                    .require_exists(),
            );
    }
    if owners_removed > 0 {
        tx = tx.add(
            &keys::partner_counters(partner_id),
            "partner_counters",
            &[("active_owners", -owners_removed)],
        );
    }
    tracing::info!(partner_id = %partner_id, "unverified address claimed by a reset");
    Ok(tx.insert(&AuditEntry::new(
        Some(partner_id),
        owner_id,
        "user.address_claimed",
        format!("user:{owner_id}"),
        at,
    )))
}
