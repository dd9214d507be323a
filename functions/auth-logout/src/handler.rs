//! `POST /v1/auth/logout`: ends a session (its whole refresh-token family, and its access
//! tokens): the caller's, by bearer token, or the one a `{refresh_token}` body names, or for
//! the web portal the one in its cookie, which the answer removes.

use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, Identity};

pub const ROUTE: &str = "POST /v1/auth/logout";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let has_body = !(matches!(req.body(), Body::Empty) || req.body().is_empty());
    // A body names a refresh token whose session ends too; it is read (and refused when
    // malformed) before anything is ended.
    let body: Option<service::RefreshRequest> = if has_body {
        Some(http::json_body(&req, MAX_JSON_BODY)?)
    } else {
        None
    };
    if http::browser::web_client(&req)? {
        let cookie = service::RefreshRequest::from_cookie(&req);
        let had_cookie = cookie.is_some();
        if let Some(cookie) = cookie {
            service::logout_with_refresh_token(id, cookie).await?;
        }
        if req
            .headers()
            .contains_key(lambda_http::http::header::AUTHORIZATION)
        {
            // An expired access token must not keep the cookie's session alive: with a
            // cookie, that session is what signing out ends.
            match id.require(&req, ROUTE).await {
                Ok(principal) => service::logout(id, &principal).await?,
                Err(refused) if !had_cookie => return Err(refused.into()),
                Err(_) => {}
            }
        }
        if let Some(body) = body {
            service::logout_with_refresh_token(id, body).await?;
        }
        let mut response = http::no_content();
        http::browser::clear_refresh_cookie(&mut response);
        return Ok(response);
    }
    if req
        .headers()
        .contains_key(lambda_http::http::header::AUTHORIZATION)
    {
        let principal = id.require(&req, ROUTE).await?;
        service::logout(id, &principal).await?;
    } else if body.is_none() {
        return Err(Problem::unauthorized(
            "Send a bearer access token or the refresh token to sign out.",
        ));
    }
    if let Some(body) = body {
        service::logout_with_refresh_token(id, body).await?;
    }
    Ok(http::no_content())
}
