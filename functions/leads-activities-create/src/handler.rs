//! `POST /v1/leads/{lead_id}/activities`: logs a call, email, meeting... and stamps last contact.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/leads/{lead_id}/activities";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/leads/{lead_id}/activities", "lead_id")?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let activity =
        shared::leads::add_activity(ctx.store(), &principal, &id, body, Utc::now()).await?;
    http::json(StatusCode::CREATED, &activity)
}
