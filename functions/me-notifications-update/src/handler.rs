//! `PUT /v1/me/notifications`: turns kinds of non-transactional email on or off for the
//! caller's address (any of the four; unknown keys are refused). Answers the settings.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::reports::preferences::{self, SettingsChange};

pub const ROUTE: &str = "PUT /v1/me/notifications";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let access = ctx.authorize(&req, ROUTE, |_| Vec::new()).await?;
    let change: SettingsChange = http::json_body(&req, MAX_JSON_BODY)?;
    let settings = preferences::update_settings(ctx.store(), &access, &change, Utc::now()).await?;
    http::json(StatusCode::OK, &settings)
}
