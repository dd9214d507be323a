//! `DELETE /v1/me/calendar`: revokes the caller's calendar feed link at once; the next
//! `GET /v1/me/calendar` issues a new one.
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::reports::calendar;

pub const ROUTE: &str = "DELETE /v1/me/calendar";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    calendar::revoke(ctx.store(), &principal, Utc::now()).await?;
    Ok(http::no_content())
}
