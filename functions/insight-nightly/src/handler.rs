//! Scheduled (EventBridge, daily 00:30 UTC): every approved partner's performance score,
//! snapshotted for the day and ranked, the benchmarks and the portal figures. It stops a
//! little before the invocation's deadline with its progress saved and fails the
//! invocation, so Lambda's asynchronous retry continues the day from there; a day already
//! done is not redone. An error fails the invocation the same way; when the retries run
//! out the event goes to the on-failure queue (alarmed).

use chrono::Utc;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use shared::fault::diagnostic;
use shared::insight::nightly::{Nightly, NightlyReport, Phase};

pub async fn handle(event: LambdaEvent<Value>, job: &Nightly) -> Result<NightlyReport, Diagnostic> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    let now = Utc::now();
    let report = job
        .run(now.date_naive(), now, deadline)
        .await
        .map_err(|e| diagnostic("computing the nightly scores", &e))?;
    tracing::info!(?report, "nightly scores");
    if report.phase != Phase::Done {
        return Err(Diagnostic {
            error_type: "Unfinished".into(),
            error_message: format!(
                "stopped before the deadline after {} partners of {}; the retry continues",
                report.scored, report.date
            ),
        });
    }
    Ok(report)
}
