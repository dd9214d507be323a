//! Identity and access: users, credentials, tokens, roles and the permission matrix.

pub mod auth;
pub mod model;
pub mod password;
pub mod roles;
pub mod service;
pub mod setup;
pub mod tokens;

pub use auth::{Auth, Principal};
pub use roles::Role;
