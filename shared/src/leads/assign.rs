//! Operations move a lead to another partner.

use super::*;

/// `POST /v1/admin/leads/{lead_id}/assign`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub partner_id: String,
}

/// Moves a lead to another (approved) partner, recorded as done `by` an admin or the CRM:
/// the lead, its reservations and both partners' counters in one transaction; the new
/// partner's owner is emailed.
pub async fn assign(
    store: &Store,
    by: &str,
    lead_id: &str,
    req: AssignRequest,
    now: DateTime<Utc>,
) -> Result<Lead, LeadError> {
    let current = find(store, lead_id)
        .await?
        .ok_or(LeadError::NotFound("lead"))?;
    let target: Partner = store
        .get(&keys::partner(&req.partner_id))
        .await?
        .ok_or(LeadError::NotFound("partner"))?;
    if target.status != PartnerStatus::Approved {
        return Err(LeadError::AssigneeNotApproved);
    }
    if target.id == current.partner_id {
        return Ok(current);
    }
    let at = rfc3339(now);
    let moved = Lead {
        partner_id: target.id.clone(),
        assigned_to: None,
        updated_at: at.clone(),
        version: current.version + 1,
        ..current.clone()
    };
    let protected_until = DateTime::parse_from_rfc3339(&current.protection_expires_at)
        .map(|d| d.timestamp())
        .unwrap_or(now.timestamp());
    let mut tx = store
        .tx()
        .delete_version(&current.key(), current.version)
        .insert(&moved);
    if current.status != LeadStatus::Lost {
        for guard in guards_for(&moved, protected_until) {
            tx = tx.put(&guard);
        }
    }
    tx = add_counters(tx, &current.partner_id, Some(&current), None);
    tx = add_counters(tx, &target.id, None, Some(&moved));
    let history = HistoryEntry::new(
        &target.id,
        &moved.id,
        (None, moved.status),
        by,
        LeadSource::Portal,
        &at,
    );
    let audit = AuditEntry::new(
        Some(&target.id),
        by,
        "lead.assigned",
        format!("lead:{}", moved.id),
        &at,
    )
    .change(
        serde_json::json!({"partner_id": current.partner_id}),
        serde_json::json!({"partner_id": target.id}),
    );
    let mail = crate::notifications::OutboxEmail::new(
        &target.email,
        crate::notifications::EmailKind::LeadAssigned {
            business_name: target.business_name.clone(),
            lead_name: format!("{} {}", moved.first_name, moved.last_name),
        },
        &at,
    );
    let outbox = CrmOutbox::new(
        crate::outbox::OutboxEntity::Lead,
        &moved.id,
        &target.id,
        crate::outbox::OutboxOperation::Upsert,
        &at,
    );
    tx = tx
        .insert(&history)
        .insert(&audit)
        .insert(&mail)
        .insert(&outbox);
    store.commit(tx.build()).await?;
    Ok(moved)
}
