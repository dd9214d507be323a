//! Pushes CRM outbox items to Zoho. Triggered by the table's stream, filtered to outbox
//! items in state `queued` (new ones, and ones a replay or the reconciler re-queued).
//! Zoho being unavailable is recorded on the item (`failed`, retried by `crm-reconcile`);
//! only a failure to record anything (DynamoDB) is reported as a batch item failure, so
//! the stream retries it and finally hands it to the dead-letter queue.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use shared::crm::{Crm, outbound};
use shared::outbox::CrmOutbox;

pub async fn handle(
    event: LambdaEvent<Event>,
    crm: &Crm,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in event.payload.records {
        if record.event_name == "REMOVE" {
            continue;
        }
        let sequence = record.change.sequence_number.clone();
        let item: CrmOutbox = match serde_dynamo::from_item(record.change.new_image) {
            Ok(item) => item,
            Err(e) => {
                tracing::error!(sequence = ?sequence, error = %e, "unreadable CRM outbox item skipped");
                continue;
            }
        };
        if item.state != "queued" {
            continue;
        }
        match outbound::process(crm, &item.id, Utc::now()).await {
            Ok(outcome) => tracing::info!(outbox_id = %item.id, outcome, "CRM outbox item handled"),
            Err(e) => {
                tracing::warn!(outbox_id = %item.id, error = %e, "CRM outbox item not handled; will be retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = sequence;
                response.batch_item_failures.push(failure);
            }
        }
    }
    Ok(response)
}
