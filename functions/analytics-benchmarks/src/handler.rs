//! `GET /v1/analytics/benchmarks`: the partner's score, conversion, response time, NPS and
//! leads per quarter against the approved partners' average and median, with the
//! partner's percentile, as of the latest nightly run; one round trip.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::insight::analytics;

pub const ROUTE: &str = "GET /v1/analytics/benchmarks";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx
        .authorize(&req, ROUTE, analytics::benchmark_keys)
        .await?;
    let view = analytics::benchmarks(&mut access)?;
    http::json(StatusCode::OK, &view)
}
