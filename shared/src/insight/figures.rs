//! A partner's figures as the maintained items hold them (the counters item, the commission
//! totals, the last quarters' counters), and what the score and the benchmarks take from
//! them. The dashboard computes these on request; the nightly job for every partner.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::score::ScoreInputs;
use crate::commissions::totals::{CurrencyTotals, summarise};
use crate::leads::{FIRST_CONTACT_BUCKETS, Stats, stats_from};
use crate::partners::{KycStatus, Partner};

/// A maintained item read as a map of attributes.
pub type Item = HashMap<String, Value>;

/// Hours each first-contact bucket stands for in a median: its upper bound (168, a week,
/// for "later than 72 h").
pub const BUCKET_HOURS: [f64; 5] = [1.0, 4.0, 24.0, 72.0, 168.0];

/// The counters the feedback answers add to (promoters 9–10, passives 7–8, detractors 0–6).
pub const FEEDBACK_COUNTERS: [&str; 3] = [
    "feedback_promoters",
    "feedback_passives",
    "feedback_detractors",
];

pub fn number(item: &Item, attr: &str) -> i64 {
    item.get(attr).and_then(Value::as_i64).unwrap_or(0)
}

/// What the partner's maintained items say.
#[derive(Debug, Clone)]
pub struct Figures {
    pub stats: Stats,
    pub currencies: Vec<CurrencyTotals>,
    /// Currencies with commission on hold.
    pub held: u64,
    /// First contacts of the quarters read, by latency bucket.
    pub first_contact: [u64; 5],
    /// Leads created in the quarters read.
    pub leads_created: i64,
    pub quarters: usize,
    /// Promoters, passives, detractors.
    pub feedback: [u64; 3],
}

impl Figures {
    /// From the counters item, the commission totals and the quarters' counters.
    pub fn read(
        counters: &Item,
        totals: Option<BTreeMap<String, Value>>,
        quarters: &[Item],
        today: NaiveDate,
    ) -> Self {
        let stats = stats_from(counters, today);
        let currencies = summarise(totals);
        let held = currencies
            .iter()
            .filter(|c| c.held.amount_minor != 0)
            .count() as u64;
        let mut first_contact = [0u64; 5];
        let mut leads_created = 0;
        for item in quarters {
            for (i, (_, attr)) in FIRST_CONTACT_BUCKETS.iter().enumerate() {
                first_contact[i] += number(item, attr).max(0) as u64;
            }
            leads_created += number(item, "leads_created");
        }
        let feedback = FEEDBACK_COUNTERS.map(|a| number(counters, a).max(0) as u64);
        Self {
            stats,
            currencies,
            held,
            first_contact,
            leads_created,
            quarters: quarters.len(),
            feedback,
        }
    }

    /// The score's inputs; `idle` is the number of open leads untouched for 14 days (the
    /// nightly job counts them; the dashboard's on-the-spot score has only the overdue
    /// follow-ups).
    pub fn score_inputs(&self, partner: &Partner, idle: u64) -> ScoreInputs {
        ScoreInputs {
            won: self.stats.won.max(0) as u64,
            lost: self.stats.lost.max(0) as u64,
            first_contact: self.first_contact,
            open_leads: self.stats.open.max(0) as u64,
            neglected_leads: self.stats.overdue_follow_ups.max(0) as u64 + idle,
            promoters: self.feedback[0],
            passives: self.feedback[1],
            detractors: self.feedback[2],
            kyc_verified: partner.kyc_status == KycStatus::Verified,
            held_commissions: self.held,
        }
    }

    /// Net promoter score (−100..100), when anyone answered.
    pub fn nps(&self) -> Option<f64> {
        nps(self.feedback)
    }

    /// The figures the benchmarks compare, with the score they came with.
    pub fn metrics(&self, score: f64) -> Metrics {
        let closed = self.stats.won + self.stats.lost;
        Metrics {
            score,
            conversion_rate: (closed > 0).then(|| round4(self.stats.won as f64 / closed as f64)),
            median_response_hours: median_hours(&self.first_contact),
            nps: self.nps(),
            leads_per_quarter: round4(self.leads_created as f64 / self.quarters.max(1) as f64),
        }
    }
}

/// Net promoter score from (promoters, passives, detractors): % promoters − % detractors.
pub fn nps(feedback: [u64; 3]) -> Option<f64> {
    let answers: u64 = feedback.iter().sum();
    (answers > 0).then(|| {
        ((feedback[0] as f64 - feedback[2] as f64) / answers as f64 * 1000.0).round() / 10.0
    })
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The median first-contact time as the upper bound of the bucket it falls in.
pub fn median_hours(histogram: &[u64; 5]) -> Option<f64> {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let mut seen = 0;
    for (n, hours) in histogram.iter().zip(BUCKET_HOURS) {
        seen += n;
        if seen * 2 >= total {
            return Some(hours);
        }
    }
    Some(BUCKET_HOURS[4])
}

/// The figures a partner is benchmarked on. `None`: nothing to measure yet (no closed lead,
/// no first contact, no feedback answer); such a partner is left out of that distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Metrics {
    pub score: f64,
    pub conversion_rate: Option<f64>,
    pub median_response_hours: Option<f64>,
    pub nps: Option<f64>,
    pub leads_per_quarter: f64,
}

/// The benchmarked metrics: name, whether higher is better, and the value of a partner.
pub const METRICS: [(&str, bool); 5] = [
    ("score", true),
    ("conversion_rate", true),
    ("median_response_hours", false),
    ("nps", true),
    ("leads_per_quarter", true),
];

impl Metrics {
    pub fn get(&self, metric: &str) -> Option<f64> {
        match metric {
            "score" => Some(self.score),
            "conversion_rate" => self.conversion_rate,
            "median_response_hours" => self.median_response_hours,
            "nps" => self.nps,
            "leads_per_quarter" => Some(self.leads_per_quarter),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_falls_in_the_bucket_holding_the_middle_contact() {
        assert_eq!(median_hours(&[0; 5]), None);
        assert_eq!(median_hours(&[3, 0, 0, 0, 0]), Some(1.0));
        assert_eq!(median_hours(&[1, 1, 1, 0, 0]), Some(4.0));
        assert_eq!(median_hours(&[1, 0, 0, 0, 3]), Some(168.0));
        assert_eq!(median_hours(&[2, 0, 0, 0, 2]), Some(1.0));
    }

    #[test]
    fn nps_is_promoters_less_detractors_in_percent() {
        assert_eq!(nps([0, 0, 0]), None);
        assert_eq!(nps([3, 1, 1]), Some(40.0));
        assert_eq!(nps([0, 0, 2]), Some(-100.0));
    }
}
