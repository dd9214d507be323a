//! `GET /v1/leads/{lead_id}`: one lead with its ETag.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::{self, Problem};
use shared::identity::setup::{Context, Keys, Needs};

pub const ROUTE: &str = "GET /v1/leads/{lead_id}";
pub const NEEDS: Needs = Needs {
    keys: Keys::Verify,
    cursors: false,
    documents: false,
    field_cipher: false,
};

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE)?;
    let id = http::path_param(&req, "/v1/leads/{lead_id}", "lead_id")?;
    let lead = shared::leads::get(ctx.store(), &principal, &id).await?;
    http::json_with_etag(StatusCode::OK, &shared::leads::view(&lead), lead.version)
}
