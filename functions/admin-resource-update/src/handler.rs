//! `PATCH /v1/admin/resources/{resource_id}` (`If-Match`): metadata, `min_tier`, publish
//! or archive, or a new file version (with its presigned upload).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::resources;

pub const ROUTE: &str = "PATCH /v1/admin/resources/{resource_id}";
shared::function_deps!(Needs::verify().documents());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/admin/resources/{resource_id}", "resource_id")?;
    let version = http::if_match(&req)?.version();
    let body: resources::ResourceUpdate = http::json_body(&req, MAX_JSON_BODY)?;
    let (resource, upload) = resources::update(
        ctx.store(),
        ctx.documents()?,
        &principal.user_id,
        &id,
        version,
        body,
        Utc::now(),
    )
    .await?;
    let mut view = resources::admin_view(&resource);
    view["upload_url"] = serde_json::to_value(&upload).unwrap_or_default();
    http::json_with_etag(StatusCode::OK, &view, resource.version)
}
