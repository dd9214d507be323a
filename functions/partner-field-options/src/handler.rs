//! `GET /v1/partner/field-options`: the option lists profile and KYC forms need.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Keys, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/partner/field-options";
pub const NEEDS: Needs = Needs {
    keys: Keys::Verify,
    cursors: false,
    documents: false,
    field_cipher: false,
};
shared::function_deps!(NEEDS);

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    http::json(StatusCode::OK, &shared::partners::options::field_options())
}
