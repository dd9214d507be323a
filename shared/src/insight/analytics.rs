//! The partner's analytics (quarterly figures, benchmarks, score history) and the portal's
//! (admin analytics): bounded reads of maintained items. Quarterly, benchmarks and admin
//! analytics are read with the access check (one round trip); the score history is one
//! query of at most 367 snapshots.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::{Value, json};

use super::InsightError;
use super::dashboard::{last_quarters, quarter_view};
use super::figures::{Item, METRICS, median_hours, number};
use super::nightly::{Benchmarks, PartnerScore, PortalFigures, Snapshot};
use crate::auth::{NoPartner, Principal};
use crate::fault::{FieldError, Invalid};
use crate::identity::access::Access;
use crate::leads::{FIRST_CONTACT_BUCKETS, stats_from};
use crate::store::{Key, Query, Store, keys};

/// Quarters shown by default, and at most.
pub const DEFAULT_QUARTERS: usize = 4;
pub const MAX_QUARTERS: usize = 12;
/// Days of score history shown by default, and at most.
pub const DEFAULT_HISTORY_DAYS: u64 = 90;
pub const MAX_HISTORY_DAYS: i64 = 366;

/// `?quarters=`: 1..12, default 4.
pub fn quarters_param(raw: Option<String>) -> Result<usize, Invalid> {
    match raw {
        None => Ok(DEFAULT_QUARTERS),
        Some(r) => match r.parse::<usize>() {
            Ok(n) if (1..=MAX_QUARTERS).contains(&n) => Ok(n),
            _ => Err(Invalid(vec![FieldError::new(
                "quarters",
                "must be an integer from 1 to 12",
            )])),
        },
    }
}

/// The last day of a quarter named `2026-Q3`.
fn quarter_end(quarter: &str) -> Option<NaiveDate> {
    let (year, q) = quarter.split_once("-Q")?;
    let (year, q): (i32, u32) = (year.parse().ok()?, q.parse().ok()?);
    let (y, m) = if q == 4 {
        (year + 1, 1)
    } else {
        (year, q * 3 + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// The items the quarterly view reads with the access check: each quarter's counters, the
/// snapshot of each past quarter's last day, and the current score.
pub fn quarterly_keys(principal: &Principal, now: DateTime<Utc>, n: usize) -> Vec<Key> {
    let Some(p) = principal.partner_id.as_deref() else {
        return Vec::new();
    };
    let quarters = last_quarters(now, n);
    let mut k: Vec<Key> = quarters
        .iter()
        .map(|q| keys::partner_quarter(p, q))
        .collect();
    k.push(keys::partner_score(p));
    for q in &quarters[1..] {
        if let Some(end) = quarter_end(q) {
            k.push(keys::score_snapshot(p, &end.to_string()));
        }
    }
    k
}

/// `GET /v1/analytics/quarterly`: newest quarter first. A quarter's `score` is the
/// snapshot of its last day (the current quarter: the latest score); `null` where there
/// is none.
pub fn quarterly(access: &mut Access, now: DateTime<Utc>, n: usize) -> Result<Value, InsightError> {
    let p = access.principal.partner_id.clone().ok_or(NoPartner)?;
    let quarters = last_quarters(now, n);
    let mut out = Vec::new();
    for (i, q) in quarters.iter().enumerate() {
        let item: Item = access
            .fetched
            .take(&keys::partner_quarter(&p, q))?
            .unwrap_or_default();
        let score = if i == 0 {
            access
                .fetched
                .take::<PartnerScore>(&keys::partner_score(&p))?
                .map(|s| s.value)
        } else {
            match quarter_end(q) {
                Some(end) => access
                    .fetched
                    .take::<Snapshot>(&keys::score_snapshot(&p, &end.to_string()))?
                    .map(|s| s.value),
                None => None,
            }
        };
        let mut histogram = [0u64; 5];
        for (h, (_, attr)) in histogram.iter_mut().zip(FIRST_CONTACT_BUCKETS) {
            *h = number(&item, attr).max(0) as u64;
        }
        let mut view = quarter_view(q, &item);
        view["median_response_hours"] = json!(median_hours(&histogram));
        view["score"] = json!(score);
        out.push(view);
    }
    Ok(json!({ "quarters": out }))
}

/// The items the benchmarks read with the access check.
pub fn benchmark_keys(principal: &Principal) -> Vec<Key> {
    match principal.partner_id.as_deref() {
        Some(p) => vec![keys::benchmarks(), keys::partner_score(p)],
        None => Vec::new(),
    }
}

/// `GET /v1/analytics/benchmarks`: the partner's figures of the latest nightly run against
/// the approved partners' average and median; `percentile` is the share of them the
/// partner matches or beats (for response time, lower is better).
pub fn benchmarks(access: &mut Access) -> Result<Value, InsightError> {
    let p = access.principal.partner_id.clone().ok_or(NoPartner)?;
    let bench: Option<Benchmarks> = access.fetched.take(&keys::benchmarks())?;
    let mine: Option<PartnerScore> = access.fetched.take(&keys::partner_score(&p))?;
    let metrics: Vec<Value> = METRICS
        .iter()
        .map(|(name, higher_better)| {
            let value = mine.as_ref().and_then(|m| m.metrics.get(name));
            let dist = bench.as_ref().and_then(|b| b.metrics.get(*name));
            let percentile = match (value, dist) {
                (Some(v), Some(d)) => Some(if *higher_better {
                    d.percentile_of(v)
                } else {
                    100.0 - d.percentile_of(v - f64::EPSILON)
                }),
                _ => None,
            };
            json!({
                "metric": name,
                "value": value,
                "average": dist.map(|d| d.average),
                "median": dist.map(|d| d.median),
                "percentile": percentile,
                "better": if *higher_better { "higher" } else { "lower" },
            })
        })
        .collect();
    Ok(json!({
        "as_of": bench.as_ref().map(|b| b.date.clone()),
        "partners": bench.as_ref().map(|b| b.partners).unwrap_or(0),
        "metrics": metrics,
    }))
}

/// `?from=&to=` of the score history: dates, at most 366 days apart; by default the 90
/// days up to today.
pub fn history_range(
    from: Option<String>,
    to: Option<String>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Invalid> {
    let mut e = Vec::new();
    let mut date = |field: &str, raw: Option<String>| {
        raw.and_then(|r| match NaiveDate::parse_from_str(&r, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                e.push(FieldError::new(field, "must be a date (YYYY-MM-DD)"));
                None
            }
        })
    };
    let (from, to) = (date("from", from), date("to", to));
    if !e.is_empty() {
        return Err(Invalid(e));
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(Days::new(DEFAULT_HISTORY_DAYS - 1))
            .unwrap_or(to)
    });
    if from > to {
        return Err(Invalid(vec![FieldError::new(
            "from",
            "must not be after to",
        )]));
    }
    if (to - from).num_days() > MAX_HISTORY_DAYS {
        return Err(Invalid(vec![FieldError::new(
            "to",
            "must be at most 366 days after from",
        )]));
    }
    Ok((from, to))
}

/// `GET /v1/analytics/score/history`: the daily snapshots from `from` to `to`, oldest first.
pub async fn score_history(
    store: &Store,
    principal: &Principal,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Value, InsightError> {
    let p = principal.partner_id.as_deref().ok_or(NoPartner)?;
    let q = Query::partition(
        None,
        keys::partner_partition(p),
        (MAX_HISTORY_DAYS + 1) as i32,
    )
    .between(
        keys::score_snapshot(p, &from.to_string()).sk,
        keys::score_snapshot(p, &to.to_string()).sk,
    );
    let snapshots: Vec<Snapshot> = store.query_up_to(&q).await?;
    let items: Vec<Value> = snapshots
        .iter()
        .map(|s| json!({"date": s.date, "value": s.value, "rank": s.rank, "of": s.of}))
        .collect();
    Ok(json!({"from": from.to_string(), "to": to.to_string(), "snapshots": items}))
}

/// The items the admin analytics read with the access check.
pub fn admin_analytics_keys() -> Vec<Key> {
    vec![keys::portal_figures(), keys::directory_counters()]
}

/// `GET /v1/admin/analytics`: partners by status and tier, the lead funnel and the top
/// partners as of the nightly run; commission owed and paid per currency as maintained by
/// the ledger (current).
pub fn admin_analytics(access: &mut Access, now: DateTime<Utc>) -> Result<Value, InsightError> {
    let figures: Option<PortalFigures> = access.fetched.take(&keys::portal_figures())?;
    let counters: Item = access
        .fetched
        .take(&keys::directory_counters())?
        .unwrap_or_default();
    let funnel: Item = figures
        .as_ref()
        .map(|f| {
            f.leads_by_status
                .iter()
                .map(|(s, n)| (format!("status_{s}"), json!(n)))
                .collect()
        })
        .unwrap_or_default();
    let mut total_funnel = funnel.clone();
    total_funnel.insert(
        "leads_total".into(),
        json!(
            figures
                .as_ref()
                .map(|f| f.leads_by_status.values().sum::<i64>())
                .unwrap_or(0)
        ),
    );
    let stats = stats_from(&total_funnel, now.date_naive());
    let mut money: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (attr, value) in &counters {
        let Some(n) = value.as_i64() else { continue };
        if let Some(code) = attr
            .strip_prefix("commission_owed_")
            .and_then(|r| r.strip_suffix("_minor"))
        {
            money.entry(code.to_string()).or_default().0 = n;
        } else if let Some(code) = attr
            .strip_prefix("commission_paid_")
            .and_then(|r| r.strip_suffix("_minor"))
        {
            money.entry(code.to_string()).or_default().1 = n;
        }
    }
    let commissions: Vec<Value> = money
        .iter()
        .map(|(c, (owed, paid))| json!({"currency": c, "owed_minor": owed, "paid_minor": paid}))
        .collect();
    Ok(json!({
        "as_of": figures.as_ref().map(|f| f.date.clone()),
        "partners": {
            "by_status": figures.as_ref().map(|f| f.partners_by_status.clone()).unwrap_or_default(),
            "by_tier": figures.as_ref().map(|f| f.partners_by_tier.clone()).unwrap_or_default(),
        },
        "leads": {
            "by_status": stats.by_status,
            "total": stats.total,
            "won": stats.won,
            "lost": stats.lost,
            "conversion_rate": stats.conversion_rate,
        },
        "commissions": commissions,
        "top_partners": figures.map(|f| f.top_partners).unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_ends_on_its_last_day() {
        assert_eq!(quarter_end("2026-Q1"), NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(
            quarter_end("2025-Q4"),
            NaiveDate::from_ymd_opt(2025, 12, 31)
        );
        assert_eq!(quarter_end("2026-Q2"), NaiveDate::from_ymd_opt(2026, 6, 30));
    }

    #[test]
    fn quarters_outside_one_to_twelve_are_refused() {
        assert_eq!(quarters_param(None).unwrap(), 4);
        assert_eq!(quarters_param(Some("12".into())).unwrap(), 12);
        for bad in ["0", "13", "-1", "four", "1.5"] {
            assert!(quarters_param(Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_history_range_is_at_most_366_days_and_in_order() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let (f, t) = history_range(None, None, today).unwrap();
        assert_eq!((t - f).num_days(), 89);
        assert!(history_range(Some("2025-11-28".into()), Some("2026-11-29".into()), today).is_ok());
        assert!(
            history_range(Some("2025-11-27".into()), Some("2026-11-29".into()), today).is_err()
        );
        assert!(
            history_range(Some("2026-11-30".into()), Some("2026-11-29".into()), today).is_err()
        );
        assert!(history_range(Some("yesterday".into()), None, today).is_err());
    }
}
