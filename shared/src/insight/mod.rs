//! Performance insight: the partner's dashboard, performance score, analytics and
//! insights, read from maintained items (the counters item, the commission totals, the
//! quarters' counters, the nightly job's scores and benchmarks) — a fixed number of items,
//! whatever the partner's history holds. The nightly job ([`nightly`]) scores, snapshots
//! and ranks every approved partner; [`backfill`] rebuilds the quarter counters once.

pub mod analytics;
pub mod backfill;
pub mod dashboard;
pub mod figures;
pub mod insights;
pub mod nightly;
pub mod score;

pub use dashboard::{dashboard, dashboard_keys};

/// What can go wrong reading performance insight.
#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    #[error(transparent)]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error(transparent)]
    Invalid(#[from] crate::fault::Invalid),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl crate::fault::Fault for InsightError {
    fn kind(&self) -> crate::fault::Kind {
        match self {
            InsightError::NoPartner(e) => e.kind(),
            InsightError::Invalid(e) => e.kind(),
            InsightError::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            InsightError::NoPartner(e) => e.code(),
            InsightError::Invalid(e) => e.code(),
            InsightError::Store(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<crate::fault::FieldError> {
        match self {
            InsightError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            InsightError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
