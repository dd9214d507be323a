//! The inbound worker: a queued webhook is a hint that a Zoho record changed. The worker
//! re-reads the record, applies it only if Zoho's `Modified_Time` is not older than the
//! change the portal last applied, and writes a processed-event record in the same
//! transaction as the effect, so a redelivered event has no second effect.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::webhook::QueuedEvent;
use super::{Crm, CrmLink};
use crate::audit::AuditEntry;
use crate::auth::permissions::Role;
use crate::commissions::from_crm::CrmCommission;
use crate::commissions::{CommissionLine, Locator, minor_units};
use crate::contact::{Email, Phone};
use crate::identity::model::{UserStatus, new_member};
use crate::leads::{Lead, LeadStatus};
use crate::money::{Currency, Money};
use crate::outbox::{CrmOutbox, CrmSync};
use crate::partners::decisions::{Actor, change_status};
use crate::partners::registration::PartnerDraft;
use crate::partners::{Address, BusinessType, Partner, PartnerStatus};
use crate::store::{Entity, Failure, Key, StoreError, TxBuilder, keys};
use crate::validate::rfc3339;

/// Why an event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// Retrying cannot help (unknown module, no such record, unusable data): the event
    /// goes to the dead-letter queue after the queue's bounded receives.
    #[error("unusable CRM event: {0}")]
    Poison(String),
    /// Temporary (Zoho or DynamoDB unavailable, a dependency not synced yet).
    #[error("CRM event not applied yet: {0}")]
    Retry(String),
}

impl crate::fault::Fault for InboundError {
    fn kind(&self) -> crate::fault::Kind {
        match self {
            InboundError::Poison(_) => crate::fault::Kind::Invalid,
            InboundError::Retry(_) => crate::fault::Kind::Unavailable,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            InboundError::Poison(_) => "unusable_event",
            InboundError::Retry(_) => "not_applied_yet",
        }
    }
}

impl InboundError {
    /// A domain failure, classified: retried if a later attempt may succeed.
    pub fn from_fault(what: &str, e: &impl crate::fault::Fault) -> Self {
        let text = format!("{what}: {} ({e})", e.code());
        if e.kind().retryable() {
            InboundError::Retry(text)
        } else {
            InboundError::Poison(text)
        }
    }
}

impl From<StoreError> for InboundError {
    fn from(e: StoreError) -> Self {
        InboundError::Retry(e.to_string())
    }
}

impl From<super::zoho::ZohoError> for InboundError {
    fn from(e: super::zoho::ZohoError) -> Self {
        if e.retryable() {
            InboundError::Retry(e.to_string())
        } else {
            InboundError::Poison(e.to_string())
        }
    }
}

/// The idempotency record of an applied CRM change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessedEvent {
    pub id: String,
    pub module: String,
    pub record_id: String,
    pub modified_time: String,
    pub processed_at: String,
    /// TTL: kept 30 days, well beyond any redelivery.
    pub expires_at: i64,
}

impl Entity for ProcessedEvent {
    const KIND: &'static str = "crm_event";

    fn key(&self) -> Key {
        keys::crm_event(&self.id)
    }
}

const DUPLICATE: &str = "duplicate_event";

/// What applying an event did (logged, and asserted by tests).
pub type Outcome = &'static str;

/// Handles one queued event.
pub async fn handle(
    crm: &Crm,
    event: &QueuedEvent,
    now: DateTime<Utc>,
) -> Result<Outcome, InboundError> {
    let module = event.module.as_str();
    if !crm.knows_module(module) {
        return Err(InboundError::Poison(format!("unknown module {module:?}")));
    }
    let record = crm
        .zoho
        .get_record(module, &event.record_id)
        .await?
        .ok_or_else(|| {
            InboundError::Poison(format!("Zoho has no {module} record {}", event.record_id))
        })?;
    // Boxed: the appliers' futures are large and deeply nested.
    Box::pin(apply_record(
        crm,
        module,
        &record,
        &super::webhook::event_id(event),
        now,
    ))
    .await
}

/// Applies a record read from Zoho (by the worker or the reconciler). `source_id`
/// identifies what delivered it; with the record's `Modified_Time` it names the event.
pub async fn apply_record(
    crm: &Crm,
    module: &str,
    record: &Value,
    source_id: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, InboundError> {
    let modified = text(record, "Modified_Time")
        .filter(|t| super::zoho::parse_time(t).is_some())
        .ok_or_else(|| InboundError::Poison("the record has no valid Modified_Time".into()))?;
    let crm_id =
        text(record, "id").ok_or_else(|| InboundError::Poison("the record has no id".into()))?;
    let processed = ProcessedEvent {
        id: format!("{source_id}#{modified}"),
        module: module.to_string(),
        record_id: crm_id.clone(),
        modified_time: modified.clone(),
        processed_at: rfc3339(now),
        expires_at: (now + Duration::days(30)).timestamp(),
    };
    if crm
        .store
        .get::<Value>(&keys::crm_event(&processed.id))
        .await?
        .is_some()
    {
        return Ok("duplicate");
    }
    // A concurrent portal write moves the version on: read again and retry.
    for _ in 0..4 {
        let result = if module == crm.settings.modules.leads {
            Box::pin(apply_lead(crm, record, &crm_id, &modified, &processed, now)).await
        } else if module == crm.settings.modules.partners {
            Box::pin(apply_partner(
                crm, record, &crm_id, &modified, &processed, now,
            ))
            .await
        } else if module == crm.settings.modules.commissions {
            Box::pin(apply_commission(
                crm, record, &crm_id, &modified, &processed, now,
            ))
            .await
        } else {
            return Err(InboundError::Poison(format!("unknown module {module:?}")));
        };
        match result {
            Err(Applied::Store(StoreError::Condition(Failure::Stale))) => continue,
            Err(Applied::Store(StoreError::Condition(Failure::Conflict { code, .. })))
                if code == DUPLICATE =>
            {
                return Ok("duplicate");
            }
            Err(Applied::Store(e)) => return Err(e.into()),
            Err(Applied::Event(e)) => return Err(e),
            Ok(outcome) => return Ok(outcome),
        }
    }
    Err(InboundError::Retry("the record kept changing".into()))
}

enum Applied {
    Store(StoreError),
    Event(InboundError),
}

impl From<StoreError> for Applied {
    fn from(e: StoreError) -> Self {
        Applied::Store(e)
    }
}

impl From<InboundError> for Applied {
    fn from(e: InboundError) -> Self {
        Applied::Event(e)
    }
}

impl From<super::zoho::ZohoError> for Applied {
    fn from(e: super::zoho::ZohoError) -> Self {
        Applied::Event(e.into())
    }
}

// ------------------------------------------------------------------ record fields

/// A non-empty string field (numbers as text).
pub fn text(record: &Value, field: &str) -> Option<String> {
    match record.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A lookup field's record id (`{"id": …}` or a bare id).
pub fn lookup_id(record: &Value, field: &str) -> Option<String> {
    match record.get(field)? {
        v @ Value::Object(_) => text(v, "id"),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether `modified` (Zoho's) is at least as new as what the portal last applied.
pub fn not_older(modified: &str, applied: Option<&str>) -> bool {
    match (
        super::zoho::parse_time(modified),
        applied.and_then(super::zoho::parse_time),
    ) {
        (Some(m), Some(a)) => m >= a,
        _ => true,
    }
}

fn processed_tx<'a>(tx: TxBuilder<'a>, processed: &ProcessedEvent) -> TxBuilder<'a> {
    tx.create(
        processed,
        Failure::conflict(DUPLICATE, "event already applied"),
    )
}

/// The deal value Zoho holds for a lead (its amount field, in its currency field or the
/// lead's estimated value's currency), exactly.
fn crm_deal_value(crm: &Crm, record: &Value, lead: &Lead) -> Option<Money> {
    let f = &crm.settings.fields.lead;
    let code = text(record, &f.currency)
        .or_else(|| lead.estimated_value.as_ref().map(|m| m.currency.clone()))
        .unwrap_or_else(|| crate::leads::PIPELINE_CURRENCY.into());
    let currency = Currency::parse(&code)?;
    let minor = minor_units(record.get(&f.amount)?, currency.exponent())?;
    Some(Money::new(minor, currency))
}

// ------------------------------------------------------------------ lookups

/// The portal id a Zoho record stands for: its portal id field, else its link (a record
/// created in Zoho whose portal id has not been written back yet).
async fn portal_id_of(
    crm: &Crm,
    module: &str,
    record: &Value,
    crm_id: &str,
) -> Result<Option<String>, StoreError> {
    if let Some(id) = text(record, &crm.settings.fields.portal_id) {
        return Ok(Some(id));
    }
    Ok(crm
        .store
        .get::<CrmLink>(&keys::crm_link(module, crm_id))
        .await?
        .map(|l| l.entity_id))
}

/// A lead by its portal id (the lookup index; leads move between partners).
pub async fn find_lead(crm: &Crm, lead_id: &str) -> Result<Option<Lead>, StoreError> {
    crate::leads::find(&crm.store, lead_id).await
}

/// The portal partner a Zoho partner record stands for: by link, else by the record's
/// portal id field.
async fn resolve_partner(crm: &Crm, partner_crm_id: &str) -> Result<Option<Partner>, Applied> {
    match partner_id_for(crm, partner_crm_id).await? {
        Some(id) => Ok(crm.store.get(&keys::partner(&id)).await?),
        None => Ok(None),
    }
}

/// The portal id of a Zoho partner record (its link, else its portal id field).
async fn partner_id_for(crm: &Crm, partner_crm_id: &str) -> Result<Option<String>, Applied> {
    let module = &crm.settings.modules.partners;
    let link: Option<CrmLink> = crm
        .store
        .get(&keys::crm_link(module, partner_crm_id))
        .await?;
    Ok(match link {
        Some(l) => Some(l.entity_id),
        None => crm
            .zoho
            .get_record(module, partner_crm_id)
            .await?
            .and_then(|r| text(&r, &crm.settings.fields.portal_id)),
    })
}

// ------------------------------------------------------------------ leads

async fn apply_lead(
    crm: &Crm,
    record: &Value,
    crm_id: &str,
    modified: &str,
    processed: &ProcessedEvent,
    now: DateTime<Utc>,
) -> Result<Outcome, Applied> {
    let f = &crm.settings.fields;
    let lead_id = portal_id_of(crm, &crm.settings.modules.leads, record, crm_id).await?;
    let current = match &lead_id {
        Some(id) => find_lead(crm, id).await?,
        None => None,
    };
    let partner_crm = lookup_id(record, &f.partner_lookup);
    let Some(mut lead) = current else {
        let Some(partner_crm) = partner_crm else {
            return Ok("ignored_no_partner");
        };
        let partner = resolve_partner(crm, &partner_crm).await?.ok_or_else(|| {
            InboundError::Retry(format!(
                "partner record {partner_crm} is not in the portal yet"
            ))
        })?;
        if partner.status != PartnerStatus::Approved {
            return Ok("ignored_partner_not_approved");
        }
        return create_lead(crm, record, crm_id, modified, &partner, processed, now).await;
    };
    if !not_older(modified, lead.crm_sync.crm_modified_time.as_deref()) {
        return Ok("stale");
    }
    // Assigned to another partner in Zoho: move it first (its own transaction). The
    // partner is read only when the lookup names a different one.
    let moved_to = match &partner_crm {
        Some(p) => partner_id_for(crm, p)
            .await?
            .filter(|id| *id != lead.partner_id),
        None => None,
    };
    if let Some(target_id) = moved_to
        && let Some(target) = crm.store.get::<Partner>(&keys::partner(&target_id)).await?
        && target.status == PartnerStatus::Approved
    {
        lead = crate::leads::assign(
            &crm.store,
            "crm",
            &lead.id,
            crate::leads::AssignRequest {
                partner_id: target.id.clone(),
            },
            now,
        )
        .await
        .map_err(|e| InboundError::from_fault("moving the lead failed", &e))?;
    }
    // Only a status Zoho changed since the portal last knew it is applied: a newer portal
    // status still waiting to be pushed is not overwritten by Zoho's older value.
    let zoho_value = text(record, &f.lead_status);
    let changed_in_zoho = zoho_value.is_some() && zoho_value != lead.crm_sync.crm_status;
    let wanted = zoho_value
        .as_deref()
        .filter(|_| changed_in_zoho)
        .and_then(|v| crm.settings.lead_status(v));
    let same_time = lead.crm_sync.crm_modified_time.as_deref() == Some(modified);
    let same_id = lead.crm_sync.crm_id.as_deref() == Some(crm_id);
    let status_changes = wanted.is_some_and(|s| s != lead.status);
    if !status_changes && !changed_in_zoho && same_time && same_id {
        return Ok("unchanged");
    }
    let at = rfc3339(now);
    let mut next = lead.clone();
    next.crm_sync.crm_id = Some(crm_id.to_string());
    next.crm_sync.crm_modified_time = Some(modified.to_string());
    if zoho_value.is_some() {
        next.crm_sync.crm_status = zoho_value.clone();
    }
    next.version = lead.version + 1;
    let mut tx = crm.store.tx();
    let mut outcome = "lead_linked";
    if let Some(status) = wanted.filter(|_| status_changes) {
        next.set_status(status, &at);
        next.updated_at = at.clone();
        outcome = "lead_status_changed";
        let crm_amount = crm_deal_value(crm, record, &lead);
        tx = crate::leads::apply_crm_status(
            &crm.store,
            tx,
            &lead,
            &next,
            crm_id,
            crate::leads::Deal {
                crm_amount,
                commissions: &crm.commissions,
            },
            now,
        )
        .await
        .map_err(|e| InboundError::from_fault("applying the CRM's status", &e))?;
    }
    let tx =
        crate::leads::survey_if_won(&crm.store, &lead, &mut next, tx, &crm.portal_url, now).await?;
    let tx = processed_tx(tx.replace(&next, lead.version), processed);
    crm.store.commit(tx.build()).await?;
    Ok(outcome)
}

/// A lead created in Zoho for a partner: created in the portal for that partner, linked,
/// and its portal id written back to Zoho (outbox `link`).
async fn create_lead(
    crm: &Crm,
    record: &Value,
    crm_id: &str,
    modified: &str,
    partner: &Partner,
    processed: &ProcessedEvent,
    now: DateTime<Utc>,
) -> Result<Outcome, Applied> {
    let f = &crm.settings.fields;
    let fields = crate::leads::CrmLead {
        first_name: text(record, &f.lead.first_name).unwrap_or_default(),
        last_name: text(record, &f.lead.last_name).unwrap_or_else(|| "(no name)".into()),
        email: text(record, &f.lead.email).and_then(|e| Email::parse(&e).ok()),
        phone: text(record, &f.lead.phone)
            .or_else(|| text(record, &f.lead.mobile))
            .and_then(|p| Phone::parse(&p, &crm.leads.default_country_code).ok()),
        company: text(record, &f.lead.company),
        website: text(record, &f.lead.website),
        notes: text(record, &f.lead.description),
        status: text(record, &f.lead_status)
            .and_then(|v| crm.settings.lead_status(&v))
            .unwrap_or(LeadStatus::New),
        crm_id: crm_id.to_string(),
        crm_modified_time: modified.to_string(),
        crm_status: text(record, &f.lead_status),
    };
    let (lead, tx) = crate::leads::create_from_crm(&crm.store, &crm.leads, partner, fields, now)
        .await
        .map_err(|e| InboundError::from_fault("creating the lead", &e))?;
    let link = CrmLink {
        module: crm.settings.modules.leads.clone(),
        crm_id: crm_id.to_string(),
        entity: "lead".into(),
        entity_id: lead.id.clone(),
        partner_id: partner.id.clone(),
    };
    let mut tx = tx.create(&link, Failure::conflict(DUPLICATE, "record already linked"));
    if matches!(lead.status, LeadStatus::Won | LeadStatus::Converted) {
        // Created in Zoho already won: its commission accrues like any other win.
        let lead_name = format!("{} {}", lead.first_name, lead.last_name);
        tx = crate::commissions::accrual::apply(
            &crm.store,
            tx,
            crate::commissions::accrual::LeadOutcome {
                lead_id: &lead.id,
                lead_name: lead_name.trim(),
                partner,
                was_won: false,
                is_won: true,
                deal_value: crm_deal_value(crm, record, &lead),
                actor: "crm",
                at: &rfc3339(now),
            },
            &crm.commissions,
        )
        .await
        .map_err(|e| InboundError::from_fault("accruing the commission", &e))?;
    }
    crm.store
        .commit(processed_tx(tx, processed).build())
        .await?;
    Ok("lead_created")
}

// ------------------------------------------------------------------ partners

async fn apply_partner(
    crm: &Crm,
    record: &Value,
    crm_id: &str,
    modified: &str,
    processed: &ProcessedEvent,
    now: DateTime<Utc>,
) -> Result<Outcome, Applied> {
    let f = &crm.settings.fields;
    let partner_id = portal_id_of(crm, &crm.settings.modules.partners, record, crm_id).await?;
    let current: Option<Partner> = match &partner_id {
        Some(id) => crm.store.get(&keys::partner(id)).await?,
        None => None,
    };
    let zoho_value = text(record, &f.partner_status);
    let wanted = zoho_value
        .as_ref()
        .and_then(|v| crm.settings.partner_status_in.get(v).copied());
    let reason = text(record, &f.status_reason).map(|r| r.chars().take(500).collect::<String>());
    let Some(partner) = current else {
        if wanted == Some(PartnerStatus::Approved) {
            return provision_partner(crm, record, crm_id, modified, processed, now).await;
        }
        return Ok("ignored_unknown_partner");
    };
    if !not_older(modified, partner.crm_sync.crm_modified_time.as_deref()) {
        return Ok("stale");
    }
    // A three-way merge with the status Zoho was last known to hold as the base: a Zoho
    // value equal to it is not a change made in Zoho (a portal decision whose push has not
    // landed yet must not be reverted by reading Zoho's older value).
    let changed_in_zoho = changed_in_zoho(
        zoho_value.as_deref(),
        partner.crm_sync.crm_status.as_deref(),
        partner.crm_sync.state,
    );
    let changes = changed_in_zoho && wanted.is_some_and(|s| s != partner.status);
    if !changes
        && partner.crm_sync.crm_status == zoho_value
        && partner.crm_sync.crm_modified_time.as_deref() == Some(modified)
        && partner.crm_sync.crm_id.as_deref() == Some(crm_id)
    {
        return Ok("unchanged");
    }
    let mut next = partner.clone();
    next.crm_sync.crm_id = Some(crm_id.to_string());
    next.crm_sync.crm_modified_time = Some(modified.to_string());
    if zoho_value.is_some() {
        next.crm_sync.crm_status = zoho_value.clone();
    }
    next.version = partner.version + 1;
    let mut tx = crm.store.tx();
    let mut outcome = "partner_linked";
    if let Some(status) = wanted.filter(|_| changes) {
        outcome = "partner_status_changed";
        tx = change_status(
            tx,
            &partner,
            &mut next,
            status,
            reason,
            Actor::Crm(crm_id),
            now,
        );
    }
    let tx = processed_tx(tx.replace(&next, partner.version), processed);
    crm.store.commit(tx.build()).await?;
    Ok(outcome)
}

/// Whether a status value read from Zoho is a change made in Zoho. `base` is the value
/// Zoho was last known to hold (pushed or read). With no base yet, a record whose own
/// change is still waiting to be pushed keeps the portal's value: the push (and the next
/// read after it) settles it.
pub fn changed_in_zoho(
    zoho: Option<&str>,
    base: Option<&str>,
    sync_state: crate::outbox::SyncState,
) -> bool {
    match (zoho, base) {
        (None, _) => false,
        (Some(z), Some(b)) => z != b,
        (Some(_), None) => sync_state != crate::outbox::SyncState::Pending,
    }
}

/// A partner approved in Zoho that the portal does not know: the partner (approved), its
/// owner user (invited), the invitation email, the link and the write-back of the portal
/// id, in one transaction.
async fn provision_partner(
    crm: &Crm,
    record: &Value,
    crm_id: &str,
    modified: &str,
    processed: &ProcessedEvent,
    now: DateTime<Utc>,
) -> Result<Outcome, Applied> {
    let f = &crm.settings.fields.partner;
    let email = text(record, &f.email)
        .and_then(|e| Email::parse(&e).ok())
        .ok_or_else(|| {
            InboundError::Poison("an approved partner record needs a valid Email".into())
        })?;
    let name = text(record, &f.name)
        .or_else(|| text(record, &f.account_name))
        .ok_or_else(|| InboundError::Poison("an approved partner record needs a name".into()))?;
    let phone = text(record, &f.phone)
        .and_then(|p| Phone::parse(&p, &crm.leads.default_country_code).ok())
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let at = rfc3339(now);
    let (partner, slug_guard) = PartnerDraft {
        business_name: name.chars().take(200).collect(),
        business_type: BusinessType::Company,
        contact_person: text(record, &f.contact_person).unwrap_or_else(|| name.clone()),
        email: email.to_string(),
        phone,
        address: Address {
            street_address: text(record, &f.street).unwrap_or_default(),
            suburb: None,
            city: text(record, &f.city).unwrap_or_default(),
            province: text(record, &f.state).unwrap_or_default(),
            postal_code: text(record, &f.zip_code).unwrap_or_default(),
            country: text(record, &f.country).unwrap_or_default(),
        },
        website: text(record, &f.website),
        status: PartnerStatus::Approved,
        crm_sync: CrmSync {
            state: crate::outbox::SyncState::Synced,
            synced_at: Some(at.clone()),
            crm_id: Some(crm_id.to_string()),
            crm_modified_time: Some(modified.to_string()),
            crm_status: text(record, &crm.settings.fields.partner_status),
            ..CrmSync::pending()
        },
    }
    .build(&at);
    let partner_id = partner.id.clone();
    let (user, credential) = new_member(
        &partner_id,
        &email.to_string(),
        Role::Owner,
        UserStatus::Invited,
        None,
        (None, None),
        &at,
    );
    let (invitation, mail) =
        crate::identity::service::invitation(&crm.portal_url, &user, "our partner team", now);
    let link = CrmLink {
        module: crm.settings.modules.partners.clone(),
        crm_id: crm_id.to_string(),
        entity: "partner".into(),
        entity_id: partner_id.clone(),
        partner_id: partner_id.clone(),
    };
    let tx = crm
        .store
        .tx()
        .create(&link, Failure::conflict(DUPLICATE, "record already linked"))
        .create(
            &credential,
            Failure::conflict("email_taken", "An account with this email already exists."),
        )
        .insert(&partner)
        .insert(&slug_guard)
        .insert(&user)
        .insert(&invitation)
        .insert(&mail)
        .add(
            &keys::directory_counters(),
            "directory_counters",
            &[("active_partners", 1)],
        )
        .insert(
            &AuditEntry::new(
                Some(&partner_id),
                "crm",
                "partner.provisioned_from_crm",
                format!("partner:{partner_id}"),
                &at,
            )
            .change(
                Value::Null,
                serde_json::json!({"status": "approved", "crm_id": crm_id}),
            ),
        )
        .insert(&CrmOutbox::new(
            crate::outbox::OutboxEntity::Partner,
            &partner_id,
            &partner_id,
            crate::outbox::OutboxOperation::Link,
            &at,
        ));
    match crm.store.commit(processed_tx(tx, processed).build()).await {
        Err(StoreError::Condition(Failure::Conflict { code: "email_taken", .. })) => Err(
            InboundError::Poison(
                "the partner's email already belongs to a portal account; link it by setting the record's portal id".into(),
            )
            .into(),
        ),
        other => {
            other?;
            tracing::info!(partner_id = %partner_id, crm_id, "partner provisioned from the CRM");
            Ok("partner_provisioned")
        }
    }
}

// ------------------------------------------------------------------ commissions

async fn apply_commission(
    crm: &Crm,
    record: &Value,
    crm_id: &str,
    modified: &str,
    processed: &ProcessedEvent,
    now: DateTime<Utc>,
) -> Result<Outcome, Applied> {
    let f = &crm.settings.fields;
    let c = &f.commission;
    let module = &crm.settings.modules.commissions;
    // A line the portal created (or linked) is found by its id; a new Zoho line needs
    // its partner.
    // A portal id Zoho holds that names no line (typed in by hand) falls back to the
    // record's link, so the record never becomes a second line.
    let mut existing: Option<CommissionLine> = None;
    if let Some(id) = text(record, &f.portal_id)
        && let Some(l) = crm
            .store
            .get::<Locator>(&keys::locator(crate::commissions::ledger::LINE, &id))
            .await?
    {
        existing = crm
            .store
            .get(&keys::commission_line(&l.partner_id, &id))
            .await?;
    }
    if existing.is_none()
        && let Some(link) = crm
            .store
            .get::<CrmLink>(&keys::crm_link(module, crm_id))
            .await?
    {
        existing = crm
            .store
            .get(&keys::commission_line(&link.partner_id, &link.entity_id))
            .await?;
    }
    if let Some(e) = &existing
        && !not_older(modified, e.crm_sync.crm_modified_time.as_deref())
    {
        return Ok("stale");
    }
    let partner_id = match &existing {
        Some(e) => e.partner_id.clone(),
        None => {
            let partner_crm = lookup_id(record, &f.partner_lookup).ok_or_else(|| {
                InboundError::Poison("the commission record names no partner".into())
            })?;
            resolve_partner(crm, &partner_crm)
                .await?
                .ok_or_else(|| {
                    InboundError::Retry(format!(
                        "partner record {partner_crm} is not in the portal yet"
                    ))
                })?
                .id
        }
    };
    let currency_code =
        text(record, &c.currency).unwrap_or_else(|| crate::leads::PIPELINE_CURRENCY.into());
    let currency = Currency::parse(&currency_code).ok_or_else(|| {
        InboundError::Poison(format!(
            "the commission's currency {currency_code:?} is not one the portal accepts"
        ))
    })?;
    let amount_minor = record
        .get(&c.amount)
        .and_then(|v| minor_units(v, currency.exponent()))
        .filter(|a| *a != 0)
        .ok_or_else(|| InboundError::Poison("the commission has no amount (or zero)".into()))?;
    let lead_crm_id = lookup_id(record, &c.lead);
    let lead_id = match (&lead_crm_id, text(record, &c.portal_lead_id)) {
        (_, Some(id)) => Some(id),
        (Some(lid), None) => crm
            .store
            .get::<CrmLink>(&keys::crm_link(&crm.settings.modules.leads, lid))
            .await?
            .map(|l| l.entity_id),
        _ => None,
    };
    let fields = CrmCommission {
        crm_id: crm_id.to_string(),
        modified: modified.to_string(),
        status_value: text(record, &f.commission_status),
        amount: Money::new(amount_minor, currency),
        lead_id,
        deal_ref: text(record, &c.deal_ref),
        description: text(record, &c.description)
            .or_else(|| text(record, &c.name))
            .unwrap_or_else(|| format!("Zoho commission {crm_id}")),
        rate_bps: record
            .get(&c.rate_bps)
            .and_then(Value::as_u64)
            .and_then(|r| u32::try_from(r).ok())
            .filter(|r| *r <= 10_000),
        hold_reason: text(record, &c.hold_reason),
        earned_at: text(record, &c.earned_at),
        paid_at: text(record, &c.paid_at),
    };
    let at = rfc3339(now);
    let merged = crate::commissions::from_crm::merge(existing.as_ref(), &partner_id, &fields, &at);
    let push = if merged.overridden {
        crate::commissions::ledger::Push::Crm
    } else {
        crate::commissions::ledger::Push::No
    };
    let next = match (merged.next, &existing) {
        (Some(next), _) => next,
        (None, Some(line)) if merged.overridden => {
            // Nothing changes here, but Zoho shows a status the ledger refused: push back.
            let tx = crm.store.tx().insert(&CrmOutbox::new(
                crate::outbox::OutboxEntity::Commission,
                &line.id,
                &line.partner_id,
                crate::outbox::OutboxOperation::Status,
                &at,
            ));
            crm.store
                .commit(processed_tx(tx, processed).build())
                .await?;
            return Ok("commission_overridden");
        }
        (None, _) => return Ok("unchanged"),
    };
    let mut tx = crate::commissions::ledger::record(
        crm.store.tx(),
        existing.as_ref(),
        &next,
        "crm",
        "commission.from_crm",
        push,
    );
    if existing.is_none() {
        tx = tx.put(&CrmLink {
            module: module.clone(),
            crm_id: crm_id.to_string(),
            entity: crate::commissions::ledger::LINE.into(),
            entity_id: next.id.clone(),
            partner_id: partner_id.clone(),
        });
    }
    match crm.store.commit(processed_tx(tx, processed).build()).await {
        Err(StoreError::Condition(Failure::Stale)) => Err(InboundError::Retry(
            "the line changed while the Zoho record was applied".into(),
        )
        .into()),
        other => {
            other?;
            Ok(if existing.is_some() {
                "commission_updated"
            } else {
                "commission_stored"
            })
        }
    }
}

#[cfg(test)]
mod merge_tests {
    use super::changed_in_zoho;

    #[test]
    fn a_zoho_value_equal_to_the_base_is_not_a_zoho_change() {
        assert!(!changed_in_zoho(
            Some("Pending"),
            Some("Pending"),
            crate::outbox::SyncState::Pending
        ));
        assert!(!changed_in_zoho(
            Some("Pending"),
            Some("Pending"),
            crate::outbox::SyncState::Synced
        ));
        assert!(changed_in_zoho(
            Some("Suspended"),
            Some("Active"),
            crate::outbox::SyncState::Pending
        ));
        assert!(!changed_in_zoho(
            None,
            Some("Active"),
            crate::outbox::SyncState::Synced
        ));
        // No base yet: a record with its own change waiting keeps the portal's value.
        assert!(!changed_in_zoho(
            Some("Pending"),
            None,
            crate::outbox::SyncState::Pending
        ));
        assert!(changed_in_zoho(
            Some("Active"),
            None,
            crate::outbox::SyncState::Synced
        ));
    }
}
