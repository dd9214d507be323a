//! Reading the ledger: a partner's lines, one line with its history, the summary (one
//! item), payouts; operations' cross-partner lists of lines and of payouts. Every read is
//! one Query page or one or two batched gets, whatever the ledger holds.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use super::CommissionError;
use super::model::{CommissionLine, LineKind, Payout, PayoutStatus};
use super::settings::CommissionSettings;
use super::status::LineStatus;
use super::totals::{CurrencyTotals, summarise};
use crate::auth::Principal;
use crate::fault::{FieldError, Invalid};
use crate::store::{Fetched, Filter, Index, Key, Page, Query, Store, keys};

/// A line as the API shows it (`kind`: earning, adjustment or clawback).
fn api_value(line: &CommissionLine) -> Value {
    let mut v = serde_json::to_value(line).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut()
        && let Some(kind) = m.remove("line_kind")
    {
        m.insert("kind".into(), kind);
    }
    v
}

/// A line as partners see it: where it stands in the CRM, not Zoho's internals.
pub fn view(line: &CommissionLine) -> Value {
    let mut v = api_value(line);
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "crm_sync".into(),
            serde_json::to_value(crate::outbox::CrmSyncView::from(&line.crm_sync))
                .unwrap_or(Value::Null),
        );
    }
    v
}

/// A line as operations see it (the whole CRM state).
pub fn admin_view(line: &CommissionLine) -> Value {
    api_value(line)
}

/// A page as the API answers it, each item shown by `f`.
pub fn page_view<T>(page: &Page<T>, f: fn(&T) -> Value) -> Value {
    serde_json::json!({
        "items": page.items.iter().map(f).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })
}

/// The query of a line listing as sent.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub lead_id: Option<String>,
    pub partner_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ListFilters {
    pub status: Option<LineStatus>,
    pub kind: Option<LineKind>,
    pub lead_id: Option<String>,
    pub partner_id: Option<String>,
    /// `earned_at` bounds (inclusive), normalised.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl ListQuery {
    /// The filters, or a 400 naming every parameter that is not one. `from` and `to` are
    /// RFC 3339 times or dates (`to` as a date includes that whole day).
    pub fn filters(self) -> Result<ListFilters, Invalid> {
        let mut e = Vec::new();
        let status = self.status.and_then(|s| {
            serde_json::from_value(Value::String(s))
                .map_err(|_| e.push(FieldError::new("status", "is not a commission status")))
                .ok()
        });
        let kind = self.kind.and_then(|s| {
            serde_json::from_value(Value::String(s))
                .map_err(|_| {
                    e.push(FieldError::new(
                        "kind",
                        "must be earning, adjustment or clawback",
                    ))
                })
                .ok()
        });
        let from = crate::validate::time_bound(&mut e, "from", self.from, false);
        let to = crate::validate::time_bound(&mut e, "to", self.to, true);
        Invalid::check(e, || ListFilters {
            status,
            kind,
            lead_id: self.lead_id.filter(|s| !s.is_empty()),
            partner_id: self.partner_id.filter(|s| !s.is_empty()),
            from,
            to,
        })
    }
}

fn filter_of(f: &ListFilters, status_in_key: bool) -> Filter {
    let mut filter = Filter::new();
    if let Some(s) = f.status.filter(|_| !status_in_key) {
        filter = filter.eq(&["status"], s.as_str());
    }
    if let Some(k) = f.kind {
        filter = filter.eq(&["line_kind"], k.as_str());
    }
    if let Some(l) = &f.lead_id {
        filter = filter.eq(&["lead_id"], l);
    }
    if let Some(from) = &f.from {
        filter = filter.at_least(&["earned_at"], from);
    }
    if let Some(to) = &f.to {
        filter = filter.at_most(&["earned_at"], to);
    }
    filter
}

/// `GET /v1/commissions`: one Query page of the partner's lines, newest first; the
/// filters run on the page read (a page may hold fewer than `limit` matches).
pub async fn list(
    store: &Store,
    principal: &Principal,
    filters: &ListFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<CommissionLine>, CommissionError> {
    let partner_id = principal.partner_id()?;
    let query = Query::partition(None, keys::partner_partition(partner_id), limit)
        .prefix(keys::COMMISSION_PREFIX)
        .newest_first()
        .filter(filter_of(filters, false));
    Ok(store.query(&query, cursor).await?)
}

/// `GET /v1/admin/commissions`: with `partner_id`, that partner's partition; else with
/// `status`, the status index; else every line. One Query page, newest first.
pub async fn admin_list(
    store: &Store,
    filters: &ListFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<CommissionLine>, CommissionError> {
    let query = match (&filters.partner_id, filters.status) {
        (Some(p), _) => Query::partition(None, keys::partner_partition(p), limit)
            .prefix(keys::COMMISSION_PREFIX)
            .filter(filter_of(filters, false)),
        (None, Some(s)) => Query::partition(
            Some(Index::ByState),
            keys::commissions_by_status(s.as_str()),
            limit,
        )
        .filter(filter_of(filters, true)),
        (None, None) => Query::partition(Some(Index::Lookup), keys::COMMISSIONS_ALL, limit)
            .filter(filter_of(filters, false)),
    };
    Ok(store.query(&query.newest_first(), cursor).await?)
}

/// The line a partner route reads with its access check.
pub fn line_key(principal: &Principal, line_id: &str) -> Vec<Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| vec![keys::commission_line(p, line_id)])
        .unwrap_or_default()
}

/// `GET /v1/commissions/{id}`: the line read with the access check (one round trip).
pub fn own_line(
    principal: &Principal,
    fetched: &mut Fetched,
    line_id: &str,
) -> Result<CommissionLine, CommissionError> {
    let key = line_key(principal, line_id);
    let k = key.first().ok_or(crate::auth::NoPartner)?;
    fetched
        .take(k)?
        .ok_or(CommissionError::NotFound("commission line"))
}

/// The totals item the summary reads with the access check.
pub fn summary_key(principal: &Principal) -> Vec<Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| vec![keys::commission_totals(p)])
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub struct Summary {
    /// One entry per currency the partner has lines in (sums never mix currencies).
    pub currencies: Vec<CurrencyTotals>,
    pub next_payout_date: NaiveDate,
}

/// `GET /v1/commissions/summary`: the one totals item, read with the access check.
pub fn summary(
    principal: &Principal,
    fetched: &mut Fetched,
    settings: &CommissionSettings,
    today: NaiveDate,
) -> Result<Summary, CommissionError> {
    let key = summary_key(principal);
    let k = key.first().ok_or(crate::auth::NoPartner)?;
    let item: Option<BTreeMap<String, Value>> = fetched.take(k)?;
    Ok(Summary {
        currencies: summarise(item),
        next_payout_date: settings.next_payout_date(today),
    })
}

/// A payout in a listing.
pub fn payout_view(p: &Payout) -> Value {
    serde_json::json!({
        "id": p.id,
        "amount": p.amount,
        "currency": p.amount.currency,
        "line_count": p.line_ids.len(),
        "status": p.status,
        "reference": p.reference,
        "failure_reason": p.failure_reason,
        "created_at": p.created_at,
        "paid_at": p.paid_at,
        "version": p.version,
    })
}

/// A payout in operations' list across partners: the partner listing's fields and its
/// partner.
pub fn admin_payout_item(p: &Payout) -> Value {
    let mut v = payout_view(p);
    v["partner_id"] = p.partner_id.clone().into();
    v
}

/// A payout as operations see it: the listing's fields, its partner and its lines' ids.
pub fn admin_payout_view(p: &Payout) -> Value {
    let mut v = admin_payout_item(p);
    v["commission_ids"] = serde_json::json!(p.line_ids);
    v
}

/// A partner's payouts from its own partition, newest first.
fn partner_payouts(partner_id: &str, limit: i32) -> Query {
    Query::partition(None, keys::partner_partition(partner_id), limit)
        .prefix(keys::PAYOUT_PREFIX)
        .newest_first()
}

/// `GET /v1/payouts`: one Query page, newest first.
pub async fn payouts(
    store: &Store,
    principal: &Principal,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Payout>, CommissionError> {
    let partner_id = principal.partner_id()?;
    Ok(store
        .query(&partner_payouts(partner_id, limit), cursor)
        .await?)
}

/// The query of operations' payout list as sent.
#[derive(Debug, Default, Clone)]
pub struct PayoutListQuery {
    pub status: Option<String>,
    pub partner_id: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct PayoutFilters {
    pub status: Option<PayoutStatus>,
    pub partner_id: Option<String>,
}

impl PayoutListQuery {
    /// The filters, or a 400 naming the parameter that is not one.
    pub fn filters(self) -> Result<PayoutFilters, Invalid> {
        let mut e = Vec::new();
        let status = self.status.and_then(|s| {
            serde_json::from_value(Value::String(s))
                .map_err(|_| {
                    e.push(FieldError::new(
                        "status",
                        "must be processing, paid or failed",
                    ))
                })
                .ok()
        });
        Invalid::check(e, || PayoutFilters {
            status,
            partner_id: self.partner_id.filter(|s| !s.is_empty()),
        })
    }
}

/// `GET /v1/admin/payouts`: with `partner_id`, that partner's partition (the read of
/// `GET /v1/payouts`, `status` applied to the page read); else with `status`, the status
/// index; else every payout. One Query page, newest first.
pub async fn admin_payouts(
    store: &Store,
    filters: &PayoutFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Payout>, CommissionError> {
    let query = match (&filters.partner_id, filters.status) {
        (Some(p), status) => {
            let mut filter = Filter::new();
            if let Some(s) = status {
                filter = filter.eq(&["status"], s.as_str());
            }
            partner_payouts(p, limit).filter(filter)
        }
        (None, Some(s)) => Query::partition(
            Some(Index::ByState),
            keys::payouts_by_status(s.as_str()),
            limit,
        )
        .newest_first(),
        (None, None) => {
            Query::partition(Some(Index::Lookup), keys::PAYOUTS_ALL, limit).newest_first()
        }
    };
    Ok(store.query(&query, cursor).await?)
}

/// The payout a partner route reads with its access check.
pub fn payout_key(principal: &Principal, payout_id: &str) -> Vec<Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| vec![keys::payout(p, payout_id)])
        .unwrap_or_default()
}

/// `GET /v1/payouts/{id}`: the payout (read with the access check) and its lines (one
/// batched read: a payout holds at most 90).
pub async fn payout_with_lines(
    store: &Store,
    principal: &Principal,
    fetched: &mut Fetched,
    payout_id: &str,
) -> Result<Value, CommissionError> {
    let key = payout_key(principal, payout_id);
    let k = key.first().ok_or(crate::auth::NoPartner)?;
    let payout: Payout = fetched
        .take(k)?
        .ok_or(CommissionError::NotFound("payout"))?;
    let line_keys: Vec<Key> = payout
        .line_ids
        .iter()
        .map(|id| keys::commission_line(&payout.partner_id, id))
        .collect();
    let lines: Vec<CommissionLine> = store.fetch(&line_keys).await?.take_present(&line_keys)?;
    let mut v = payout_view(&payout);
    v["lines"] = Value::Array(lines.iter().map(view).collect());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_filters_take_a_payout_status_and_ignore_an_empty_partner() {
        let f = PayoutListQuery {
            status: Some("paid".into()),
            partner_id: Some(String::new()),
        }
        .filters()
        .unwrap();
        assert_eq!((f.status, f.partner_id), (Some(PayoutStatus::Paid), None));
        let refused = PayoutListQuery {
            status: Some("approved".into()),
            partner_id: None,
        }
        .filters()
        .unwrap_err();
        assert_eq!(refused.0.len(), 1);
        assert_eq!(refused.0[0].field, "status");
    }
}
