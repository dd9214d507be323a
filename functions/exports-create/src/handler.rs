//! `POST /v1/exports`: queues a data export (`leads`, `commissions`, `payouts` as CSV or
//! XLSX; the `performance_report` as PDF) for the background worker; 202 `{export_id,
//! status}`. Bad input is 400 with nothing written; too many exports in progress 429.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::reports::exports::{self, NewExport};

pub const ROUTE: &str = "POST /v1/exports";
shared::function_deps!(Needs::verify().export_queue());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let request: NewExport = http::json_body(&req, MAX_JSON_BODY)?;
    let export = exports::create(
        ctx.store(),
        ctx.export_queue()?,
        &principal,
        request,
        Utc::now(),
    )
    .await?;
    http::json(
        StatusCode::ACCEPTED,
        &json!({ "export_id": export.id, "status": export.status }),
    )
}
