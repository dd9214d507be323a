//! Identity services: registration, login, token rotation, invitations, password resets,
//! and the partner's users. Functions call these; every multi-item write is one transaction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::IdentityError;
use super::model::{
    Credential, OneTimeToken, RefreshToken, Session, TokenPurpose, User, UserStatus, new_member,
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

/// A 256-bit random token, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token: its SHA-256, hex. The token itself is never stored.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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

// ------------------------------------------------------------------ registration

/// `POST /v1/auth/register`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub business_name: String,
    pub business_type: BusinessType,
    #[serde(default)]
    pub registration_number: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
    pub contact_person: String,
    pub email: String,
    pub phone: String,
    pub street_address: String,
    #[serde(default)]
    pub suburb: Option<String>,
    pub city: String,
    pub province: String,
    pub postal_code: String,
    pub country: String,
    pub password: Secret<String>,
}

#[derive(Debug, Serialize)]
pub struct Registered {
    pub partner_id: String,
    pub user_id: String,
    pub status: PartnerStatus,
    pub kyc_status: KycStatus,
    pub slug: String,
}

/// Creates the partner application (`pending`, KYC `incomplete`, a unique slug) and its
/// owner in one transaction; the email's credential item makes a second registration with
/// the same email fail as a whole (409), however close together they arrive.
pub async fn register(
    id: &Identity,
    cipher: &crate::crypto::FieldCipher,
    req: RegisterRequest,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Registered, IdentityError> {
    // Each application costs a password hash and a CRM record: limited per source.
    crate::limits::take(
        &id.store,
        "register-source",
        source,
        id.limits.registrations_per_source(),
        now,
    )
    .await?;
    let mut e = Vec::new();
    let business_name = required(&mut e, "/business_name", &req.business_name, 200);
    let registration_number =
        optional(&mut e, "/registration_number", &req.registration_number, 50);
    let vat_number = optional(&mut e, "/vat_number", &req.vat_number, 50);
    let contact_person = required(&mut e, "/contact_person", &req.contact_person, 200);
    let email = email_field(&mut e, "/email", &req.email);
    let phone = Phone::parse(&req.phone, &id.default_country_code)
        .map_err(|m| e.push(FieldError::new("/phone", m)))
        .ok();
    let address = Address {
        street_address: required(&mut e, "/street_address", &req.street_address, 200),
        suburb: optional(&mut e, "/suburb", &req.suburb, 100),
        city: required(&mut e, "/city", &req.city, 100),
        province: required(&mut e, "/province", &req.province, 100),
        postal_code: required(&mut e, "/postal_code", &req.postal_code, 20),
        country: required(&mut e, "/country", &req.country, 100),
    };
    if req.business_type != BusinessType::SoleProprietor && registration_number.is_none() {
        e.push(FieldError::new(
            "/registration_number",
            "is required for companies and partnerships",
        ));
    }
    let password = password_field(&mut e, "/password", &req.password);
    let (email, phone, password) =
        validated(e, || (email.unwrap(), phone.unwrap(), password.unwrap()))?;

    let at = rfc3339(now);
    let (mut partner, slug_guard) = PartnerDraft {
        business_name,
        business_type: req.business_type,
        contact_person,
        email: email.to_string(),
        phone: phone.as_str().to_string(),
        address,
        website: None,
        status: PartnerStatus::Pending,
        crm_sync: CrmSync::pending(),
    }
    .build(&at);
    partner.tax_numbers = crate::partners::TaxNumbers::seal(
        cipher,
        &partner.id,
        registration_number.as_deref(),
        vat_number.as_deref(),
    );
    let partner_id = partner.id.clone();
    let slug = partner.slug.clone();
    let (mut user, mut credential) = new_member(
        &partner_id,
        &email.to_string(),
        Role::Owner,
        UserStatus::Active,
        Some(password::hash(&password)),
        (None, None),
        &at,
    );
    // Nobody has shown the address is theirs yet: until they do, the account works on its
    // application only (and a password reset, which proves the address, claims it).
    user.email_unverified = true;
    credential.email_unverified = true;
    let (verification, verify_mail) = verification_email(id, &user, now);
    let user_id = user.id.clone();
    let audit = AuditEntry::new(
        Some(&partner_id),
        &user_id,
        "partner.registered",
        format!("partner:{partner_id}"),
        &at,
    )
    .change(
        serde_json::Value::Null,
        serde_json::json!({"status": "pending", "kyc_status": "incomplete"}),
    );
    let tx = id
        .store
        .tx()
        .create(
            &credential,
            Failure::conflict("email_taken", "An account with this email already exists."),
        )
        .insert(&partner)
        .insert(&slug_guard)
        .insert(&user)
        .insert(&verification)
        .insert(&verify_mail)
        .add(
            &keys::partner_counters(&partner_id),
            "partner_counters",
            &[("active_owners", 1)],
        )
        .insert(&audit)
        .insert(&crate::outbox::CrmOutbox::new(
            "partner",
            &partner_id,
            &partner_id,
            "create",
            &at,
        ))
        .build();
    match id.store.commit(tx).await {
        Err(StoreError::Condition(Failure::Conflict {
            code: "email_taken",
            ..
        })) => {
            // The address has an account. The caller gets the answer a new application
            // gets (ids nobody will find) and the address's holder an email saying so: an
            // application says nothing about which addresses have accounts.
            existing_account_notice(id, &email.to_string(), now).await?;
            return Ok(Registered {
                partner_id: ulid::Ulid::new().to_string(),
                user_id: ulid::Ulid::new().to_string(),
                status: PartnerStatus::Pending,
                kyc_status: KycStatus::Incomplete,
                slug,
            });
        }
        other => other?,
    }
    tracing::info!(partner_id = %partner_id, user_id = %user_id, "partner registered");
    Ok(Registered {
        partner_id,
        user_id,
        status: PartnerStatus::Pending,
        kyc_status: KycStatus::Incomplete,
        slug,
    })
}

/// Tells the holder of `email` that someone applied with their address: how to sign in,
/// and how to claim the address with a reset if the account is not theirs. At most as
/// many notices per address and window as reset emails; beyond that, nothing is sent
/// (the applicant's answer is the same either way).
async fn existing_account_notice(
    id: &Identity,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let base = id.portal_url.trim_end_matches('/');
    let mail = OutboxEmail::new(
        email,
        EmailKind::AccountExists {
            sign_in_link: format!("{base}/login"),
            reset_link: format!("{base}/password/forgot"),
        },
        &rfc3339(now),
    );
    let subject = token_hash(email);
    let tx = id
        .store
        .tx()
        .patch(
            id.limits
                .resets_per_email()
                .take_patch("exists-email", &subject, now),
        )
        .insert(&mail)
        .build();
    match id.store.commit(tx).await {
        Err(StoreError::Condition(Failure::Throttled { .. })) => Ok(()),
        other => Ok(other?),
    }
}

// ------------------------------------------------------------------ email verification

/// Email-verification links work for 48 hours.
pub const VERIFICATION_TTL_HOURS: i64 = 48;

/// A verification token for `user` and the email carrying its link.
fn verification_email(
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

// ------------------------------------------------------------------ tokens

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
fn start_session(
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

fn issue_pair(
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

fn partner_suspended() -> IdentityError {
    IdentityError::PartnerSuspended
}

fn invalid_credentials() -> IdentityError {
    IdentityError::InvalidCredentials
}

// ------------------------------------------------------------------ login

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
    let tx = id
        .store
        .tx()
        .insert(&session)
        .insert(&refresh)
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

// ------------------------------------------------------------------ refresh / logout

/// `POST /v1/auth/refresh`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: Secret<String>,
}

fn invalid_refresh() -> IdentityError {
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
async fn rotate(
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

async fn revoke_session(store: &Store, session_id: &str) -> Result<(), StoreError> {
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

// ------------------------------------------------------------------ users

/// A user as the API shows it.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub is_active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            role: u.role,
            status: u.status,
            is_active: u.status == UserStatus::Active,
            partner_id: u.partner_id.clone(),
            created_at: u.created_at.clone(),
            updated_at: u.updated_at.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PartnerSummary {
    pub id: String,
    pub business_name: String,
    pub status: PartnerStatus,
    pub kyc_status: KycStatus,
    pub tier: String,
    pub slug: String,
}

/// `GET /v1/me`.
#[derive(Debug, Serialize)]
pub struct Me {
    pub user: UserView,
    pub role: Role,
    pub permissions: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<PartnerSummary>,
}

/// The caller, their permissions and their partner's state: one batched read.
pub fn me(access: &super::access::Access) -> Me {
    let user = &access.user;
    Me {
        role: user.role,
        permissions: roles::permissions(user.role),
        user: UserView::from(user),
        partner: access.partner.as_ref().map(|p| PartnerSummary {
            id: p.id.clone(),
            business_name: p.business_name.clone(),
            status: p.status,
            kyc_status: p.kyc_status,
            tier: p.tier.clone(),
            slug: p.slug.clone(),
        }),
    }
}

/// `GET /v1/users`: the caller's partner's users, one page.
pub async fn list_users(
    store: &Store,
    principal: &Principal,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<UserView>, IdentityError> {
    let partner_id = principal.partner_id()?;
    let query = Query::partition(None, keys::partner_partition(partner_id), limit)
        .prefix(keys::USER_PREFIX);
    let page = store.query::<User>(&query, cursor).await?;
    Ok(Page {
        items: page.items.iter().map(UserView::from).collect(),
        next_cursor: page.next_cursor,
    })
}

/// `POST /v1/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

/// Invites a sub-account: the user (`invited`), its credential (the email guard), a
/// single-use token valid 7 days and the invitation email, in one transaction.
pub async fn invite_user(
    id: &Identity,
    principal: &Principal,
    req: InviteRequest,
    now: DateTime<Utc>,
) -> Result<User, IdentityError> {
    let partner_id = principal.partner_id()?.to_string();
    let mut e = Vec::new();
    let email = email_field(&mut e, "/email", &req.email);
    if !req.role.is_partner_role() {
        e.push(FieldError::new(
            "/role",
            "must be owner, manager, sales or finance",
        ));
    }
    let first_name = optional(&mut e, "/first_name", &req.first_name, 100);
    let last_name = optional(&mut e, "/last_name", &req.last_name, 100);
    let email = validated(e, || email.unwrap())?;

    let partner: Partner = id
        .store
        .get(&keys::partner(&partner_id))
        .await?
        .ok_or(IdentityError::NotFound("partner"))?;
    let at = rfc3339(now);
    let (user, credential) = new_member(
        &partner_id,
        &email.to_string(),
        req.role,
        UserStatus::Invited,
        None,
        (first_name, last_name),
        &at,
    );
    let (invitation, mail) = invitation(&id.portal_url, &user, &partner.business_name, now);
    let audit = AuditEntry::new(
        Some(&partner_id),
        &principal.user_id,
        "user.invited",
        format!("user:{}", user.id),
        &at,
    )
    .change(
        serde_json::Value::Null,
        serde_json::json!({"email": user.email, "role": user.role}),
    );
    let tx = id
        .store
        .tx()
        .create(
            &credential,
            Failure::conflict("email_taken", "An account with this email already exists."),
        )
        .insert(&user)
        .insert(&invitation)
        .insert(&mail)
        .insert(&audit)
        // Every invitation is an email from our address: a partner's daily number is
        // capped, in the same transaction.
        .patch(
            id.limits
                .invitations_per_partner()
                .take_patch("invite-partner", &partner_id, now),
        )
        .build();
    match id.store.commit(tx).await {
        Err(StoreError::Condition(Failure::Conflict {
            code: "email_taken",
            ..
        })) => {
            // One address belongs to one account. The inviter gets the answer any
            // invitation gets (and spends one of the day's invitations); the address's
            // holder is told, and nothing else changes.
            let notice = OutboxEmail::new(
                &user.email,
                EmailKind::InvitedElsewhere {
                    inviter_business: partner.business_name.clone(),
                },
                &at,
            );
            let tx = id
                .store
                .tx()
                .patch(id.limits.invitations_per_partner().take_patch(
                    "invite-partner",
                    &partner_id,
                    now,
                ))
                .insert(&notice)
                .build();
            id.store.commit(tx).await?;
            return Ok(User {
                id: ulid::Ulid::new().to_string(),
                ..user
            });
        }
        other => other?,
    }
    tracing::info!(partner_id = %partner_id, user_id = %user.id, "user invited");
    Ok(user)
}

/// The single-use invitation token (valid 7 days) for an invited user and the email that
/// carries its link (`portal_url` is the web app's base URL); both belong in the
/// transaction that creates the user.
pub fn invitation(
    portal_url: &str,
    user: &User,
    inviter: &str,
    now: DateTime<Utc>,
) -> (OneTimeToken, OutboxEmail) {
    let token = random_token();
    let invitation = OneTimeToken {
        token_hash: token_hash(&token),
        purpose: TokenPurpose::Invitation,
        email: user.email.clone(),
        user_id: user.id.clone(),
        partner_id: user.partner_id.clone(),
        expires_at: (now + Duration::hours(INVITATION_TTL_HOURS)).timestamp(),
    };
    let mail = OutboxEmail::new(
        &user.email,
        EmailKind::Invitation {
            inviter_business: inviter.to_string(),
            role: user.role.to_string(),
            link: format!(
                "{}/invitations/accept?token={token}",
                portal_url.trim_end_matches('/')
            ),
        },
        &rfc3339(now),
    );
    (invitation, mail)
}

/// `POST /v1/auth/invitations/accept`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    pub token: Secret<String>,
    pub password: Secret<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

fn invalid_link() -> IdentityError {
    IdentityError::InvalidLink
}

/// Activates an invited user with their chosen password and signs them in. The token is
/// consumed in the same transaction, so it works exactly once.
pub async fn accept_invitation(
    id: &Identity,
    req: AcceptInvitationRequest,
    now: DateTime<Utc>,
) -> Result<TokenPair, IdentityError> {
    let mut e = Vec::new();
    let password = password_field(&mut e, "/password", &req.password);
    let first_name = optional(&mut e, "/first_name", &req.first_name, 100);
    let last_name = optional(&mut e, "/last_name", &req.last_name, 100);
    let password = validated(e, || password.unwrap())?;

    let key = keys::invitation(&token_hash(req.token.expose()));
    let invitation: OneTimeToken = id.store.get(&key).await?.ok_or_else(invalid_link)?;
    if invitation.expires_at <= now.timestamp() {
        return Err(invalid_link());
    }
    let cred: Credential = id
        .store
        .get(&keys::credential(&invitation.email))
        .await?
        .ok_or_else(invalid_link)?;
    if cred.status != UserStatus::Invited {
        return Err(invalid_link());
    }
    let active = Credential {
        status: UserStatus::Active,
        password_hash: Some(password::hash(&password)),
        ..cred.clone()
    };
    let at = rfc3339(now);
    let (session, refresh, pair) = start_session(id, &active, now)?;
    let mut user_patch = Patch::new(&keys::user(
        invitation.partner_id.as_deref(),
        &invitation.user_id,
    ))
    .set("status", UserStatus::Active)
    .set("updated_at", &at)
    .add("version", 1)
    .require_eq("status", UserStatus::Invited)
    .on_failure(Failure::conflict(
        "invalid_token",
        "This link is invalid, already used or expired.",
    ));
    if let Some(f) = first_name {
        user_patch = user_patch.set("first_name", f);
    }
    if let Some(l) = last_name {
        user_patch = user_patch.set("last_name", l);
    }
    let mut tx = id
        .store
        .tx()
        .delete(
            &key,
            Failure::conflict(
                "invalid_token",
                "This link is invalid, already used or expired.",
            ),
        )
        .patch(user_patch)
        .patch(
            Patch::new(&cred.key())
                .set("status", UserStatus::Active)
                .set("password_hash", active.password_hash.clone())
                .require_eq("status", UserStatus::Invited)
                .on_failure(Failure::conflict(
                    "invalid_token",
                    "This link is invalid, already used or expired.",
                )),
        )
        .insert(&session)
        .insert(&refresh);
    if let (Role::Owner, Some(p)) = (cred.role, &cred.partner_id) {
        tx = tx.add(
            &keys::partner_counters(p),
            "partner_counters",
            &[("active_owners", 1)],
        );
    }
    let audit = AuditEntry::new(
        cred.partner_id.as_deref(),
        &cred.user_id,
        "user.activated",
        format!("user:{}", cred.user_id),
        &at,
    );
    tx = tx.insert(&audit);
    id.store.commit(tx.build()).await.map_err(|err| match err {
        StoreError::Condition(Failure::Conflict {
            code: "invalid_token",
            ..
        }) => invalid_link(),
        other => other.into(),
    })?;
    Ok(pair)
}

/// `PATCH /v1/users/{user_id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// Changes a user's role or active state. The partner's count of active owners is kept in
/// its counters item and may not drop below one (409 `last_owner`), even under concurrent
/// changes, because the decrement is conditional in the same transaction.
pub async fn update_user(
    id: &Identity,
    principal: &Principal,
    user_id: &str,
    expected_version: u64,
    req: UpdateUserRequest,
    now: DateTime<Utc>,
) -> Result<User, IdentityError> {
    let partner_id = principal.partner_id()?.to_string();
    if user_id == principal.user_id && (req.role.is_some() || req.is_active.is_some()) {
        return Err(IdentityError::CannotChangeSelf);
    }
    if let Some(role) = req.role
        && !role.is_partner_role()
    {
        return Err(Invalid::field("/role", "must be owner, manager, sales or finance").into());
    }
    let current: User = id
        .store
        .get(&keys::user(Some(&partner_id), user_id))
        .await?
        .ok_or(IdentityError::NotFound("user"))?;
    if current.version != expected_version {
        return Err(IdentityError::Stale);
    }
    let status = match (req.is_active, current.status) {
        (None, s) => s,
        (Some(false), _) => UserStatus::Deactivated,
        (Some(true), UserStatus::Invited) => {
            return Err(IdentityError::InvitationPending);
        }
        (Some(true), _) => UserStatus::Active,
    };
    let role = req.role.unwrap_or(current.role);
    let at = rfc3339(now);
    // Deactivation and any role change end the user's sessions at once: their tokens are
    // refused on the next request and their refresh tokens stop working.
    let ends_sessions = role != current.role || status != current.status;
    let sessions_valid_after = if ends_sessions {
        crate::auth::session_cut_off(now)
    } else {
        current.sessions_valid_after
    };
    let updated = User {
        role,
        status,
        sessions_valid_after,
        updated_at: at.clone(),
        version: current.version + 1,
        ..current.clone()
    };
    let is_active_owner = |r: Role, s: UserStatus| r == Role::Owner && s == UserStatus::Active;
    let delta =
        is_active_owner(role, status) as i64 - is_active_owner(current.role, current.status) as i64;

    let mut tx = id.store.tx().replace(&updated, expected_version).patch(
        Patch::new(&keys::credential(&current.email))
            .set("role", role)
            .set("status", status)
            .set("sessions_valid_after", sessions_valid_after)
            .require_exists()
            .on_failure(Failure::conflict(
                "user_changed",
                "The user's sign-in changed meanwhile; reload and try again.",
            )),
    );
    let counters = keys::partner_counters(&partner_id);
    if delta < 0 {
        tx = tx.patch(
            Patch::new(&counters)
                .add("active_owners", -1)
                .require_gt("active_owners", 1)
                .on_failure(Failure::conflict(
                    "last_owner",
                    "A partner must keep at least one active owner.",
                )),
        );
    } else if delta > 0 {
        tx = tx.add(&counters, "partner_counters", &[("active_owners", 1)]);
    }
    let audit = AuditEntry::new(
        Some(&partner_id),
        &principal.user_id,
        "user.updated",
        format!("user:{user_id}"),
        &at,
    )
    .change(
        serde_json::json!({"role": current.role, "status": current.status}),
        serde_json::json!({"role": role, "status": status}),
    );
    tx = tx.insert(&audit);
    id.store.commit(tx.build()).await?;
    Ok(updated)
}

// ------------------------------------------------------------------ passwords

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
async fn claim<'a>(
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

// ------------------------------------------------------------------ operations

/// The `admin-bootstrap` event: creates an internal admin. Without `password` the admin
/// is invited by email (the way to do it in AWS); with one (local demo data) they are
/// active at once.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAdminRequest {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Serialize)]
pub struct BootstrappedAdmin {
    pub user_id: String,
    pub email: String,
    pub status: UserStatus,
}

/// Creates an internal admin user (409 `email_taken` if the email has an account).
pub async fn bootstrap_admin(
    id: &Identity,
    req: BootstrapAdminRequest,
    now: DateTime<Utc>,
) -> Result<BootstrappedAdmin, IdentityError> {
    let mut e = Vec::new();
    let email = email_field(&mut e, "/email", &req.email);
    let first_name = optional(&mut e, "/first_name", &req.first_name, 100);
    let last_name = optional(&mut e, "/last_name", &req.last_name, 100);
    let password = req
        .password
        .as_ref()
        .and_then(|p| password_field(&mut e, "/password", p));
    let email = validated(e, || email.unwrap())?;
    let status = if password.is_some() {
        UserStatus::Active
    } else {
        UserStatus::Invited
    };
    let at = rfc3339(now);
    let user = User {
        id: ulid::Ulid::new().to_string(),
        partner_id: None,
        email: email.to_string(),
        first_name,
        last_name,
        role: Role::Admin,
        status,
        email_unverified: false,
        sessions_valid_after: 0,
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
    };
    let credential = Credential {
        email: email.to_string(),
        user_id: user.id.clone(),
        partner_id: None,
        role: Role::Admin,
        status,
        password_hash: password.as_ref().map(password::hash),
        email_unverified: false,
        sessions_valid_after: 0,
    };
    let audit = AuditEntry::new(
        None,
        "system",
        "admin.bootstrapped",
        format!("user:{}", user.id),
        &at,
    );
    let mut tx = id
        .store
        .tx()
        .create(
            &credential,
            Failure::conflict("email_taken", "An account with this email already exists."),
        )
        .insert(&user)
        .insert(&audit);
    if password.is_none() {
        let (invitation, mail) =
            invitation(&id.portal_url, &user, "Partner Portal operations", now);
        tx = tx.insert(&invitation).insert(&mail);
    }
    id.store.commit(tx.build()).await?;
    Ok(BootstrappedAdmin {
        user_id: user.id,
        email: user.email,
        status,
    })
}
