//! Performance insight: the partner's dashboard and its performance score, read from
//! maintained items (the counters item, the commission totals, the last four quarters'
//! counters) — a fixed number of items, whatever the partner's history holds.

pub mod dashboard;
pub mod score;

pub use dashboard::{dashboard, dashboard_keys};

/// What can go wrong reading performance insight.
#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    #[error(transparent)]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl crate::fault::Fault for InsightError {
    fn kind(&self) -> crate::fault::Kind {
        match self {
            InsightError::NoPartner(e) => e.kind(),
            InsightError::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            InsightError::NoPartner(e) => e.code(),
            InsightError::Store(e) => e.code(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            InsightError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
