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
    let (user, credential) = new_staff(
        email.as_str(),
        Role::Admin,
        status,
        password.as_ref().map(password::hash),
        (first_name, last_name),
        &at,
    );
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

/// `GET /v1/admin/staff`: internal users, one page.
pub async fn list_staff(
    store: &Store,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<UserView>, IdentityError> {
    let query = Query::partition(None, keys::STAFF_PARTITION, limit).prefix(keys::USER_PREFIX);
    let page = store.query::<User>(&query, cursor).await?;
    Ok(Page {
        items: page.items.iter().map(UserView::from).collect(),
        next_cursor: page.next_cursor,
    })
}

/// `POST /v1/admin/staff`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffInvite {
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

fn staff_role(e: &mut Vec<FieldError>, role: Role) {
    if role.is_partner_role() {
        e.push(FieldError::new("/role", "must be admin or support"));
    }
}

/// Invites a colleague (`admin` or read-only `support`): the user, its credential (409
/// `email_taken` when the address has an account: staff see every account anyway), the
/// invitation and its email, and the audit entry, in one transaction.
pub async fn invite_staff(
    id: &Identity,
    principal: &Principal,
    req: StaffInvite,
    now: DateTime<Utc>,
) -> Result<User, IdentityError> {
    let mut e = Vec::new();
    let email = email_field(&mut e, "/email", &req.email);
    staff_role(&mut e, req.role);
    let first_name = optional(&mut e, "/first_name", &req.first_name, 100);
    let last_name = optional(&mut e, "/last_name", &req.last_name, 100);
    let email = validated(e, || email.unwrap())?;
    let at = rfc3339(now);
    let (user, credential) = new_staff(
        email.as_str(),
        req.role,
        UserStatus::Invited,
        None,
        (first_name, last_name),
        &at,
    );
    let (invitation, mail) = invitation(&id.portal_url, &user, "Partner Portal operations", now);
    let audit = AuditEntry::new(
        None,
        &principal.user_id,
        "staff.invited",
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
        .build();
    id.store.commit(tx).await?;
    Ok(user)
}

/// The staff member a staff route reads with the access check.
pub fn staff_key(user_id: &str) -> Vec<crate::store::Key> {
    vec![keys::user(None, user_id)]
}

/// How many staff users the last-admin check reads (the staff partition, bounded).
pub const MAX_STAFF: i32 = 1000;

/// `PATCH /v1/admin/staff/{user_id}` (`If-Match`): a role (`admin`/`support`) or active
/// state. Never oneself; never the last active admin (409 `last_admin`): the change
/// carries a condition that another admin is active, checked in its transaction, so two
/// admins demoting each other at once cannot both succeed. A role change or deactivation
/// ends the user's sessions at once.
pub async fn update_staff(
    id: &Identity,
    principal: &Principal,
    user_id: &str,
    current: Option<User>,
    expected_version: Option<u64>,
    req: UpdateUserRequest,
    now: DateTime<Utc>,
) -> Result<User, IdentityError> {
    // Before the read: the caller's own item is the access check's, not the route's.
    if user_id == principal.user_id && (req.role.is_some() || req.is_active.is_some()) {
        return Err(IdentityError::CannotChangeSelf);
    }
    let current = current
        .filter(|u| u.id == user_id)
        .ok_or(IdentityError::NotFound("user"))?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(IdentityError::Stale);
    }
    if let Some(role) = req.role {
        let mut e = Vec::new();
        staff_role(&mut e, role);
        validated(e, || ())?;
    }
    let status = match (req.is_active, current.status) {
        (None, s) => s,
        (Some(false), _) => UserStatus::Deactivated,
        (Some(true), UserStatus::Invited) => return Err(IdentityError::InvitationPending),
        (Some(true), _) => UserStatus::Active,
    };
    let role = req.role.unwrap_or(current.role);
    let at = rfc3339(now);
    let ends_sessions = role != current.role || status != current.status;
    let updated = User {
        role,
        status,
        sessions_valid_after: if ends_sessions {
            crate::auth::session_cut_off(now)
        } else {
            current.sessions_valid_after
        },
        updated_at: at.clone(),
        version: current.version + 1,
        ..current.clone()
    };
    if !ends_sessions {
        return Ok(current);
    }
    let is_admin = |r: Role, s: UserStatus| r == Role::Admin && s == UserStatus::Active;
    let mut tx = id.store.tx().replace(&updated, current.version).patch(
        Patch::new(&keys::credential(&current.email))
            .set("role", role)
            .set("status", status)
            .set("sessions_valid_after", updated.sessions_valid_after)
            .require_exists()
            .on_failure(Failure::conflict(
                "user_changed",
                "The user's sign-in changed meanwhile; reload and try again.",
            )),
    );
    if is_admin(current.role, current.status) && !is_admin(role, status) {
        let staff: Vec<User> = id
            .store
            .query_up_to(
                &Query::partition(None, keys::STAFF_PARTITION, MAX_STAFF).prefix(keys::USER_PREFIX),
            )
            .await?;
        let last = || {
            Failure::conflict(
                "last_admin",
                "The portal must keep at least one active admin.",
            )
        };
        let Some(other) = staff
            .iter()
            .find(|u| u.id != current.id && is_admin(u.role, u.status))
        else {
            return Err(StoreError::Condition(last()).into());
        };
        tx = tx.require_equal(
            &other.key(),
            &[("role", Role::Admin.as_str()), ("status", "active")],
            last(),
        );
    }
    let audit = AuditEntry::new(
        None,
        &principal.user_id,
        "staff.updated",
        format!("user:{}", current.id),
        &at,
    )
    .change(
        serde_json::json!({"role": current.role, "status": current.status}),
        serde_json::json!({"role": role, "status": status}),
    );
    id.store.commit(tx.insert(&audit).build()).await?;
    Ok(updated)
}
