//! The outbound worker: pushes `crm_outbox` items to Zoho.
//!
//! A push sends the record's *current* state (read at push time), so items may be pushed
//! in any order and any number of times. Records are upserted keyed on the portal id
//! field (or updated by Zoho id once known), so a retry can never create a duplicate.
//! Per-record results become the record's visible sync state:
//! `SUCCESS` → `synced` + Zoho id; `DUPLICATE_DATA` → `conflict` + the clashing Zoho id;
//! `INVALID_DATA` / `MANDATORY_NOT_FOUND` / others → `failed` + field and reason.
//! Zoho being unavailable (429, 5xx, timeouts, after the client's own retries) leaves the
//! item `failed` with its attempt count for the reconciler to push again; after
//! `max_push_attempts` it is `dead` (visible, replayable by an admin).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::CrmSettings;
use super::inbound::find_lead;
use super::zoho::{RecordResult, ZohoError};
use super::{Crm, CrmLink};
use crate::commissions::{CommissionLine, Payout};
use crate::leads::{Activity, Lead};
use crate::outbox::{CrmOutbox, CrmSync, OutboxEntity, OutboxOperation, OutboxState, SyncState};
use crate::partners::Partner;
use crate::store::{Failure, Key, Patch, StoreError, keys};
use crate::validate::rfc3339;

/// What a push did (logged, and asserted by tests).
pub type Outcome = &'static str;

/// Pushes one outbox item (re-read first: another instance may have pushed it already).
pub async fn process(crm: &Crm, item_id: &str, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
    let Some(item) = crm
        .store
        .get::<CrmOutbox>(&keys::crm_outbox(item_id))
        .await?
    else {
        return Ok("already_pushed");
    };
    let result = match item.entity {
        OutboxEntity::Lead => push_lead(crm, &item.entity_id, item.operation, now).await,
        OutboxEntity::Partner => push_partner(crm, &item.entity_id, item.operation, now).await,
        OutboxEntity::Activity => push_activity(crm, &item, now).await,
        OutboxEntity::Commission => {
            push_commission(crm, &item.partner_id, &item.entity_id, now).await
        }
        OutboxEntity::Payout => push_payout(crm, &item.partner_id, &item.entity_id, now).await,
    };
    let key = keys::crm_outbox(&item.id);
    match result {
        Ok(Pushed::Done(outcome)) => {
            delete_item(crm, &key).await?;
            Ok(outcome)
        }
        Ok(Pushed::Rejected(outcome)) => {
            // Zoho refused the data: kept for an admin replay once it is fixed.
            crm.store
                .apply(
                    Patch::new(&key)
                        .set("state", OutboxState::Rejected)
                        .set("last_error", outcome)
                        .require_exists(),
                )
                .await
                .or_else(ignore_missing)?;
            Ok(outcome)
        }
        Err(ZohoError::Store(e)) => Err(e),
        Err(e) => {
            let attempts = item.attempts + 1;
            let dead = attempts >= crm.settings.max_push_attempts;
            // Operations read the plain reason; the log keeps the error itself.
            let error = e.reason();
            tracing::warn!(outbox_id = %item.id, attempts, error = %e, "CRM push failed");
            crm.store
                .apply(
                    Patch::new(&key)
                        .set(
                            "state",
                            if dead {
                                OutboxState::Dead
                            } else {
                                OutboxState::Failed
                            },
                        )
                        .set("attempts", attempts)
                        .set("last_error", &error)
                        .require_exists(),
                )
                .await
                .or_else(ignore_missing)?;
            if matches!(
                item.entity,
                OutboxEntity::Lead | OutboxEntity::Partner | OutboxEntity::Commission
            ) {
                let entity_key = entity_key(crm, &item).await?;
                if let Some(k) = entity_key {
                    set_sync(crm, &k, None, |s| {
                        if dead {
                            s.state = SyncState::Failed;
                        }
                        s.last_error = Some(failure_note(&e, attempts, dead));
                    })
                    .await?;
                }
            }
            Ok(if dead { "gave_up" } else { "will_retry" })
        }
    }
}

/// What a record shows while its push fails: the error's plain reason, never its own text
/// (which may name a URL or a secret).
fn failure_note(error: &ZohoError, attempts: u32, dead: bool) -> String {
    let reason = error.reason();
    if dead {
        format!("gave up after {attempts} attempts: {reason}")
    } else {
        format!("will retry: {reason}")
    }
}

fn ignore_missing(e: StoreError) -> Result<(), StoreError> {
    match e {
        StoreError::Condition(_) => Ok(()),
        other => Err(other),
    }
}

async fn delete_item(crm: &Crm, key: &Key) -> Result<(), StoreError> {
    let tx = crm
        .store
        .tx()
        .delete(
            key,
            Failure::Missing {
                what: "outbox item",
            },
        )
        .build();
    crm.store.commit(tx).await.or_else(ignore_missing)
}

async fn entity_key(crm: &Crm, item: &CrmOutbox) -> Result<Option<Key>, StoreError> {
    Ok(match item.entity {
        OutboxEntity::Partner => Some(keys::partner(&item.entity_id)),
        OutboxEntity::Lead => find_lead(crm, &item.entity_id)
            .await?
            .map(|l| keys::lead(&l.partner_id, &l.id)),
        OutboxEntity::Commission => Some(keys::commission_line(&item.partner_id, &item.entity_id)),
        OutboxEntity::Activity | OutboxEntity::Payout => None,
    })
}

/// Updates a lead's or partner's `crm_sync` without touching anything else. `pushed` is
/// the version and sync state the push read: the first attempt writes against it without
/// reading again. The state is only set if the record did not change since it was pushed;
/// a newer change has its own push coming. Retried (re-reading) on concurrent writes.
async fn set_sync(
    crm: &Crm,
    key: &Key,
    pushed: Option<(u64, &CrmSync)>,
    change: impl Fn(&mut CrmSync),
) -> Result<(), StoreError> {
    let pushed_version = pushed.map(|(v, _)| v);
    let mut known = pushed.map(|(v, s)| (v, s.clone()));
    for _ in 0..5 {
        let (version, mut sync) = match known.take() {
            Some(k) => k,
            None => {
                let Some(item) = crm.store.get::<Value>(key).await? else {
                    return Ok(());
                };
                let sync: CrmSync =
                    serde_json::from_value(item["crm_sync"].clone()).unwrap_or_default();
                (item["version"].as_u64().unwrap_or(0), sync)
            }
        };
        let before = sync.clone();
        change(&mut sync);
        if pushed_version.is_some_and(|v| v != version) {
            // Keep the newer change's pending state; the Zoho id is still worth keeping.
            sync = CrmSync {
                crm_id: sync.crm_id.clone(),
                crm_status: sync.crm_status.clone(),
                ..before.clone()
            };
        }
        if sync == before {
            return Ok(());
        }
        match crm
            .store
            .apply(
                Patch::new(key)
                    .set("crm_sync", &sync)
                    .require_eq("version", version),
            )
            .await
        {
            Err(StoreError::Condition(_)) => continue,
            other => return other,
        }
    }
    Err(StoreError::Dynamo("crm_sync kept changing".into()))
}

enum Pushed {
    /// Zoho answered for the record; the item is done.
    Done(Outcome),
    /// Zoho refused the record's data; kept for a replay.
    Rejected(Outcome),
}

/// The sync state a per-record result means.
fn sync_from(result: &RecordResult, now: &str, previous: &CrmSync) -> (CrmSync, Outcome) {
    let base = CrmSync {
        state: previous.state,
        last_error: None,
        error_field: None,
        synced_at: previous.synced_at.clone(),
        crm_id: previous.crm_id.clone(),
        conflict_id: None,
        crm_modified_time: previous.crm_modified_time.clone(),
        crm_status: previous.crm_status.clone(),
    };
    match result.code.as_str() {
        "SUCCESS" => (
            CrmSync {
                state: SyncState::Synced,
                synced_at: Some(now.to_string()),
                crm_id: result.id().map(str::to_string).or(base.crm_id.clone()),
                ..base
            },
            "synced",
        ),
        "DUPLICATE_DATA" => (
            CrmSync {
                state: SyncState::Conflict,
                conflict_id: result.id().map(str::to_string),
                error_field: result.api_name().map(str::to_string),
                last_error: Some(format!(
                    "Zoho already has a record with this {} ({})",
                    result.api_name().unwrap_or("value"),
                    result.id().unwrap_or("unknown id")
                )),
                ..base
            },
            "conflict",
        ),
        code => (
            CrmSync {
                state: SyncState::Failed,
                error_field: result.api_name().map(str::to_string),
                last_error: Some(format!(
                    "{code}: {}{}",
                    result.message,
                    result
                        .api_name()
                        .map(|f| format!(" ({f})"))
                        .unwrap_or_default()
                )),
                ..base
            },
            "failed",
        ),
    }
}

fn put(record: &mut Value, field: &str, value: Option<&str>) {
    record[field] = value
        .map(|v| Value::String(v.to_string()))
        .unwrap_or(Value::Null);
}

/// The Zoho record for a lead.
pub fn lead_record(
    crm: &Crm,
    lead: &Lead,
    partner_crm_id: Option<&str>,
    with_status: bool,
) -> Value {
    let f = &crm.settings.fields;
    let mut r = json!({});
    put(&mut r, &f.portal_id, Some(&lead.id));
    put(&mut r, &f.lead.first_name, Some(&lead.first_name));
    put(&mut r, &f.lead.last_name, Some(&lead.last_name));
    put(&mut r, &f.lead.email, lead.email.as_deref());
    put(&mut r, &f.lead.phone, lead.phone.as_deref());
    put(&mut r, &f.lead.company, lead.company.as_deref());
    put(&mut r, &f.lead.website, lead.website.as_deref());
    put(&mut r, &f.lead.description, lead.notes.as_deref());
    put(&mut r, &f.lead.lead_source, Some("Partner Portal"));
    if let Some(id) = partner_crm_id {
        r[&f.partner_lookup] = json!({ "id": id });
    }
    if with_status {
        put(
            &mut r,
            &f.lead_status,
            Some(crm.settings.zoho_lead_status(lead.status)),
        );
    }
    if let Some(id) = &lead.crm_sync.crm_id {
        r["id"] = json!(id);
    }
    r
}

async fn push_lead(
    crm: &Crm,
    lead_id: &str,
    operation: OutboxOperation,
    now: DateTime<Utc>,
) -> Result<Pushed, ZohoError> {
    let Some(lead) = find_lead(crm, lead_id).await? else {
        return Ok(Pushed::Done("record_gone"));
    };
    let partner: Option<Partner> = crm.store.get(&keys::partner(&lead.partner_id)).await?;
    let partner_crm_id = match partner {
        Some(p) => ensure_partner(crm, p, now).await?,
        None => None,
    };
    // The portal pushes a status only when the portal set it (or Zoho has never seen
    // the lead); status changes made in Zoho are not overwritten by other edits.
    let with_status = operation.sends_status() || lead.crm_sync.crm_id.is_none();
    let record = lead_record(crm, &lead, partner_crm_id.as_deref(), with_status);
    let result = crm
        .zoho
        .write(
            &crm.settings.modules.leads,
            record,
            &crm.settings.fields.portal_id,
        )
        .await?;
    let at = rfc3339(now);
    let (mut sync, outcome) = sync_from(&result, &at, &lead.crm_sync);
    if outcome == "synced" && with_status {
        sync.crm_status = Some(crm.settings.zoho_lead_status(lead.status).to_string());
    }
    if outcome == "synced"
        && let Some(crm_id) = &sync.crm_id
    {
        link(
            crm,
            &crm.settings.modules.leads,
            crm_id,
            "lead",
            &lead.id,
            &lead.partner_id,
        )
        .await?;
    }
    set_sync(
        crm,
        &keys::lead(&lead.partner_id, &lead.id),
        Some((lead.version, &lead.crm_sync)),
        |s| {
            *s = CrmSync {
                crm_modified_time: s.crm_modified_time.clone(),
                ..sync.clone()
            }
        },
    )
    .await?;
    tracing::info!(lead_id = %lead.id, outcome, code = %result.code, "lead pushed to the CRM");
    Ok(if outcome == "failed" || outcome == "conflict" {
        Pushed::Rejected(outcome)
    } else {
        Pushed::Done(outcome)
    })
}

async fn link(
    crm: &Crm,
    module: &str,
    crm_id: &str,
    entity: &str,
    entity_id: &str,
    partner_id: &str,
) -> Result<(), StoreError> {
    let tx = crm
        .store
        .tx()
        .put(&CrmLink {
            module: module.to_string(),
            crm_id: crm_id.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            partner_id: partner_id.to_string(),
        })
        .build();
    crm.store.commit(tx).await
}

/// The partner's Zoho id, pushing the partner first if Zoho has not seen it.
async fn ensure_partner(
    crm: &Crm,
    partner: Partner,
    now: DateTime<Utc>,
) -> Result<Option<String>, ZohoError> {
    if let Some(id) = &partner.crm_sync.crm_id {
        return Ok(Some(id.clone()));
    }
    push_partner_record(crm, &partner, OutboxOperation::Create, now).await?;
    let fresh: Option<Partner> = crm.store.get(&keys::partner(&partner.id)).await?;
    Ok(fresh.and_then(|p| p.crm_sync.crm_id))
}

/// The Zoho record for a partner.
pub fn partner_record(crm: &Crm, p: &Partner, with_status: bool) -> Value {
    let f = &crm.settings.fields;
    let mut r = json!({});
    put(&mut r, &f.portal_id, Some(&p.id));
    put(&mut r, &f.partner.name, Some(&p.business_name));
    put(&mut r, &f.partner.email, Some(&p.email));
    put(&mut r, &f.partner.phone, Some(&p.phone));
    put(&mut r, &f.partner.website, p.website.as_deref());
    put(&mut r, &f.partner.street, Some(&p.address.street_address));
    put(&mut r, &f.partner.city, Some(&p.address.city));
    put(&mut r, &f.partner.state, Some(&p.address.province));
    put(&mut r, &f.partner.zip_code, Some(&p.address.postal_code));
    put(&mut r, &f.partner.country, Some(&p.address.country));
    put(&mut r, &f.partner.tier, Some(p.tier.as_str()));
    r[&f.partner.commission_rate_bps] = p
        .commission_rate_bps
        .map(|b| json!(b))
        .unwrap_or(Value::Null);
    if with_status {
        put(
            &mut r,
            &f.partner_status,
            crm.settings
                .partner_status_out
                .get(&p.status)
                .map(String::as_str),
        );
        put(&mut r, &f.status_reason, p.status_reason.as_deref());
    }
    if let Some(id) = &p.crm_sync.crm_id {
        r["id"] = json!(id);
    }
    r
}

async fn push_partner(
    crm: &Crm,
    partner_id: &str,
    operation: OutboxOperation,
    now: DateTime<Utc>,
) -> Result<Pushed, ZohoError> {
    let Some(partner) = crm.store.get::<Partner>(&keys::partner(partner_id)).await? else {
        return Ok(Pushed::Done("record_gone"));
    };
    let outcome = push_partner_record(crm, &partner, operation, now).await?;
    Ok(if outcome == "failed" || outcome == "conflict" {
        Pushed::Rejected(outcome)
    } else {
        Pushed::Done(outcome)
    })
}

async fn push_partner_record(
    crm: &Crm,
    partner: &Partner,
    operation: OutboxOperation,
    now: DateTime<Utc>,
) -> Result<Outcome, ZohoError> {
    let with_status = operation.sends_status() || partner.crm_sync.crm_id.is_none();
    let record = partner_record(crm, partner, with_status);
    let result = crm
        .zoho
        .write(
            &crm.settings.modules.partners,
            record,
            &crm.settings.fields.portal_id,
        )
        .await?;
    let (mut sync, outcome) = sync_from(&result, &rfc3339(now), &partner.crm_sync);
    if outcome == "synced" && with_status {
        // What Zoho holds now: the base of the next three-way merge of the status.
        sync.crm_status = crm
            .settings
            .partner_status_out
            .get(&partner.status)
            .cloned();
    }
    if outcome == "synced"
        && let Some(crm_id) = &sync.crm_id
    {
        link(
            crm,
            &crm.settings.modules.partners,
            crm_id,
            "partner",
            &partner.id,
            &partner.id,
        )
        .await?;
    }
    set_sync(
        crm,
        &keys::partner(&partner.id),
        Some((partner.version, &partner.crm_sync)),
        |s| {
            *s = CrmSync {
                crm_modified_time: s.crm_modified_time.clone(),
                ..sync.clone()
            }
        },
    )
    .await?;
    tracing::info!(partner_id = %partner.id, outcome, code = %result.code, "partner pushed to the CRM");
    Ok(outcome)
}

/// The Zoho record for a commission line (upserted on the portal id; amounts as exact
/// decimal text).
pub fn commission_record(crm: &Crm, line: &CommissionLine, partner_crm_id: Option<&str>) -> Value {
    let f = &crm.settings.fields;
    let c = &f.commission;
    let mut r = json!({});
    put(&mut r, &f.portal_id, Some(&line.id));
    put(
        &mut r,
        &c.name,
        Some(&line.description.chars().take(120).collect::<String>()),
    );
    put(&mut r, &c.description, Some(&line.description));
    put(&mut r, &c.amount, Some(&line.amount.decimal()));
    put(&mut r, &c.currency, Some(line.amount.currency.code()));
    r[&c.rate_bps] = line.rate_bps.map(|b| json!(b)).unwrap_or(Value::Null);
    put(&mut r, &c.portal_lead_id, line.lead_id.as_deref());
    put(&mut r, &c.deal_ref, line.deal_ref.as_deref());
    put(&mut r, &c.hold_reason, line.hold_reason.as_deref());
    put(&mut r, &c.earned_at, Some(&line.earned_at));
    put(&mut r, &c.paid_at, line.paid_at.as_deref());
    put(
        &mut r,
        &f.commission_status,
        Some(CrmSettings::zoho_commission_status(line.status)),
    );
    if let Some(id) = partner_crm_id {
        r[&f.partner_lookup] = json!({ "id": id });
    }
    if let Some(id) = &line.crm_sync.crm_id {
        r["id"] = json!(id);
    }
    r
}

async fn push_commission(
    crm: &Crm,
    partner_id: &str,
    line_id: &str,
    now: DateTime<Utc>,
) -> Result<Pushed, ZohoError> {
    let key = keys::commission_line(partner_id, line_id);
    let Some(line) = crm.store.get::<CommissionLine>(&key).await? else {
        return Ok(Pushed::Done("record_gone"));
    };
    let outcome = push_line(crm, &line, now).await?;
    Ok(if outcome == "failed" || outcome == "conflict" {
        Pushed::Rejected(outcome)
    } else {
        Pushed::Done(outcome)
    })
}

async fn push_line(
    crm: &Crm,
    line: &CommissionLine,
    now: DateTime<Utc>,
) -> Result<Outcome, ZohoError> {
    let partner: Option<Partner> = crm.store.get(&keys::partner(&line.partner_id)).await?;
    let partner_crm_id = match partner {
        Some(p) => ensure_partner(crm, p, now).await?,
        None => None,
    };
    let record = commission_record(crm, line, partner_crm_id.as_deref());
    let module = &crm.settings.modules.commissions;
    let result = crm
        .zoho
        .write(module, record, &crm.settings.fields.portal_id)
        .await?;
    let (mut sync, outcome) = sync_from(&result, &rfc3339(now), &line.crm_sync);
    if outcome == "synced" {
        sync.crm_status = Some(CrmSettings::zoho_commission_status(line.status).to_string());
        if let Some(crm_id) = &sync.crm_id {
            link(
                crm,
                module,
                crm_id,
                crate::commissions::ledger::LINE,
                &line.id,
                &line.partner_id,
            )
            .await?;
        }
    }
    set_sync(
        crm,
        &keys::commission_line(&line.partner_id, &line.id),
        Some((line.version, &line.crm_sync)),
        |s| {
            *s = CrmSync {
                crm_modified_time: s.crm_modified_time.clone(),
                ..sync.clone()
            }
        },
    )
    .await?;
    tracing::info!(line_id = %line.id, outcome, code = %result.code, "commission pushed to the CRM");
    Ok(outcome)
}

/// A settled payout: each of its lines is pushed with its new status.
async fn push_payout(
    crm: &Crm,
    partner_id: &str,
    payout_id: &str,
    now: DateTime<Utc>,
) -> Result<Pushed, ZohoError> {
    let Some(payout) = crm
        .store
        .get::<Payout>(&keys::payout(partner_id, payout_id))
        .await?
    else {
        return Ok(Pushed::Done("record_gone"));
    };
    let keys: Vec<Key> = payout
        .line_ids
        .iter()
        .map(|id| keys::commission_line(partner_id, id))
        .collect();
    let lines: Vec<CommissionLine> = crm.store.fetch(&keys).await?.take_present(&keys)?;
    let mut rejected = false;
    for line in &lines {
        let outcome = push_line(crm, line, now).await?;
        rejected |= outcome == "failed" || outcome == "conflict";
    }
    Ok(if rejected {
        Pushed::Rejected("failed")
    } else {
        Pushed::Done("synced")
    })
}

async fn push_activity(
    crm: &Crm,
    item: &CrmOutbox,
    now: DateTime<Utc>,
) -> Result<Pushed, ZohoError> {
    let Some(lead_id) = &item.parent_id else {
        return Ok(Pushed::Rejected("activity_without_lead"));
    };
    let Some(lead) = find_lead(crm, lead_id).await? else {
        return Ok(Pushed::Done("record_gone"));
    };
    let activity: Option<Activity> = crm
        .store
        .get(&keys::lead_activity(
            &item.partner_id,
            lead_id,
            &item.entity_id,
        ))
        .await?;
    let Some(activity) = activity else {
        return Ok(Pushed::Done("record_gone"));
    };
    let lead_crm_id = match &lead.crm_sync.crm_id {
        Some(id) => id.clone(),
        None => {
            push_lead(crm, &lead.id, OutboxOperation::Create, now).await?;
            match find_lead(crm, &lead.id)
                .await?
                .and_then(|l| l.crm_sync.crm_id)
            {
                Some(id) => id,
                None => return Err(ZohoError::Unavailable("the lead is not in Zoho yet".into())),
            }
        }
    };
    let f = &crm.settings.fields;
    let kind = serde_json::to_value(activity.activity_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut r = json!({
        "Subject": activity.subject.clone().unwrap_or_else(|| format!("Portal {}", kind.replace('_', " "))),
        "Status": "Completed",
        "What_Id": {"id": lead_crm_id},
        "$se_module": crm.settings.modules.leads,
    });
    put(&mut r, &f.portal_id, Some(&activity.id));
    put(
        &mut r,
        "Description",
        activity
            .description
            .as_deref()
            .or(activity.outcome.as_deref()),
    );
    let result = crm
        .zoho
        .write(&crm.settings.modules.activities, r, &f.portal_id)
        .await?;
    tracing::info!(activity_id = %activity.id, code = %result.code, "activity pushed to the CRM");
    Ok(if result.code == "SUCCESS" {
        Pushed::Done("synced")
    } else {
        Pushed::Rejected("failed")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::zoho::tests::assert_plain;
    use crate::secrets::SecretError;

    #[test]
    fn a_failing_push_shows_the_record_a_plain_reason() {
        let unreadable = ZohoError::Secret(SecretError::Fetch {
            id: "arn:aws:secretsmanager:af-south-1:123456789012:secret:zoho".into(),
            cause: "dispatch failure: https://secretsmanager.af-south-1.amazonaws.com/".into(),
        });
        for dead in [false, true] {
            assert_plain(&failure_note(&unreadable, 3, dead));
        }
        assert_eq!(
            failure_note(
                &ZohoError::Unavailable("Zoho failed (HTTP 503)".into()),
                1,
                false
            ),
            "will retry: Zoho failed (HTTP 503)"
        );
        assert_eq!(
            failure_note(&unreadable, 8, true),
            "gave up after 8 attempts: the Zoho credentials could not be read"
        );
    }

    #[test]
    fn a_refused_record_shows_zohos_code_message_and_field() {
        let refused: RecordResult = serde_json::from_value(json!({
            "code": "INVALID_DATA", "status": "error", "message": "invalid data",
            "details": {"api_name": "Phone"}
        }))
        .unwrap();
        let (sync, outcome) = sync_from(&refused, "2026-11-20T10:00:00.000Z", &CrmSync::pending());
        assert_eq!(outcome, "failed");
        assert_eq!(
            sync.last_error.as_deref(),
            Some("INVALID_DATA: invalid data (Phone)")
        );
        assert_plain(sync.last_error.as_deref().unwrap());
    }
}
