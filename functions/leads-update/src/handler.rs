//! `PATCH /v1/leads/{lead_id}`: status, stage, follow-up, assignment and contact fields.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "PATCH /v1/leads/{lead_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/leads/{lead_id}", "lead_id")?;
    // The lead is read with the access check (one round trip), for `If-Match: *`.
    let mut access = ctx
        .authorize(&req, ROUTE, |p| shared::leads::lead_key(p, &id))
        .await?;
    let precondition = http::if_match(&req)?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let version = match precondition {
        http::IfMatch::Version(v) => v,
        http::IfMatch::Any => shared::leads::visible_lead(&mut access, &id)?.version,
    };
    let lead = shared::leads::update(
        ctx.store(),
        &access.principal,
        &id,
        version,
        body,
        &ctx.leads,
        Utc::now(),
    )
    .await?;
    http::json_with_etag(StatusCode::OK, &shared::leads::view(&lead), lead.version)
}
