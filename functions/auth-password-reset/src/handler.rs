//! `POST /v1/auth/password/reset`: a new password with the emailed token.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/password/reset";
pub const KEYS: Keys = Keys::None;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    service::reset_password(id, body, Utc::now()).await?;
    Ok(http::no_content())
}
