//! `POST /v1/auth/login`: email and password for a token pair.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/login";
pub const KEYS: Keys = Keys::Sign;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let web = http::browser::web_client(&req)?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let pair = service::login(id, body, &http::source_ip(&req), Utc::now()).await?;
    http::browser::sign_in_answer(&pair, web, service::SESSION_TTL_DAYS * 86_400)
}
