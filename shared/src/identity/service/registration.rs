//! Partner applications: the partner and its owner in one transaction; a taken address answers like a free one.

use super::*;

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
            crate::outbox::OutboxEntity::Partner,
            &partner_id,
            &partner_id,
            crate::outbox::OutboxOperation::Create,
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
pub(crate) async fn existing_account_notice(
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
