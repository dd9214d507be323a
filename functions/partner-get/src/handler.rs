//! `GET /v1/partner`: the caller's partner profile (banking details masked). One read.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::{self, Problem};
use shared::identity::setup::{Context, Keys, Needs};

pub const ROUTE: &str = "GET /v1/partner";
pub const NEEDS: Needs = Needs {
    keys: Keys::Verify,
    cursors: false,
    documents: false,
    field_cipher: false,
};

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE)?;
    let partner = shared::partners::profile::get(ctx.store(), &principal).await?;
    http::json_with_etag(
        StatusCode::OK,
        &shared::partners::profile::PartnerView::from(&partner),
        partner.version,
    )
}
