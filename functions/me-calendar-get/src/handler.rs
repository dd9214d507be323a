//! `GET /v1/me/calendar`: the URL of the caller's follow-up calendar feed (a new link
//! when there is no current one).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::reports::calendar;

pub const ROUTE: &str = "GET /v1/me/calendar";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx.authorize(&req, ROUTE, calendar::calendar_key).await?;
    let url = calendar::calendar_url(
        ctx.store(),
        ctx.signer()?,
        &ctx.identity.portal_url,
        &mut access,
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &json!({ "url": url }))
}
