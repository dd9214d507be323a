//! Per-currency totals, kept as counters in the same transaction as every line change: a
//! partner's (one item, the summary's only read) and the portal-wide owed and paid
//! figures. Each counter is `<CURRENCY>_<bucket>`, so sums never mix currencies.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::model::CommissionLine;
use super::status::LineStatus;
use crate::money::{Currency, Money};
use crate::store::{TxBuilder, keys};

/// The buckets of a partner's totals item: the signed sum of lines in each status, and
/// `open_clawback`: the negative lines (clawbacks, negative adjustments) not yet approved,
/// paid or cancelled — what the partner will owe back once they are.
const BUCKETS: [&str; 6] = [
    "pending",
    "approved",
    "held",
    "paid",
    "cancelled",
    "open_clawback",
];

fn contributions(line: Option<&CommissionLine>) -> Vec<(String, i64)> {
    let Some(line) = line else {
        return Vec::new();
    };
    let code = line.amount.currency.code();
    let amount = line.amount.amount_minor;
    let mut out = vec![(format!("{code}_{}", line.status.as_str()), amount)];
    if amount < 0 && matches!(line.status, LineStatus::Pending | LineStatus::Held) {
        out.push((format!("{code}_open_clawback"), amount));
    }
    out
}

fn portal_contributions(line: Option<&CommissionLine>) -> Vec<(String, i64)> {
    let Some(line) = line else {
        return Vec::new();
    };
    let code = line.amount.currency.code();
    let amount = line.amount.amount_minor;
    if line.status.is_owed() {
        vec![(format!("commission_owed_{code}_minor"), amount)]
    } else if line.status == LineStatus::Paid {
        vec![(format!("commission_paid_{code}_minor"), amount)]
    } else {
        Vec::new()
    }
}

/// Adds what changing `before` into `after` does to the partner's totals and the
/// portal-wide counters (`None` before: a new line).
pub fn apply<'a>(
    tx: TxBuilder<'a>,
    before: Option<&CommissionLine>,
    after: &CommissionLine,
) -> TxBuilder<'a> {
    let tx = tx
        .add_change(
            &keys::commission_totals(&after.partner_id),
            "commission_totals",
            &contributions(before),
            &contributions(Some(after)),
        )
        .add_change(
            &keys::directory_counters(),
            "directory_counters",
            &portal_contributions(before),
            &portal_contributions(Some(after)),
        );
    // Commission earned per quarter (by `earned_at`), for the partner's quarterly figures.
    let earned = |line: Option<&CommissionLine>| -> Option<(crate::store::Key, (String, i64))> {
        let line = line.filter(|l| l.status != LineStatus::Cancelled)?;
        let q = crate::validate::quarter_of(&line.earned_at)?;
        Some((
            keys::partner_quarter(&line.partner_id, &q),
            (
                format!("commission_earned_{}_minor", line.amount.currency.code()),
                line.amount.amount_minor,
            ),
        ))
    };
    let (b, a) = (earned(before), earned(Some(after)));
    let mut tx = tx;
    if b == a {
        return tx;
    }
    if let Some((key, (attr, v))) = b {
        tx = tx.add(&key, "partner_quarter", &[(&attr, -v)]);
    }
    if let Some((key, (attr, v))) = a {
        tx = tx.add(&key, "partner_quarter", &[(&attr, v)]);
    }
    tx
}

/// One currency's figures in the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyTotals {
    pub currency: Currency,
    /// Everything not cancelled: pending + approved + held + paid.
    pub earned: Money,
    pub pending: Money,
    pub approved: Money,
    pub held: Money,
    pub paid: Money,
    pub cancelled: Money,
    /// What is approved and not yet paid, less clawbacks not yet settled.
    pub balance: Money,
}

/// The totals item as the summary shows it: one entry per currency the partner has lines in.
pub fn summarise(item: Option<BTreeMap<String, Value>>) -> Vec<CurrencyTotals> {
    let item = item.unwrap_or_default();
    let mut by_currency: BTreeMap<Currency, [i64; 6]> = BTreeMap::new();
    for (attr, value) in &item {
        let Some((code, bucket)) = attr.split_once('_') else {
            continue;
        };
        let (Some(currency), Some(i)) = (
            Currency::parse(code),
            BUCKETS.iter().position(|b| *b == bucket),
        ) else {
            continue;
        };
        by_currency.entry(currency).or_default()[i] += value.as_i64().unwrap_or(0);
    }
    by_currency
        .into_iter()
        .map(
            |(currency, [pending, approved, held, paid, cancelled, open_clawback])| {
                let m = |amount_minor| Money {
                    amount_minor,
                    currency,
                };
                CurrencyTotals {
                    currency,
                    earned: m(pending + approved + held + paid),
                    pending: m(pending),
                    approved: m(approved),
                    held: m(held),
                    paid: m(paid),
                    cancelled: m(cancelled),
                    balance: m(approved + open_clawback),
                }
            },
        )
        .collect()
}
