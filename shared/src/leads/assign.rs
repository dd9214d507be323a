//! Operations move a lead to another partner.

use super::*;

/// `POST /v1/admin/leads/{lead_id}/assign`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub partner_id: String,
}

/// Moves a lead to another (approved) partner, recorded as done `by` an admin or the CRM,
/// with its history, activities and attachments (they live in the partner's partition, so
/// they move with it and the old partner sees none of them): the lead, its reservations,
/// both partners' counters and up to [`MOVE_IN_ONE`] of its items in one transaction.
/// A lead with more items moves in batches after that transaction (`moving_from` marks it
/// until done); assigning it again to the same partner finishes an interrupted move. The
/// new partner's owner is emailed. Attachment files keep their object keys.
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
        if let Some(from) = current.moving_from.clone() {
            return finish_move(store, current, &from).await;
        }
        return Ok(current);
    }
    let items = related(store, &current.partner_id, &current.id).await?;
    let in_one = items.len() <= MOVE_IN_ONE;
    let at = rfc3339(now);
    let moved = Lead {
        partner_id: target.id.clone(),
        moving_from: (!in_one).then(|| current.partner_id.clone()),
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
    if in_one {
        for item in &items {
            tx = item.moved_to(&target.id).put(item.delete(tx));
        }
    }
    store.commit(tx.build()).await?;
    if in_one {
        Ok(moved)
    } else {
        finish_move(store, moved, &current.partner_id).await
    }
}

/// Items of a lead one assignment transaction moves with it (two writes each, within
/// DynamoDB's 100 per transaction).
pub const MOVE_IN_ONE: usize = 35;
/// Items moved per transaction when there are more.
const MOVE_BATCH: usize = 45;
/// The most items of each kind one read of a lead's items returns (the move loops).
const RELATED_PAGE: i32 = 500;

/// A lead's own item in its partner's partition.
#[derive(Debug, Clone)]
enum Related {
    History(HistoryEntry),
    Activity(Activity),
    Attachment(LeadAttachment),
}

impl Related {
    fn moved_to(&self, partner_id: &str) -> Related {
        let p = partner_id.to_string();
        match self {
            Related::History(h) => Related::History(HistoryEntry {
                partner_id: p,
                ..h.clone()
            }),
            Related::Activity(a) => Related::Activity(Activity {
                partner_id: p,
                ..a.clone()
            }),
            Related::Attachment(f) => Related::Attachment(LeadAttachment {
                partner_id: p,
                ..f.clone()
            }),
        }
    }

    fn put<'a>(&self, tx: crate::store::TxBuilder<'a>) -> crate::store::TxBuilder<'a> {
        match self {
            Related::History(h) => tx.put(h),
            Related::Activity(a) => tx.put(a),
            Related::Attachment(f) => tx.put(f),
        }
    }

    fn delete<'a>(&self, tx: crate::store::TxBuilder<'a>) -> crate::store::TxBuilder<'a> {
        let key = match self {
            Related::History(h) => h.key(),
            Related::Activity(a) => a.key(),
            Related::Attachment(f) => f.key(),
        };
        tx.delete(
            &key,
            Failure::conflict("lead_moving", "The lead is being moved; try again."),
        )
    }
}

/// The lead's history, activities and attachments in `partner_id`'s partition (three
/// bounded prefix queries, issued together).
async fn related(
    store: &Store,
    partner_id: &str,
    lead_id: &str,
) -> Result<Vec<Related>, LeadError> {
    let partition = keys::partner_partition(partner_id);
    let of =
        |prefix: String| Query::partition(None, partition.clone(), RELATED_PAGE).prefix(prefix);
    let (h, a, f) = (
        of(keys::lead_history_prefix(lead_id)),
        of(keys::lead_activity_prefix(lead_id)),
        of(keys::lead_attachment_prefix(lead_id)),
    );
    let (history, activities, attachments) = tokio::try_join!(
        store.query_up_to::<HistoryEntry>(&h),
        store.query_up_to::<Activity>(&a),
        store.query_up_to::<LeadAttachment>(&f),
    )?;
    Ok(history
        .into_iter()
        .map(Related::History)
        .chain(activities.into_iter().map(Related::Activity))
        .chain(attachments.into_iter().map(Related::Attachment))
        .collect())
}

/// Moves what is left of a lead's items from `from` in batches (each a transaction: the
/// copy written, the original deleted), then clears `moving_from`. Safe to repeat.
async fn finish_move(store: &Store, lead: Lead, from: &str) -> Result<Lead, LeadError> {
    loop {
        let items = related(store, from, &lead.id).await?;
        if items.is_empty() {
            break;
        }
        for batch in items.chunks(MOVE_BATCH) {
            let mut tx = store.tx();
            for item in batch {
                tx = item.moved_to(&lead.partner_id).put(item.delete(tx));
            }
            match store.commit(tx.build()).await {
                // Another run moved some of them meanwhile: read again.
                Err(StoreError::Condition(_)) => break,
                other => other?,
            }
        }
    }
    store
        .apply(
            Patch::new(&lead.key())
                .remove("moving_from")
                .require_eq("partner_id", &lead.partner_id),
        )
        .await?;
    Ok(Lead {
        moving_from: None,
        ..lead
    })
}
