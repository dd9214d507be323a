//! `GET /v1/payouts/{payout_id}`: a payout (read with the access check) and its lines
//! (one batched read): two round trips.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::read;
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/payouts/{payout_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/payouts/{payout_id}", "payout_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| read::payout_key(p, &id))
        .await?;
    let payout =
        read::payout_with_lines(ctx.store(), &access.principal, &mut access.fetched, &id).await?;
    http::json(StatusCode::OK, &payout)
}
