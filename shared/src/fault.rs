//! What went wrong, as every domain reports it. Services return their own `thiserror`
//! enums; each implements [`Fault`]: the kind of failure from the caller's point of view
//! (bad input, not found, conflict, ...), a stable machine-readable code, and optional
//! field errors and extension members. Two places read faults, each in one way: `http`
//! turns any fault into an RFC 9457 problem, and background workers ask
//! [`Kind::retryable`] whether a later attempt may succeed. No domain names an HTTP status.

use serde::Serialize;

/// One invalid input field: a JSON pointer-like path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The kinds of failure, as a caller sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input is malformed or breaks a rule (field errors say which).
    Invalid,
    /// Who the caller is could not be established.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// No such object, or (identically) another partner's.
    NotFound,
    /// The object's state does not allow it, or a unique value is taken.
    Conflict,
    /// The object existed but is no longer usable (an expired single-use link).
    Gone,
    /// The version the caller read is no longer current.
    Stale,
    /// Well-formed, but contradicts an earlier request (an idempotency key reused with
    /// another body).
    Unprocessable,
    /// An update came without the version it was based on.
    PreconditionRequired,
    /// The request is larger than accepted.
    TooLarge,
    /// A limit on the caller's rate is used up for now.
    Throttled,
    /// A dependency is overloaded or unreachable for now.
    Unavailable,
    /// Something on our side is broken (a bug, bad stored data, a failed dependency).
    Internal,
}

impl Kind {
    /// Whether trying the same thing again later may succeed: a worker retries these (and
    /// dead-letters them when retries run out); the others are permanent.
    pub fn retryable(self) -> bool {
        matches!(self, Kind::Throttled | Kind::Unavailable | Kind::Internal)
    }
}

/// A failure a service reports. The error's `Display` text is what the caller is told
/// (for [`Kind::Internal`] and [`Kind::Unavailable`] it is logged instead, never shown).
pub trait Fault: std::error::Error {
    fn kind(&self) -> Kind;

    /// Stable and machine-readable (`lead_conflict`, `stale_version`).
    fn code(&self) -> &'static str;

    /// Per-field errors, for [`Kind::Invalid`].
    fn fields(&self) -> Vec<FieldError> {
        Vec::new()
    }

    /// Extra members the caller can act on (`existing_id`, `allowed`).
    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        Vec::new()
    }

    /// For [`Kind::Throttled`]: seconds until a retry may succeed.
    fn retry_after(&self) -> Option<u64> {
        None
    }
}

/// Invalid input: every bad field of a request at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("See `errors` for each invalid field.")]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    /// `Ok(value())` when no field error was recorded, otherwise every error.
    pub fn check<T>(errors: Vec<FieldError>, value: impl FnOnce() -> T) -> Result<T, Invalid> {
        if errors.is_empty() {
            Ok(value())
        } else {
            Err(Invalid(errors))
        }
    }
}

impl Fault for Invalid {
    fn kind(&self) -> Kind {
        Kind::Invalid
    }
    fn code(&self) -> &'static str {
        "validation_failed"
    }
    fn fields(&self) -> Vec<FieldError> {
        self.0.clone()
    }
}

/// How a background function reports an event it could not handle: the error type says
/// whether a retry may help (`Retryable.<code>` or `Permanent.<code>`), the message what
/// failed. Lambda retries the event either way, then dead-letters it (alarmed), so nothing
/// is lost; the type tells operators which ones to expect to clear by themselves.
pub fn diagnostic(
    what: &str,
    fault: &(impl Fault + ?Sized),
) -> lambda_http::lambda_runtime::Diagnostic {
    let class = if fault.kind().retryable() {
        "Retryable"
    } else {
        "Permanent"
    };
    lambda_http::lambda_runtime::Diagnostic {
        error_type: format!("{class}.{}", fault.code()),
        error_message: format!("{what}: {fault}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_kinds_are_retried() {
        let retried: Vec<Kind> = [
            Kind::Invalid,
            Kind::Unauthenticated,
            Kind::Forbidden,
            Kind::NotFound,
            Kind::Conflict,
            Kind::Gone,
            Kind::Stale,
            Kind::PreconditionRequired,
            Kind::TooLarge,
            Kind::Throttled,
            Kind::Unavailable,
            Kind::Internal,
        ]
        .into_iter()
        .filter(|k| k.retryable())
        .collect();
        assert_eq!(
            retried,
            vec![Kind::Throttled, Kind::Unavailable, Kind::Internal]
        );
    }

    #[test]
    fn a_worker_reports_whether_a_retry_may_help() {
        let d = diagnostic("checking kyc/p/d", &Invalid::field("/size", "too big"));
        assert_eq!(d.error_type, "Permanent.validation_failed");
        assert!(d.error_message.starts_with("checking kyc/p/d: "));
        let throttled = crate::store::StoreError::Throttled("busy".into());
        assert_eq!(
            diagnostic("x", &throttled).error_type,
            "Retryable.unavailable"
        );
    }
}
