//! `GET /v1/resources/{resource_id}/download`: a presigned GET (5 minutes) or the external
//! link; the first download of the partner today is counted (one read with the access
//! check, one transaction).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::resources;

pub const ROUTE: &str = "GET /v1/resources/{resource_id}/download";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/resources/{resource_id}/download", "resource_id")?;
    let now = Utc::now();
    let today = now.format("%Y-%m-%d").to_string();
    let mut access = ctx
        .authorize(&req, ROUTE, |p| resources::download_keys(p, &id, &today))
        .await?;
    let download = resources::download(
        ctx.store(),
        ctx.documents()?,
        &access.principal,
        access.partner.as_ref(),
        &mut access.fetched,
        &id,
        now,
    )
    .await?;
    http::json(StatusCode::OK, &download)
}
