//! `POST /v1/auth/refresh`: rotates a refresh token for a new pair.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/refresh";
pub const KEYS: Keys = Keys::Sign;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let pair = service::refresh(id, body, Utc::now()).await?;
    http::json(StatusCode::OK, &pair)
}
