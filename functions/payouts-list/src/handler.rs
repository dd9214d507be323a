//! `GET /v1/payouts`: the partner's payouts, newest first, one page.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::read;
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/payouts";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = read::payouts(ctx.store(), &principal, limit, cursor.as_deref()).await?;
    http::json(
        StatusCode::OK,
        &serde_json::json!({
            "items": page.items.iter().map(read::payout_view).collect::<Vec<_>>(),
            "next_cursor": page.next_cursor,
        }),
    )
}
