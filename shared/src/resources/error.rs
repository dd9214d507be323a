//! What can go wrong with the resource library, in the domain's terms.

use crate::fault::{Fault, Invalid, Kind};
use crate::storage::StorageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such resource, or (identically) one the partner may not see.
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error("Your role does not allow this.")]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error(
        "The resource was modified since you read it; fetch it again and retry with its new ETag."
    )]
    Stale,
    #[error("Only training resources can be marked complete.")]
    NotTraining,
    #[error("This resource is imported from the CMS: edit, publish or archive it there.")]
    ManagedByCms,
    /// The CMS could not be read (unreachable, refused the token, answered an error).
    #[error("The CMS import failed: {0}")]
    Cms(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Fault for ResourceError {
    fn kind(&self) -> Kind {
        match self {
            ResourceError::Invalid(e) => e.kind(),
            ResourceError::NotFound(_) => Kind::NotFound,
            ResourceError::NoPartner(_) => Kind::Forbidden,
            ResourceError::Stale => Kind::Stale,
            ResourceError::NotTraining => Kind::Conflict,
            ResourceError::ManagedByCms => Kind::Conflict,
            ResourceError::Cms(_) => Kind::Unavailable,
            ResourceError::Store(e) => e.kind(),
            ResourceError::Storage(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ResourceError::Invalid(e) => e.code(),
            ResourceError::NotFound(_) => "not_found",
            ResourceError::NoPartner(_) => "forbidden",
            ResourceError::Stale => "stale_version",
            ResourceError::NotTraining => "not_training",
            ResourceError::ManagedByCms => "managed_by_cms",
            ResourceError::Cms(_) => "cms_unavailable",
            ResourceError::Store(e) => e.code(),
            ResourceError::Storage(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<crate::fault::FieldError> {
        match self {
            ResourceError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ResourceError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
