//! `POST /v1/public/unsubscribe/{token}`: the one-click unsubscribe (RFC 8058) a
//! non-transactional email carries in `List-Unsubscribe`: puts the address the token names
//! on the suppression list. The body (`List-Unsubscribe=One-Click`, form-encoded, from the
//! mail app) is not read. 200 `{unsubscribed}`; unknown or expired link 404; attempts are
//! limited per source address.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "POST /v1/public/unsubscribe/{token}";
shared::function_deps!(Needs::none());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let token = http::path_param(&req, "/v1/public/unsubscribe/{token}", "token")?;
    let stops = shared::feedback::unsubscribe(
        ctx.store(),
        &token,
        &http::source_ip(&req),
        ctx.limits().unsubscribes_per_source(),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &json!({ "unsubscribed": stops }))
}
