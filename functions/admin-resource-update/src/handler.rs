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
    let id = http::path_param(&req, "/v1/admin/resources/{resource_id}", "resource_id")?;
    // The resource is read with the access check (one round trip).
    let mut access = ctx
        .authorize(&req, ROUTE, |_| resources::admin_resource_key(&id))
        .await?;
    let version = http::if_match(&req)?.version();
    let body: resources::ResourceUpdate = http::json_body(&req, MAX_JSON_BODY)?;
    let (resource, upload) = resources::update(
        ctx.store(),
        ctx.documents()?,
        &access.principal.user_id,
        &mut access.fetched,
        &id,
        version,
        body,
        Utc::now(),
    )
    .await?;
    let view = resources::written_view(&resource, upload.as_ref());
    http::json_with_etag(StatusCode::OK, &view, resource.version)
}
