//! `GET /v1/dashboard`: the partner's leads, commissions, last four quarters, performance
//! score with its components and next actions — one round trip (the access check reads
//! the dashboard's items with the caller), whatever the partner's history holds.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::insight;

pub const ROUTE: &str = "GET /v1/dashboard";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let now = Utc::now();
    let mut access = ctx
        .authorize(&req, ROUTE, |p| insight::dashboard_keys(p, now))
        .await?;
    let view = insight::dashboard(&mut access, now)?;
    http::json(StatusCode::OK, &view)
}
