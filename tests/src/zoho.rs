//! The fake Zoho CRM the CRM tests run against: the `fake-zoho` crate (`tests/fake-zoho`),
//! which `make dev` also runs as a server.

pub use fake_zoho::*;
