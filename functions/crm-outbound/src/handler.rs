//! Pushes CRM outbox items to Zoho. Triggered by the table's stream, filtered to outbox
//! items in state `queued` (new ones, and ones a replay or the reconciler re-queued).
//! Zoho being unavailable is recorded on the item (`failed`, retried by `crm-reconcile`);
//! only a failure to record anything (DynamoDB) is reported as a batch item failure, so
//! the stream retries it and finally hands it to the dead-letter queue. The batch stops at
//! that record (see `shared::stream`).

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use shared::crm::{Crm, outbound};
use shared::outbox::CrmOutbox;

pub async fn handle(
    event: LambdaEvent<Event>,
    crm: &Crm,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let deadline = shared::crm::zoho::deadline_from_epoch_ms(event.context.deadline);
    let work = shared::stream::each_new_image(
        event.payload.records,
        |r| r.event_name != "REMOVE",
        |item: CrmOutbox| async move {
            if item.state != shared::outbox::OutboxState::Queued {
                return Ok(());
            }
            let outcome = outbound::process(crm, &item.id, Utc::now()).await?;
            tracing::info!(outbox_id = %item.id, outcome, "CRM outbox item handled");
            Ok::<(), shared::store::StoreError>(())
        },
    );
    Ok(shared::crm::zoho::within_deadline(deadline, work).await)
}
