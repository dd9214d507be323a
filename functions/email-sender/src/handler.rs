//! Sends the emails that services put in the outbox. Triggered by the table's stream
//! (filtered to new outbox items); a failed send is reported as a batch item failure so
//! the stream retries it, and after the retries it lands in the email dead-letter queue.
//! The batch stops at the failed email, so emails after it are not sent twice.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
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

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        Ok(Self::new(&Config::read(source)?, sdk))
    }
}

pub async fn handle(
    event: LambdaEvent<Event>,
    deps: &Deps,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    Ok(shared::stream::each_new_image(
        event.payload.records,
        |r| r.event_name == "INSERT",
        |email: OutboxEmail| async move {
            notifications::deliver(&deps.mailer, &deps.store, &email).await?;
            tracing::info!(email_id = %email.id, "email sent");
            Ok::<(), notifications::SendError>(())
        },
    )
    .await)
}
