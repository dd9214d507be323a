//! `GET /v1/admin/leads`: leads across partners (the pool), newest first: `partner_id`,
//! `status`, `unassigned`, `q`, `created_from`/`created_to`; one Query per page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::leads;

pub const ROUTE: &str = "GET /v1/admin/leads";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    let q = |name| http::query_param(&req, name);
    let filters = leads::PoolQuery {
        partner_id: q("partner_id")?,
        status: q("status")?,
        unassigned: q("unassigned")?,
        q: q("q")?,
        created_from: q("created_from")?,
        created_to: q("created_to")?,
    }
    .filters()
    .map_err(leads::LeadError::from)?;
    let limit = http::page_limit(&req)?;
    let cursor = q("cursor")?;
    let page = leads::pool(ctx.store(), &filters, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &leads::view_page(&page))
}
