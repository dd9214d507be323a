//! Sends the emails that services put in the outbox. Triggered by the table's stream
//! (filtered to new outbox items); a failed send is reported as a batch item failure so
//! the stream retries it, and after the retries it lands in the email dead-letter queue.
//! The batch stops at the failed email, so emails after it are not sent twice.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_runtime::LambdaEvent;
use shared::config::{AppSecretConfig, Common, ConfigError, Reader, Source, StoreConfig};
use shared::notifications::{self, Links, Mailer, OutboxEmail};
use shared::store::Store;

pub struct Deps {
    pub mailer: Mailer,
    pub store: Store,
}

/// `SENDER_EMAIL`, the table, `PORTAL_URL` (links in emails) and `APP_SECRET_ARN` (signs
/// the one-click unsubscribe links).
pub struct Config {
    pub sender: String,
    pub store: StoreConfig,
    pub portal_url: String,
    pub app_secret: AppSecretConfig,
}

impl Config {
    pub fn read(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = Common::read(&mut r);
        let store = StoreConfig::read(&mut r);
        let sender = r.required("SENDER_EMAIL");
        let portal_url = r.required("PORTAL_URL");
        let app_secret = AppSecretConfig::read(&mut r);
        r.finish()?;
        Ok(Self {
            sender,
            store,
            portal_url,
            app_secret,
        })
    }
}

impl Deps {
    pub async fn new(
        config: &Config,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        let secrets = shared::secrets::Secrets::new(shared::aws::secrets_manager(sdk));
        let signer = shared::secrets::AppSecret::load(&secrets, &config.app_secret.app_secret_id)
            .await?
            .link_signer()?;
        let links = Links {
            portal_url: config.portal_url.clone(),
            signer,
        };
        Ok(Self {
            mailer: Mailer::new(shared::aws::ses(sdk), &config.sender, links),
            store: Store::new(shared::aws::dynamodb(sdk), &config.store.table_name),
        })
    }
}

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        Self::new(&Config::read(source)?, sdk).await
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
