//! `GET /v1/admin/resources`: every resource (or one `status`), newest first, with its
//! download counts; one page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::resources::{self, ResourceStatus};

pub const ROUTE: &str = "GET /v1/admin/resources";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    let status = http::enum_query_param::<ResourceStatus>(&req, "status")?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = resources::admin_list(ctx.store(), status, limit, cursor.as_deref()).await?;
    http::json(
        StatusCode::OK,
        &serde_json::json!({
            "items": page.items.iter().map(resources::admin_view).collect::<Vec<_>>(),
            "next_cursor": page.next_cursor,
        }),
    )
}
