//! The performance score (0–100): five weighted components, each a value in 0..1 with a
//! prior, so a partner with little data sits near the middle rather than at an extreme.
//! Pure and deterministic: the same inputs give the same score, to the last digit.
//!
//! | component | weight | value |
//! |---|---|---|
//! | conversion | 30 | won ÷ closed, with 10 imagined closed leads at the portal's typical 25 %, against a 50 % target |
//! | responsiveness | 25 | first contacts by how fast they came (≤1 h: 1, ≤4 h: 0.8, ≤24 h: 0.55, ≤72 h: 0.3, later: 0.1), with 5 imagined at 0.5 |
//! | pipeline hygiene | 20 | open leads neither overdue nor untouched 14 days ÷ open leads, with 5 imagined at 0.5 |
//! | customer satisfaction | 15 | NPS mapped from −100..100 to 0..1, with 5 imagined neutral answers |
//! | compliance | 10 | KYC verified (0.6) plus no commission on hold (0.4) |

use serde::Serialize;

/// What the score is computed from (the partner's maintained counters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreInputs {
    pub won: u64,
    pub lost: u64,
    /// First contacts by latency bucket: ≤1 h, ≤4 h, ≤24 h, ≤72 h, later.
    pub first_contact: [u64; 5],
    pub open_leads: u64,
    /// Open leads with an overdue follow-up or untouched for 14 days.
    pub neglected_leads: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub kyc_verified: bool,
    pub held_commissions: u64,
}

/// One component as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub code: &'static str,
    /// 0..1.
    pub value: f64,
    /// Points out of 100 this component can give.
    pub weight: u32,
    /// `value × weight`, in points.
    pub contribution: f64,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// 0..100, one decimal.
    pub value: f64,
    pub components: Vec<Component>,
}

/// The portal's typical conversion, the prior of a partner with few closed leads.
pub const PRIOR_CONVERSION: f64 = 0.25;
/// Conversion that earns the whole component.
pub const TARGET_CONVERSION: f64 = 0.5;
const PRIOR_CLOSED: f64 = 10.0;
const PRIOR_OBSERVATIONS: f64 = 5.0;
/// What a first contact in each latency bucket is worth.
pub const LATENCY_VALUES: [f64; 5] = [1.0, 0.8, 0.55, 0.3, 0.1];
pub const LATENCY_BUCKETS: [&str; 5] = ["1h", "4h", "24h", "72h", "later"];

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The score of `i`.
pub fn score(i: &ScoreInputs) -> Score {
    let closed = (i.won + i.lost) as f64;
    let conversion = (i.won as f64 + PRIOR_CONVERSION * PRIOR_CLOSED) / (closed + PRIOR_CLOSED);
    let conversion_value = (conversion / TARGET_CONVERSION).min(1.0);

    let contacts: u64 = i.first_contact.iter().sum();
    let weighted: f64 = i
        .first_contact
        .iter()
        .zip(LATENCY_VALUES)
        .map(|(n, v)| *n as f64 * v)
        .sum();
    let responsiveness =
        (weighted + 0.5 * PRIOR_OBSERVATIONS) / (contacts as f64 + PRIOR_OBSERVATIONS);

    let neglected = i.neglected_leads.min(i.open_leads);
    let hygiene = ((i.open_leads - neglected) as f64 + 0.5 * PRIOR_OBSERVATIONS)
        / (i.open_leads as f64 + PRIOR_OBSERVATIONS);

    let answers = (i.promoters + i.passives + i.detractors) as f64;
    let nps = (i.promoters as f64 - i.detractors as f64) / (answers + PRIOR_OBSERVATIONS);
    let satisfaction = (nps + 1.0) / 2.0;

    let compliance =
        if i.kyc_verified { 0.6 } else { 0.0 } + if i.held_commissions == 0 { 0.4 } else { 0.0 };

    let component = |code, value: f64, weight: u32, explanation: String| Component {
        code,
        value: round3(value.clamp(0.0, 1.0)),
        weight,
        contribution: round1(value.clamp(0.0, 1.0) * weight as f64),
        explanation,
    };
    let components = vec![
        component(
            "conversion",
            conversion_value,
            30,
            format!(
                "{} won of {} closed; counted as {:.0} % with the prior (50 % earns it all)",
                i.won,
                i.won + i.lost,
                conversion * 100.0
            ),
        ),
        component(
            "responsiveness",
            responsiveness,
            25,
            format!(
                "{} of {contacts} first contacts within an hour, {} within a day",
                i.first_contact[0],
                i.first_contact[..3].iter().sum::<u64>()
            ),
        ),
        component(
            "pipeline_hygiene",
            hygiene,
            20,
            format!(
                "{neglected} of {} open leads overdue or untouched for 14 days",
                i.open_leads
            ),
        ),
        component(
            "customer_satisfaction",
            satisfaction,
            15,
            format!(
                "NPS {:.0} from {} answers",
                if answers > 0.0 {
                    (i.promoters as f64 - i.detractors as f64) / answers * 100.0
                } else {
                    0.0
                },
                answers
            ),
        ),
        component(
            "compliance",
            compliance,
            10,
            match (i.kyc_verified, i.held_commissions) {
                (true, 0) => "KYC verified, no commission on hold".to_string(),
                (true, n) => format!("KYC verified; {n} commission lines on hold"),
                (false, _) => "KYC not verified".to_string(),
            },
        ),
    ];
    let total: f64 = components.iter().map(|c| c.value * c.weight as f64).sum();
    Score {
        value: round1(total.clamp(0.0, 100.0)),
        components,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ScoreInputs {
        ScoreInputs {
            won: 4,
            lost: 6,
            first_contact: [2, 2, 2, 2, 2],
            open_leads: 10,
            neglected_leads: 3,
            promoters: 3,
            passives: 2,
            detractors: 1,
            kyc_verified: true,
            held_commissions: 0,
        }
    }

    #[test]
    fn the_score_is_bounded_and_deterministic() {
        let best = ScoreInputs {
            won: 1000,
            lost: 0,
            first_contact: [1000, 0, 0, 0, 0],
            open_leads: 1000,
            neglected_leads: 0,
            promoters: 1000,
            passives: 0,
            detractors: 0,
            kyc_verified: true,
            held_commissions: 0,
        };
        let worst = ScoreInputs {
            won: 0,
            lost: 1000,
            first_contact: [0, 0, 0, 0, 1000],
            open_leads: 1000,
            neglected_leads: 5000,
            promoters: 0,
            passives: 0,
            detractors: 1000,
            kyc_verified: false,
            held_commissions: 9,
        };
        for i in [best, worst, base(), ScoreInputs::default()] {
            let s = score(&i);
            assert!((0.0..=100.0).contains(&s.value), "{s:?}");
            assert_eq!(s, score(&i), "deterministic");
            let sum: f64 = s.components.iter().map(|c| c.contribution).sum();
            assert!((sum - s.value).abs() <= 0.5, "{sum} vs {}", s.value);
            assert_eq!(s.components.iter().map(|c| c.weight).sum::<u32>(), 100);
        }
    }

    #[test]
    fn the_score_rises_with_each_component() {
        let s0 = score(&base()).value;
        let mut better = Vec::new();
        let mut i = base();
        i.won += 3;
        better.push(i);
        let mut i = base();
        i.first_contact[0] += 5;
        better.push(i);
        let mut i = base();
        i.neglected_leads -= 2;
        better.push(i);
        let mut i = base();
        i.promoters += 4;
        better.push(i);
        let mut i = base();
        i.held_commissions = 0;
        i.kyc_verified = true;
        let mut worse = base();
        worse.kyc_verified = false;
        assert!(score(&worse).value < score(&i).value);
        for b in better {
            assert!(score(&b).value > s0, "{b:?}");
        }
        let mut i = base();
        i.lost += 3;
        assert!(score(&i).value < s0, "more losses lower it");
        let mut i = base();
        i.first_contact[4] += 5;
        assert!(score(&i).value < s0, "slow contacts lower it");
    }

    #[test]
    fn the_prior_keeps_tiny_samples_near_the_middle() {
        let one_of_one = score(&ScoreInputs {
            won: 1,
            ..Default::default()
        });
        let conversion = &one_of_one.components[0];
        assert!(
            conversion.value < 0.7,
            "1 of 1 won is not 100 %: {conversion:?}"
        );
        let none_of_one = score(&ScoreInputs {
            lost: 1,
            ..Default::default()
        });
        assert!(none_of_one.components[0].value > 0.3);
        let many = score(&ScoreInputs {
            won: 100,
            lost: 0,
            ..Default::default()
        });
        assert!(many.components[0].value > 0.95, "lots of evidence moves it");
        // No data at all: every data-driven component sits at the middle.
        let empty = score(&ScoreInputs::default());
        for c in &empty.components[1..4] {
            assert!((c.value - 0.5).abs() < 0.01, "{c:?}");
        }
    }
}
