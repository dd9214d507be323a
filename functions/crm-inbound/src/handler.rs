//! Applies queued Zoho CRM events (the FIFO queue `crm-webhook` fills).
//!
//! Each message is applied on its own and failures are reported per message (partial
//! batch response): a poison message does not hold back the rest of the batch and, after
//! the queue's bounded receives, lands in the dead-letter queue. Within one message group
//! (one CRM record) order matters, so once a message of a group fails, the group's later
//! messages in the batch are reported failed too, unprocessed.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use shared::crm::Crm;
use shared::crm::inbound::{self, InboundError};
use shared::crm::webhook::QueuedEvent;
use shared::crm::zoho;
use shared::fault::Fault;
use shared::queue::FifoBatch;

/// The time a message needs at least (a Zoho read and a write) before it is started.
const MIN_TIME_PER_MESSAGE: std::time::Duration = std::time::Duration::from_secs(4);

pub async fn handle(
    event: LambdaEvent<SqsEvent>,
    crm: &Crm,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let deadline = zoho::deadline_from_epoch_ms(event.context.deadline);
    let mut batch = FifoBatch::default();
    let mut out_of_time = false;
    for message in event.payload.records {
        let id = message.message_id.clone().unwrap_or_default();
        let group = message
            .attributes
            .get("MessageGroupId")
            .cloned()
            .unwrap_or_default();
        if !batch.admit(&id, &group) {
            continue;
        }
        // Too little time for another message: report the rest unprocessed (the queue
        // redelivers them) rather than let Lambda time out the whole batch.
        out_of_time = out_of_time
            || zoho::time_left_until(deadline).is_some_and(|left| left < MIN_TIME_PER_MESSAGE);
        if out_of_time {
            batch.fail(&id, &group);
            continue;
        }
        let parsed: Result<QueuedEvent, _> =
            serde_json::from_str(message.body.as_deref().unwrap_or(""));
        let result = match parsed {
            Ok(queued) => {
                zoho::within_deadline(deadline, inbound::handle(crm, &queued, Utc::now())).await
            }
            Err(e) => Err(InboundError::Poison(format!("unreadable message: {e}"))),
        };
        match result {
            Ok(outcome) => tracing::info!(message_id = %id, outcome, "CRM event handled"),
            Err(e) => {
                if e.kind().retryable() {
                    tracing::warn!(message_id = %id, code = e.code(), error = %e, "CRM event will be retried")
                } else {
                    tracing::error!(message_id = %id, code = e.code(), error = %e, "CRM event cannot be applied; it goes to the dead-letter queue after its receives")
                }
                batch.fail(&id, &group);
            }
        }
    }
    Ok(batch.finish())
}
