//! `GET /v1/admin/partners/{partner_id}/tasks`: the partner's internal tasks, newest first.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::{self, tasks};

pub const ROUTE: &str = "GET /v1/admin/partners/{partner_id}/tasks";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/admin/partners/{partner_id}/tasks", "partner_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |_| workspace::partner_key(&id))
        .await?;
    workspace::require_partner(&mut access.fetched, &id)?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = tasks::for_partner(ctx.store(), &id, limit, cursor.as_deref()).await?;
    let today = Utc::now().date_naive();
    let items: Vec<_> = page.items.iter().map(|t| tasks::view(t, today)).collect();
    http::json(
        StatusCode::OK,
        &serde_json::json!({"items": items, "next_cursor": page.next_cursor}),
    )
}
