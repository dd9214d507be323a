//! `GET /v1/admin/kyc/documents/{document_id}/download?partner_id=`: the KYC file a
//! reviewer opens, as a presigned GET valid 5 minutes; audited on the partner's timeline.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::fault::Invalid;
use shared::http::{self, Problem};
use shared::kyc;

pub const ROUTE: &str = "GET /v1/admin/kyc/documents/{document_id}/download";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(
        &req,
        "/v1/admin/kyc/documents/{document_id}/download",
        "document_id",
    )?;
    let mut e = Vec::new();
    let partner_id =
        shared::validate::id_param(&mut e, "partner_id", http::query_param(&req, "partner_id")?);
    let partner_id = Invalid::check(e, || partner_id)
        .map_err(kyc::KycError::from)?
        .ok_or_else(|| kyc::KycError::from(Invalid::field("partner_id", "is required")))?;
    // The document is read with the access check (one round trip).
    let mut access = ctx
        .authorize(&req, ROUTE, |_| kyc::review_document_key(&partner_id, &id))
        .await?;
    let doc = access
        .fetched
        .take(&kyc::review_document_key(&partner_id, &id)[0])?;
    let link = kyc::review_download(
        ctx.store(),
        ctx.documents()?,
        &access.principal.user_id,
        doc,
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &link)
}
