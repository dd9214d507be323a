//! `POST /v1/kyc/submit`: sends the application to review once every required document is in.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "POST /v1/kyc/submit";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let partner = shared::kyc::submit(ctx.store(), &principal, Utc::now()).await?;
    http::json_with_etag(
        StatusCode::OK,
        &shared::partners::profile::PartnerView::from(&partner),
        partner.version,
    )
}
