//! `POST /v1/leads/{lead_id}/attachments`: a presigned upload, verified like KYC documents.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/leads/{lead_id}/attachments";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/leads/{lead_id}/attachments", "lead_id")?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let granted = shared::leads::request_attachment(
        ctx.store(),
        ctx.documents()?,
        &principal,
        &id,
        body,
        ctx.limits().uploads(),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::CREATED, &granted)
}
