//! `GET /v1/resources/{resource_id}`: one published resource within the partner's tier,
//! read with the access check (one round trip).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::resources;

pub const ROUTE: &str = "GET /v1/resources/{resource_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/resources/{resource_id}", "resource_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| resources::resource_keys(p, &id))
        .await?;
    let view = resources::get(
        &access.principal,
        access.partner.as_ref(),
        &mut access.fetched,
        &id,
    )?;
    http::json(StatusCode::OK, &view)
}
