//! Builds queued exports (SQS, one message at a time): reads the partner's data with the
//! list APIs' queries, writes CSV, XLSX or the PDF report and stores it in the documents
//! bucket. A long CSV export saves its place and queues its continuation before the
//! deadline. A failure is reported for the message, so SQS retries it; on the last
//! receive the export is marked failed, and the message goes to the dead-letter queue.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use shared::app::{Context, Needs};
use shared::reports::exports::{ExportJob, Exporter};

shared::function_deps!(Needs::none().cursors().documents().export_queue());

pub async fn handle(
    event: LambdaEvent<SqsEvent>,
    ctx: &Context,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    let exporter = Exporter {
        store: ctx.store(),
        documents: ctx.documents()?,
        queue: ctx.export_queue()?,
        temp_dir: std::env::temp_dir(),
        part_bytes: shared::reports::exports::PART_BYTES,
    };
    let mut failures = Vec::new();
    for record in event.payload.records {
        let id = record.message_id.clone().unwrap_or_default();
        let receives: u32 = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let job: ExportJob = match record.body.as_deref().map(serde_json::from_str) {
            Some(Ok(job)) => job,
            _ => {
                tracing::error!(message_id = %id, "not an export job");
                failures.push(failure(id));
                continue;
            }
        };
        match exporter.build(&job, receives, deadline, Utc::now()).await {
            Ok(built) => {
                tracing::info!(export_id = %job.export_id, ?built, "export built");
            }
            Err(e) => {
                tracing::warn!(export_id = %job.export_id, receives, error = %e, "export failed");
                failures.push(failure(id));
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Ok(response)
}

fn failure(message_id: String) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id;
    f
}
