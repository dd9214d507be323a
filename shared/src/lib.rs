//! The partner portal's domain crate.
//!
//! Every function under `functions/` is a thin adapter over this crate: it builds its
//! dependencies once per cold start (see [`aws`], [`config`]), then hands each request to
//! a handler that parses input with [`http`], calls a service, and maps the outcome.
//!
//! Edges: [`store`] (DynamoDB), [`storage`] (S3 presigned URLs), [`queue`] (SQS),
//! [`secrets`] (Secrets Manager), [`http`] (request/response helpers and RFC 9457
//! problems), [`config`] and [`telemetry`].

pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod aws;
pub mod commissions;
pub mod config;
pub mod contact;
pub mod crm;
pub mod crypto;
pub mod fault;
pub mod feedback;
pub mod http;
pub mod identity;
pub mod insight;
pub mod kyc;
pub mod leads;
pub mod limits;
pub mod money;
pub mod notifications;
pub mod outbox;
pub mod partners;
pub mod queue;
pub mod reports;
pub mod resources;
pub mod secrets;
pub mod storage;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod uploads;
pub mod validate;
pub mod workspace;

/// The version this build reports (`GET /v1/health`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
