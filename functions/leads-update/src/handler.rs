//! `PATCH /v1/leads/{lead_id}`: status, stage, follow-up, assignment and contact fields.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "PATCH /v1/leads/{lead_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/leads/{lead_id}", "lead_id")?;
    let version = http::if_match(&req)?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let lead = shared::leads::update(
        ctx.store(),
        &principal,
        &id,
        version,
        body,
        &ctx.leads,
        Utc::now(),
    )
    .await?;
    http::json_with_etag(StatusCode::OK, &shared::leads::view(&lead), lead.version)
}
