//! `POST /v1/admin/partners/{partner_id}/decision`: approve, reject, suspend or reinstate (admin).

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/partners/{partner_id}/decision";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let admin = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(
        &req,
        "/v1/admin/partners/{partner_id}/decision",
        "partner_id",
    )?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let partner =
        shared::partners::decisions::decide(ctx.store(), &admin, &id, body, Utc::now()).await?;
    http::json_with_etag(
        StatusCode::OK,
        &shared::partners::profile::PartnerView::from(&partner),
        partner.version,
    )
}
