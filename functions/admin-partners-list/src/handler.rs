//! `GET /v1/admin/partners`: the partner directory with hero metrics (admin).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/admin/partners";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let mut access = ctx
        .authorize(&req, ROUTE, |_| shared::admin::metrics_key())
        .await?;
    let counters = access
        .fetched
        .take(&shared::admin::metrics_key()[0])?
        .unwrap_or_default();
    let filters = shared::admin::DirectoryFilters {
        status: http::enum_query_param(&req, "status")?,
        kyc_status: http::enum_query_param(&req, "kyc_status")?,
        tier: http::query_param(&req, "tier")?,
        region: http::query_param(&req, "region")?,
        // `owner=me`: the caller's own partners.
        owner: http::query_param(&req, "owner")?.map(|o| {
            if o == "me" {
                access.principal.user_id.clone()
            } else {
                o
            }
        }),
        q: http::query_param(&req, "q")?,
    };
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let directory =
        shared::admin::directory(ctx.store(), counters, &filters, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &directory)
}
