//! `PATCH /v1/partner`: edits the editable profile fields the caller's role may set.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "PATCH /v1/partner";
shared::function_deps!(Needs::verify().field_cipher());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    // The access check reads the caller's partner: its version is the current one for
    // `If-Match: *`.
    let access = ctx.authorize(&req, ROUTE, |_| Vec::new()).await?;
    let precondition = http::if_match(&req)?;
    let body: serde_json::Value = http::json_body(&req, MAX_JSON_BODY)?;
    // Without a partner record the update answers 404 whatever the version.
    let version = precondition.or_current(|| access.partner.as_ref().map_or(0, |p| p.version));
    let partner = shared::partners::profile::update(
        ctx.store(),
        ctx.cipher()?,
        &access.principal,
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
