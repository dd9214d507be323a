//! `POST /v1/partner/logo`: a presigned upload for the partner's logo.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/partner/logo";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let upload = shared::partners::profile::request_logo(
        ctx.store(),
        ctx.documents()?,
        &principal,
        body,
        ctx.limits().uploads(),
        Utc::now(),
    )
    .await?;
    http::json(
        StatusCode::CREATED,
        &serde_json::json!({ "upload": upload }),
    )
}
