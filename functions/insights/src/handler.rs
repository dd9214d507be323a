//! `GET /v1/insights`: rule-based recommendations (overdue follow-ups, untouched leads,
//! slow first contacts, expiring KYC documents, held commission, no leads this quarter),
//! most severe first, each naming what it is about.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::insight::insights;

pub const ROUTE: &str = "GET /v1/insights";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let now = Utc::now();
    let mut access = ctx
        .authorize(&req, ROUTE, |p| insights::insight_keys(p, now))
        .await?;
    let items = insights::insights(ctx.store(), &mut access, now).await?;
    http::json(StatusCode::OK, &json!({ "insights": items }))
}
