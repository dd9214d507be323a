//! `POST /v1/leads`: registers a lead, protected against other partners' duplicates.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/leads";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let lead = shared::leads::create(
        ctx.store(),
        principal.partner_id()?,
        &principal.user_id,
        body,
        shared::leads::LeadSource::Portal,
        &ctx.leads,
        Utc::now(),
    )
    .await?;
    http::json_with_etag(
        StatusCode::CREATED,
        &shared::leads::view(&lead),
        lead.version,
    )
}
