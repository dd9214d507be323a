//! `GET /.well-known/jwks.json`: the public keys access tokens verify with. Every key in
//! the signing secret is listed, so tokens signed before a rotation keep verifying.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, Problem};
use shared::identity::service::Identity;

pub const ROUTE: &str = "GET /.well-known/jwks.json";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(_req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let tokens = id.tokens()?;
    let mut response = http::json(
        StatusCode::OK,
        &serde_json::json!({ "keys": tokens.jwks() }),
    )?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
