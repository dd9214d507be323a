//! Operations' terms of a partner (`PATCH /v1/admin/partners/{id}`): tier, commission
//! rate, account manager, internal tags and the business name. Audited, pushed to the CRM.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Partner, PartnerError, Tier};
use crate::audit::AuditEntry;
use crate::fault::{FieldError, Invalid};
use crate::outbox::{CrmOutbox, OutboxEntity, OutboxOperation};
use crate::store::{Patch, Store, keys};
use crate::validate::{required, rfc3339};

/// Absent fields stay; `commission_rate_bps: null` returns the partner to its tier's
/// default rate; `owner_admin_id: null` removes the account manager.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsUpdate {
    #[serde(default)]
    pub tier: Option<Tier>,
    #[serde(default, deserialize_with = "crate::validate::present")]
    pub commission_rate_bps: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::validate::present")]
    pub owner_admin_id: Option<Option<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub business_name: Option<String>,
}

const MAX_TAGS: usize = 20;

/// Applies the update conditional on `expected_version` (the current one for `None`):
/// reads the partner and the named account manager in one round trip, writes the partner,
/// an audit entry and a CRM push in one transaction.
pub async fn update_terms(
    store: &Store,
    actor: &str,
    partner_id: &str,
    expected_version: Option<u64>,
    req: TermsUpdate,
    now: DateTime<Utc>,
) -> Result<Partner, PartnerError> {
    let mut e = Vec::new();
    if let Some(Some(rate)) = req.commission_rate_bps
        && rate > 10_000
    {
        e.push(FieldError::new(
            "/commission_rate_bps",
            "must be 0 to 10000 basis points",
        ));
    }
    let business_name = req
        .business_name
        .as_deref()
        .map(|n| required(&mut e, "/business_name", n, 200));
    let tags = req
        .tags
        .as_ref()
        .map(|t| crate::validate::tags(&mut e, "/tags", t, MAX_TAGS));
    let owner = match &req.owner_admin_id {
        Some(Some(id)) if id.trim().is_empty() => {
            e.push(FieldError::new("/owner_admin_id", "is required"));
            None
        }
        Some(Some(id)) => Some(id.trim().to_string()),
        _ => None,
    };
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let partner_key = keys::partner(partner_id);
    let owner_key = owner.as_ref().map(|id| keys::user(None, id));
    let reads: Vec<_> = std::iter::once(partner_key.clone())
        .chain(owner_key.clone())
        .collect();
    let mut fetched = store.fetch(&reads).await?;
    let current: Partner = fetched
        .take(&partner_key)?
        .ok_or(PartnerError::NotFound("partner"))?;
    if let Some(k) = &owner_key {
        let user: Option<Value> = fetched.take(k)?;
        let is_active_admin = user.is_some_and(|u| {
            u["role"].as_str() == Some("admin") && u["status"].as_str() == Some("active")
        });
        if !is_active_admin {
            return Err(Invalid::field("/owner_admin_id", "is not an active admin").into());
        }
    }
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(PartnerError::Stale);
    }
    let mut next = current.clone();
    if let Some(t) = req.tier {
        next.tier = t;
    }
    if let Some(rate) = req.commission_rate_bps {
        next.commission_rate_bps = rate;
    }
    if req.owner_admin_id.is_some() {
        next.owner_admin_id = owner;
    }
    if let Some(t) = tags {
        next.tags = t;
    }
    if let Some(n) = business_name {
        next.business_name = n;
    }
    if next == current {
        return Ok(current);
    }
    let at = rfc3339(now);
    next.search_text = next.searchable();
    next.crm_sync = current.crm_sync.repending();
    next.updated_at = at.clone();
    next.version = current.version + 1;
    let terms = |p: &Partner| {
        serde_json::json!({
            "tier": p.tier,
            "commission_rate_bps": p.commission_rate_bps,
            "owner_admin_id": p.owner_admin_id,
            "tags": p.tags,
            "business_name": p.business_name,
        })
    };
    let tx = store
        .tx()
        .patch(Patch::changes(&current, &next, current.version))
        .insert(
            &AuditEntry::new(
                Some(partner_id),
                actor,
                "partner.terms_updated",
                format!("partner:{partner_id}"),
                &at,
            )
            .change(terms(&current), terms(&next)),
        )
        .insert(&CrmOutbox::new(
            OutboxEntity::Partner,
            partner_id,
            partner_id,
            OutboxOperation::Upsert,
            &at,
        ))
        .build();
    store.commit(tx).await?;
    Ok(next)
}
