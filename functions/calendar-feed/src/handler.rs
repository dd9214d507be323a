//! `GET /v1/calendar/{token}.ics`: a user's lead follow-ups as an iCalendar feed, for a
//! calendar app subscribed to the link. No sign-in: the signed token is the credential;
//! a revoked link, or one of a deactivated user or a partner no longer approved, is 404.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::reports::calendar;

pub const ROUTE: &str = "GET /v1/calendar/{token}";
shared::function_deps!(Needs::none().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let token = http::path_token(&req, "/v1/calendar/{token}", "token")?;
    let text = calendar::feed(
        ctx.store(),
        ctx.signer()?,
        &ctx.identity.portal_url,
        &token,
        Utc::now(),
    )
    .await?;
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/calendar; charset=utf-8")
        .header("cache-control", "private, max-age=300")
        .body(Body::Text(text))
        .map_err(Problem::internal)
}
