//! `POST /v1/public/partners/{slug}/leads`: the partner's public lead-capture form (no sign-in).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/public/partners/{slug}/leads";
shared::function_deps!(Needs::none());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let slug = http::path_param(&req, "/v1/public/partners/{slug}/leads", "slug")?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    shared::leads::public_submit(
        ctx.store(),
        &slug,
        body,
        &http::source_ip(&req),
        &ctx.leads,
        Utc::now(),
    )
    .await?;
    http::json(
        StatusCode::ACCEPTED,
        &serde_json::json!({ "status": "received", "detail": "Thank you; the partner will be in touch." }),
    )
}
