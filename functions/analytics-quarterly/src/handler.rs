//! `GET /v1/analytics/quarterly`: the partner's last quarters (`?quarters=` 1..12, default
//! 4), newest first — leads created, won, lost, conversion, median response time,
//! commission earned and the score at each quarter's end; one round trip (the access
//! check reads the quarters' items with the caller).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::insight::analytics;

pub const ROUTE: &str = "GET /v1/analytics/quarterly";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let now = Utc::now();
    let n = analytics::quarters_param(http::query_param(&req, "quarters")?)
        .map_err(shared::insight::InsightError::from)?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| analytics::quarterly_keys(p, now, n))
        .await?;
    let view = analytics::quarterly(&mut access, now, n)?;
    http::json(StatusCode::OK, &view)
}
