//! Registering a lead (partners, the public form).

use super::*;

/// `POST /v1/leads` (and the public form's fields).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLead {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub service_interest: Option<String>,
    #[serde(default)]
    pub estimated_value: Option<Money>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub next_follow_up_at: Option<String>,
}

/// Registers a lead for `partner_id`, recorded as created `by` a user (or the public
/// form): validation, the partner's approval and the conflict lookups in one batched read,
/// then one transaction (lead, guards, history, counters, audit, CRM outbox).
pub async fn create(
    store: &Store,
    partner_id: &str,
    by: &str,
    req: NewLead,
    source: LeadSource,
    settings: &LeadSettings,
    now: DateTime<Utc>,
) -> Result<Lead, LeadError> {
    let partner_id = partner_id.to_string();
    let mut e = Vec::new();
    let first_name = required(&mut e, "/first_name", &req.first_name, 100);
    let last_name = required(&mut e, "/last_name", &req.last_name, 100);
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|raw| {
            Email::parse(raw)
                .map_err(|m| e.push(FieldError::new("/email", m)))
                .ok()
        });
    let phone = req
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|raw| {
            Phone::parse(raw, &settings.default_country_code)
                .map_err(|m| e.push(FieldError::new("/phone", m)))
                .ok()
        });
    if req.email.as_deref().unwrap_or("").trim().is_empty()
        && req.phone.as_deref().unwrap_or("").trim().is_empty()
    {
        e.push(FieldError::new("/email", "email or phone is required"));
    }
    let company = optional(&mut e, "/company", &req.company, 200);
    let website = optional(&mut e, "/website", &req.website, 300);
    let address = optional(&mut e, "/address", &req.address, 500);
    let service_interest = optional(&mut e, "/service_interest", &req.service_interest, 100);
    let notes = optional(&mut e, "/notes", &req.notes, 5000);
    let stage = optional(&mut e, "/stage", &req.stage, 50);
    let estimated_value = money(&mut e, "/estimated_value", &req.estimated_value);
    let next_follow_up_at = follow_up(&mut e, &req.next_follow_up_at, now);
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let contact_keys = ContactKeys::of(email.as_ref(), phone.as_ref(), website.as_deref());
    let t = now.timestamp();
    let guard_keys: Vec<_> = contact_keys
        .pairs()
        .iter()
        .map(|(c, v)| keys::lead_guard(c, v))
        .collect();
    let partner_key = keys::partner(&partner_id);
    let mut wanted = vec![partner_key.clone()];
    wanted.extend(guard_keys.iter().cloned());
    let mut fetched = store.fetch(&wanted).await?;
    let partner: Partner = fetched
        .take(&partner_key)?
        .ok_or(LeadError::NotFound("partner"))?;
    if partner.status != PartnerStatus::Approved {
        return Err(LeadError::PartnerNotApproved);
    }
    let existing: Vec<LeadGuard> = fetched.take_present(&guard_keys)?;
    if let Some(problem) = conflict_from(&existing, &partner_id, t) {
        return Err(problem);
    }

    let at = rfc3339(now);
    let protected_until = now + Duration::days(settings.protection_days);
    let lead = Lead {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner_id.clone(),
        first_name,
        last_name,
        email: email.map(|e| e.to_string()),
        phone: phone.map(|p| p.as_str().to_string()),
        company,
        website,
        address,
        service_interest,
        estimated_value,
        notes,
        status: LeadStatus::New,
        stage,
        assigned_to: None,
        created_by: by.to_string(),
        source,
        next_follow_up_at,
        last_contact_at: None,
        first_contact_at: None,
        closed_at: None,
        survey_sent_at: None,
        protection_expires_at: rfc3339(protected_until),
        contact_keys,
        crm_sync: CrmSync::pending(),
        search_text: String::new(),
        moving_from: None,
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
    };
    let lead = Lead {
        search_text: lead.searchable(),
        ..lead
    };
    let mut tx = store.tx().insert(&lead);
    for guard in guards_for(&lead, protected_until.timestamp()) {
        tx = guard_put(tx, &guard, t);
    }
    let history = HistoryEntry::new(
        &partner_id,
        &lead.id,
        (None, LeadStatus::New),
        by,
        if source == LeadSource::Crm {
            LeadSource::Crm
        } else {
            LeadSource::Portal
        },
        &at,
    );
    let audit = AuditEntry::new(
        Some(&partner_id),
        by,
        "lead.created",
        format!("lead:{}", lead.id),
        &at,
    )
    .change(
        Value::Null,
        serde_json::json!({"status": "new", "source": source}),
    );
    let outbox = CrmOutbox::new(
        crate::outbox::OutboxEntity::Lead,
        &lead.id,
        &partner_id,
        crate::outbox::OutboxOperation::Create,
        &at,
    );
    tx = add_counters(tx, &partner_id, None, Some(&lead))
        .insert(&history)
        .insert(&audit)
        .insert(&outbox);
    if let (LeadSource::Portal, Some(limit)) = (source, settings.portal_daily_limit) {
        // Bulk registration squats contacts and company domains for the protection
        // window: a partner's daily volume is capped, in the same transaction.
        tx = tx.patch(limit.take_patch("leads-partner", &partner_id, now));
    }
    store.commit(tx.build()).await?;
    Ok(lead)
}
