//! `POST /v1/resources/{resource_id}/complete`: the caller completed a training resource
//! (idempotent).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::resources;

pub const ROUTE: &str = "POST /v1/resources/{resource_id}/complete";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/resources/{resource_id}/complete", "resource_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| resources::resource_keys(p, &id))
        .await?;
    let view = resources::complete(
        ctx.store(),
        &access.principal,
        access.partner.as_ref(),
        &mut access.fetched,
        &id,
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &view)
}
