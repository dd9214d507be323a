//! Scheduled (EventBridge, every 15 minutes) import of sales material from a Strapi v5
//! collection: published entries changed since the watermark are upserted on their
//! document id (files copied and verified), then resources whose entries were unpublished
//! are archived. Without `STRAPI_URL` it does nothing. It stops a little before the
//! invocation's deadline with its checkpoint saved; the next run continues. An error fails
//! the invocation, so EventBridge's asynchronous retries and then the on-failure queue
//! take over.

use chrono::Utc;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use shared::fault::diagnostic;
use shared::resources::strapi::{Budget, ImportReport, Importer};

pub async fn handle(
    event: LambdaEvent<Value>,
    importer: &Importer,
) -> Result<ImportReport, Diagnostic> {
    let budget = Budget {
        deadline: shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline),
        max_pages: None,
    };
    let report = importer
        .run(Utc::now(), budget)
        .await
        .map_err(|e| diagnostic("importing resources from Strapi", &e))?;
    tracing::info!(?report, "resource import run");
    Ok(report)
}
