//! What can go wrong with a lead, in the domain's terms.

use crate::fault::{Fault, Invalid, Kind};
use crate::storage::StorageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such lead or partner, or (identically) another partner's.
    #[error("No such {0}.")]
    NotFound(&'static str),
    /// A partner route called without a partner (internal staff).
    #[error("Your role does not allow this.")]
    NoPartner(#[from] crate::auth::NoPartner),
    /// Only approved partners register leads.
    #[error("Only approved partners can register leads.")]
    PartnerNotApproved,
    /// Operations can assign leads to approved partners only.
    #[error("Leads can only be assigned to approved partners.")]
    AssigneeNotApproved,
    /// The caller registered this contact already.
    #[error("You have already registered this contact.")]
    Duplicate { existing_id: String },
    /// Another partner holds the contact (never named).
    #[error("This contact is already registered and protected for another partner.")]
    Protected,
    /// The version the caller read is no longer current.
    #[error(
        "The resource was modified since you read it; fetch it again and retry with its new ETag."
    )]
    Stale,
    /// The status move is not one a partner may make from the current status.
    #[error("A {from} lead can move to: {}.", if allowed.is_empty() { "nothing (it is closed)".to_string() } else { allowed.join(", ") })]
    InvalidTransition {
        from: &'static str,
        allowed: Vec<&'static str>,
    },
    /// A survey needs the lead's contact email.
    #[error("The lead has no email address to send the survey to.")]
    NoEmail,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The commission a status change accrues or reverses.
    #[error(transparent)]
    Ledger(#[from] crate::commissions::CommissionError),
}

impl Fault for LeadError {
    fn kind(&self) -> Kind {
        match self {
            LeadError::Invalid(e) => e.kind(),
            LeadError::NotFound(_) => Kind::NotFound,
            LeadError::NoPartner(_) | LeadError::PartnerNotApproved => Kind::Forbidden,
            LeadError::AssigneeNotApproved
            | LeadError::Duplicate { .. }
            | LeadError::Protected
            | LeadError::InvalidTransition { .. }
            | LeadError::NoEmail => Kind::Conflict,
            LeadError::Stale => Kind::Stale,
            LeadError::Store(e) => e.kind(),
            LeadError::Storage(e) => e.kind(),
            LeadError::Ledger(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            LeadError::Invalid(e) => e.code(),
            LeadError::NotFound(_) => "not_found",
            LeadError::NoPartner(_) | LeadError::PartnerNotApproved => "forbidden",
            LeadError::AssigneeNotApproved => "partner_not_approved",
            LeadError::Duplicate { .. } => "duplicate_lead",
            LeadError::Protected => "lead_conflict",
            LeadError::Stale => "stale_version",
            LeadError::InvalidTransition { .. } => "invalid_status_transition",
            LeadError::NoEmail => "lead_has_no_email",
            LeadError::Store(e) => e.code(),
            LeadError::Storage(e) => e.code(),
            LeadError::Ledger(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<crate::fault::FieldError> {
        match self {
            LeadError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }

    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            LeadError::Duplicate { existing_id } => {
                vec![("existing_id", existing_id.clone().into())]
            }
            LeadError::InvalidTransition { allowed, .. } => {
                vec![("allowed", serde_json::json!(allowed))]
            }
            _ => Vec::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            LeadError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}
