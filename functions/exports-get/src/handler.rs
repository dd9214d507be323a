//! `GET /v1/exports/{export_id}`: the state of one of the caller's exports and, once
//! ready, a short-lived download link. Another user's export is 404.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::reports::exports;

pub const ROUTE: &str = "GET /v1/exports/{export_id}";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/exports/{export_id}", "export_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| exports::export_keys(p, &id))
        .await?;
    let view = exports::get(&mut access, ctx.documents()?, &id).await?;
    http::json(StatusCode::OK, &view)
}
