//! `GET /v1/leads/stats`: pipeline figures from the maintained counters (one read).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::{self, Problem};
use shared::identity::setup::{Context, Keys, Needs};

pub const ROUTE: &str = "GET /v1/leads/stats";
pub const NEEDS: Needs = Needs {
    keys: Keys::Verify,
    cursors: false,
    documents: false,
    field_cipher: false,
};

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE)?;
    let stats = shared::leads::stats(ctx.store(), &principal, Utc::now()).await?;
    http::json(StatusCode::OK, &stats)
}
