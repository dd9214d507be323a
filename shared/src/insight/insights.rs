//! `GET /v1/insights`: recommendations from rules over maintained items and bounded index
//! reads. The access check reads the partner's latest score, the benchmarks, the
//! commission totals and this quarter's counters; then, in parallel, the overdue
//! follow-ups, the leads untouched for 14 days (each at most [`NAMED`], oldest first),
//! the KYC documents and, when some commission is held, the held lines (at most
//! [`HELD_SCAN`] of the partner's newest lines).
//!
//! | code | fires when | names |
//! |---|---|---|
//! | `overdue_follow_ups` | an open lead's follow-up time has passed | the leads |
//! | `untouched_leads` | an open lead without a follow-up was not touched for 14 days | the leads |
//! | `slow_responses` | the median first contact takes at least twice the approved partners' median (and over 4 h) | the responsiveness component |
//! | `kyc_document_expiring` | a KYC document's `expires_on` is within 30 days (or passed) | the documents |
//! | `held_commissions` | commission is on hold | the held lines |
//! | `no_leads_this_quarter` | an approved partner registered no lead this quarter | the quarter |

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Utc};
use serde::Serialize;
use serde_json::Value;

use super::InsightError;
use super::dashboard::last_quarters;
use super::figures::{Item, number};
use super::nightly::{Benchmarks, PartnerScore};
use crate::auth::{NoPartner, Principal};
use crate::commissions::totals::summarise;
use crate::commissions::{CommissionLine, LineStatus};
use crate::identity::access::Access;
use crate::kyc::KycDocument;
use crate::leads::Lead;
use crate::partners::PartnerStatus;
use crate::store::{Filter, Index, Key, Query, Store, keys};
use crate::uploads::VerificationStatus;
use crate::validate::rfc3339;

/// Objects an insight names at most.
pub const NAMED: i32 = 10;
/// The newest commission lines read for held ones.
pub const HELD_SCAN: i32 = 200;
/// A KYC document expiring within this many days is flagged.
pub const EXPIRY_WARNING_DAYS: u64 = 30;
/// Responses this many times slower than the median are "far behind".
pub const SLOW_FACTOR: f64 = 2.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object {
    #[serde(rename = "type")]
    pub object_type: &'static str,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insight {
    pub code: &'static str,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub objects: Vec<Object>,
}

/// The items the insights read with the access check.
pub fn insight_keys(principal: &Principal, now: DateTime<Utc>) -> Vec<Key> {
    let Some(p) = principal.partner_id.as_deref() else {
        return Vec::new();
    };
    vec![
        keys::partner_score(p),
        keys::benchmarks(),
        keys::commission_totals(p),
        keys::partner_quarter(p, &last_quarters(now, 1)[0]),
    ]
}

fn leads(items: &[Lead]) -> Vec<Object> {
    items
        .iter()
        .map(|l| Object {
            object_type: "lead",
            id: l.id.clone(),
        })
        .collect()
}

/// The partner's insights, most severe first.
pub async fn insights(
    store: &Store,
    access: &mut Access,
    now: DateTime<Utc>,
) -> Result<Vec<Insight>, InsightError> {
    let partner = access.partner.clone().ok_or(NoPartner)?;
    let p = partner.id.clone();
    let keys = insight_keys(&access.principal, now);
    let score: Option<PartnerScore> = access.fetched.take(&keys[0])?;
    let bench: Option<Benchmarks> = access.fetched.take(&keys[1])?;
    let totals: Option<BTreeMap<String, Value>> = access.fetched.take(&keys[2])?;
    let quarter: Item = access.fetched.take(&keys[3])?.unwrap_or_default();
    let held_currencies = summarise(totals)
        .into_iter()
        .filter(|c| c.held.amount_minor != 0)
        .count();

    let overdue_q =
        Query::partition(Some(Index::Due), keys::follow_ups(&p), NAMED).below(rfc3339(now));
    let idle_q = Query::partition(Some(Index::Due), keys::idle_leads(&p), NAMED).below(rfc3339(
        now - chrono::Duration::days(super::nightly::IDLE_DAYS as i64),
    ));
    let kyc_q = Query::partition(None, keys::partner_partition(&p), 100).prefix(keys::KYC_PREFIX);
    let held_q = Query::partition(None, keys::partner_partition(&p), HELD_SCAN)
        .prefix(keys::COMMISSION_PREFIX)
        .newest_first()
        .filter(Filter::new().eq(&["status"], LineStatus::Held.as_str()));
    let (overdue, idle, docs, held) = tokio::join!(
        store.query_up_to::<Lead>(&overdue_q),
        store.query_up_to::<Lead>(&idle_q),
        store.query_up_to::<KycDocument>(&kyc_q),
        async {
            if held_currencies > 0 {
                store.first_page::<CommissionLine>(&held_q).await
            } else {
                Ok(Vec::new())
            }
        }
    );
    let (overdue, idle, docs, held) = (overdue?, idle?, docs?, held?);

    let mut out = Vec::new();
    if !overdue.is_empty() {
        out.push(Insight {
            code: "overdue_follow_ups",
            severity: Severity::Warning,
            title: "Follow-ups are overdue".into(),
            detail: format!(
                "{}{} of your leads had a follow-up due that has passed. Contact them or move the follow-up.",
                overdue.len(),
                if overdue.len() as i32 == NAMED { "+" } else { "" }
            ),
            objects: leads(&overdue),
        });
    }
    if !idle.is_empty() {
        out.push(Insight {
            code: "untouched_leads",
            severity: Severity::Warning,
            title: "Leads untouched for 14 days".into(),
            detail: format!(
                "{}{} open leads have had no activity or change for 14 days and no follow-up planned.",
                idle.len(),
                if idle.len() as i32 == NAMED { "+" } else { "" }
            ),
            objects: leads(&idle),
        });
    }
    let mine = score.as_ref().and_then(|s| s.metrics.median_response_hours);
    let median = bench
        .as_ref()
        .and_then(|b| b.metrics.get("median_response_hours"))
        .map(|d| d.median);
    if let (Some(mine), Some(median)) = (mine, median)
        && mine > 4.0
        && mine >= SLOW_FACTOR * median
    {
        out.push(Insight {
            code: "slow_responses",
            severity: Severity::Warning,
            title: "Your first contact is slower than most partners'".into(),
            detail: format!(
                "Your leads wait about {mine:.0} h for a first contact; the typical partner's wait {median:.0} h. Call or email new leads the same day."
            ),
            objects: vec![Object {
                object_type: "score_component",
                id: "responsiveness".into(),
            }],
        });
    }
    let today = now.date_naive();
    let soon = today
        .checked_add_days(Days::new(EXPIRY_WARNING_DAYS))
        .unwrap_or(today)
        .to_string();
    let expiring: Vec<&KycDocument> = docs
        .iter()
        .filter(|d| d.verification_status != VerificationStatus::Rejected)
        .filter(|d| d.expires_on.as_deref().is_some_and(|e| e <= soon.as_str()))
        .collect();
    if !expiring.is_empty() {
        let expired = expiring.iter().any(|d| {
            d.expires_on
                .as_deref()
                .is_some_and(|e| e < today.to_string().as_str())
        });
        out.push(Insight {
            code: "kyc_document_expiring",
            severity: if expired {
                Severity::Critical
            } else {
                Severity::Warning
            },
            title: if expired {
                "A KYC document has expired".into()
            } else {
                "A KYC document expires soon".into()
            },
            detail: format!(
                "{} KYC document(s) expire by {soon}: upload a current version.",
                expiring.len()
            ),
            objects: expiring
                .iter()
                .map(|d| Object {
                    object_type: "kyc_document",
                    id: d.id.clone(),
                })
                .collect(),
        });
    }
    if held_currencies > 0 {
        out.push(Insight {
            code: "held_commissions",
            severity: Severity::Warning,
            title: "Commission is on hold".into(),
            detail: if held.is_empty() {
                "Some commission is on hold; the commissions page shows why.".into()
            } else {
                format!(
                    "{} commission line(s) are on hold: {}",
                    held.len(),
                    held.iter()
                        .filter_map(|l| l.hold_reason.clone())
                        .take(3)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            },
            objects: held
                .iter()
                .take(NAMED as usize)
                .map(|l| Object {
                    object_type: "commission",
                    id: l.id.clone(),
                })
                .collect(),
        });
    }
    if partner.status == PartnerStatus::Approved && number(&quarter, "leads_created") == 0 {
        let q = last_quarters(now, 1).remove(0);
        out.push(Insight {
            code: "no_leads_this_quarter",
            severity: Severity::Info,
            title: "No leads registered this quarter".into(),
            detail: format!("You have not registered a lead in {q} yet."),
            objects: vec![Object {
                object_type: "quarter",
                id: q,
            }],
        });
    }
    out.sort_by_key(|i| match i.severity {
        Severity::Critical => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    });
    Ok(out)
}
