//! `POST /v1/users`: the owner invites a sub-account; the invitation is emailed.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity, UserView};

pub const ROUTE: &str = "POST /v1/users";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let principal = id.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let user = service::invite_user(id, &principal, body, Utc::now()).await?;
    http::json_with_etag(StatusCode::CREATED, &UserView::from(&user), user.version)
}
