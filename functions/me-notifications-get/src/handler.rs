//! `GET /v1/me/notifications`: which non-transactional emails the caller gets.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::reports::preferences;

pub const ROUTE: &str = "GET /v1/me/notifications";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let access = ctx.authorize(&req, ROUTE, |_| Vec::new()).await?;
    let settings = preferences::settings(ctx.store(), &access).await?;
    http::json(StatusCode::OK, &settings)
}
