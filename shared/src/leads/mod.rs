//! Leads: registration with cross-partner conflict protection, the pipeline, history,
//! activities, attachments, aggregates and the public capture form.
//!
//! Conflicts are decided by guard items, one per normalised contact value (email, phone,
//! company domain), written in the lead's own transaction with the condition "absent or
//! protection expired": of any number of concurrent registrations of one contact, exactly
//! one commits. A lost lead releases its guards; otherwise they expire with the protection
//! window. Dashboard figures live in the partner's counters item, changed in the same
//! transaction as the lead (see [`contributions`]).

mod error;
pub mod model;
pub mod normalize;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

use crate::audit::AuditEntry;
use crate::auth::{Principal, Role};
use crate::contact::{Email, Phone};
use crate::fault::{FieldError, Invalid};
use crate::identity::model::User;
use crate::outbox::{CrmOutbox, CrmSync};
use crate::partners::{Partner, PartnerStatus};
use crate::storage::{Documents, PresignedUpload};
use crate::store::{
    Entity, Failure, Filter, Index, Page, Patch, Query, Store, StoreError, TxBuilder, from_item,
    keys,
};
use crate::validate::{optional, required, rfc3339};
use aws_sdk_dynamodb::types::AttributeValue;
pub use error::LeadError;
pub use model::*;
use normalize::ContactKeys;

/// Lead settings from configuration.
#[derive(Debug, Clone)]
pub struct LeadSettings {
    /// How long a registered lead is protected from other partners (`LEAD_PROTECTION_DAYS`, 90).
    pub protection_days: i64,
    pub default_country_code: String,
    /// Leads a partner may register in the portal per day (`RATE_LIMITS`), taken in the
    /// creating transaction; none for the CRM's own writes.
    pub portal_daily_limit: Option<crate::limits::Limit>,
}

fn timestamp(e: &mut Vec<FieldError>, field: &str, v: &Option<String>) -> Option<String> {
    let raw = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(rfc3339(t.with_timezone(&Utc))),
        Err(_) => {
            e.push(FieldError::new(field, "must be an RFC 3339 time"));
            None
        }
    }
}

/// A follow-up time within [`FOLLOW_UP_WINDOW_DAYS`] of `now`.
fn follow_up(e: &mut Vec<FieldError>, v: &Option<String>, now: DateTime<Utc>) -> Option<String> {
    let at = timestamp(e, "/next_follow_up_at", v)?;
    let t = DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc);
    let (back, ahead) = FOLLOW_UP_WINDOW_DAYS;
    if t < now - Duration::days(back) || t > now + Duration::days(ahead) {
        e.push(FieldError::new(
            "/next_follow_up_at",
            "must be within a year back and two years ahead",
        ));
        return None;
    }
    Some(at)
}

fn money(e: &mut Vec<FieldError>, field: &str, v: &Option<Money>) -> Option<Money> {
    let m = v.as_ref()?;
    if m.amount_minor < 0
        || m.currency.len() != 3
        || !m.currency.chars().all(|c| c.is_ascii_uppercase())
    {
        e.push(FieldError::new(
            field,
            "must be a non-negative amount_minor with an ISO 4217 currency",
        ));
        return None;
    }
    Some(m.clone())
}

/// A lead as the API shows it (internal search and reservation fields left out).
pub fn view(lead: &Lead) -> Value {
    let mut v = serde_json::to_value(lead).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("search_text");
        m.remove("contact_keys");
        // Partners see where the record stands in the CRM, not Zoho's internals.
        m.insert(
            "crm_sync".into(),
            serde_json::to_value(crate::outbox::CrmSyncView::from(&lead.crm_sync))
                .unwrap_or(Value::Null),
        );
    }
    v
}

/// A page of leads as the API shows it.
pub fn view_page(page: &Page<Lead>) -> Value {
    serde_json::json!({ "items": page.items.iter().map(view).collect::<Vec<_>>(), "next_cursor": page.next_cursor })
}

// ------------------------------------------------------------------ aggregates

/// What one lead adds to its partner's counters. A change applies `after - before`, so the
/// counters always equal a recount of the items (a test recounts after random traffic).
pub fn contributions(lead: &Lead) -> BTreeMap<String, i64> {
    let mut c = BTreeMap::new();
    c.insert("leads_total".to_string(), 1);
    c.insert(format!("status_{}", lead.status.as_str()), 1);
    if lead.status.is_open() {
        c.insert("leads_open".to_string(), 1);
        if let Some(due) = &lead.next_follow_up_at {
            c.insert(format!("due_{}", &due[..10].replace('-', "")), 1);
        }
    }
    if let Some(stage) = &lead.stage {
        c.insert(format!("stage_{stage}"), 1);
    }
    c
}

fn deltas(before: Option<&Lead>, after: Option<&Lead>) -> Vec<(String, i64)> {
    let mut d: BTreeMap<String, i64> = BTreeMap::new();
    if let Some(b) = before {
        for (k, v) in contributions(b) {
            *d.entry(k).or_default() -= v;
        }
    }
    if let Some(a) = after {
        for (k, v) in contributions(a) {
            *d.entry(k).or_default() += v;
        }
    }
    d.into_iter().filter(|(_, v)| *v != 0).collect()
}

pub(crate) fn add_counters<'a>(
    tx: TxBuilder<'a>,
    partner_id: &str,
    before: Option<&Lead>,
    after: Option<&Lead>,
) -> TxBuilder<'a> {
    let d = deltas(before, after);
    let pipeline = pipeline_value(after) - pipeline_value(before);
    let tx = if pipeline != 0 {
        // The directory's hero metric, changed with the lead that changes it.
        tx.add(
            &keys::directory_counters(),
            "directory_counters",
            &[("pipeline_value_minor", pipeline)],
        )
    } else {
        tx
    };
    let key = keys::partner_counters(partner_id);
    let new_stage = after
        .and_then(|a| a.stage.as_deref())
        .filter(|s| before.and_then(|b| b.stage.as_deref()) != Some(*s));
    let Some(stage) = new_stage else {
        let refs: Vec<(&str, i64)> = d.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        return tx.add(&key, "partner_counters", &refs);
    };
    // Each stage label has its own counter on the one counters item: the labels a partner
    // uses are capped (kept in a set on the same item, checked in the same write), so the
    // item cannot grow without bound.
    let mut patch = Patch::new(&key)
        .set(keys::KIND, "partner_counters")
        .add_to_set(STAGE_LABELS, stage)
        .require_room_in_set(STAGE_LABELS, stage, MAX_STAGES)
        .on_failure(Failure::conflict(
            "too_many_stages",
            format!("A partner uses at most {MAX_STAGES} distinct stages; reuse one of them."),
        ));
    for (attr, delta) in &d {
        patch = patch.add(attr, *delta);
    }
    tx.patch(patch)
}

/// The currency the portal-wide pipeline value is kept in; leads valued in another
/// currency are not added to it (sums never mix currencies).
pub const PIPELINE_CURRENCY: &str = "ZAR";

/// What a lead adds to the portal-wide pipeline value: its estimate while it is open.
fn pipeline_value(lead: Option<&Lead>) -> i64 {
    lead.filter(|l| l.status.is_open())
        .and_then(|l| l.estimated_value.as_ref())
        .filter(|m| m.currency == PIPELINE_CURRENCY)
        .map(|m| m.amount_minor)
        .unwrap_or(0)
}

/// Distinct stage labels a partner may use (each has a counter on the counters item).
pub const MAX_STAGES: i64 = 50;
/// The set of stage labels in use, on the counters item.
const STAGE_LABELS: &str = "stage_labels";

/// Follow-ups may be planned up to two years ahead and recorded up to a year back: each
/// distinct day is a counter on the partner's counters item.
pub const FOLLOW_UP_WINDOW_DAYS: (i64, i64) = (365, 2 * 365);

// ------------------------------------------------------------------ visibility

/// Sales users see the leads they created or are assigned; other partner roles see all.
fn visible(principal: &Principal, lead: &Lead) -> bool {
    principal.role != Role::Sales
        || lead.created_by == principal.user_id
        || lead.assigned_to.as_deref() == Some(principal.user_id.as_str())
}

/// The key a lead of the caller's partner would have (read with the access check).
pub fn lead_key(principal: &Principal, lead_id: &str) -> Vec<crate::store::Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| keys::lead(p, lead_id))
        .into_iter()
        .collect()
}

/// A lead read with the access check, if the caller may see it (404 otherwise).
pub fn visible_lead(
    access: &mut crate::identity::access::Access,
    lead_id: &str,
) -> Result<Lead, LeadError> {
    let key = lead_key(&access.principal, lead_id);
    let lead: Option<Lead> = match key.first() {
        Some(k) => access.fetched.take(k)?,
        None => return Err(crate::auth::NoPartner.into()),
    };
    match lead {
        Some(lead) if visible(&access.principal, &lead) => Ok(lead),
        _ => Err(LeadError::NotFound("lead")),
    }
}

async fn own_lead(store: &Store, principal: &Principal, lead_id: &str) -> Result<Lead, LeadError> {
    let partner_id = principal.partner_id()?;
    let lead: Lead = store
        .get(&keys::lead(partner_id, lead_id))
        .await?
        .ok_or(LeadError::NotFound("lead"))?;
    if !visible(principal, &lead) {
        return Err(LeadError::NotFound("lead"));
    }
    Ok(lead)
}

// ------------------------------------------------------------------ create

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

/// A conflict found before writing: either ours (with the existing id) or another partner's.
fn conflict_from(guards: &[LeadGuard], partner_id: &str, now: i64) -> Option<LeadError> {
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
    tx.put_if(
        guard,
        "attribute_not_exists(PK) OR #until < :now",
        &[("#until", "protected_until")],
        vec![(":now", AttributeValue::N(now.to_string()))],
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
    let mut wanted = vec![keys::partner(&partner_id)];
    wanted.extend(guard_keys);
    let items = store.get_many(&wanted).await?;
    let partner: Partner = items[0]
        .clone()
        .map(from_item)
        .transpose()?
        .ok_or(LeadError::NotFound("partner"))?;
    if partner.status != PartnerStatus::Approved {
        return Err(LeadError::PartnerNotApproved);
    }
    let existing: Vec<LeadGuard> = items[1..]
        .iter()
        .flatten()
        .cloned()
        .map(from_item)
        .collect::<Result<_, _>>()?;
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
        protection_expires_at: rfc3339(protected_until),
        contact_keys,
        crm_sync: CrmSync::pending(),
        search_text: String::new(),
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
    let history = HistoryEntry {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner_id.clone(),
        lead_id: lead.id.clone(),
        from: None,
        to: LeadStatus::New,
        at: at.clone(),
        by: by.to_string(),
        source: if source == LeadSource::Crm {
            LeadSource::Crm
        } else {
            LeadSource::Portal
        },
    };
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
    let outbox = CrmOutbox::new("lead", &lead.id, &partner_id, "create", &at);
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

// ------------------------------------------------------------------ read

/// `GET /v1/leads/{id}`: one read.
pub async fn get(store: &Store, principal: &Principal, lead_id: &str) -> Result<Lead, LeadError> {
    own_lead(store, principal, lead_id).await
}

#[derive(Debug, Default, Clone)]
pub struct ListFilters {
    pub status: Option<LeadStatus>,
    pub stage: Option<String>,
    pub overdue: bool,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub assigned_to: Option<String>,
    pub q: Option<String>,
}

/// `GET /v1/leads`: one Query per page, newest first. `status` reads the status index,
/// `follow_up=overdue` the follow-up index (due before now); the other filters (and a
/// sales user's own-leads rule) run server-side on the page read, so `q` costs what the
/// page reads, not the partner's whole pipeline.
pub async fn list(
    store: &Store,
    principal: &Principal,
    f: &ListFilters,
    limit: i32,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Page<Lead>, LeadError> {
    let partner_id = principal.partner_id()?;
    let mut query = if f.overdue {
        Query::partition(Some(Index::Due), follow_up_partition(partner_id), limit)
            .below(rfc3339(now))
    } else if let Some(s) = f.status {
        Query::partition(
            Some(Index::ByState),
            by_status_partition(partner_id, s),
            limit,
        )
        .newest_first()
    } else {
        Query::partition(None, keys::partner_partition(partner_id), limit)
            .prefix(keys::LEAD_PREFIX)
            .newest_first()
    };
    let mut filter = Filter::new();
    if let (true, Some(s)) = (f.overdue, f.status) {
        filter = filter.eq(&["status"], s.as_str());
    }
    if let Some(stage) = &f.stage {
        filter = filter.eq(&["stage"], stage);
    }
    if let Some(a) = &f.assigned_to {
        filter = filter.eq(&["assigned_to"], a);
    }
    if let Some(from) = &f.created_from {
        filter = filter.at_least(&["created_at"], from);
    }
    if let Some(to) = &f.created_to {
        filter = filter.at_most(&["created_at"], to);
    }
    if let Some(q) = &f.q {
        filter = filter.contains_any(&[&["search_text"]], &q.to_lowercase());
    }
    if principal.role == Role::Sales {
        filter = filter.any_eq(&[&["created_by"], &["assigned_to"]], &principal.user_id);
    }
    query = query.filter(filter);
    Ok(store.query(&query, cursor).await?)
}

/// `GET /v1/leads/{id}/history`, oldest first.
pub async fn history(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
) -> Result<Vec<HistoryEntry>, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let q = Query::partition(None, keys::partner_partition(&lead.partner_id), 100)
        .prefix(keys::lead_history_prefix(&lead.id));
    Ok(store.query_all(&q).await?)
}

/// `GET /v1/leads/{id}/activities`, newest first.
pub async fn activities(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Activity>, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let q = Query::partition(None, keys::partner_partition(&lead.partner_id), limit)
        .prefix(keys::lead_activity_prefix(&lead.id))
        .newest_first();
    Ok(store.query(&q, cursor).await?)
}

// ------------------------------------------------------------------ update

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

fn set_opt(
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
        next.status = status;
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
    let mut reads = Vec::new();
    if let Some(a) = req.assigned_to.as_deref() {
        next.assigned_to = (!a.trim().is_empty()).then(|| a.trim().to_string());
        if let Some(user) = &next.assigned_to {
            reads.push(keys::user(Some(&partner_id), user));
        }
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
    let first_guard = reads.len();
    reads.extend(added.iter().map(|(c, v)| keys::lead_guard(c, v)));
    let first_removed = reads.len();
    reads.extend(removed.iter().map(|(c, v)| keys::lead_guard(c, v)));
    if !reads.is_empty() {
        let items = store.get_many(&reads).await?;
        if next.assigned_to.is_some() && req.assigned_to.is_some() {
            let user: Option<User> = items[0].clone().map(from_item).transpose()?;
            if user.is_none() {
                return Err(Invalid::field(
                    "/assigned_to",
                    "is not a user of your partner account",
                )
                .into());
            }
        }
        let guards: Vec<LeadGuard> = items[first_guard..first_removed]
            .iter()
            .flatten()
            .cloned()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        let others: Vec<LeadGuard> = guards
            .into_iter()
            .filter(|g| g.lead_id != current.id)
            .collect();
        if let Some(problem) = conflict_from(&others, &partner_id, t) {
            return Err(problem);
        }
        // Release only the reservations this lead still holds (an expired one may have
        // been taken over by another lead since).
        owned_removed = items[first_removed..]
            .iter()
            .flatten()
            .cloned()
            .map(from_item::<LeadGuard>)
            .collect::<Result<Vec<_>, _>>()?
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
        tx = tx.delete_where(
            &guard.key(),
            "#lead = :lead",
            &[("#lead", "lead_id")],
            vec![(":lead", AttributeValue::S(current.id.clone()))],
            Failure::Stale,
        );
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
        let h = HistoryEntry {
            id: ulid::Ulid::new().to_string(),
            partner_id: partner_id.clone(),
            lead_id: current.id.clone(),
            from: Some(current.status),
            to: next.status,
            at: at.clone(),
            by: principal.user_id.clone(),
            source: LeadSource::Portal,
        };
        tx = tx.insert(&h);
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
        "status"
    } else {
        "upsert"
    };
    let outbox = CrmOutbox::new("lead", &current.id, &partner_id, operation, &at);
    tx = add_counters(tx, &partner_id, Some(&current), Some(&next))
        .insert(&audit)
        .insert(&outbox);
    store.commit(tx.build()).await?;
    Ok(next)
}

// ------------------------------------------------------------------ activities

/// `POST /v1/leads/{id}/activities`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    #[serde(rename = "type")]
    pub activity_type: ActivityType,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub next_action: Option<String>,
    #[serde(default)]
    pub next_action_at: Option<String>,
}

/// Records an activity and stamps the lead's `last_contact_at`, in one transaction.
pub async fn add_activity(
    store: &Store,
    principal: &Principal,
    lead_id: &str,
    req: NewActivity,
    now: DateTime<Utc>,
) -> Result<Activity, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let mut e = Vec::new();
    let activity = Activity {
        id: ulid::Ulid::new().to_string(),
        partner_id: lead.partner_id.clone(),
        lead_id: lead.id.clone(),
        activity_type: req.activity_type,
        subject: optional(&mut e, "/subject", &req.subject, 200),
        description: optional(&mut e, "/description", &req.description, 5000),
        outcome: optional(&mut e, "/outcome", &req.outcome, 500),
        next_action: optional(&mut e, "/next_action", &req.next_action, 500),
        next_action_at: timestamp(&mut e, "/next_action_at", &req.next_action_at),
        by: principal.user_id.clone(),
        at: rfc3339(now),
    };
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let outbox = CrmOutbox {
        parent_id: Some(lead.id.clone()),
        ..CrmOutbox::new(
            "activity",
            &activity.id,
            &lead.partner_id,
            "create",
            &activity.at,
        )
    };
    let tx = store
        .tx()
        .insert(&activity)
        .insert(&outbox)
        .patch(
            Patch::new(&lead.key())
                .set("last_contact_at", &activity.at)
                .set("updated_at", &activity.at)
                .add("version", 1)
                .require_exists()
                .on_failure(Failure::Missing { what: "lead" }),
        )
        .build();
    store.commit(tx).await?;
    Ok(activity)
}

// ------------------------------------------------------------------ stats

#[derive(Debug, Serialize)]
pub struct Stats {
    pub total: i64,
    pub open: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_stage: BTreeMap<String, i64>,
    pub won: i64,
    pub lost: i64,
    pub conversion_rate: f64,
    pub overdue_follow_ups: i64,
}

/// `GET /v1/leads/stats`: one read of the counters item, whatever the number of leads.
/// Overdue follow-ups are the per-day due counts before today.
/// The counters key the stats are read from (read with the access check).
pub fn stats_key(principal: &Principal) -> Vec<crate::store::Key> {
    principal
        .partner_id
        .as_deref()
        .map(keys::partner_counters)
        .into_iter()
        .collect()
}

/// `GET /v1/leads/stats`, from the counters item read with the access check.
pub fn stats(
    access: &mut crate::identity::access::Access,
    now: DateTime<Utc>,
) -> Result<Stats, LeadError> {
    let counters: HashMap<String, Value> = match stats_key(&access.principal).first() {
        Some(k) => access.fetched.take(k)?.unwrap_or_default(),
        None => return Err(crate::auth::NoPartner.into()),
    };
    Ok(stats_from(&counters, now.date_naive()))
}

/// Reads the figures out of a counters item.
pub fn stats_from(counters: &HashMap<String, Value>, today: NaiveDate) -> Stats {
    let n = |k: &str| counters.get(k).and_then(Value::as_i64).unwrap_or(0);
    let by_status: BTreeMap<String, i64> = LeadStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), n(&format!("status_{}", s.as_str()))))
        .collect();
    let by_stage: BTreeMap<String, i64> = counters
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("stage_")?.to_string(), v.as_i64()?)))
        .filter(|(_, v)| *v > 0)
        .collect();
    let today = today.format("%Y%m%d").to_string();
    let overdue = counters
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("due_")?, v.as_i64()?)))
        .filter(|(day, _)| *day < today.as_str())
        .map(|(_, v)| v)
        .sum();
    let (total, won, lost) = (
        n("leads_total"),
        by_status["won"] + by_status["converted"],
        by_status["lost"],
    );
    Stats {
        total,
        open: n("leads_open"),
        conversion_rate: if total > 0 {
            ((won as f64 / total as f64) * 10_000.0).round() / 10_000.0
        } else {
            0.0
        },
        by_status,
        by_stage,
        won,
        lost,
        overdue_follow_ups: overdue,
    }
}

// ------------------------------------------------------------------ attachments

pub const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRequest {
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadAttachment {
    pub id: String,
    pub partner_id: String,
    pub lead_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub status: crate::uploads::VerificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub object_key: String,
    /// The ETag of the object that passed verification: a later event for the same key
    /// with another ETag means the file was replaced after it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_etag: Option<String>,
    pub created_at: String,
}

impl Entity for LeadAttachment {
    const KIND: &'static str = "lead_attachment";

    fn key(&self) -> crate::store::Key {
        keys::lead_attachment(&self.partner_id, &self.lead_id, &self.id)
    }
}

#[derive(Debug, Serialize)]
pub struct AttachmentGranted {
    pub attachment: LeadAttachment,
    pub upload: PresignedUpload,
}

/// A presigned upload under `leads/<partner>/<lead>/<attachment>`, verified like KYC uploads.
pub async fn request_attachment(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    lead_id: &str,
    req: AttachmentRequest,
    budget: crate::limits::UploadBudget,
    now: DateTime<Utc>,
) -> Result<AttachmentGranted, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let file_name = crate::validate::upload(
        &req.file_name,
        &req.content_type,
        req.size,
        ATTACHMENT_TYPES,
        crate::uploads::MAX_DOCUMENT_BYTES,
    )?;
    let id = ulid::Ulid::new().to_string();
    let attachment = LeadAttachment {
        object_key: format!("leads/{}/{}/{id}", lead.partner_id, lead.id),
        id,
        partner_id: lead.partner_id.clone(),
        lead_id: lead.id.clone(),
        file_name,
        content_type: req.content_type,
        size: req.size,
        status: crate::uploads::VerificationStatus::Uploading,
        rejection_reason: None,
        object_etag: None,
        created_at: rfc3339(now),
    };
    let tx = budget.spend(
        store.tx().insert(&attachment),
        &attachment.partner_id,
        attachment.size,
        now,
    );
    store.commit(tx.build()).await?;
    let upload = docs
        .presign_upload(
            &attachment.object_key,
            &attachment.content_type,
            attachment.size,
            crate::uploads::UPLOAD_TTL,
        )
        .await?;
    Ok(AttachmentGranted { attachment, upload })
}

/// Verifies a stored attachment (size and magic bytes); a mismatch deletes the object.
pub async fn verify_attachment(
    store: &Store,
    docs: &Documents,
    object_key: &str,
    event_etag: Option<&str>,
) -> Result<bool, LeadError> {
    let parts: Vec<&str> = object_key
        .strip_prefix("leads/")
        .unwrap_or("")
        .split('/')
        .collect();
    let [partner_id, lead_id, id] = parts.as_slice() else {
        docs.delete(object_key).await?;
        return Ok(false);
    };
    let key = keys::lead_attachment(partner_id, lead_id, id);
    let Some(att) = store.get::<LeadAttachment>(&key).await? else {
        docs.delete(object_key).await?;
        return Ok(false);
    };
    if att.status != crate::uploads::VerificationStatus::Uploading {
        // A presigned URL stays usable for its lifetime: a second upload to the same key
        // after verification is a replacement nobody checked. Reject it and remove it.
        let replaced = att.status != crate::uploads::VerificationStatus::Rejected
            && matches!((event_etag, att.object_etag.as_deref()),
                (Some(new), Some(verified)) if new.trim_matches('"') != verified);
        if !replaced {
            return Ok(att.status == crate::uploads::VerificationStatus::Pending);
        }
        docs.delete(object_key).await?;
        store
            .apply(
                Patch::new(&key)
                    .set("status", crate::uploads::VerificationStatus::Rejected)
                    .set(
                        "rejection_reason",
                        "The file was replaced after it was verified; attach it again.",
                    )
                    .require_exists(),
            )
            .await?;
        return Ok(false);
    }
    let Some(info) = docs.info(object_key).await? else {
        return Ok(false);
    };
    let ok = info.size == att.size
        && crate::uploads::attachment_magic_matches(
            &att.content_type,
            &docs.head_bytes(object_key, 16).await?,
        );
    if !ok {
        docs.delete(object_key).await?;
    }
    let mut patch = Patch::new(&key)
        .set(
            "status",
            if ok {
                crate::uploads::VerificationStatus::Pending
            } else {
                crate::uploads::VerificationStatus::Rejected
            },
        )
        .require_eq("status", crate::uploads::VerificationStatus::Uploading);
    if let (true, Some(etag)) = (ok, &info.etag) {
        patch = patch.set("object_etag", etag);
    }
    if !ok {
        patch = patch.set(
            "rejection_reason",
            "The file does not match its declared size or type.",
        );
    }
    match store.apply(patch).await {
        Ok(()) | Err(StoreError::Condition(_)) => Ok(ok),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ public form

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

// ------------------------------------------------------------------ operations

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
    let found: Vec<Lead> = store
        .query_all(&Query::partition(
            Some(Index::Lookup),
            format!("LEAD#{lead_id}"),
            1,
        ))
        .await?;
    let current = found
        .into_iter()
        .next()
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
    let history = HistoryEntry {
        id: ulid::Ulid::new().to_string(),
        partner_id: target.id.clone(),
        lead_id: moved.id.clone(),
        from: None,
        to: moved.status,
        at: at.clone(),
        by: by.to_string(),
        source: LeadSource::Portal,
    };
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
    let outbox = CrmOutbox::new("lead", &moved.id, &target.id, "upsert", &at);
    tx = tx
        .insert(&history)
        .insert(&audit)
        .insert(&mail)
        .insert(&outbox);
    store.commit(tx.build()).await?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_move_forward_or_to_lost_and_never_to_won() {
        assert_eq!(
            LeadStatus::New.partner_moves(),
            vec![
                LeadStatus::Contacted,
                LeadStatus::Qualified,
                LeadStatus::Proposal,
                LeadStatus::Lost
            ]
        );
        assert_eq!(LeadStatus::Proposal.partner_moves(), vec![LeadStatus::Lost]);
        assert!(LeadStatus::Won.partner_moves().is_empty());
        assert!(
            !LeadStatus::Qualified
                .partner_moves()
                .contains(&LeadStatus::Contacted)
        );
    }

    #[test]
    fn stats_read_overdue_from_day_buckets_before_today() {
        let counters: HashMap<String, Value> = serde_json::from_value(serde_json::json!({
            "leads_total": 4, "leads_open": 3, "status_new": 2, "status_contacted": 1, "status_won": 1,
            "stage_demo": 2, "stage_old": 0, "due_20261119": 2, "due_20261120": 1, "due_20261125": 1
        }))
        .unwrap();
        let s = stats_from(&counters, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!((s.total, s.open, s.won, s.overdue_follow_ups), (4, 3, 1, 2));
        assert_eq!(s.by_stage.len(), 1);
        assert_eq!(s.conversion_rate, 0.25);
        assert_eq!(s.by_status["new"], 2);
    }
}
