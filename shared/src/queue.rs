//! SQS: sending work to background functions.

use aws_sdk_sqs::Client;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("message could not be encoded: {0}")]
    Encode(String),
    #[error("sqs: {0}")]
    Sqs(String),
}

/// A message that could not be queued: the work may succeed later.
impl crate::fault::Fault for QueueError {
    fn kind(&self) -> crate::fault::Kind {
        crate::fault::Kind::Unavailable
    }
    fn code(&self) -> &'static str {
        "unavailable"
    }
}

/// FIFO ordering and de-duplication for one message.
#[derive(Debug, Clone)]
pub struct Fifo {
    /// Messages of one group are delivered in order (e.g. one CRM record's events).
    pub group_id: String,
    /// Messages with the same id within five minutes are delivered once.
    pub deduplication_id: String,
}

/// One queue, addressed by URL.
#[derive(Clone, Debug)]
pub struct Queue {
    client: Client,
    url: String,
}

impl Queue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends `body` as JSON; returns the message id.
    pub async fn send_json<T: Serialize>(
        &self,
        body: &T,
        fifo: Option<Fifo>,
    ) -> Result<String, QueueError> {
        let body = serde_json::to_string(body).map_err(|e| QueueError::Encode(e.to_string()))?;
        self.send_raw(body, fifo).await
    }

    /// Sends `body` unchanged (e.g. a webhook's raw payload); returns the message id.
    pub async fn send_raw(&self, body: String, fifo: Option<Fifo>) -> Result<String, QueueError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body);
        if let Some(fifo) = fifo {
            send = send
                .message_group_id(fifo.group_id)
                .message_deduplication_id(fifo.deduplication_id);
        }
        let out = send
            .send()
            .await
            .map_err(|e| QueueError::Sqs(format!("{e:?}")))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// The partial-failure policy of a FIFO queue's consumer, one batch at a time: each
/// message is reported on its own (a poison message does not hold back the batch), but
/// within one message group order matters, so once a message of a group fails, the
/// group's later messages in the batch are reported failed too, unprocessed (the queue
/// redelivers them after the failed one, in order).
#[derive(Debug, Default)]
pub struct FifoBatch {
    failed_groups: std::collections::HashSet<String>,
    response: aws_lambda_events::sqs::SqsBatchResponse,
}

impl FifoBatch {
    /// Whether the message may be handled now (its group has not failed in this batch).
    /// A message that may not is already reported failed.
    pub fn admit(&mut self, message_id: &str, group: &str) -> bool {
        if !group.is_empty() && self.failed_groups.contains(group) {
            self.report(message_id);
            return false;
        }
        true
    }

    /// The message failed (or was left for later): it and the rest of its group in this
    /// batch are redelivered.
    pub fn fail(&mut self, message_id: &str, group: &str) {
        self.failed_groups.insert(group.to_string());
        self.report(message_id);
    }

    fn report(&mut self, message_id: &str) {
        let mut f = aws_lambda_events::sqs::BatchItemFailure::default();
        f.item_identifier = message_id.to_string();
        self.response.batch_item_failures.push(f);
    }

    /// The batch response for Lambda (`ReportBatchItemFailures`).
    pub fn finish(self) -> aws_lambda_events::sqs::SqsBatchResponse {
        self.response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_message_holds_back_its_group_only() {
        let mut batch = FifoBatch::default();
        let mut handled = Vec::new();
        for (id, group, ok) in [
            ("1", "Leads:a", true),
            ("2", "Leads:b", false),
            ("3", "Leads:a", true),
            ("4", "Leads:b", true),
            ("5", "Leads:c", true),
        ] {
            if !batch.admit(id, group) {
                continue;
            }
            if ok {
                handled.push(id);
            } else {
                batch.fail(id, group);
            }
        }
        assert_eq!(handled, vec!["1", "3", "5"]);
        let failed: Vec<String> = batch
            .finish()
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(failed, vec!["2", "4"]);
    }
}
