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
    let status = http::query_param(&req, "status")
        .map(|s| serde_json::from_value(serde_json::Value::String(s)))
        .transpose()
        .map_err(|_| {
            Problem::validation(vec![http::FieldError::new(
                "status",
                "is not a lead status",
            )])
        })?;
    let overdue = match http::query_param(&req, "follow_up").as_deref() {
        None => false,
        Some("overdue") => true,
        Some(_) => {
            return Err(Problem::validation(vec![http::FieldError::new(
                "follow_up",
                "must be overdue",
            )]));
        }
    };
    let filters = shared::leads::ListFilters {
        status,
        stage: http::query_param(&req, "stage"),
        overdue,
        created_from: http::query_param(&req, "created_from"),
        created_to: http::query_param(&req, "created_to"),
        assigned_to: http::query_param(&req, "assigned_to"),
        q: http::query_param(&req, "q"),
    };
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor");
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
