//! Contact reservations: one guard item per normalised contact value (email, phone,
//! company domain), written in the lead's own transaction on the condition "absent or
//! protection expired", so of concurrent registrations of one contact exactly one commits.

use super::*;

/// A conflict found before writing: either ours (with the existing id) or another partner's.
pub(crate) fn conflict_from(guards: &[LeadGuard], partner_id: &str, now: i64) -> Option<LeadError> {
    let live: Vec<&LeadGuard> = guards.iter().filter(|g| g.protected_until > now).collect();
    if let Some(mine) = live.iter().find(|g| g.partner_id == partner_id) {
        return Some(LeadError::Duplicate {
            existing_id: mine.lead_id.clone(),
        });
    }
    (!live.is_empty()).then_some(LeadError::Protected)
}

/// Reserves a contact value: only if nobody holds it, or the holder's protection expired.
/// Of concurrent registrations of one contact (by any partners) exactly one commits.
pub(crate) fn guard_put<'a>(tx: TxBuilder<'a>, guard: &LeadGuard, now: i64) -> TxBuilder<'a> {
    tx.put_unless_held(
        guard,
        "protected_until",
        now,
        Failure::conflict(
            "lead_conflict",
            "This contact is already registered and protected.",
        ),
    )
}

pub(crate) fn guards_for(lead: &Lead, protected_until: i64) -> Vec<LeadGuard> {
    lead.contact_keys
        .pairs()
        .into_iter()
        .map(|(contact, value)| LeadGuard {
            contact: contact.to_string(),
            value,
            partner_id: lead.partner_id.clone(),
            lead_id: lead.id.clone(),
            protected_until,
        })
        .collect()
}

/// Gives a contact value back: deletes the guard only while this lead still holds it.
pub(crate) fn guard_release<'a>(tx: TxBuilder<'a>, guard: &LeadGuard) -> TxBuilder<'a> {
    tx.delete_if_eq(&guard.key(), "lead_id", &guard.lead_id, Failure::Stale)
}

/// The guards currently stored for `lead`'s contact values, in the order of
/// [`guards_for`] (`None` where nobody holds the value): one batched read.
pub(crate) async fn held_guards(
    store: &Store,
    lead: &Lead,
) -> Result<Vec<Option<LeadGuard>>, StoreError> {
    let keys: Vec<crate::store::Key> = lead
        .contact_keys
        .pairs()
        .iter()
        .map(|(c, v)| keys::lead_guard(c, v))
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    store.fetch(&keys).await?.take_each(&keys)
}

/// Reserves the values of `lead` that nobody holds now (or whose holder's protection
/// expired): the CRM's own records take what is free and never fail on what is taken.
pub(crate) fn reserve_free<'a>(
    mut tx: TxBuilder<'a>,
    lead: &Lead,
    held: &[Option<LeadGuard>],
    protected_until: i64,
    now: i64,
) -> TxBuilder<'a> {
    for (guard, held) in guards_for(lead, protected_until).iter().zip(held) {
        if held.as_ref().is_none_or(|g| g.protected_until <= now) {
            tx = guard_put(tx, guard, now);
        }
    }
    tx
}
