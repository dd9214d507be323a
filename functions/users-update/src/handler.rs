//! `PATCH /v1/users/{user_id}`: the owner changes a user's role or active state.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity, UserView};

pub const ROUTE: &str = "PATCH /v1/users/{user_id}";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let principal = id.require(&req, ROUTE).await?;
    let user_id = http::path_param(&req, "/v1/users/{user_id}", "user_id")?;
    let version = http::if_match(&req)?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let user = service::update_user(id, &principal, &user_id, version, body, Utc::now()).await?;
    http::json_with_etag(StatusCode::OK, &UserView::from(&user), user.version)
}
