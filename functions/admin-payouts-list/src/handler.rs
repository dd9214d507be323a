//! `GET /v1/admin/payouts`: payouts across partners (or of one), newest first, one page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::read;
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/admin/payouts";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    ctx.require(&req, ROUTE).await?;
    let q = |name| http::query_param(&req, name);
    let filters = read::PayoutListQuery {
        status: q("status")?,
        partner_id: q("partner_id")?,
    }
    .filters()
    .map_err(shared::commissions::CommissionError::from)?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = read::admin_payouts(ctx.store(), &filters, limit, cursor.as_deref()).await?;
    http::json(
        StatusCode::OK,
        &read::page_view(&page, read::admin_payout_item),
    )
}
