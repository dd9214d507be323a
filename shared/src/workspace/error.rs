//! What can go wrong in the operations workspace, in the domain's terms.

use crate::fault::{Fault, FieldError, Invalid, Kind};
use crate::storage::StorageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error("It was modified since you read it; fetch it again and retry with its new ETag.")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Fault for WorkspaceError {
    fn kind(&self) -> Kind {
        match self {
            WorkspaceError::Invalid(e) => e.kind(),
            WorkspaceError::NotFound(_) => Kind::NotFound,
            WorkspaceError::Stale => Kind::Stale,
            WorkspaceError::Store(e) => e.kind(),
            WorkspaceError::Storage(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            WorkspaceError::Invalid(e) => e.code(),
            WorkspaceError::NotFound(_) => "not_found",
            WorkspaceError::Stale => "stale_version",
            WorkspaceError::Store(e) => e.code(),
            WorkspaceError::Storage(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            WorkspaceError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            WorkspaceError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
