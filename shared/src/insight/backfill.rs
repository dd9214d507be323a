//! The one-shot backfill: rebuilds every partner's per-quarter counters from the stored
//! leads and commission lines (a recount written with `SET`, so running it again gives the
//! same items), and puts open leads without a follow-up on the idle-lead index. Partners
//! are processed in directory order with the progress in `INSIGHT / BACKFILL`; a run
//! stopped by its deadline continues where it stopped; `restart` starts over.
//!
//! Run it once after deploying, when lead traffic is quiet: a lead written while its
//! partner is being recounted can be counted as of before or after that write, and a
//! second run corrects it.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::InsightError;
use crate::commissions::{CommissionLine, LineStatus};
use crate::leads::{FIRST_CONTACT_BUCKETS, Lead, quarter_contributions};
use crate::partners::Partner;
use crate::store::{Entity, Index, Patch, Query, Store, StoreError, keys};

/// The attributes of a quarter item the backfill owns (set to the recount, 0 included).
pub const LEAD_ATTRS: [&str; 3] = ["leads_created", "leads_won", "leads_lost"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BackfillRun {
    pub after: Option<String>,
    pub partners: u64,
    pub leads: u64,
    pub idle_indexed: u64,
    pub done: bool,
}

impl Entity for BackfillRun {
    const KIND: &'static str = "backfill_run";

    fn key(&self) -> crate::store::Key {
        keys::backfill_run()
    }
}

/// Runs (or continues) the backfill until done or `deadline`.
pub async fn backfill(
    store: &Store,
    restart: bool,
    deadline: Option<Instant>,
) -> Result<BackfillRun, InsightError> {
    let mut run: BackfillRun = if restart {
        BackfillRun::default()
    } else {
        store.get(&keys::backfill_run()).await?.unwrap_or_default()
    };
    while !run.done {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let mut q = Query::partition(Some(Index::Lookup), keys::DIRECTORY_ALL, 10);
        if let Some(after) = &run.after {
            q = q.after(after.clone());
        }
        let partners: Vec<Partner> = store.query_up_to(&q).await?;
        match partners.last() {
            None => run.done = true,
            Some(last) => {
                for p in &partners {
                    recount(store, p, &mut run).await?;
                    run.partners += 1;
                }
                run.after = Some(format!("{}#{}", last.created_at, last.id));
            }
        }
        store.commit(store.tx().put(&run).build()).await?;
    }
    Ok(run)
}

/// Every item under a partner's key prefix.
async fn all<T: serde::de::DeserializeOwned>(
    store: &Store,
    partner_id: &str,
    prefix: &str,
) -> Result<Vec<T>, StoreError> {
    store
        .query_up_to(
            &Query::partition(None, keys::partner_partition(partner_id), i32::MAX).prefix(prefix),
        )
        .await
}

async fn recount(store: &Store, p: &Partner, run: &mut BackfillRun) -> Result<(), InsightError> {
    let leads: Vec<Lead> = all(store, &p.id, keys::LEAD_PREFIX).await?;
    let lines: Vec<CommissionLine> = all(store, &p.id, keys::COMMISSION_PREFIX).await?;
    // Every quarter from the partner's registration to now is set (zeros included), so a
    // quarter whose live counts drifted is corrected even when the recount finds nothing.
    let mut quarters: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let now = chrono::Utc::now();
    let since = crate::validate::quarter_of(&p.created_at).unwrap_or_default();
    for q in super::dashboard::last_quarters(now, 200) {
        let stop = q < since;
        if stop {
            break;
        }
        quarters.entry(q).or_default();
    }
    for lead in leads.iter().filter(|l| l.partner_id == p.id) {
        for (q, attr) in quarter_contributions(lead) {
            *quarters
                .entry(q)
                .or_default()
                .entry(attr.into())
                .or_default() += 1;
        }
        run.leads += 1;
    }
    for line in lines.iter().filter(|l| l.status != LineStatus::Cancelled) {
        if let Some(q) = crate::validate::quarter_of(&line.earned_at) {
            *quarters
                .entry(q)
                .or_default()
                .entry(format!(
                    "commission_earned_{}_minor",
                    line.amount.currency.code()
                ))
                .or_default() += line.amount.amount_minor;
        }
    }
    let mut tx = store.tx();
    for (q, counted) in &quarters {
        let mut patch = Patch::new(&keys::partner_quarter(&p.id, q)).set("kind", "partner_quarter");
        for attr in LEAD_ATTRS
            .iter()
            .copied()
            .chain(FIRST_CONTACT_BUCKETS.iter().map(|(_, a)| *a))
        {
            patch = patch.set(attr, counted.get(attr).copied().unwrap_or(0));
        }
        for (attr, n) in counted
            .iter()
            .filter(|(a, _)| a.starts_with("commission_earned_"))
        {
            patch = patch.set(attr, *n);
        }
        tx = tx.patch(patch);
        if tx.len() >= 50 {
            store.commit(tx.build()).await?;
            tx = store.tx();
        }
    }
    if !tx.is_empty() {
        store.commit(tx.build()).await?;
    }
    // Open leads with no follow-up onto the idle index (unless changed meanwhile: a write
    // puts the whole lead, index keys included).
    for lead in &leads {
        let Some(key) = lead.due_key() else { continue };
        if key.pk != keys::idle_leads(&p.id) {
            continue;
        }
        let (pk, sk) = Index::Due.attributes();
        let patch = Patch::new(&lead.key())
            .set(pk, &key.pk)
            .set(sk, &key.sk)
            .require_eq("version", lead.version);
        match store.apply(patch).await {
            Ok(()) => run.idle_indexed += 1,
            Err(StoreError::Condition(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
