//! `PATCH /v1/admin/partners/{partner_id}`: operations' terms of a partner (`If-Match`).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::partners::terms;

pub const ROUTE: &str = "PATCH /v1/admin/partners/{partner_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/admin/partners/{partner_id}", "partner_id")?;
    let version = http::if_match(&req)?.version();
    let body: terms::TermsUpdate = http::json_body(&req, MAX_JSON_BODY)?;
    let partner = terms::update_terms(
        ctx.store(),
        &principal.user_id,
        &id,
        version,
        body,
        Utc::now(),
    )
    .await?;
    let view = serde_json::json!({
        "partner": shared::partners::profile::PartnerView::from(&partner),
        "owner_admin_id": partner.owner_admin_id,
        "tags": partner.tags,
        "effective_commission_rate_bps": ctx.commissions.rate_of(&partner),
        "version": partner.version,
    });
    http::json_with_etag(StatusCode::OK, &view, partner.version)
}
