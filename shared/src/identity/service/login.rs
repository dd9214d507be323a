//! Signing in with email and password: throttled per address and source before the hash is checked.

use super::*;

/// `POST /v1/auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: Secret<String>,
}

/// Signs a user in. Attempts are limited per submitted email (whether or not an account
/// has it, so a 429 says nothing about existence) and per source address; a success resets
/// the email's count and does not count against its source. A token is taken from both
/// limits first, in one conditional transaction, so parallel guesses cannot outrun the limit:
/// twenty at once against a limit of five get five password checks and fifteen 429s.
/// Then the credential (and, on the right password, the partner's standing) is read, and
/// the session written in one transaction. Unknown emails cost the same hashing work and
/// get the same answers as wrong passwords, 429 included.
pub async fn login(
    id: &Identity,
    req: LoginRequest,
    source: &str,
    now: DateTime<Utc>,
) -> Result<TokenPair, IdentityError> {
    let password = req.password.expose();
    let email = Email::parse(&req.email).ok();
    let subject = token_hash(
        &email
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_else(|| req.email.trim().to_lowercase()),
    );
    let (per_email, per_source) = (id.limits.login_per_email(), id.limits.login_per_source());
    crate::limits::take_all(
        &id.store,
        &[
            ("login-account", &subject, per_email),
            ("login-source", source, per_source),
        ],
        now,
    )
    .await?;
    let cred: Option<Credential> = match &email {
        Some(e) => id.store.get(&keys::credential(e.as_str())).await?,
        None => None,
    };
    let verified = match cred
        .as_ref()
        .and_then(|c| c.password_hash.as_ref().map(|h| (c, h)))
    {
        Some((c, hash)) => password::verify(password, hash) && c.status == UserStatus::Active,
        None => {
            password::verify_nothing(password);
            false
        }
    };
    let Some(cred) = cred.filter(|_| verified) else {
        tracing::info!("login failed");
        return Err(invalid_credentials());
    };
    // The right password for a suspended partner's user: say so (only to someone who
    // proved the password, so it tells an outsider nothing).
    if let Some(partner_id) = &cred.partner_id {
        let partner: Option<Partner> = id.store.get(&keys::partner(partner_id)).await?;
        match partner.map(|p| p.status) {
            Some(PartnerStatus::Suspended) => return Err(partner_suspended()),
            Some(_) => {}
            None => return Err(invalid_credentials()),
        }
    }
    let (session, refresh, pair) = start_session(id, &cred, now)?;
    // On the partner's timeline (and the operations feed): who signed in, not from where.
    let audit = crate::audit::AuditEntry::new(
        cred.partner_id.as_deref(),
        &cred.user_id,
        "user.login",
        format!("user:{}", cred.user_id),
        &crate::validate::rfc3339(now),
    );
    let tx = id
        .store
        .tx()
        .insert(&session)
        .insert(&refresh)
        .insert(&audit)
        .patch(crate::limits::reset(
            per_email,
            "login-account",
            &subject,
            now,
        ))
        .patch(crate::limits::refund(
            per_source,
            "login-source",
            source,
            now,
        ));
    id.store.commit(tx.build()).await?;
    tracing::info!(user_id = %cred.user_id, "login succeeded");
    Ok(pair)
}
