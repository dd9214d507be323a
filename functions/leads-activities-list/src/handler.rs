//! `GET /v1/leads/{lead_id}/activities`: the lead's activities, newest first.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/leads/{lead_id}/activities";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/leads/{lead_id}/activities", "lead_id")?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page =
        shared::leads::activities(ctx.store(), &principal, &id, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &page)
}
