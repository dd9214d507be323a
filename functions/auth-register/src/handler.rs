//! `POST /v1/auth/register`: a business applies to become a partner.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/register";
pub const KEYS: Keys = Keys::None;
pub const CURSORS: bool = false;

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let registered = service::register(id, body, &http::source_ip(&req), Utc::now()).await?;
    http::json(StatusCode::CREATED, &registered)
}
