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
