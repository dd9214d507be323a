//! `POST /v1/auth/email/verify`: the emailed token proves the registering owner's address.

use chrono::Utc;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/email/verify";
pub const KEYS: Keys = Keys::None;
pub const CURSORS: bool = false;
/// What the function is built from: token keys and cursors as above, nothing else.
pub const NEEDS: shared::app::Needs = shared::app::Needs {
    keys: KEYS,
    cursors: CURSORS,
    documents: false,
    field_cipher: false,
};
shared::function_deps!(NEEDS);

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    service::verify_email(id, body, Utc::now()).await?;
    Ok(http::no_content())
}
