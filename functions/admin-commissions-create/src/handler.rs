//! `POST /v1/admin/commissions`: a line created by operations, once per `Idempotency-Key`.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::{ledger, read};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/commissions";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let key = http::idempotency_key(&req)?;
    let body: ledger::NewLine = http::json_body(&req, MAX_JSON_BODY)?;
    let line = ledger::create(ctx.store(), &principal.user_id, &key, body, Utc::now()).await?;
    http::json_with_etag(StatusCode::CREATED, &read::admin_view(&line), line.version)
}
