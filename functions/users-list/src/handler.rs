//! `GET /v1/users`: the partner's users (owner, manager).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "GET /v1/users";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = true;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let principal = id.require(&req, ROUTE).await?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let page = service::list_users(&id.store, &principal, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &page)
}
