//! Leads: registration with cross-partner conflict protection, the pipeline, history,
//! activities, attachments, aggregates and the public capture form.
//!
//! Conflicts are decided by guard items, one per normalised contact value (email, phone,
//! company domain), written in the lead's own transaction with the condition "absent or
//! protection expired": of any number of concurrent registrations of one contact, exactly
//! one commits. A lost lead releases its guards; otherwise they expire with the protection
//! window. Dashboard figures live in the partner's counters item, changed in the same
//! transaction as the lead (see [`contributions`]).

mod activities;
mod assign;
mod attachments;
mod counters;
mod create;
mod error;
mod from_crm;
mod guards;
pub mod model;
pub mod normalize;
mod public_form;
mod read;
mod update;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

use crate::audit::AuditEntry;
use crate::auth::{Principal, Role};
use crate::contact::{Email, Phone};
use crate::fault::{FieldError, Invalid};
use crate::identity::model::User;
use crate::notifications::{EmailKind, OutboxEmail};
use crate::outbox::{CrmOutbox, CrmSync};
use crate::partners::{Partner, PartnerStatus};
use crate::storage::{Documents, PresignedUpload};
use crate::store::{
    Entity, Failure, Filter, Index, Page, Patch, Query, Store, StoreError, TxBuilder, keys,
};
use crate::validate::{optional, required, rfc3339};
pub use activities::*;
pub use assign::*;
pub use attachments::*;
pub use counters::*;
#[allow(unused_imports)]
pub(crate) use counters::*;
pub use create::*;
pub use error::LeadError;
pub use from_crm::*;
pub(crate) use guards::*;
pub use model::*;
use normalize::ContactKeys;
pub use public_form::*;
pub use read::*;
pub use update::*;

/// Lead settings from configuration.
#[derive(Debug, Clone)]
pub struct LeadSettings {
    /// How long a registered lead is protected from other partners (`LEAD_PROTECTION_DAYS`, 90).
    pub protection_days: i64,
    pub default_country_code: String,
    /// Leads a partner may register in the portal per day (`RATE_LIMITS`), taken in the
    /// creating transaction; none for the CRM's own writes.
    pub portal_daily_limit: Option<crate::limits::Limit>,
    /// Where links in emails point (`PORTAL_URL`): the customer survey of a won lead.
    pub portal_url: String,
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
        m.remove("moving_from");
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
