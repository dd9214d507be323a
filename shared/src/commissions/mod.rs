//! The commission ledger: lines (earnings, adjustments, clawbacks) with a status machine,
//! per-currency totals kept in the same transaction as every change, payouts that lock and
//! settle lines, and accruals when a lead is won. Lines arrive three ways — from Zoho's
//! Commissions module, created by operations, accrued by the portal — into one ledger.
//!
//! Every change of a line writes, in one transaction conditional on the line's version:
//! the line (with its history step), the partner's totals, the portal-wide owed/paid
//! counters, an audit entry and, for changes made in the portal, a CRM outbox item.

pub mod accrual;
pub mod error;
pub mod from_crm;
pub mod ledger;
pub mod model;
pub mod payouts;
pub mod read;
pub mod settings;
pub mod status;
pub mod totals;

pub use error::CommissionError;
pub use model::{
    AccrualGuard, AccrualState, CommissionLine, IdempotencyRecord, LineKind, LineSource, Locator,
    Payout, PayoutStatus, Step,
};
pub use settings::{CommissionSettings, TierRates};
pub use status::{LineAction, LineStatus};

use serde_json::Value;

/// A Zoho currency amount (a JSON number or numeric string, e.g. `1250.5`) in minor units
/// of a currency with `exponent` decimals, read as decimal text with
/// [`crate::money::parse_decimal`]: no floating point.
pub fn minor_units(value: &Value, exponent: u32) -> Option<i64> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    crate::money::parse_decimal(&text, exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_amounts_are_read_exactly() {
        assert_eq!(minor_units(&serde_json::json!(1250.5), 2), Some(125050));
        assert_eq!(minor_units(&serde_json::json!("99.99"), 2), Some(9999));
        assert_eq!(minor_units(&serde_json::json!(null), 2), None);
        assert_eq!(minor_units(&serde_json::json!("0.125"), 2), Some(12));
        assert_eq!(minor_units(&serde_json::json!("0.135"), 2), Some(14));
        assert_eq!(minor_units(&serde_json::json!("0.1251"), 2), Some(13));
        assert_eq!(minor_units(&serde_json::json!(-12.3), 2), Some(-1230));
        assert_eq!(minor_units(&serde_json::json!("1500"), 0), Some(1500));
        assert_eq!(minor_units(&serde_json::json!("1e3"), 2), None);
        assert_eq!(minor_units(&serde_json::json!("12,50"), 2), None);
        assert_eq!(
            minor_units(&serde_json::json!("1234567890123.45"), 2),
            Some(123456789012345)
        );
    }
}
