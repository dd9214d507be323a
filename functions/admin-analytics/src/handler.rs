//! `GET /v1/admin/analytics`: portal-wide KPIs — partners by status and tier, the lead
//! funnel and the top partners by score as of the nightly run, commission owed and paid
//! per currency as the ledger keeps them; one round trip.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::insight::analytics;

pub const ROUTE: &str = "GET /v1/admin/analytics";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx
        .authorize(&req, ROUTE, |_| analytics::admin_analytics_keys())
        .await?;
    let view = analytics::admin_analytics(&mut access, Utc::now())?;
    http::json(StatusCode::OK, &view)
}
