//! `GET /v1/admin/staff`: internal users (admins and read-only support), one page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/admin/staff";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = shared::identity::service::list_staff(ctx.store(), limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &page)
}
