//! `POST /v1/public/unsubscribe/{token}`: the one-click unsubscribe (RFC 8058) every
//! non-transactional email carries in `List-Unsubscribe`: turns the kind of email the
//! signed token names off for its address. The body (`List-Unsubscribe=One-Click`,
//! form-encoded, from the mail app) is not read. 200 `{unsubscribed}`; a forged link 404,
//! an expired one 410; attempts are limited per source address.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "POST /v1/public/unsubscribe/{token}";
shared::function_deps!(Needs::none().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let token = http::path_token(&req, "/v1/public/unsubscribe/{token}", "token")?;
    let topic = shared::reports::preferences::unsubscribe(
        ctx.store(),
        ctx.signer()?,
        &token,
        &http::source_ip(&req),
        ctx.limits().unsubscribes_per_source(),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &json!({ "unsubscribed": topic.as_str() }))
}
