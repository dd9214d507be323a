//! `GET /v1/leads/{lead_id}/history`: status changes from the portal and the CRM, oldest first.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/leads/{lead_id}/history";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/leads/{lead_id}/history", "lead_id")?;
    let items = shared::leads::history(ctx.store(), &principal, &id).await?;
    http::json(StatusCode::OK, &serde_json::json!({ "items": items }))
}
