//! Exports, reports and notifications: data exports built in the background (CSV, XLSX,
//! the PDF performance report), the scheduled emails (the weekly summary, the daily
//! follow-up digest, KYC expiry reminders), a user's email preferences and one-click
//! unsubscribes, and the calendar feed of a user's follow-ups. It reads the domains below
//! it and owns only its own items (export jobs, digest runs and marks, calendar links).

pub mod calendar;
pub mod digests;
pub mod exports;
pub mod formats;
pub mod pdf;
pub mod preferences;

/// What can go wrong with exports, reports and notification settings.
#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    #[error(transparent)]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error(transparent)]
    Invalid(#[from] crate::fault::Invalid),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
    #[error(transparent)]
    Leads(#[from] crate::leads::LeadError),
    #[error(transparent)]
    Commissions(#[from] crate::commissions::CommissionError),
    #[error(transparent)]
    Insight(#[from] crate::insight::InsightError),
    /// No such export, or one the caller did not create.
    #[error("No such export.")]
    ExportNotFound,
    /// The partner has as many exports in progress as allowed.
    #[error("{0} exports are already being built; wait for one to finish.")]
    TooManyExports(usize),
    /// The file could not be written (logged; the export says it failed).
    #[error("the export file could not be built: {0}")]
    BuildFailed(String),
    /// A signed link (unsubscribe) that is forged, altered or malformed.
    #[error("This unsubscribe link is not valid.")]
    UnknownLink,
    /// A genuine unsubscribe link past its end.
    #[error("This unsubscribe link has expired; use the preferences page of the portal.")]
    ExpiredLink,
    /// A calendar feed link that is forged, revoked or of a user who is gone.
    #[error("This calendar link is not valid; get a new one from the portal.")]
    UnknownCalendar,
}

impl crate::fault::Fault for ReportsError {
    fn kind(&self) -> crate::fault::Kind {
        use crate::fault::Kind;
        match self {
            ReportsError::NoPartner(e) => e.kind(),
            ReportsError::Invalid(e) => e.kind(),
            ReportsError::Store(e) => e.kind(),
            ReportsError::Storage(e) => e.kind(),
            ReportsError::Queue(e) => e.kind(),
            ReportsError::Leads(e) => e.kind(),
            ReportsError::Commissions(e) => e.kind(),
            ReportsError::Insight(e) => e.kind(),
            ReportsError::ExportNotFound => Kind::NotFound,
            ReportsError::TooManyExports(_) => Kind::Throttled,
            ReportsError::BuildFailed(_) => Kind::Internal,
            ReportsError::UnknownLink | ReportsError::UnknownCalendar => Kind::NotFound,
            ReportsError::ExpiredLink => Kind::Gone,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ReportsError::NoPartner(e) => e.code(),
            ReportsError::Invalid(e) => e.code(),
            ReportsError::Store(e) => e.code(),
            ReportsError::Storage(e) => e.code(),
            ReportsError::Queue(e) => e.code(),
            ReportsError::Leads(e) => e.code(),
            ReportsError::Commissions(e) => e.code(),
            ReportsError::Insight(e) => e.code(),
            ReportsError::ExportNotFound => "export_not_found",
            ReportsError::TooManyExports(_) => "too_many_exports",
            ReportsError::BuildFailed(_) => "internal",
            ReportsError::UnknownLink => "unsubscribe_not_found",
            ReportsError::ExpiredLink => "unsubscribe_expired",
            ReportsError::UnknownCalendar => "calendar_not_found",
        }
    }

    fn fields(&self) -> Vec<crate::fault::FieldError> {
        match self {
            ReportsError::Invalid(e) => e.fields(),
            ReportsError::Leads(e) => e.fields(),
            ReportsError::Commissions(e) => e.fields(),
            ReportsError::Insight(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ReportsError::Store(e) => e.retry_after(),
            ReportsError::TooManyExports(_) => Some(30),
            _ => None,
        }
    }
}
