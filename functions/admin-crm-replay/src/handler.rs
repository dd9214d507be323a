//! `POST /v1/admin/crm/replay`: re-reads named Zoho records (queued for the inbound
//! worker) and, with `failed: true`, re-queues every outbox item whose push failed (admin).

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::config::{ConfigError, Reader, Source};
use shared::crm::CrmSettings;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::queue::Queue;

pub const ROUTE: &str = "POST /v1/admin/crm/replay";
pub const NEEDS: Needs = Needs::verify();

pub struct Deps {
    pub ctx: &'static Context,
    pub queue: Queue,
    pub settings: CrmSettings,
}

/// `CRM_WEBHOOK_QUEUE_URL` and `CRM_SETTINGS` (module names).
pub struct Config {
    pub queue_url: String,
    pub settings: CrmSettings,
}

impl Config {
    pub fn read(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let queue_url = r.required("CRM_WEBHOOK_QUEUE_URL");
        let settings = CrmSettings::from_json(r.optional("CRM_SETTINGS").as_deref());
        r.finish()?;
        Ok(Self {
            queue_url,
            settings: settings.map_err(|p| ConfigError { problems: vec![p] })?,
        })
    }
}

impl Deps {
    pub fn new(ctx: &'static Context, config: Config, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            ctx,
            queue: Queue::new(shared::aws::sqs(sdk), &config.queue_url),
            settings: config.settings,
        }
    }
}

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        sdk: &shared::app::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        let ctx = shared::app::context(source, sdk, NEEDS).await?;
        Ok(Self::new(
            Box::leak(Box::new(ctx)),
            Config::read(source)?,
            sdk,
        ))
    }
}

pub async fn handle(req: Request, deps: &Deps) -> Result<Response<Body>, Problem> {
    let _admin = deps.ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let result = shared::crm::reconcile::replay(
        deps.ctx.store(),
        &deps.queue,
        &deps.settings,
        body,
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::ACCEPTED, &result)
}
