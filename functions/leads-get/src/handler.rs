//! `GET /v1/leads/{lead_id}`: one lead with its ETag.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/leads/{lead_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/leads/{lead_id}", "lead_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| shared::leads::lead_key(p, &id))
        .await?;
    let lead = shared::leads::visible_lead(&mut access, &id)?;
    http::json_with_etag(StatusCode::OK, &shared::leads::view(&lead), lead.version)
}
