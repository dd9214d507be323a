//! `PATCH /v1/admin/tasks/{task_id}` (`If-Match`): title, description, status, priority,
//! due date or assignee of an internal task.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::workspace::tasks;

pub const ROUTE: &str = "PATCH /v1/admin/tasks/{task_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/admin/tasks/{task_id}", "task_id")?;
    // The task is read with the access check (one round trip).
    let mut access = ctx.authorize(&req, ROUTE, |_| tasks::task_key(&id)).await?;
    let version = http::if_match(&req)?.version();
    let body: tasks::TaskUpdate = http::json_body(&req, MAX_JSON_BODY)?;
    let current = access.fetched.take(&tasks::task_key(&id)[0])?;
    let now = Utc::now();
    let task = tasks::update(
        ctx.store(),
        &access.principal.user_id,
        current,
        version,
        body,
        now,
    )
    .await?;
    http::json_with_etag(
        StatusCode::OK,
        &tasks::view(&task, now.date_naive()),
        task.version,
    )
}
