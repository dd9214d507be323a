//! `POST /v1/public/feedback/{token}`: a customer's answer to a survey link (no sign-in):
//! `{score: 0..10, comment?}`; 204. An unknown link is 404, an expired one 410, an answered
//! one 409; attempts are limited per source address.
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::feedback;
use shared::http::{self, Problem};

pub const ROUTE: &str = "POST /v1/public/feedback/{token}";
shared::function_deps!(Needs::none());

/// A survey answer is small: a score and a comment of at most 2,000 characters.
const MAX_BODY: usize = 16 * 1024;

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let token = http::path_param(&req, "/v1/public/feedback/{token}", "token")?;
    let body = http::json_body(&req, MAX_BODY)?;
    feedback::answer(
        ctx.store(),
        &token,
        body,
        &http::source_ip(&req),
        ctx.limits().feedback_per_source(),
        Utc::now(),
    )
    .await?;
    Ok(http::no_content())
}
