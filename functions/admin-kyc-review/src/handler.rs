//! `POST /v1/admin/kyc/documents/{document_id}/review`: approve or reject a document (admin).

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/kyc/documents/{document_id}/review";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let admin = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(
        &req,
        "/v1/admin/kyc/documents/{document_id}/review",
        "document_id",
    )?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let doc = shared::kyc::review(ctx.store(), &admin, &id, body, Utc::now()).await?;
    http::json_with_etag(
        StatusCode::OK,
        &shared::kyc::DocumentView::from(&doc),
        doc.version,
    )
}
