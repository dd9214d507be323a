//! `GET /v1/admin/partners/{partner_id}/timeline`: every event of the partner, newest
//! first (its audit entries: one Query per page), optionally by actor, action and time.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::{self, WorkspaceError, activity};

pub const ROUTE: &str = "GET /v1/admin/partners/{partner_id}/timeline";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(
        &req,
        "/v1/admin/partners/{partner_id}/timeline",
        "partner_id",
    )?;
    // The partner is read with the access check (one round trip): unknown is a 404.
    let mut access = ctx
        .authorize(&req, ROUTE, |_| workspace::partner_key(&id))
        .await?;
    workspace::require_partner(&mut access.fetched, &id)?;
    let q = |name| http::query_param(&req, name);
    let filters = activity::ActivityQuery {
        partner_id: Some(id.clone()),
        actor: q("actor")?,
        action: q("action")?,
        from: q("from")?,
        to: q("to")?,
    }
    .filters()
    .map_err(WorkspaceError::from)?;
    let limit = http::page_limit(&req)?;
    let cursor = q("cursor")?;
    let page = activity::list(ctx.store(), &filters, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &activity::page_view(&page))
}
