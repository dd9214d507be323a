//! `GET /v1/leads`: the partner's leads (a sales user's own), filtered, newest first.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/leads";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let q = |name| http::query_param(&req, name);
    let filters = shared::leads::ListQuery {
        status: q("status")?,
        stage: q("stage")?,
        follow_up: q("follow_up")?,
        created_from: q("created_from")?,
        created_to: q("created_to")?,
        assigned_to: q("assigned_to")?,
        q: q("q")?,
    }
    .filters()
    .map_err(shared::leads::LeadError::from)?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = shared::leads::list(
        ctx.store(),
        &principal,
        &filters,
        limit,
        cursor.as_deref(),
        Utc::now(),
    )
    .await?;
    http::json(StatusCode::OK, &shared::leads::view_page(&page))
}
