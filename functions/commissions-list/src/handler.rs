//! `GET /v1/commissions`: the partner's ledger lines, newest first, filtered, one page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::read;
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/commissions";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let q = |name| http::query_param(&req, name);
    let filters = read::ListQuery {
        status: q("status")?,
        kind: q("kind")?,
        lead_id: q("lead_id")?,
        partner_id: None,
        from: q("from")?,
        to: q("to")?,
    }
    .filters()
    .map_err(shared::commissions::CommissionError::from)?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = read::list(ctx.store(), &principal, &filters, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &read::page_view(&page, read::view))
}
