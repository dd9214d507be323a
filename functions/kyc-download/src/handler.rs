//! `GET /v1/kyc/documents/{document_id}/download`: a presigned GET valid 5 minutes.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/kyc/documents/{document_id}/download";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(
        &req,
        "/v1/kyc/documents/{document_id}/download",
        "document_id",
    )?;
    let link = shared::kyc::download(ctx.store(), ctx.documents()?, &principal, &id).await?;
    http::json(StatusCode::OK, &link)
}
