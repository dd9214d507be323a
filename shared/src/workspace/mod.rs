//! The operations workspace: a partner's timeline and internal notes, the audit feed
//! across partners, internal tasks and internal documents. None of it is ever shown to
//! partners (every route is an operations route).

pub mod activity;
pub mod documents;
mod error;
pub mod tasks;

pub use error::WorkspaceError;

use crate::store::{Fetched, Key, keys};

/// The partner a workspace route is about, read with the access check: 404 when there is
/// none.
pub fn partner_key(partner_id: &str) -> Vec<Key> {
    vec![keys::partner(partner_id)]
}

/// Whether the partner read with the access check exists.
pub fn require_partner(fetched: &mut Fetched, partner_id: &str) -> Result<(), WorkspaceError> {
    let partner: Option<crate::partners::Partner> = fetched.take(&keys::partner(partner_id))?;
    partner.map(drop).ok_or(WorkspaceError::NotFound("partner"))
}
