//! `POST /v1/admin/payouts`: approved, unpaid lines of one currency locked to a new payout,
//! once per `Idempotency-Key`.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::{payouts, read};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/payouts";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let key = http::idempotency_key(&req)?;
    let body: payouts::NewPayout = http::json_body(&req, MAX_JSON_BODY)?;
    let payout = payouts::create(ctx.store(), &principal.user_id, &key, body, Utc::now()).await?;
    let view = read::admin_payout_view(&payout);
    http::json_with_etag(StatusCode::CREATED, &view, payout.version)
}
