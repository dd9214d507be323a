//! Scheduled (EventBridge, every 15 minutes) CRM reconciliation: applies Zoho records
//! modified since the watermark that a lost webhook left behind, then pushes outbox items
//! whose push failed. An error fails the invocation, so EventBridge's asynchronous retries
//! and then the on-failure destination take over.

use chrono::{Duration, Utc};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use shared::crm::{Crm, reconcile};

/// Queued outbox items younger than this are left to the stream.
pub const MIN_AGE_SECS: i64 = 120;

pub async fn handle(
    event: LambdaEvent<Value>,
    crm: &Crm,
) -> Result<reconcile::Report, lambda_runtime::Error> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    let report = shared::crm::zoho::within_deadline(
        deadline,
        reconcile::run(crm, Utc::now(), Duration::seconds(MIN_AGE_SECS)),
    )
    .await?;
    Ok(report)
}
