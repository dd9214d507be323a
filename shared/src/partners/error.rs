//! What can go wrong with a partner account, in the domain's terms.

use crate::fault::{Fault, FieldError, Invalid, Kind};
use crate::storage::StorageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PartnerError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The body is not a JSON object.
    #[error("The body must be a JSON object.")]
    NotAnObject,
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error("Your role does not allow this.")]
    NoPartner(#[from] crate::auth::NoPartner),
    #[error("Only the owner may set banking details.")]
    OwnerOnly,
    /// The lifecycle does not allow the decision from the current status.
    #[error("A {from} partner cannot be given the decision {decision:?}.")]
    InvalidTransition {
        from: &'static str,
        decision: super::decisions::Decision,
    },
    #[error("Partners cannot be moved to this status in bulk.")]
    NotMovableInBulk,
    #[error("Approval needs every required KYC document approved.")]
    KycNotVerified,
    #[error(
        "The resource was modified since you read it; fetch it again and retry with its new ETag."
    )]
    Stale,
    /// The verifier could not settle a logo after repeated concurrent changes.
    #[error("the partner kept changing while its logo was checked")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Fault for PartnerError {
    fn kind(&self) -> Kind {
        match self {
            PartnerError::Invalid(e) => e.kind(),
            PartnerError::NotAnObject => Kind::Invalid,
            PartnerError::NotFound(_) => Kind::NotFound,
            PartnerError::NoPartner(_) | PartnerError::OwnerOnly => Kind::Forbidden,
            PartnerError::InvalidTransition { .. }
            | PartnerError::NotMovableInBulk
            | PartnerError::KycNotVerified => Kind::Conflict,
            PartnerError::Stale => Kind::Stale,
            PartnerError::Busy => Kind::Unavailable,
            PartnerError::Store(e) => e.kind(),
            PartnerError::Storage(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PartnerError::Invalid(e) => e.code(),
            PartnerError::NotAnObject => "invalid_body",
            PartnerError::NotFound(_) => "not_found",
            PartnerError::NoPartner(_) | PartnerError::OwnerOnly => "forbidden",
            PartnerError::InvalidTransition { .. } | PartnerError::NotMovableInBulk => {
                "invalid_transition"
            }
            PartnerError::KycNotVerified => "kyc_not_verified",
            PartnerError::Stale => "stale_version",
            PartnerError::Busy => "unavailable",
            PartnerError::Store(e) => e.code(),
            PartnerError::Storage(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<FieldError> {
        match self {
            PartnerError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            PartnerError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
