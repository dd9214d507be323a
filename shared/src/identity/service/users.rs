//! A partner's users: listing, invitations, role and status changes.

use super::*;

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
    pub tier: crate::partners::Tier,
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
pub fn me(access: &crate::identity::access::Access) -> Me {
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
            tier: p.tier,
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

pub(crate) fn invalid_link() -> IdentityError {
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
