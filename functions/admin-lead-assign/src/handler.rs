//! `POST /v1/admin/leads/{lead_id}/assign`: gives a lead to an approved partner (admin).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/leads/{lead_id}/assign";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let admin = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/admin/leads/{lead_id}/assign", "lead_id")?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let lead = shared::leads::assign(ctx.store(), &admin.user_id, &id, body, Utc::now()).await?;
    http::json_with_etag(StatusCode::OK, &shared::leads::view(&lead), lead.version)
}
