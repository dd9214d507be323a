//! Sends the emails that services put in the outbox. Triggered by the table's stream
//! (filtered to new outbox items); a failed send is reported as a batch item failure so
//! the stream retries it, and after the retries it lands in the email dead-letter queue.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;
use shared::config::{Common, ConfigError, Reader, Source, StoreConfig};
use shared::notifications::{self, Mailer, OutboxEmail};
use shared::store::Store;

pub struct Deps {
    pub mailer: Mailer,
    pub store: Store,
}

/// `SENDER_EMAIL` and the table.
pub struct Config {
    pub sender: String,
    pub store: StoreConfig,
}

impl Config {
    pub fn read(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = Common::read(&mut r);
        let store = StoreConfig::read(&mut r);
        let sender = r.required("SENDER_EMAIL");
        r.finish()?;
        Ok(Self { sender, store })
    }
}

impl Deps {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            mailer: Mailer::new(shared::aws::ses(sdk), &config.sender),
            store: Store::new(shared::aws::dynamodb(sdk), &config.store.table_name),
        }
    }
}

pub async fn handle(
    event: LambdaEvent<Event>,
    deps: &Deps,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in event.payload.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let sequence = record.change.sequence_number.clone();
        let email: OutboxEmail = match serde_dynamo::from_item(record.change.new_image) {
            Ok(email) => email,
            Err(e) => {
                // Not an email we can read: retrying cannot help, so it is not retried.
                tracing::error!(sequence = ?sequence, error = %e, "unreadable outbox item skipped");
                continue;
            }
        };
        if let Err(e) = notifications::deliver(&deps.mailer, &deps.store, &email).await {
            tracing::warn!(email_id = %email.id, error = %e, "email not sent; will be retried");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            response.batch_item_failures.push(failure);
        } else {
            tracing::info!(email_id = %email.id, "email sent");
        }
    }
    Ok(response)
}
