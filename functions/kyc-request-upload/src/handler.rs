//! `POST /v1/kyc/documents`: records a document and presigns its upload.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/kyc/documents";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let granted = shared::kyc::request_upload(
        ctx.store(),
        ctx.documents()?,
        &principal,
        body,
        ctx.limits().uploads(),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::CREATED, &granted)
}
