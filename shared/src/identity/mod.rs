//! Identity: users, credentials, sessions, invitations and password resets.

pub mod access;
mod error;
pub mod model;
pub mod password;
pub mod service;

pub use error::IdentityError;
