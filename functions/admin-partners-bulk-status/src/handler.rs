//! `POST /v1/admin/partners/bulk-status`: one status for many partners, results per id (admin).

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/partners/bulk-status";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let admin = ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let results = shared::partners::decisions::bulk_status(
        ctx.store(),
        &admin,
        body,
        &http::request_id(&req),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &serde_json::json!({ "results": results }))
}
