//! A partner's change to a lead: status along the machine, contact changes re-reserved.

use super::*;

/// `PATCH /v1/leads/{id}`. Absent fields stay as they are; `""` clears an optional one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadUpdate {
    pub status: Option<LeadStatus>,
    pub stage: Option<String>,
    pub next_follow_up_at: Option<String>,
    pub assigned_to: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub service_interest: Option<String>,
    pub estimated_value: Option<Money>,
    pub notes: Option<String>,
}

pub(crate) fn set_opt(
    e: &mut Vec<FieldError>,
    field: &str,
    v: &Option<String>,
    max: usize,
    current: &Option<String>,
) -> Option<String> {
    match v {
        None => current.clone(),
        Some(_) => optional(e, field, v, max),
    }
}

/// When `next` is a win that surveys its contact ([`Lead::survey_due`]; the CRM is what
/// wins leads): reads the partner's name for the email, stamps the lead and adds the
/// survey and its email to `tx`.
pub async fn survey_if_won<'a>(
    store: &Store,
    before: &Lead,
    next: &mut Lead,
    tx: crate::store::TxBuilder<'a>,
    portal_url: &str,
    now: DateTime<Utc>,
) -> Result<crate::store::TxBuilder<'a>, crate::store::StoreError> {
    if !next.survey_due(before) {
        return Ok(tx);
    }
    let name = business_name(store, &next.partner_id).await?;
    Ok(next.survey(tx, &name, portal_url, now))
}

/// The partner's name as a survey email shows it.
async fn business_name(
    store: &Store,
    partner_id: &str,
) -> Result<String, crate::store::StoreError> {
    let partner: Option<crate::partners::Partner> = store.get(&keys::partner(partner_id)).await?;
    Ok(partner
        .map(|p| p.business_name)
        .unwrap_or_else(|| "our partner".to_string()))
}

/// `POST /v1/admin/feedback/surveys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyRequest {
    pub lead_id: String,
}

/// Operations send a lead's contact a survey on demand (again, if one was sent before):
/// a new single-use link; the lead records when. Audited.
pub async fn send_survey(
    store: &Store,
    actor: &str,
    req: SurveyRequest,
    portal_url: &str,
    now: DateTime<Utc>,
) -> Result<Lead, LeadError> {
    let lead = find(store, req.lead_id.trim())
        .await?
        .ok_or(LeadError::NotFound("lead"))?;
    if lead.email.is_none() {
        return Err(LeadError::NoEmail);
    }
    let name = business_name(store, &lead.partner_id).await?;
    let mut next = lead.clone();
    let tx = next.survey(store.tx(), &name, portal_url, now);
    next.version = lead.version + 1;
    let audit = AuditEntry::new(
        Some(&lead.partner_id),
        actor,
        "lead.survey_sent",
        format!("lead:{}", lead.id),
        &rfc3339(now),
    );
    store
        .commit(tx.replace(&next, lead.version).insert(&audit).build())
        .await?;
    Ok(next)
}

/// Applies a partner's change, conditional on the version read (412 when stale): status
/// moves along the machine (409 naming the allowed moves), contact changes re-reserve their
/// values (409 on conflict), `lost` releases the lead's reservations.
pub async fn update(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
    expected_version: u64,
    req: LeadUpdate,
    settings: &LeadSettings,
    now: DateTime<Utc>,
) -> Result<Lead, LeadError> {
    let current = own_lead(store, principal, lead_id).await?;
    if current.version != expected_version {
        return Err(LeadError::Stale);
    }
    let mut e = Vec::new();
    let mut next = current.clone();
    if let Some(status) = req.status.filter(|s| *s != current.status) {
        let allowed = current.status.partner_moves();
        if !allowed.contains(&status) {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            return Err(LeadError::InvalidTransition {
                from: current.status.as_str(),
                allowed: names,
            });
        }
        next.set_status(status, &rfc3339(now));
    }
    if let Some(v) = &req.first_name {
        next.first_name = required(&mut e, "/first_name", v, 100);
    }
    if let Some(v) = &req.last_name {
        next.last_name = required(&mut e, "/last_name", v, 100);
    }
    next.stage = set_opt(&mut e, "/stage", &req.stage, 50, &current.stage);
    next.company = set_opt(&mut e, "/company", &req.company, 200, &current.company);
    next.website = set_opt(&mut e, "/website", &req.website, 300, &current.website);
    next.address = set_opt(&mut e, "/address", &req.address, 500, &current.address);
    next.service_interest = set_opt(
        &mut e,
        "/service_interest",
        &req.service_interest,
        100,
        &current.service_interest,
    );
    next.notes = set_opt(&mut e, "/notes", &req.notes, 5000, &current.notes);
    if req.estimated_value.is_some() {
        next.estimated_value = money(&mut e, "/estimated_value", &req.estimated_value);
    }
    if let Some(raw) = &req.next_follow_up_at {
        next.next_follow_up_at = if raw.trim().is_empty() {
            None
        } else {
            follow_up(&mut e, &req.next_follow_up_at, now)
        };
    }
    if let Some(raw) = &req.email {
        next.email = match raw.trim() {
            "" => None,
            v => Email::parse(v)
                .map_err(|m| e.push(FieldError::new("/email", m)))
                .ok()
                .map(|e| e.to_string()),
        };
    }
    if let Some(raw) = &req.phone {
        next.phone = match raw.trim() {
            "" => None,
            v => Phone::parse(v, &settings.default_country_code)
                .map_err(|m| e.push(FieldError::new("/phone", m)))
                .ok()
                .map(|p| p.as_str().to_string()),
        };
    }
    if next.email.is_none() && next.phone.is_none() {
        e.push(FieldError::new("/email", "email or phone is required"));
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let partner_id = current.partner_id.clone();
    let mut assignee = None;
    if let Some(a) = req.assigned_to.as_deref() {
        next.assigned_to = (!a.trim().is_empty()).then(|| a.trim().to_string());
        assignee = next
            .assigned_to
            .as_ref()
            .map(|user| keys::user(Some(&partner_id), user));
    }
    // Stored values were normalised when written; one that no longer parses (rules
    // tightened since) reserves nothing rather than failing the update.
    let email = next.email.as_deref().and_then(|v| Email::parse(v).ok());
    let phone = next
        .phone
        .as_deref()
        .and_then(|v| Phone::parse(v, &settings.default_country_code).ok());
    next.contact_keys = ContactKeys::of(email.as_ref(), phone.as_ref(), next.website.as_deref());
    let old_pairs = current.contact_keys.pairs();
    let new_pairs = if next.status == LeadStatus::Lost {
        Vec::new()
    } else {
        next.contact_keys.pairs()
    };
    let added: Vec<(&str, String)> = new_pairs
        .iter()
        .filter(|p| !old_pairs.contains(p))
        .cloned()
        .collect();
    let removed: Vec<(&str, String)> = old_pairs
        .iter()
        .filter(|p| !new_pairs.contains(p))
        .cloned()
        .collect();
    let t = now.timestamp();
    let mut owned_removed: Vec<LeadGuard> = Vec::new();
    let added_keys: Vec<_> = added.iter().map(|(c, v)| keys::lead_guard(c, v)).collect();
    let removed_keys: Vec<_> = removed
        .iter()
        .map(|(c, v)| keys::lead_guard(c, v))
        .collect();
    let reads: Vec<_> = assignee
        .iter()
        .chain(&added_keys)
        .chain(&removed_keys)
        .cloned()
        .collect();
    if !reads.is_empty() {
        let mut fetched = store.fetch(&reads).await?;
        if let Some(key) = &assignee {
            let user: Option<User> = fetched.take(key)?;
            if user.is_none() {
                return Err(Invalid::field(
                    "/assigned_to",
                    "is not a user of your partner account",
                )
                .into());
            }
        }
        let guards: Vec<LeadGuard> = fetched.take_present(&added_keys)?;
        let others: Vec<LeadGuard> = guards
            .into_iter()
            .filter(|g| g.lead_id != current.id)
            .collect();
        if let Some(problem) = conflict_from(&others, &partner_id, t) {
            return Err(problem);
        }
        // Release only the reservations this lead still holds (an expired one may have
        // been taken over by another lead since).
        owned_removed = fetched
            .take_present::<LeadGuard>(&removed_keys)?
            .into_iter()
            .filter(|g| g.lead_id == current.id)
            .collect();
    }

    let at = rfc3339(now);
    next.search_text = next.searchable();
    next.crm_sync = current.crm_sync.repending();
    next.updated_at = at.clone();
    next.version = current.version + 1;
    let mut tx = store.tx().replace(&next, expected_version);
    let protected_until = DateTime::parse_from_rfc3339(&current.protection_expires_at)
        .map(|d| d.timestamp())
        .unwrap_or(t);
    for guard in &owned_removed {
        tx = guard_release(tx, guard);
    }
    for (contact, value) in &added {
        let guard = LeadGuard {
            contact: contact.to_string(),
            value: value.clone(),
            partner_id: partner_id.clone(),
            lead_id: current.id.clone(),
            protected_until,
        };
        tx = guard_put(tx, &guard, t);
    }
    if next.status != current.status {
        tx = tx.insert(&HistoryEntry::new(
            &partner_id,
            &current.id,
            (Some(current.status), next.status),
            &principal.user_id,
            LeadSource::Portal,
            &at,
        ));
    }
    let audit = AuditEntry::new(
        Some(&partner_id),
        &principal.user_id,
        "lead.updated",
        format!("lead:{}", current.id),
        &at,
    )
    .change(
        serde_json::json!({"status": current.status, "stage": current.stage}),
        serde_json::json!({"status": next.status, "stage": next.stage}),
    );
    let operation = if next.status != current.status {
        crate::outbox::OutboxOperation::Status
    } else {
        crate::outbox::OutboxOperation::Upsert
    };
    let outbox = CrmOutbox::new(
        crate::outbox::OutboxEntity::Lead,
        &current.id,
        &partner_id,
        operation,
        &at,
    );
    tx = add_counters(tx, &partner_id, Some(&current), Some(&next))
        .insert(&audit)
        .insert(&outbox);
    store.commit(tx.build()).await?;
    Ok(next)
}
