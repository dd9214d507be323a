//! `GET /v1/admin/activity`: the audit trail across partners (or of one), newest first,
//! filtered by actor, action and time; one Query per page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::workspace::{WorkspaceError, activity};

pub const ROUTE: &str = "GET /v1/admin/activity";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    let q = |name| http::query_param(&req, name);
    let filters = activity::ActivityQuery {
        partner_id: q("partner_id")?,
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
