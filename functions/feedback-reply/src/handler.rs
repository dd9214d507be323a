//! `POST /v1/feedback/{feedback_id}/reply`: the partner's public reply to a customer's
//! answer (owner and manager); a new reply replaces the last.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::feedback;
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/feedback/{feedback_id}/reply";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/feedback/{feedback_id}/reply", "feedback_id")?;
    let principal = ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let item = feedback::reply(ctx.store(), &principal, &id, body, Utc::now()).await?;
    http::json(StatusCode::OK, &feedback::view(&item))
}
