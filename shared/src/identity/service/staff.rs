//! Internal staff accounts: the first admin.

use super::*;

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
