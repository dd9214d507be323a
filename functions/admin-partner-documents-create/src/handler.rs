//! `POST /v1/admin/partners/{partner_id}/documents`: an internal document, an https link
//! or a file (answered with its presigned upload, verified like KYC).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::workspace::documents;

pub const ROUTE: &str = "POST /v1/admin/partners/{partner_id}/documents";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(
        &req,
        "/v1/admin/partners/{partner_id}/documents",
        "partner_id",
    )?;
    let body: documents::NewDocument = http::json_body(&req, MAX_JSON_BODY)?;
    let (doc, upload) = documents::create(
        ctx.store(),
        ctx.documents()?,
        &principal.user_id,
        &id,
        body,
        Utc::now(),
    )
    .await?;
    let mut view = documents::view(&doc, None);
    view["upload"] = serde_json::to_value(&upload).unwrap_or_default();
    http::json(StatusCode::CREATED, &view)
}
