//! What can go wrong with the ledger, in the domain's terms.

use crate::fault::{Fault, Invalid, Kind};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CommissionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such line, payout or partner, or (identically) another partner's.
    #[error("No such {0}.")]
    NotFound(&'static str),
    /// A partner route called without a partner (internal staff).
    #[error("Your role does not allow this.")]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error(
        "The resource was modified since you read it; fetch it again and retry with its new ETag."
    )]
    Stale,
    /// The status machine refuses the move.
    #[error("A {from} line allows: {}.", if allowed.is_empty() { "nothing (it is final)".to_string() } else { allowed.join(", ") })]
    InvalidTransition {
        from: &'static str,
        allowed: Vec<&'static str>,
    },
    /// The line is locked to a payout in progress.
    #[error("The line is part of payout {0}, which is still processing.")]
    InPayout(String),
    /// The same `Idempotency-Key` came with a different request.
    #[error("This Idempotency-Key was used with a different request.")]
    IdempotencyMismatch,
    /// A payout's lines are not all approved, unpaid and of its currency (or changed while
    /// it was being created).
    #[error("{0}")]
    PayoutLines(String),
    /// The payout is not processing any more.
    #[error("The payout is {0}; only a processing payout can be settled or failed.")]
    PayoutClosed(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Fault for CommissionError {
    fn kind(&self) -> Kind {
        match self {
            CommissionError::Invalid(e) => e.kind(),
            CommissionError::NotFound(_) => Kind::NotFound,
            CommissionError::NoPartner(_) => Kind::Forbidden,
            CommissionError::Stale => Kind::Stale,
            CommissionError::InvalidTransition { .. }
            | CommissionError::InPayout(_)
            | CommissionError::PayoutLines(_)
            | CommissionError::PayoutClosed(_) => Kind::Conflict,
            CommissionError::IdempotencyMismatch => Kind::Unprocessable,
            CommissionError::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            CommissionError::Invalid(e) => e.code(),
            CommissionError::NotFound(_) => "not_found",
            CommissionError::NoPartner(_) => "forbidden",
            CommissionError::Stale => "stale_version",
            CommissionError::InvalidTransition { .. } => "invalid_status_transition",
            CommissionError::InPayout(_) => "line_in_payout",
            CommissionError::IdempotencyMismatch => "idempotency_key_reused",
            CommissionError::PayoutLines(_) => "payout_lines_unavailable",
            CommissionError::PayoutClosed(_) => "payout_closed",
            CommissionError::Store(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<crate::fault::FieldError> {
        match self {
            CommissionError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            CommissionError::InvalidTransition { allowed, .. } => {
                vec![("allowed", serde_json::json!(allowed))]
            }
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            CommissionError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
