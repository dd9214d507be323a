//! `DELETE /v1/kyc/documents/{document_id}`: removes a document not yet approved.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "DELETE /v1/kyc/documents/{document_id}";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/kyc/documents/{document_id}", "document_id")?;
    shared::kyc::delete(ctx.store(), ctx.documents()?, &principal, &id, Utc::now()).await?;
    Ok(http::no_content())
}
