//! Store errors: a failed write condition (what it means to the caller) or a failure of DynamoDB itself.

use super::*;

/// What a failed write condition means to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 409: the item (or the unique value a guard item stands for) already exists.
    Conflict { code: &'static str, detail: String },
    /// 412: the version the caller read is no longer current.
    Stale,
    /// 404: the item the write depends on does not exist.
    Missing { what: &'static str },
    /// 429: a rate limit taken in the same transaction is used up until `retry_after`
    /// seconds from now.
    Throttled { retry_after: u64 },
}

/// What the caller is told.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Conflict { detail, .. } => f.write_str(detail),
            Failure::Stale => f.write_str(
                "The resource was modified since you read it; fetch it again and retry with its new ETag.",
            ),
            Failure::Missing { what } => write!(f, "No such {what}."),
            Failure::Throttled { retry_after } => write!(f, "Try again in {retry_after} seconds."),
        }
    }
}

impl Failure {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Failure::Conflict {
            code,
            detail: detail.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Condition(Failure),
    #[error("The cursor is not valid for this list.")]
    InvalidCursor,
    #[error("transaction of {0} items exceeds DynamoDB's limit")]
    TooLarge(usize),
    #[error("item mapping failed: {0}")]
    Mapping(String),
    #[error("throttled by DynamoDB: {0}")]
    Throttled(String),
    #[error("dynamodb: {0}")]
    Dynamo(String),
}

impl crate::fault::Fault for StoreError {
    fn kind(&self) -> crate::fault::Kind {
        use crate::fault::Kind;
        match self {
            StoreError::Condition(Failure::Conflict { .. }) => Kind::Conflict,
            StoreError::Condition(Failure::Stale) => Kind::Stale,
            StoreError::Condition(Failure::Missing { .. }) => Kind::NotFound,
            StoreError::Condition(Failure::Throttled { .. }) => Kind::Throttled,
            StoreError::InvalidCursor => Kind::Invalid,
            StoreError::Throttled(_) => Kind::Unavailable,
            StoreError::TooLarge(_) | StoreError::Mapping(_) | StoreError::Dynamo(_) => {
                Kind::Internal
            }
        }
    }

    fn code(&self) -> &'static str {
        match self {
            StoreError::Condition(Failure::Conflict { code, .. }) => code,
            StoreError::Condition(Failure::Stale) => "stale_version",
            StoreError::Condition(Failure::Missing { .. }) => "not_found",
            StoreError::Condition(Failure::Throttled { .. }) => "too_many_requests",
            StoreError::InvalidCursor => "invalid_cursor",
            StoreError::Throttled(_) => "unavailable",
            _ => "internal",
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            StoreError::Condition(Failure::Throttled { retry_after }) => Some(*retry_after),
            _ => None,
        }
    }
}

pub(crate) fn sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().unwrap_or("").to_string();
    let message = format!("{}: {}", code, err.message().unwrap_or(&format!("{err:?}")));
    match code.as_str() {
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded" => StoreError::Throttled(message),
        _ => StoreError::Dynamo(message),
    }
}
