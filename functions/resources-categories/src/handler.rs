//! `GET /v1/resources/categories`: categories and tags in use by the resources the
//! partner's tier sees, with counts (one maintained item, read with the access check).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::resources;

pub const ROUTE: &str = "GET /v1/resources/categories";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx
        .authorize(&req, ROUTE, |_| resources::facets_key())
        .await?;
    let facets = resources::categories(access.partner.as_ref(), &mut access.fetched)?;
    http::json(StatusCode::OK, &facets)
}
