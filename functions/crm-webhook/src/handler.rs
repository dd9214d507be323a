//! `POST {function-url}/zoho/{event}`: Zoho CRM webhooks and Notifications API callbacks.
//! Authenticated by the shared secret (or the echoed token), queued on the FIFO queue,
//! answered at once; nothing is queued for a call that is refused.

use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use shared::config::{ConfigError, Reader, Secret, Source};
use shared::crm::webhook::{self, EventKind, SECRET_HEADER, WebhookAuth};
use shared::http::{self, Problem};
use shared::queue::Queue;

pub struct Deps {
    pub queue: Queue,
    pub auth: WebhookAuth,
}

/// `CRM_WEBHOOK_QUEUE_URL`, `CRM_WEBHOOK_SECRET_ARN`, `CRM_NOTIFY_CHANNELS` (comma-separated
/// Notifications channel ids; may be empty).
pub struct Config {
    pub queue_url: String,
    pub secret_id: String,
    pub channels: Vec<String>,
}

impl Config {
    pub fn read(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = shared::config::Common::read(&mut r);
        let queue_url = r.required("CRM_WEBHOOK_QUEUE_URL");
        let secret_id = r.required("CRM_WEBHOOK_SECRET_ARN");
        let channels = r
            .optional("CRM_NOTIFY_CHANNELS")
            .map(|v| {
                v.split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        r.finish()?;
        Ok(Self {
            queue_url,
            secret_id,
            channels,
        })
    }
}

impl Deps {
    pub async fn new(
        config: &Config,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, shared::secrets::SecretError> {
        let secrets = shared::secrets::Secrets::new(shared::aws::secrets_manager(sdk));
        let secret = secrets.string(&config.secret_id).await?;
        Ok(Self {
            queue: Queue::new(shared::aws::sqs(sdk), &config.queue_url),
            auth: WebhookAuth {
                secret: Secret::new(secret.expose().clone()),
                channels: config.channels.clone(),
            },
        })
    }
}

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        Ok(Self::new(&Config::read(source)?, sdk).await?)
    }
}

pub async fn handle(req: Request, deps: &Deps) -> Result<Response<Body>, Problem> {
    if req.method() != Method::POST {
        return Err(Problem::method_not_allowed("POST"));
    }
    let event = http::path_param(&req, "/zoho/{event}", "event")?;
    let kind = EventKind::parse(&event)
        .ok_or_else(|| Problem::route_not_found("POST", http::request_path(&req)))?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    let body = webhook::parse_body(content_type, bytes)?;
    let secret = req
        .headers()
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok());
    let events = webhook::accept(
        kind,
        secret,
        body,
        &deps.auth,
        &shared::validate::rfc3339(chrono::Utc::now()),
    )?;
    webhook::enqueue(&deps.queue, &events).await?;
    tracing::info!(kind = ?kind, records = events.len(), "crm webhook queued");
    http::json(StatusCode::OK, &serde_json::json!({ "accepted": true }))
}
