//! `GET /v1/leads/stats`: pipeline figures from the maintained counters (one read).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/leads/stats";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx.authorize(&req, ROUTE, shared::leads::stats_key).await?;
    let stats = shared::leads::stats(&mut access, Utc::now())?;
    http::json(StatusCode::OK, &stats)
}
