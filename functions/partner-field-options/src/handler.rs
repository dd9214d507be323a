//! `GET /v1/partner/field-options`: the option lists profile and KYC forms need.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/partner/field-options";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    http::json(StatusCode::OK, &shared::partners::options::field_options())
}
