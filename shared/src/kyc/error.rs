//! What can go wrong with KYC documents and the application, in the domain's terms.

use crate::fault::{Fault, FieldError, Invalid, Kind};
use crate::storage::StorageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum KycError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such document or partner, or (identically) another partner's.
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error("Your role does not allow this.")]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error("Only verified documents can be downloaded.")]
    NotDownloadable,
    #[error("An approved document cannot be deleted.")]
    DocumentApproved,
    #[error("The application is already under review or decided.")]
    NotSubmittable,
    /// Required document types without an uploaded, verified file.
    #[error("Upload these documents first: {}.", missing.join(", "))]
    Incomplete { missing: Vec<&'static str> },
    #[error("Only documents waiting for review (pending) can be reviewed.")]
    NotReviewable,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Fault for KycError {
    fn kind(&self) -> Kind {
        match self {
            KycError::Invalid(e) => e.kind(),
            KycError::NotFound(_) => Kind::NotFound,
            KycError::NoPartner(_) => Kind::Forbidden,
            KycError::NotDownloadable
            | KycError::DocumentApproved
            | KycError::NotSubmittable
            | KycError::Incomplete { .. }
            | KycError::NotReviewable => Kind::Conflict,
            KycError::Store(e) => e.kind(),
            KycError::Storage(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            KycError::Invalid(e) => e.code(),
            KycError::NotFound(_) => "not_found",
            KycError::NoPartner(_) => "forbidden",
            KycError::NotDownloadable => "not_downloadable",
            KycError::DocumentApproved => "document_approved",
            KycError::NotSubmittable => "not_submittable",
            KycError::Incomplete { .. } => "kyc_incomplete",
            KycError::NotReviewable => "not_reviewable",
            KycError::Store(e) => e.code(),
            KycError::Storage(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            KycError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            KycError::Incomplete { missing } => vec![("missing", serde_json::json!(missing))],
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            KycError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
