//! Scheduled (EventBridge, daily 06:00 UTC): each user's follow-ups due today and overdue
//! as one digest email, and reminders of KYC documents about to expire. Sends each email
//! once even if the schedule fires twice; stops before the deadline with its place saved
//! and fails the invocation so Lambda's retry continues it (then the on-failure queue).

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use shared::reports::digests::{Digest, DigestReport, Digests};

pub type Deps = Digests;

pub async fn handle(event: LambdaEvent<Value>, deps: &Digests) -> Result<DigestReport, Diagnostic> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    deps.scheduled(Digest::Daily, deadline).await
}
