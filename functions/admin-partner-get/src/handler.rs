//! `GET /v1/admin/partners/{partner_id}`: the full record (admin), tax numbers in clear
//! (the only reader of them besides the field key's writers).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/admin/partners/{partner_id}";
shared::function_deps!(Needs::verify().field_cipher());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/admin/partners/{partner_id}", "partner_id")?;
    let record = shared::admin::record(ctx.store(), ctx.cipher()?, &id).await?;
    let version = record.version;
    http::json_with_etag(StatusCode::OK, &record, version)
}
