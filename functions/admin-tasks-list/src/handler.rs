//! `GET /v1/admin/tasks`: internal tasks across partners by assignee (`me`, `none`, an
//! id), state and due window, soonest due first; one Query per page.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::tasks;

pub const ROUTE: &str = "GET /v1/admin/tasks";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let q = |name| http::query_param(&req, name);
    let query = tasks::TaskQuery {
        assignee: q("assignee")?,
        status: q("status")?,
        due: q("due")?,
    };
    let today = Utc::now().date_naive();
    let limit = http::page_limit(&req)?;
    let cursor = q("cursor")?;
    let page = tasks::list(
        ctx.store(),
        &principal,
        query,
        today,
        limit,
        cursor.as_deref(),
    )
    .await?;
    let items: Vec<_> = page.items.iter().map(|t| tasks::view(t, today)).collect();
    http::json(
        StatusCode::OK,
        &serde_json::json!({"items": items, "next_cursor": page.next_cursor}),
    )
}
