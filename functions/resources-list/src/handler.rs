//! `GET /v1/resources`: published sales material the partner's tier may see, filtered,
//! newest first: the access check (with the caller's completions) and one Query.
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, Problem};
use shared::resources::{self, ListFilters, ResourceType};

pub const ROUTE: &str = "GET /v1/resources";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let r#type = http::enum_query_param::<ResourceType>(&req, "type")?;
    let completed = match http::query_param(&req, "completed")?.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(Problem::validation(vec![http::FieldError::new(
                "completed",
                "must be true or false",
            )]));
        }
    };
    let filters = ListFilters {
        r#type,
        category: http::query_param(&req, "category")?,
        tag: http::query_param(&req, "tag")?,
        q: http::query_param(&req, "q")?,
        completed,
    };
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let mut access = ctx
        .authorize(&req, ROUTE, resources::completions_key)
        .await?;
    let page = resources::list(
        ctx.store(),
        &access.principal,
        access.partner.as_ref(),
        &mut access.fetched,
        &filters,
        limit,
        cursor.as_deref(),
    )
    .await?;
    http::json(StatusCode::OK, &page)
}
