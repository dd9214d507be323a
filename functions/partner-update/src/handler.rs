//! `PATCH /v1/partner`: edits the editable profile fields the caller's role may set.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "PATCH /v1/partner";
shared::function_deps!(Needs::verify().field_cipher());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let version = http::if_match(&req)?;
    let body: serde_json::Value = http::json_body(&req, MAX_JSON_BODY)?;
    let partner = shared::partners::profile::update(
        ctx.store(),
        ctx.cipher()?,
        &principal,
        version,
        body,
        &ctx.identity.default_country_code,
        Utc::now(),
    )
    .await?;
    http::json_with_etag(
        StatusCode::OK,
        &shared::partners::profile::PartnerView::from(&partner),
        partner.version,
    )
}
