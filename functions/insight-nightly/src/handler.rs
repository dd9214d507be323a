//! Scheduled (EventBridge, daily 00:30 UTC): every approved partner's performance score,
//! snapshotted for the day and ranked, the benchmarks and the portal figures. It stops a
//! little before the invocation's deadline with its progress saved; the next invocation
//! (EventBridge's retry, or the next day's run finishing the day before first) continues.
//! A day already done is not redone. An error fails the invocation, so the asynchronous
//! retries and then the on-failure queue take over.

use chrono::Utc;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use shared::fault::diagnostic;
use shared::insight::nightly::{Nightly, NightlyReport};

pub async fn handle(event: LambdaEvent<Value>, job: &Nightly) -> Result<NightlyReport, Diagnostic> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    let now = Utc::now();
    let report = job
        .run(now.date_naive(), now, deadline)
        .await
        .map_err(|e| diagnostic("computing the nightly scores", &e))?;
    tracing::info!(?report, "nightly scores");
    Ok(report)
}
