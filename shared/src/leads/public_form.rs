//! The public lead-capture form: consent, honeypot, limits, an answer that reveals nothing.

use super::*;

/// `POST /v1/public/partners/{slug}/leads`: the contact fields of a lead, consent and the
/// honeypot. Unknown fields are refused like everywhere else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicLead {
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
    pub notes: Option<String>,
    pub consent: bool,
    /// Honeypot: people never see this field; bots fill it in.
    #[serde(default)]
    pub website_url: Option<String>,
}

/// Submissions allowed per 15 minutes from one address, and to one partner.
pub const PUBLIC_PER_SOURCE: i64 = 10;
pub const PUBLIC_PER_PARTNER: i64 = 200;

/// What happened to a public submission (the submitter always gets 202).
#[derive(Debug, PartialEq, Eq)]
pub enum PublicOutcome {
    Created(String),
    Conflict,
    Ignored,
}

/// Captures a lead from a partner's public form: consent required, honeypot empty,
/// throttled per source address and per partner. Conflicts follow the normal rules; the
/// submitter is answered 202 either way and the partner sees the outcome in its activity.
pub async fn public_submit(
    store: &Store,
    slug: &str,
    req: PublicLead,
    source_ip: &str,
    settings: &LeadSettings,
    now: DateTime<Utc>,
) -> Result<PublicOutcome, LeadError> {
    if !req.consent {
        return Err(Invalid::field("/consent", "must be true").into());
    }
    let guard: Option<crate::partners::registration::SlugGuard> =
        store.get(&keys::slug(slug)).await?;
    let Some(guard) = guard else {
        return Err(LeadError::NotFound("partner"));
    };
    crate::limits::take(
        store,
        "public-source",
        source_ip,
        crate::limits::Limit::per_15_min(PUBLIC_PER_SOURCE),
        now,
    )
    .await?;
    crate::limits::take(
        store,
        "public-partner",
        &guard.partner_id,
        crate::limits::Limit::per_15_min(PUBLIC_PER_PARTNER),
        now,
    )
    .await?;
    if req
        .website_url
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty())
    {
        tracing::info!(partner_id = %guard.partner_id, "public form honeypot filled; submission dropped");
        return Ok(PublicOutcome::Ignored);
    }
    let f = req;
    let lead = NewLead {
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        phone: f.phone,
        company: f.company,
        website: f.website,
        address: f.address,
        service_interest: f.service_interest,
        estimated_value: None,
        notes: f.notes,
        stage: None,
        next_follow_up_at: None,
    };
    match create(
        store,
        &guard.partner_id,
        "public_form",
        lead,
        LeadSource::PublicForm,
        settings,
        now,
    )
    .await
    {
        Ok(lead) => Ok(PublicOutcome::Created(lead.id)),
        // The contact is taken, or the partner may not receive leads now: the submitter
        // is told nothing more than for a success; the partner's activity records it.
        Err(
            refused @ (LeadError::Duplicate { .. }
            | LeadError::Protected
            | LeadError::PartnerNotApproved
            | LeadError::Store(StoreError::Condition(Failure::Conflict { .. }))),
        ) => {
            let at = rfc3339(now);
            let audit = AuditEntry::new(
                Some(&guard.partner_id),
                "public_form",
                "lead.public_form_refused",
                format!("partner:{}", guard.partner_id),
                &at,
            )
            .change(
                Value::Null,
                serde_json::json!({"reason": crate::fault::Fault::code(&refused)}),
            );
            store.commit(store.tx().insert(&audit).build()).await?;
            Ok(PublicOutcome::Conflict)
        }
        Err(p) => Err(p),
    }
}
