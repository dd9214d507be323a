//! `GET /v1/commissions/summary`: per-currency totals and the next payout date, read with
//! the access check in one round trip (one item, whatever the ledger holds).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::read;
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/commissions/summary";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx.authorize(&req, ROUTE, read::summary_key).await?;
    let summary = read::summary(
        &access.principal,
        &mut access.fetched,
        &ctx.commissions,
        Utc::now().date_naive(),
    )?;
    http::json(StatusCode::OK, &summary)
}
