//! `POST /v1/auth/password/forgot`: always 202, so the answer never tells whether an
//! account exists; the reset link is emailed only if one does.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/password/forgot";
pub const KEYS: Keys = Keys::None;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    service::forgot_password(id, body, &http::source_ip(&req), Utc::now()).await?;
    http::json(
        StatusCode::ACCEPTED,
        &serde_json::json!({"status": "accepted", "detail": "If an account has this email, a reset link is on its way."}),
    )
}
