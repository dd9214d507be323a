//! Lead writes the CRM makes: a lead created in Zoho for a partner, and a status Zoho
//! changed. They go through the same rules as portal writes (counters, history, audit,
//! contact reservations, the partner's email), with the CRM as the actor; the caller adds
//! its own items (record link, processed-event marker) to the returned transaction.

use super::*;

/// A lead as the CRM describes it, already read out of the CRM record.
#[derive(Debug, Clone)]
pub struct CrmLead {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub notes: Option<String>,
    pub status: LeadStatus,
    /// The CRM record: its id, modification time and status value as the CRM wrote it.
    pub crm_id: String,
    pub crm_modified_time: String,
    pub crm_status: Option<String>,
}

/// Creates a lead the CRM assigned to an approved `partner`: the lead (protected like a
/// portal lead), the contact values nobody holds, counters, history, audit, the partner's
/// "new lead" email and the outbox `link` (the portal id written back to the CRM). One
/// batched read; the caller commits the returned transaction.
pub async fn create_from_crm<'a>(
    store: &'a Store,
    settings: &LeadSettings,
    partner: &Partner,
    crm: CrmLead,
    now: DateTime<Utc>,
) -> Result<(Lead, TxBuilder<'a>), LeadError> {
    let at = rfc3339(now);
    let protected_until = now + Duration::days(settings.protection_days);
    let contact_keys = ContactKeys::of(
        crm.email.as_ref(),
        crm.phone.as_ref(),
        crm.website.as_deref(),
    );
    let lead = Lead {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner.id.clone(),
        first_name: crm.first_name,
        last_name: crm.last_name,
        email: crm.email.as_ref().map(|e| e.to_string()),
        phone: crm.phone.as_ref().map(|p| p.as_str().to_string()),
        company: crm.company,
        website: crm.website,
        address: None,
        service_interest: None,
        estimated_value: None,
        notes: crm.notes,
        status: crm.status,
        stage: None,
        assigned_to: None,
        created_by: "crm".into(),
        source: LeadSource::Crm,
        next_follow_up_at: None,
        last_contact_at: None,
        first_contact_at: None,
        // Created closed in the CRM: closed now, as far as the portal knows.
        closed_at: (!crm.status.is_open()).then(|| at.clone()),
        survey_sent_at: None,
        protection_expires_at: rfc3339(protected_until),
        contact_keys,
        crm_sync: CrmSync {
            crm_id: Some(crm.crm_id.clone()),
            crm_modified_time: Some(crm.crm_modified_time),
            crm_status: crm.crm_status,
            ..CrmSync::pending()
        },
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
    if lead.status.is_open() {
        let held = held_guards(store, &lead).await?;
        tx = reserve_free(
            tx,
            &lead,
            &held,
            protected_until.timestamp(),
            now.timestamp(),
        );
    }
    let tx = add_counters(tx, &partner.id, None, Some(&lead))
        .insert(&HistoryEntry::new(
            &partner.id,
            &lead.id,
            (None, lead.status),
            "crm",
            LeadSource::Crm,
            &at,
        ))
        .insert(
            &AuditEntry::new(
                Some(&partner.id),
                "crm",
                "lead.created_from_crm",
                format!("lead:{}", lead.id),
                &at,
            )
            .change(
                Value::Null,
                serde_json::json!({"crm_id": crm.crm_id, "status": lead.status}),
            ),
        )
        .insert(&OutboxEmail::new(
            &partner.email,
            EmailKind::LeadAssigned {
                business_name: partner.business_name.clone(),
                lead_name: format!("{} {}", lead.first_name, lead.last_name),
            },
            &at,
        ))
        .insert(&CrmOutbox::new(
            crate::outbox::OutboxEntity::Lead,
            &lead.id,
            &partner.id,
            crate::outbox::OutboxOperation::Link,
            &at,
        ));
    Ok((lead, tx))
}

/// A status the CRM set on `lead` (now `next`, whose status differs): counters, history,
/// audit; a lost lead frees its contact values and a reopened one takes the free ones
/// back; a closed lead emails its partner. Added to `tx`, which the caller commits with the
/// lead's conditional replace.
/// What a won lead accrues from: the CRM's deal amount (else the lead's estimated value)
/// at the partner's rate.
pub struct Deal<'a> {
    pub crm_amount: Option<crate::money::Money>,
    pub commissions: &'a crate::commissions::CommissionSettings,
}

pub async fn apply_crm_status<'a>(
    store: &Store,
    mut tx: TxBuilder<'a>,
    lead: &Lead,
    next: &Lead,
    crm_id: &str,
    deal: Deal<'_>,
    now: DateTime<Utc>,
) -> Result<TxBuilder<'a>, LeadError> {
    let at = rfc3339(now);
    let status = next.status;
    tx = add_counters(tx, &lead.partner_id, Some(lead), Some(next))
        .insert(&HistoryEntry::new(
            &lead.partner_id,
            &lead.id,
            (Some(lead.status), status),
            "crm",
            LeadSource::Crm,
            &at,
        ))
        .insert(
            &AuditEntry::new(
                Some(&lead.partner_id),
                "crm",
                "lead.status_from_crm",
                format!("lead:{}", lead.id),
                &at,
            )
            .change(
                serde_json::json!({"status": lead.status}),
                serde_json::json!({"status": status, "crm_id": crm_id}),
            ),
        );
    if status == LeadStatus::Lost || lead.status == LeadStatus::Lost {
        let held = held_guards(store, lead).await?;
        if status == LeadStatus::Lost {
            for g in held.iter().flatten().filter(|g| g.lead_id == lead.id) {
                tx = guard_release(tx, g);
            }
        } else {
            let protected_until = DateTime::parse_from_rfc3339(&lead.protection_expires_at)
                .map(|d| d.timestamp())
                .unwrap_or(now.timestamp());
            tx = reserve_free(tx, next, &held, protected_until, now.timestamp());
        }
    }
    let won = |s: LeadStatus| matches!(s, LeadStatus::Won | LeadStatus::Converted);
    let closes = matches!(
        status,
        LeadStatus::Won | LeadStatus::Lost | LeadStatus::Converted
    );
    let partner = if closes || won(lead.status) {
        store
            .get::<Partner>(&keys::partner(&lead.partner_id))
            .await?
    } else {
        None
    };
    // The commission accrual (or its reversal), in the same transaction as the status.
    if let Some(partner) = &partner {
        let lead_name = format!("{} {}", lead.first_name, lead.last_name);
        let estimated = lead.estimated_value.as_ref().and_then(|m| {
            crate::money::Currency::parse(&m.currency)
                .map(|c| crate::money::Money::new(m.amount_minor, c))
        });
        tx = crate::commissions::accrual::apply(
            store,
            tx,
            crate::commissions::accrual::LeadOutcome {
                lead_id: &lead.id,
                lead_name: lead_name.trim(),
                partner,
                was_won: won(lead.status),
                is_won: won(status),
                deal_value: deal.crm_amount.or(estimated),
                actor: "crm",
                at: &at,
            },
            deal.commissions,
        )
        .await?;
    }
    if closes && let Some(partner) = partner {
        tx = tx.insert(&OutboxEmail::new(
            &partner.email,
            EmailKind::LeadClosed {
                business_name: partner.business_name.clone(),
                lead_name: format!("{} {}", lead.first_name, lead.last_name),
                status: status.as_str().to_string(),
            },
            &at,
        ));
    }
    Ok(tx)
}
