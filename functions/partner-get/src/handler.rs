//! `GET /v1/partner`: the caller's partner profile (banking details and tax numbers
//! masked, a presigned link to the verified logo), as read by the access check: one round
//! trip (presigning is local).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/partner";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let access = ctx.authorize(&req, ROUTE, |_| Vec::new()).await?;
    let partner = access
        .partner
        .ok_or_else(|| Problem::not_found("partner"))?;
    let view = shared::partners::profile::PartnerView::from(&partner)
        .with_logo_url(&partner, ctx.documents()?)
        .await?;
    http::json_with_etag(StatusCode::OK, &view, partner.version)
}
