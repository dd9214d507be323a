//! One-shot, invoked by hand after deploying (`{}` to start or continue, `{"restart": true}`
//! to start over): rebuilds every partner's per-quarter counters from the stored leads and
//! commission lines and puts open leads without a follow-up on the idle-lead index.
//! Idempotent; it stops a little before its deadline with its progress saved, and the
//! next invocation continues.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Deserialize;
use shared::fault::diagnostic;
use shared::insight::backfill::{BackfillRun, backfill};
use shared::insight::nightly::Nightly;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    #[serde(default)]
    pub restart: bool,
}

pub async fn handle(
    event: LambdaEvent<Request>,
    deps: &Nightly,
) -> Result<BackfillRun, Diagnostic> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    let run = backfill(&deps.store, event.payload.restart, deadline)
        .await
        .map_err(|e| diagnostic("backfilling the quarter counters", &e))?;
    tracing::info!(?run, "backfill");
    Ok(run)
}
