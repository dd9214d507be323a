//! Money, exactly: integer minor units of an ISO 4217 currency, never a float. Decimal
//! text is read digit by digit; a commission is `value × rate_bps / 10,000` in 128-bit
//! integers, rounded half to even (banker's rounding) to the currency's minor unit; sums
//! are kept per currency and never mix currencies.

use serde::{Deserialize, Serialize};

/// The currencies the portal accepts, with their minor-unit exponents (ISO 4217).
const CURRENCIES: &[(&str, u32)] = &[
    ("ZAR", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("NZD", 2),
    ("BWP", 2),
    ("NAD", 2),
    ("KES", 2),
    ("NGN", 2),
    ("INR", 2),
    ("CNY", 2),
    ("JPY", 0),
    ("KWD", 3),
];

/// An ISO 4217 currency the portal accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(&'static str);

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::try_from(code).map_err(serde::de::Error::custom)
    }
}

impl Currency {
    /// The portal's reporting currency (the directory's hero metrics).
    pub const ZAR: Currency = Currency("ZAR");

    pub fn parse(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| Currency(c))
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// Digits after the decimal point (2 for cents, 0 for yen).
    pub fn exponent(self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map(|(_, e)| *e)
            .unwrap_or(2)
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        Currency::parse(&code).ok_or_else(|| "is not a currency the portal accepts".to_string())
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0.to_string()
    }
}

/// An amount of one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    /// `1250.50 ZAR`, `-3 JPY`: the exact decimal value and the code (for emails and files).
    pub fn display(&self) -> String {
        let exp = self.currency.exponent();
        let digits = self.amount_minor.unsigned_abs().to_string();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        if exp == 0 {
            return format!("{sign}{digits} {}", self.currency.code());
        }
        let exp = exp as usize;
        let padded = format!("{digits:0>width$}", width = exp + 1);
        let (whole, fraction) = padded.split_at(padded.len() - exp);
        format!("{sign}{whole}.{fraction} {}", self.currency.code())
    }

    /// The amount as decimal text without the code (`1250.50`), for Zoho's currency fields.
    pub fn decimal(&self) -> String {
        let shown = self.display();
        shown
            .rsplit_once(' ')
            .map(|(n, _)| n.to_string())
            .unwrap_or(shown)
    }
}

/// Rounds `numerator / denominator` (denominator > 0) half to even.
fn div_half_even(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    match (2 * remainder).cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient & 1),
    }
}

/// The commission on `value` at `rate_bps` basis points (0..=10,000), rounded half to
/// even to the minor unit; `None` when the rate is out of range or the result does not fit.
pub fn commission(value: Money, rate_bps: u32) -> Option<Money> {
    if rate_bps > 10_000 {
        return None;
    }
    let amount = div_half_even(
        i128::from(value.amount_minor) * i128::from(rate_bps),
        10_000,
    );
    Some(Money {
        amount_minor: i64::try_from(amount).ok()?,
        currency: value.currency,
    })
}

/// Decimal text (`1250.5`, `-3`, `.25`) in minor units of a currency with `exponent`
/// decimals: digits beyond the exponent round half to even. No exponents (`1e3`),
/// separators or signs other than a leading `-`.
pub fn parse_decimal(text: &str, exponent: u32) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 18
    {
        return None;
    }
    let exp = exponent as usize;
    let kept = &fraction[..fraction.len().min(exp)];
    let mut minor: i128 = format!("{whole}{kept:0<exp$}").parse::<i128>().unwrap_or(0);
    let rest = fraction.get(exp..).unwrap_or("");
    if let Some(first) = rest.chars().next() {
        let beyond_half = rest[1..].chars().any(|c| c != '0');
        let round_up = match first {
            '6'..='9' => true,
            '5' => beyond_half || minor % 2 == 1,
            _ => false,
        };
        if round_up {
            minor += 1;
        }
    }
    i64::try_from(if negative { -minor } else { minor }).ok()
}

/// Per-currency totals: adding amounts of different currencies never mixes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals(pub std::collections::BTreeMap<Currency, i64>);

impl Totals {
    pub fn add(&mut self, m: Money) -> Option<()> {
        let slot = self.0.entry(m.currency).or_default();
        *slot = slot.checked_add(m.amount_minor)?;
        Some(())
    }

    pub fn get(&self, currency: Currency) -> i64 {
        self.0.get(&currency).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zar(amount_minor: i64) -> Money {
        Money {
            amount_minor,
            currency: Currency::parse("ZAR").unwrap(),
        }
    }

    #[test]
    fn commissions_round_half_to_even() {
        // 12.5 cents → 12, 13.5 → 14, 12.51 → 13.
        assert_eq!(commission(zar(125), 1000).unwrap().amount_minor, 12);
        assert_eq!(commission(zar(135), 1000).unwrap().amount_minor, 14);
        assert_eq!(commission(zar(12_510), 10).unwrap().amount_minor, 13);
        assert_eq!(commission(zar(-125), 1000).unwrap().amount_minor, -12);
        assert_eq!(
            commission(zar(1_000_000), 10_000).unwrap().amount_minor,
            1_000_000
        );
        assert!(commission(zar(1), 10_001).is_none());
        assert!(commission(zar(i64::MAX), 10_000).is_some());
    }

    #[test]
    fn amounts_display_exactly() {
        assert_eq!(zar(125_050).display(), "1250.50 ZAR");
        assert_eq!(zar(-5).display(), "-0.05 ZAR");
        assert_eq!(zar(0).decimal(), "0.00");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::new(1500, jpy).display(), "1500 JPY");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::new(1, kwd).decimal(), "0.001");
    }

    #[test]
    fn decimal_text_is_read_exactly() {
        assert_eq!(parse_decimal("1250.5", 2), Some(125_050));
        assert_eq!(parse_decimal("0.125", 2), Some(12));
        assert_eq!(parse_decimal("0.135", 2), Some(14));
        assert_eq!(parse_decimal("0.1251", 2), Some(13));
        assert_eq!(parse_decimal("-12.3", 2), Some(-1230));
        assert_eq!(parse_decimal("1500", 0), Some(1500));
        assert_eq!(parse_decimal("1.2345", 3), Some(1234));
        assert_eq!(parse_decimal(".25", 2), Some(25));
        for bad in [
            "",
            "-",
            ".",
            "1e3",
            "12,50",
            "+5",
            "1.2.3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_decimal(bad, 2), None, "{bad}");
        }
    }

    #[test]
    fn only_known_currencies_and_totals_never_mix_them() {
        assert!(Currency::parse("zar").is_none());
        assert!(Currency::parse("XXX").is_none());
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        let usd = Currency::parse("USD").unwrap();
        let mut t = Totals::default();
        t.add(zar(100)).unwrap();
        t.add(Money {
            amount_minor: 7,
            currency: usd,
        })
        .unwrap();
        t.add(zar(-30)).unwrap();
        assert_eq!((t.get(zar(0).currency), t.get(usd)), (70, 7));
        let parsed: Result<Money, _> =
            serde_json::from_value(serde_json::json!({"amount_minor": 5, "currency": "ABC"}));
        assert!(parsed.is_err());
    }

    /// 10,000 random accruals at random rates: the sum of the rounded commissions equals a
    /// recount done another way (exact rational arithmetic on u128, rounding by comparing
    /// twice the remainder), and the total error against the exact value stays within half
    /// a cent per line. No float anywhere.
    #[test]
    fn money_is_exact() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut ledger = Totals::default();
        let mut recount: i128 = 0;
        let mut exact_numerator: i128 = 0;
        for _ in 0..10_000 {
            let value = (next() % 100_000_000) as i64; // up to R 1,000,000.00
            let rate = (next() % 10_001) as u32;
            let line = commission(zar(value), rate).unwrap();
            ledger.add(line).unwrap();
            // The recount: quotient and remainder in u128, ties to the even quotient.
            let n = value as u128 * rate as u128;
            let (q, r) = (n / 10_000, n % 10_000);
            let rounded = if r * 2 > 10_000 || (r * 2 == 10_000 && q % 2 == 1) {
                q + 1
            } else {
                q
            };
            recount += rounded as i128;
            exact_numerator += n as i128;
        }
        assert_eq!(i128::from(ledger.get(zar(0).currency)), recount);
        // |Σ rounded − Σ exact| ≤ 10,000 × ½ cent.
        let error = (recount * 10_000 - exact_numerator).abs();
        assert!(
            error <= 10_000 * 5_000,
            "accumulated rounding error {error}"
        );
    }
}
