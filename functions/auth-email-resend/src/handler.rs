//! `POST /v1/auth/email/resend`: a new verification link for the signed-in user (limited).

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/email/resend";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let access = id.authorize(&req, ROUTE, |_| Vec::new()).await?;
    service::resend_verification(id, &access.user, Utc::now()).await?;
    Ok(http::no_content())
}
