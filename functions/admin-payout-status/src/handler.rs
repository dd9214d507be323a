//! `POST /v1/admin/payouts/{payout_id}/status`: `paid` settles every line and emails the
//! partner a statement; `failed` releases the lines.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::{ledger, payouts, read};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/payouts/{payout_id}/status";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/admin/payouts/{payout_id}/status", "payout_id")?;
    // The payout's locator is read with the access check (one round trip).
    let mut access = ctx
        .authorize(&req, ROUTE, |_| {
            vec![ledger::locator_key(payouts::PAYOUT, &id)]
        })
        .await?;
    let partner_id = ledger::located(&mut access.fetched, payouts::PAYOUT, &id, "payout")?;
    let body: payouts::PayoutUpdate = http::json_body(&req, MAX_JSON_BODY)?;
    let payout = payouts::settle(
        ctx.store(),
        &access.principal.user_id,
        &id,
        Some(partner_id),
        body,
        Utc::now(),
    )
    .await?;
    let view = read::admin_payout_view(&payout);
    http::json_with_etag(StatusCode::OK, &view, payout.version)
}
