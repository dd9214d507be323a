//! `DELETE /v1/admin/documents/{document_id}`: removes an internal document and its file.
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::documents;

pub const ROUTE: &str = "DELETE /v1/admin/documents/{document_id}";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/admin/documents/{document_id}", "document_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |_| documents::document_key(&id))
        .await?;
    let current = access.fetched.take(&documents::document_key(&id)[0])?;
    documents::delete(
        ctx.store(),
        ctx.documents()?,
        &access.principal.user_id,
        current,
        Utc::now(),
    )
    .await?;
    Ok(http::no_content())
}
