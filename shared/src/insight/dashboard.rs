//! `GET /v1/dashboard`: one round trip — the access check reads the caller, the partner and
//! the dashboard's own items together: the counters item, the commission totals and the
//! counters of the last four calendar quarters. The score is computed from them on the
//! spot (see [`super::score`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Value, json};

use super::InsightError;
use super::figures::{Figures, Item, number};
use super::nightly::PartnerScore;
use super::score::score;
use crate::auth::Principal;
use crate::identity::access::Access;
use crate::partners::KycStatus;
use crate::store::{Key, keys};

/// The current quarter and the three before it, newest first (`2026-Q4`, `2026-Q3`, …).
pub fn last_quarters(now: DateTime<Utc>, n: usize) -> Vec<String> {
    let (mut year, mut q) = (now.year(), (now.month0() / 3 + 1) as i32);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(format!("{year}-Q{q}"));
        q -= 1;
        if q == 0 {
            q = 4;
            year -= 1;
        }
    }
    out
}

/// The items the dashboard reads with the access check.
pub fn dashboard_keys(principal: &Principal, now: DateTime<Utc>) -> Vec<Key> {
    let Some(p) = principal.partner_id.as_deref() else {
        return Vec::new();
    };
    let mut k = vec![
        keys::partner_counters(p),
        keys::commission_totals(p),
        keys::partner_score(p),
    ];
    k.extend(
        last_quarters(now, 4)
            .iter()
            .map(|q| keys::partner_quarter(p, q)),
    );
    k
}

/// One quarter's figures from its counters item.
pub fn quarter_view(quarter: &str, item: &Item) -> Value {
    let (won, lost) = (number(item, "leads_won"), number(item, "leads_lost"));
    let earned: BTreeMap<String, i64> = item
        .iter()
        .filter_map(|(k, v)| {
            let code = k
                .strip_prefix("commission_earned_")?
                .strip_suffix("_minor")?;
            Some((code.to_string(), v.as_i64()?))
        })
        .filter(|(_, v)| *v != 0)
        .collect();
    json!({
        "quarter": quarter,
        "leads_created": number(item, "leads_created"),
        "won": won,
        "lost": lost,
        "conversion_rate": if won + lost > 0 {
            ((won as f64 / (won + lost) as f64) * 10_000.0).round() / 10_000.0
        } else {
            0.0
        },
        "commission_earned_minor": earned,
    })
}

/// The dashboard, from what the access check read.
pub fn dashboard(access: &mut Access, now: DateTime<Utc>) -> Result<Value, InsightError> {
    let partner = access.partner.clone().ok_or(crate::auth::NoPartner)?;
    let keys = dashboard_keys(&access.principal, now);
    let counters: Item = access.fetched.take(&keys[0])?.unwrap_or_default();
    let totals: Option<BTreeMap<String, Value>> = access.fetched.take(&keys[1])?;
    let ranked: Option<PartnerScore> = access.fetched.take(&keys[2])?;
    let mut quarters = Vec::new();
    for (key, name) in keys[3..].iter().zip(last_quarters(now, 4)) {
        let item: Item = access.fetched.take(key)?.unwrap_or_default();
        quarters.push((name, item));
    }
    let q_items: Vec<Item> = quarters.iter().map(|(_, i)| i.clone()).collect();
    let figures = Figures::read(&counters, totals, &q_items, now.date_naive());
    let stats = &figures.stats;
    let held = figures.held;
    // The score the nightly job ranked (with its trend); before a partner's first
    // nightly run, computed on the spot from the same items (without rank or trend).
    let score_view = match &ranked {
        Some(r) => json!({
            "value": r.value,
            "components": r.components,
            "trend": r.trend,
            "delta_30d": r.delta_30d,
            "rank": r.rank,
            "of": r.of,
            "computed_at": r.computed_at,
        }),
        None => {
            let s = score(&figures.score_inputs(&partner, 0));
            json!({
                "value": s.value,
                "components": s.components,
                "trend": Value::Null,
                "delta_30d": Value::Null,
                "rank": Value::Null,
                "of": Value::Null,
                "computed_at": crate::validate::rfc3339(now),
            })
        }
    };
    let quarterly: Vec<Value> = quarters
        .iter()
        .map(|(q, item)| quarter_view(q, item))
        .collect();
    let mut next_actions = Vec::new();
    if partner.kyc_status != KycStatus::Verified {
        next_actions.push(json!({"code": "complete_kyc", "title": "Complete your KYC documents"}));
    }
    if stats.overdue_follow_ups > 0 {
        next_actions.push(json!({"code": "overdue_follow_ups",
            "title": format!("{} follow-ups are overdue", stats.overdue_follow_ups)}));
    }
    if number(&quarters[0].1, "leads_created") == 0 {
        next_actions.push(json!({"code": "no_leads_this_quarter",
            "title": "Register your first lead of the quarter"}));
    }
    if held > 0 {
        next_actions.push(json!({"code": "held_commissions",
            "title": "Some commission is on hold: see why"}));
    }
    Ok(json!({
        "partner": {"id": partner.id, "status": partner.status, "kyc_status": partner.kyc_status,
                    "tier": partner.tier},
        "leads": stats,
        "commissions": figures.currencies,
        "quarters": quarterly,
        "score": score_view,
        "feedback": {"nps": figures.nps(), "responses": figures.feedback.iter().sum::<u64>()},
        "next_actions": next_actions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_quarters_cross_the_year() {
        let at = DateTime::parse_from_rfc3339("2026-02-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            last_quarters(at, 4),
            vec!["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]
        );
    }
}
