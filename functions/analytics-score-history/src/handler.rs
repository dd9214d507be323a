//! `GET /v1/analytics/score/history`: the partner's daily score snapshots from `from` to
//! `to` (dates, at most 366 days apart; default the last 90 days), oldest first, with the
//! rank of each day: one query.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::insight::{InsightError, analytics};

pub const ROUTE: &str = "GET /v1/analytics/score/history";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let (from, to) = analytics::history_range(
        http::query_param(&req, "from")?,
        http::query_param(&req, "to")?,
        Utc::now().date_naive(),
    )
    .map_err(InsightError::from)?;
    let principal = ctx.require(&req, ROUTE).await?;
    let view = analytics::score_history(ctx.store(), &principal, from, to).await?;
    http::json(StatusCode::OK, &view)
}
