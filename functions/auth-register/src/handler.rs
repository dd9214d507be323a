//! `POST /v1/auth/register`: a business applies to become a partner.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service;

pub const ROUTE: &str = "POST /v1/auth/register";
// The field key seals the registration and VAT numbers.
shared::function_deps!(Needs::none().field_cipher());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let registered = service::register(
        &ctx.identity,
        ctx.cipher()?,
        body,
        &http::source_ip(&req),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::CREATED, &registered)
}
