//! Identity: users, credentials, sessions, invitations and password resets.

pub mod access;
pub mod model;
pub mod password;
pub mod service;
