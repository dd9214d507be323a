//! `GET /v1/admin/partners/{partner_id}/documents`: the partner's internal documents,
//! newest first, verified files with a download link valid 5 minutes.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::{self, documents};

pub const ROUTE: &str = "GET /v1/admin/partners/{partner_id}/documents";
shared::function_deps!(Needs::verify().cursors().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(
        &req,
        "/v1/admin/partners/{partner_id}/documents",
        "partner_id",
    )?;
    let mut access = ctx
        .authorize(&req, ROUTE, |_| workspace::partner_key(&id))
        .await?;
    workspace::require_partner(&mut access.fetched, &id)?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page =
        documents::list(ctx.store(), ctx.documents()?, &id, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &page)
}
