//! `GET /v1/users`: the partner's users (owner, manager).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "GET /v1/users";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = true;
/// What the function is built from: token keys and cursors as above, nothing else.
pub const NEEDS: shared::app::Needs = shared::app::Needs {
    keys: KEYS,
    cursors: CURSORS,
    documents: false,
    field_cipher: false,
};
shared::function_deps!(NEEDS);

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let principal = id.require(&req, ROUTE).await?;
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor");
    let page = service::list_users(&id.store, &principal, limit, cursor.as_deref()).await?;
    http::json(StatusCode::OK, &page)
}
