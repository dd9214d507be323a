//! `POST /v1/admin/partners/{partner_id}/tasks`: an internal task for the partner.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::workspace::tasks;

pub const ROUTE: &str = "POST /v1/admin/partners/{partner_id}/tasks";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/admin/partners/{partner_id}/tasks", "partner_id")?;
    let body: tasks::NewTask = http::json_body(&req, MAX_JSON_BODY)?;
    let now = Utc::now();
    let task = tasks::create(ctx.store(), &principal.user_id, &id, body, now).await?;
    http::json_with_etag(
        StatusCode::CREATED,
        &tasks::view(&task, now.date_naive()),
        task.version,
    )
}
