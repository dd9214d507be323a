//! `GET /v1/me`: the caller, their role and permissions, their partner's state.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "GET /v1/me";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let access = id.authorize(&req, ROUTE, |_| Vec::new()).await?;
    let me = service::me(&access);
    http::json(StatusCode::OK, &me)
}
