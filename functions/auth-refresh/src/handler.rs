//! `POST /v1/auth/refresh`: rotates a refresh token for a new pair: the body's, or for the
//! web portal the one in its cookie (see [`shared::http::browser`]).

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/refresh";
pub const KEYS: Keys = Keys::Sign;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let web = http::browser::web_client(&req)?;
    let body = if web {
        service::RefreshRequest::from_cookie(&req).ok_or_else(|| {
            Problem::unauthorized_because(
                "invalid_refresh_token",
                "There is no session to refresh: sign in.",
            )
        })?
    } else if matches!(req.body(), Body::Empty) || req.body().is_empty() {
        return Err(Problem::unauthorized_because(
            "invalid_refresh_token",
            "Send the refresh token (from the portal's pages, the cookie holds it).",
        ));
    } else {
        http::json_body(&req, MAX_JSON_BODY)?
    };
    let pair = service::refresh(id, body, Utc::now()).await?;
    http::browser::sign_in_answer(&pair, web, service::SESSION_TTL_DAYS * 86_400)
}
