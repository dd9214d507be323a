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
        let mut response = http::no_content();
        http::browser::clear_refresh_cookie(&mut response);
        return Ok(response);
    }
    let has_body = !(matches!(req.body(), Body::Empty) || req.body().is_empty());
    if req
        .headers()
        .contains_key(lambda_http::http::header::AUTHORIZATION)
    {
        let principal = id.require(&req, ROUTE).await?;
        // A body sent along names a refresh token too (well-formed, like any body): its
        // session ends as well.
        let body = if has_body {
            Some(http::json_body(&req, MAX_JSON_BODY)?)
        } else {
            None
        };
        service::logout(id, &principal).await?;
        if let Some(body) = body {
            service::logout_with_refresh_token(id, body).await?;
        }
    } else if !has_body {
        return Err(Problem::unauthorized(
            "Send a bearer access token or the refresh token to sign out.",
        ));
    } else {
        let body = http::json_body(&req, MAX_JSON_BODY)?;
        service::logout_with_refresh_token(id, body).await?;
    }
    Ok(http::no_content())
}
