//! `POST /v1/admin/resources`: a draft resource with a presigned upload for its file, or
//! an external https link.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::resources;

pub const ROUTE: &str = "POST /v1/admin/resources";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let body: resources::NewResource = http::json_body(&req, MAX_JSON_BODY)?;
    let (resource, upload) = resources::create(
        ctx.store(),
        ctx.documents()?,
        &principal.user_id,
        body,
        Utc::now(),
    )
    .await?;
    let view = resources::written_view(&resource, upload.as_ref());
    http::json_with_etag(StatusCode::CREATED, &view, resource.version)
}
