//! The nightly job: every approved partner's score, snapshotted for the day, ranked; the
//! approved partners' benchmark distributions; the portal-wide figures of the admin
//! analytics.
//!
//! Two phases, with the run's progress in `INSIGHT / NIGHTLY#<date>`:
//! 1. **scoring** pages through the partner directory (oldest first). For each page it reads
//!    the approved partners' maintained items in batches, counts their idle leads, and
//!    writes their snapshots (`SCORE#<date>`, on the day's ranking index) in one
//!    transaction with the progress (the last partner done and the running counts of
//!    partners by status and tier and of leads by status). A run stopped by its deadline,
//!    or failed, resumes after the last page written; a page is never counted twice.
//! 2. **ranking** reads the day's snapshots best first, ranks them (equal scores share a
//!    rank: 1, 2, 2, 4), writes the rank on each snapshot and each partner's current score
//!    with rank, trend and 30-day change, then the benchmarks and portal figures and marks the day done. It is redone
//!    whole if interrupted (it only rewrites what the snapshots determine).
//!
//! A day that is done is not redone: a second run the same day changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::InsightError;
use super::dashboard::last_quarters;
use super::figures::{Figures, Item, METRICS, Metrics};
use super::score::{Component, score};
use crate::config::{ConfigError, Reader, Source};
use crate::partners::{Partner, PartnerStatus};
use crate::store::{Entity, Index, Key, Query, Store, keys};

/// Partners per directory page (a page's snapshots and progress are one transaction).
pub const PAGE: i32 = 25;
/// Leads untouched this long count against pipeline hygiene.
pub const IDLE_DAYS: u64 = 14;
/// `trend` is `up`/`down` beyond this many points of change over 30 days.
pub const TREND_POINTS: f64 = 2.0;
/// How many partners the admin analytics list as the top.
pub const TOP: usize = 10;
/// The ranking reads at most this many snapshots (the job's stated capacity).
pub const MAX_PARTNERS: usize = 200_000;

/// A component as stored (the score's components, owned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredComponent {
    pub code: String,
    pub value: f64,
    pub weight: u32,
    pub contribution: f64,
    pub explanation: String,
}

impl From<&Component> for StoredComponent {
    fn from(c: &Component) -> Self {
        Self {
            code: c.code.to_string(),
            value: c.value,
            weight: c.weight,
            contribution: c.contribution,
            explanation: c.explanation.clone(),
        }
    }
}

/// One partner's score on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub partner_id: String,
    pub business_name: String,
    pub date: String,
    pub value: f64,
    pub components: Vec<StoredComponent>,
    pub metrics: Metrics,
    /// The score 30 days before, when there is a snapshot of that day.
    pub value_30d_ago: Option<f64>,
    /// Set by the ranking (equal scores share a rank) among `of` approved partners.
    #[serde(default)]
    pub rank: Option<u64>,
    #[serde(default)]
    pub of: Option<u64>,
    pub computed_at: String,
}

/// The ranking order: best score first (tenths of a point, inverted), then partner id.
pub fn rank_key(value: f64, partner_id: &str) -> String {
    format!("{:04}#{partner_id}", 1000 - tenths(value))
}

fn tenths(value: f64) -> i64 {
    (value * 10.0).round().clamp(0.0, 1000.0) as i64
}

impl Entity for Snapshot {
    const KIND: &'static str = "score_snapshot";

    fn key(&self) -> Key {
        keys::score_snapshot(&self.partner_id, &self.date)
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::ByState,
            Key::new(
                keys::scores_of_day(&self.date),
                rank_key(self.value, &self.partner_id),
            ),
        )]
    }
}

/// A partner's latest score as the nightly job ranked it (the dashboard shows this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerScore {
    pub partner_id: String,
    pub date: String,
    pub value: f64,
    pub components: Vec<StoredComponent>,
    pub metrics: Metrics,
    /// 1 is best; equal scores share a rank.
    pub rank: u64,
    /// Approved partners ranked that day.
    pub of: u64,
    pub delta_30d: Option<f64>,
    /// `up`, `down` or `stable` (beyond ±2 points); none without a snapshot 30 days back.
    pub trend: Option<String>,
    pub computed_at: String,
}

impl Entity for PartnerScore {
    const KIND: &'static str = "partner_score";

    fn key(&self) -> Key {
        keys::partner_score(&self.partner_id)
    }
}

/// One metric's distribution over the approved partners that have a value for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Distribution {
    pub count: u64,
    pub average: f64,
    pub median: f64,
    /// The 0th, 5th, …, 100th percentiles (21 values).
    pub quantiles: Vec<f64>,
}

impl Distribution {
    pub fn of(mut values: Vec<f64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let at = |p: f64| {
            let pos = p * (n - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            round4(values[lo] + (values[hi] - values[lo]) * (pos - lo as f64))
        };
        Some(Self {
            count: n as u64,
            average: round4(values.iter().sum::<f64>() / n as f64),
            median: at(0.5),
            quantiles: (0..=20).map(|i| at(i as f64 / 20.0)).collect(),
        })
    }

    /// The share of partners (0..100) a value is at or above, from the quantiles.
    pub fn percentile_of(&self, value: f64) -> f64 {
        let q = &self.quantiles;
        if q.is_empty() {
            return 0.0;
        }
        if value < q[0] {
            return 0.0;
        }
        if value >= q[q.len() - 1] {
            return 100.0;
        }
        let step = 100.0 / (q.len() - 1) as f64;
        for i in 0..q.len() - 1 {
            if value < q[i + 1] {
                let span = q[i + 1] - q[i];
                let within = if span > 0.0 {
                    (value - q[i]) / span
                } else {
                    0.0
                };
                return ((i as f64 + within) * step * 10.0).round() / 10.0;
            }
        }
        100.0
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The approved partners' benchmarks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benchmarks {
    pub date: String,
    pub partners: u64,
    pub metrics: BTreeMap<String, Distribution>,
}

impl Entity for Benchmarks {
    const KIND: &'static str = "benchmarks";

    fn key(&self) -> Key {
        keys::benchmarks()
    }
}

/// A partner among the best scores of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopPartner {
    pub partner_id: String,
    pub business_name: String,
    pub score: f64,
    pub rank: u64,
}

/// The admin analytics' portal-wide figures, as of the nightly run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalFigures {
    pub date: String,
    pub partners_by_status: BTreeMap<String, u64>,
    pub partners_by_tier: BTreeMap<String, u64>,
    pub leads_by_status: BTreeMap<String, i64>,
    pub top_partners: Vec<TopPartner>,
    pub computed_at: String,
}

impl Entity for PortalFigures {
    const KIND: &'static str = "portal_figures";

    fn key(&self) -> Key {
        keys::portal_figures()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Scoring,
    Ranking,
    Done,
}

/// The progress of one day's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NightlyRun {
    pub date: String,
    pub phase: Phase,
    /// The directory sort key of the last partner scored.
    pub after: Option<String>,
    pub partners: u64,
    pub scored: u64,
    pub partners_by_status: BTreeMap<String, u64>,
    pub partners_by_tier: BTreeMap<String, u64>,
    pub leads_by_status: BTreeMap<String, i64>,
    pub started_at: String,
    pub finished_at: Option<String>,
}

impl Entity for NightlyRun {
    const KIND: &'static str = "nightly_run";

    fn key(&self) -> Key {
        keys::nightly_run(&self.date)
    }
}

/// What one invocation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NightlyReport {
    pub date: String,
    pub phase: Phase,
    pub partners: u64,
    pub scored: u64,
    /// The day was already done: nothing was written.
    pub already_done: bool,
}

/// The nightly job's dependencies: the table.
#[derive(Clone)]
pub struct Nightly {
    pub store: Store,
    /// Partners per page.
    pub page: i32,
}

impl Nightly {
    pub fn new(store: Store) -> Self {
        Self { store, page: PAGE }
    }

    /// From the process configuration (`TABLE_NAME`).
    pub fn from_config(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = crate::config::Common::read(&mut r);
        let store = crate::config::StoreConfig::read(&mut r);
        r.finish()?;
        Ok(Self::new(Store::new(
            crate::aws::dynamodb(sdk),
            &store.table_name,
        )))
    }

    /// Runs (or continues) the job for `date` until done or `deadline`.
    pub async fn run(
        &self,
        date: NaiveDate,
        now: DateTime<Utc>,
        deadline: Option<Instant>,
    ) -> Result<NightlyReport, InsightError> {
        let day = date.to_string();
        let mut run: NightlyRun = match self.store.get(&keys::nightly_run(&day)).await? {
            Some(run) => run,
            None => NightlyRun {
                date: day.clone(),
                started_at: crate::validate::rfc3339(now),
                ..Default::default()
            },
        };
        if run.phase == Phase::Done {
            return Ok(report(&run, true));
        }
        let out_of_time = || deadline.is_some_and(|d| Instant::now() >= d);
        while run.phase == Phase::Scoring {
            if out_of_time() {
                return Ok(report(&run, false));
            }
            self.score_page(&mut run, date, now).await?;
        }
        if run.phase == Phase::Ranking {
            self.rank(&mut run, now).await?;
        }
        Ok(report(&run, false))
    }

    /// Scores the next page of the directory and saves the progress with the snapshots.
    async fn score_page(
        &self,
        run: &mut NightlyRun,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), InsightError> {
        let mut q = Query::partition(Some(Index::Lookup), keys::DIRECTORY_ALL, self.page);
        if let Some(after) = &run.after {
            q = q.after(after.clone());
        }
        let partners: Vec<Partner> = self.store.query_up_to(&q).await?;
        let Some(last) = partners.last() else {
            run.phase = Phase::Ranking;
            self.store
                .commit(self.store.tx().put(&*run).build())
                .await?;
            return Ok(());
        };
        let last_key = format!("{}#{}", last.created_at, last.id);
        let today = date;
        let quarters = last_quarters(date_time(date), 4);
        let month_ago = date
            .checked_sub_days(Days::new(30))
            .map(|d| d.to_string())
            .unwrap_or_default();
        // Every partner's counters (for the portal's lead funnel); the approved ones' totals,
        // quarters and the snapshot of 30 days before.
        let mut wanted: Vec<Key> = Vec::new();
        for p in &partners {
            wanted.push(keys::partner_counters(&p.id));
            if p.status == PartnerStatus::Approved {
                wanted.push(keys::commission_totals(&p.id));
                wanted.extend(quarters.iter().map(|q| keys::partner_quarter(&p.id, q)));
                wanted.push(keys::score_snapshot(&p.id, &month_ago));
            }
        }
        let mut items: HashMap<Key, Option<Item>> = HashMap::new();
        for chunk in wanted.chunks(100) {
            let mut fetched = self.store.fetch(chunk).await?;
            for k in chunk {
                items.insert(k.clone(), fetched.take(k)?);
            }
        }
        // Only partners with open leads can have idle ones: the others need no query.
        let with_open: Vec<&Partner> = partners
            .iter()
            .filter(|p| p.status == PartnerStatus::Approved)
            .filter(|p| {
                items
                    .get(&keys::partner_counters(&p.id))
                    .and_then(Option::as_ref)
                    .is_some_and(|c| super::figures::number(c, "leads_open") > 0)
            })
            .collect();
        let idle = self.idle_counts(&with_open, now).await?;
        let mut take = |k: &Key| items.remove(k).flatten();
        let mut tx = self.store.tx();
        for p in &partners {
            run.partners += 1;
            *run.partners_by_status
                .entry(p.status.as_str().to_string())
                .or_default() += 1;
            *run.partners_by_tier.entry(tier_name(p)).or_default() += 1;
            let counters = take(&keys::partner_counters(&p.id)).unwrap_or_default();
            for (attr, value) in &counters {
                if let (Some(status), Some(n)) = (attr.strip_prefix("status_"), value.as_i64()) {
                    *run.leads_by_status.entry(status.to_string()).or_default() += n;
                }
            }
            if p.status != PartnerStatus::Approved {
                continue;
            }
            let totals: Option<BTreeMap<String, Value>> =
                take(&keys::commission_totals(&p.id)).map(|i| i.into_iter().collect());
            let qs: Vec<Item> = quarters
                .iter()
                .map(|q| take(&keys::partner_quarter(&p.id, q)).unwrap_or_default())
                .collect();
            let before = take(&keys::score_snapshot(&p.id, &month_ago))
                .and_then(|i| i.get("value").and_then(Value::as_f64));
            let figures = Figures::read(&counters, totals, &qs, today);
            let s = score(&figures.score_inputs(p, idle.get(&p.id).copied().unwrap_or(0)));
            let snapshot = Snapshot {
                partner_id: p.id.clone(),
                business_name: p.business_name.clone(),
                date: run.date.clone(),
                value: s.value,
                components: s.components.iter().map(StoredComponent::from).collect(),
                metrics: figures.metrics(s.value),
                value_30d_ago: before,
                rank: None,
                of: None,
                computed_at: crate::validate::rfc3339(now),
            };
            tx = tx.put(&snapshot);
            run.scored += 1;
        }
        run.after = Some(last_key);
        self.store.commit(tx.put(&*run).build()).await?;
        Ok(())
    }

    /// Each given partner's open leads untouched for [`IDLE_DAYS`] (counted in parallel).
    async fn idle_counts(
        &self,
        partners: &[&Partner],
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, u64>, InsightError> {
        let bound = crate::validate::rfc3339(now - chrono::Duration::days(IDLE_DAYS as i64));
        let mut set = tokio::task::JoinSet::new();
        for p in partners {
            let (store, id, bound) = (self.store.clone(), p.id.clone(), bound.clone());
            set.spawn(async move {
                let q =
                    Query::partition(Some(Index::Due), keys::idle_leads(&id), 1000).below(bound);
                store.count(&q).await.map(|n| (id, n))
            });
        }
        let mut out = HashMap::new();
        while let Some(done) = set.join_next().await {
            let (id, n) = done.map_err(|e| {
                crate::store::StoreError::Dynamo(format!("counting idle leads: {e}"))
            })??;
            out.insert(id, n);
        }
        Ok(out)
    }

    /// Ranks the day's snapshots, writes every partner's current score, the benchmarks
    /// and the portal figures, and marks the day done.
    async fn rank(&self, run: &mut NightlyRun, now: DateTime<Utc>) -> Result<(), InsightError> {
        let q = Query::partition(
            Some(Index::ByState),
            keys::scores_of_day(&run.date),
            MAX_PARTNERS as i32,
        );
        let snapshots: Vec<Snapshot> = self.store.query_up_to(&q).await?;
        let of = snapshots.len() as u64;
        let ranks = ranks(&snapshots);
        let mut top = Vec::new();
        let mut batch = self.store.tx();
        for (s, rank) in snapshots.iter().zip(&ranks) {
            let delta = s
                .value_30d_ago
                .map(|v| ((s.value - v) * 10.0).round() / 10.0);
            let current = PartnerScore {
                partner_id: s.partner_id.clone(),
                date: s.date.clone(),
                value: s.value,
                components: s.components.clone(),
                metrics: s.metrics.clone(),
                rank: *rank,
                of,
                delta_30d: delta,
                trend: delta.map(|d| trend(d).to_string()),
                computed_at: s.computed_at.clone(),
            };
            if top.len() < TOP {
                top.push(TopPartner {
                    partner_id: s.partner_id.clone(),
                    business_name: s.business_name.clone(),
                    score: s.value,
                    rank: *rank,
                });
            }
            let ranked = Snapshot {
                rank: Some(*rank),
                of: Some(of),
                ..s.clone()
            };
            batch = batch.put(&current).put(&ranked);
            if batch.len() >= 100 {
                self.store.commit(batch.build()).await?;
                batch = self.store.tx();
            }
        }
        if !batch.is_empty() {
            self.store.commit(batch.build()).await?;
        }
        let metrics = METRICS
            .iter()
            .filter_map(|(name, _)| {
                let values = snapshots
                    .iter()
                    .filter_map(|s| s.metrics.get(name))
                    .collect();
                Some((name.to_string(), Distribution::of(values)?))
            })
            .collect();
        let benchmarks = Benchmarks {
            date: run.date.clone(),
            partners: of,
            metrics,
        };
        let figures = PortalFigures {
            date: run.date.clone(),
            partners_by_status: run.partners_by_status.clone(),
            partners_by_tier: run.partners_by_tier.clone(),
            leads_by_status: run.leads_by_status.clone(),
            top_partners: top,
            computed_at: crate::validate::rfc3339(now),
        };
        run.phase = Phase::Done;
        run.finished_at = Some(crate::validate::rfc3339(now));
        self.store
            .commit(
                self.store
                    .tx()
                    .put(&benchmarks)
                    .put(&figures)
                    .put(&*run)
                    .build(),
            )
            .await?;
        Ok(())
    }
}

/// Competition ranks of snapshots read best first: equal scores share a rank (1, 2, 2, 4).
pub fn ranks(best_first: &[Snapshot]) -> Vec<u64> {
    let mut out = Vec::with_capacity(best_first.len());
    for (i, s) in best_first.iter().enumerate() {
        let rank = match (i, out.last()) {
            (0, _) | (_, None) => 1,
            (i, Some(&prev)) if tenths(best_first[i - 1].value) == tenths(s.value) => prev,
            (i, _) => i as u64 + 1,
        };
        out.push(rank);
    }
    out
}

/// `up`, `down` or `stable` for a change of `delta` points.
pub fn trend(delta: f64) -> &'static str {
    if delta > TREND_POINTS {
        "up"
    } else if delta < -TREND_POINTS {
        "down"
    } else {
        "stable"
    }
}

fn tier_name(p: &Partner) -> String {
    serde_json::to_value(p.tier)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn date_time(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(12, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_default()
}

fn report(run: &NightlyRun, already_done: bool) -> NightlyReport {
    NightlyReport {
        date: run.date.clone(),
        phase: run.phase,
        partners: run.partners,
        scored: run.scored,
        already_done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: &str, value: f64) -> Snapshot {
        Snapshot {
            partner_id: id.into(),
            business_name: id.into(),
            date: "2026-11-29".into(),
            value,
            components: vec![],
            metrics: Metrics::default(),
            value_30d_ago: None,
            rank: None,
            of: None,
            computed_at: String::new(),
        }
    }

    #[test]
    fn equal_scores_share_a_rank_and_the_next_one_skips() {
        let s = [
            snap("a", 80.0),
            snap("b", 70.0),
            snap("c", 70.0),
            snap("d", 60.5),
        ];
        assert_eq!(ranks(&s), vec![1, 2, 2, 4]);
    }

    #[test]
    fn the_rank_key_orders_the_best_score_first_then_by_partner() {
        let mut keys = vec![
            rank_key(55.5, "b"),
            rank_key(100.0, "z"),
            rank_key(55.5, "a"),
            rank_key(0.0, "c"),
        ];
        keys.sort();
        assert_eq!(
            keys,
            vec![
                rank_key(100.0, "z"),
                rank_key(55.5, "a"),
                rank_key(55.5, "b"),
                rank_key(0.0, "c")
            ]
        );
    }

    #[test]
    fn percentiles_come_from_the_quantiles() {
        let d = Distribution::of((1..=101).map(|i| i as f64).collect()).unwrap();
        assert_eq!(d.median, 51.0);
        assert_eq!(d.percentile_of(0.0), 0.0);
        assert_eq!(d.percentile_of(200.0), 100.0);
        assert!((d.percentile_of(76.0) - 75.0).abs() < 0.01);
        assert_eq!(trend(2.5), "up");
        assert_eq!(trend(-2.0), "stable");
    }
}
