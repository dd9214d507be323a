//! `POST /v1/auth/logout`: ends the caller's session (its whole refresh-token family).

use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/logout";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let principal = id.require(&req, ROUTE).await?;
    service::logout(id, &principal).await?;
    Ok(http::no_content())
}
