//! `POST /v1/admin/commissions/{commission_id}/status`: a move along the line's status
//! machine (`If-Match`; hold and cancel need a reason).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::{ledger, read};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/commissions/{commission_id}/status";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(
        &req,
        "/v1/admin/commissions/{commission_id}/status",
        "commission_id",
    )?;
    // The line's locator is read with the access check (one round trip).
    let mut access = ctx
        .authorize(&req, ROUTE, |_| {
            vec![ledger::locator_key(ledger::LINE, &id)]
        })
        .await?;
    let partner_id = ledger::located(&mut access.fetched, ledger::LINE, &id, "commission line")?;
    let version = http::if_match(&req)?.version();
    let body: ledger::StatusChange = http::json_body(&req, MAX_JSON_BODY)?;
    let line = ledger::change_status(
        ctx.store(),
        &access.principal.user_id,
        &id,
        Some(partner_id),
        version,
        body,
        Utc::now(),
    )
    .await?;
    http::json_with_etag(StatusCode::OK, &read::admin_view(&line), line.version)
}
