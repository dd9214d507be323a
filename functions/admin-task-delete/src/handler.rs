//! `DELETE /v1/admin/tasks/{task_id}`: removes an internal task (on the timeline).
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::tasks;

pub const ROUTE: &str = "DELETE /v1/admin/tasks/{task_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/admin/tasks/{task_id}", "task_id")?;
    let mut access = ctx.authorize(&req, ROUTE, |_| tasks::task_key(&id)).await?;
    let current = access.fetched.take(&tasks::task_key(&id)[0])?;
    tasks::delete(ctx.store(), &access.principal.user_id, current, Utc::now()).await?;
    Ok(http::no_content())
}
