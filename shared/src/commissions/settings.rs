//! Commission configuration: the default rate of each tier and the payout schedule.

use chrono::{Datelike, NaiveDate};
use std::str::FromStr;

use crate::partners::Tier;

/// Default commission rates by tier, in basis points (`TIER_COMMISSION_RATES`, e.g.
/// `registered=500,silver=750,gold=1000,platinum=1250`). A partner's own
/// `commission_rate_bps` overrides its tier's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierRates(pub [u32; 4]);

impl Default for TierRates {
    fn default() -> Self {
        TierRates([500, 750, 1000, 1250])
    }
}

impl TierRates {
    pub fn of(&self, tier: Tier) -> u32 {
        self.0[tier.rank()]
    }
}

impl FromStr for TierRates {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut rates = TierRates::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not tier=bps"))?;
            let tier = Tier::parse(name.trim()).ok_or_else(|| format!("`{name}` is not a tier"))?;
            let bps: u32 = value
                .trim()
                .parse()
                .ok()
                .filter(|b| *b <= 10_000)
                .ok_or_else(|| format!("`{value}` is not a rate of 0..=10000 bps"))?;
            rates.0[tier.rank()] = bps;
        }
        Ok(rates)
    }
}

/// The day of the month payouts are made (`PAYOUT_DAY_OF_MONTH`, 1..=28; default 25).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutDay(pub u32);

impl Default for PayoutDay {
    fn default() -> Self {
        PayoutDay(25)
    }
}

impl FromStr for PayoutDay {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=28).contains(d))
            .map(PayoutDay)
            .ok_or_else(|| format!("`{s}` is not a day of 1..=28"))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommissionSettings {
    pub tier_rates: TierRates,
    pub payout_day: PayoutDay,
}

impl CommissionSettings {
    pub fn read(r: &mut crate::config::Reader<'_>) -> Self {
        Self {
            tier_rates: r.parsed_or("TIER_COMMISSION_RATES", TierRates::default()),
            payout_day: r.parsed_or("PAYOUT_DAY_OF_MONTH", PayoutDay::default()),
        }
    }

    /// The next payout date on or after `today`.
    pub fn next_payout_date(&self, today: NaiveDate) -> NaiveDate {
        let day = self.payout_day.0;
        let this_month = today.with_day(day).unwrap_or(today);
        if this_month >= today {
            return this_month;
        }
        let (y, m) = if today.month() == 12 {
            (today.year() + 1, 1)
        } else {
            (today.year(), today.month() + 1)
        };
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(today)
    }

    /// The rate a partner earns: its own, else its tier's.
    pub fn rate_of(&self, partner: &crate::partners::Partner) -> u32 {
        partner
            .commission_rate_bps
            .unwrap_or_else(|| self.tier_rates.of(partner.tier))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_payout_days_parse_and_refuse_nonsense() {
        let r: TierRates = "gold=1100, platinum=1500".parse().unwrap();
        assert_eq!(r.of(Tier::Gold), 1100);
        assert_eq!(r.of(Tier::Registered), 500);
        assert!("gold=10001".parse::<TierRates>().is_err());
        assert!("bronze=5".parse::<TierRates>().is_err());
        assert!("29".parse::<PayoutDay>().is_err());
        let s = CommissionSettings {
            payout_day: PayoutDay(25),
            ..Default::default()
        };
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(s.next_payout_date(d(2026, 11, 29)), d(2026, 12, 25));
        assert_eq!(s.next_payout_date(d(2026, 12, 26)), d(2027, 1, 25));
        assert_eq!(s.next_payout_date(d(2026, 12, 25)), d(2026, 12, 25));
        assert_eq!(s.next_payout_date(d(2026, 2, 1)), d(2026, 2, 25));
    }
}
