//! Browser sessions: the web portal keeps its refresh token in a cookie that scripts cannot
//! read, sent only to the auth endpoints.
//!
//! A request is a browser client's when it carries `X-Portal-Client: web`. Only then do the
//! auth endpoints set or read the cookie, which is the CSRF defence: a cross-site page can
//! submit a form (no custom header) or send a `fetch` with the header only after a CORS
//! preflight the API refuses to other origins; and the cookie is `SameSite=Strict` besides.
//! A browser that says where a request comes from (`Sec-Fetch-Site`) must say it is the
//! portal itself.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

use serde::Serialize;

use super::Problem;

/// The header that marks the web portal's requests.
pub const CLIENT_HEADER: &str = "x-portal-client";
/// The cookie that holds a browser's refresh token.
pub const REFRESH_COOKIE: &str = "portal_refresh";
/// Where the browser sends that cookie: the auth endpoints only.
pub const REFRESH_COOKIE_PATH: &str = "/v1/auth";

/// Whether the request comes from the web portal (and so deals in the cookie).
/// A request from another site is refused rather than treated as an API client.
pub fn web_client(req: &Request) -> Result<bool, Problem> {
    let web = match req.headers().get(CLIENT_HEADER) {
        None => false,
        Some(v)
            if v.to_str()
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("web")) =>
        {
            true
        }
        Some(_) => {
            return Err(Problem::bad_request(
                "invalid_client_header",
                "X-Portal-Client must be `web` when sent.",
            ));
        }
    };
    if web {
        let site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("same-origin");
        if !matches!(site, "same-origin" | "none") {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "The request comes from another site",
            )
            .with_detail("The portal's session can only be used from the portal's own pages."));
        }
    }
    Ok(web)
}

/// The value of a cookie the request carries.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// Sets the refresh cookie on a response: `HttpOnly; Secure; SameSite=Strict`, scoped to
/// the auth endpoints, for as long as the session may last (an empty one for 0 s removes it).
pub fn set_refresh_cookie(response: &mut Response<Body>, token: &str, max_age_secs: i64) {
    let value = format!(
        "{REFRESH_COOKIE}={token}; Path={REFRESH_COOKIE_PATH}; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The answer to a sign-in (login, refresh, accepted invitation): the token pair as JSON.
/// For the web portal the refresh token moves from the body into the cookie, so no script
/// ever holds it.
pub fn sign_in_answer<T: Serialize>(
    pair: &T,
    web: bool,
    max_age_secs: i64,
) -> Result<Response<Body>, Problem> {
    let mut body = serde_json::to_value(pair).map_err(Problem::internal)?;
    let token = if web {
        body.as_object_mut()
            .and_then(|o| o.remove("refresh_token"))
            .and_then(|t| t.as_str().map(str::to_string))
    } else {
        None
    };
    let mut response = super::json(StatusCode::OK, &body)?;
    if let Some(token) = token {
        set_refresh_cookie(&mut response, &token, max_age_secs);
    }
    Ok(response)
}

/// Removes the refresh cookie from the browser.
pub fn clear_refresh_cookie(response: &mut Response<Body>) {
    set_refresh_cookie(response, "", 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::Request as HttpRequest;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut b = HttpRequest::builder().uri("/v1/auth/refresh");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::Empty).unwrap()
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        let req = request(&[("cookie", "a=1; portal_refresh=abc; b=2")]);
        assert_eq!(cookie(&req, REFRESH_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&request(&[]), REFRESH_COOKIE), None);
        assert_eq!(
            cookie(&request(&[("cookie", "portal_refresh=")]), REFRESH_COOKIE),
            None
        );
    }

    #[test]
    fn only_the_portals_own_pages_are_web_clients() {
        assert!(web_client(&request(&[("x-portal-client", "web")])).unwrap());
        assert!(
            web_client(&request(&[
                ("x-portal-client", "web"),
                ("sec-fetch-site", "same-origin")
            ]))
            .unwrap()
        );
        assert!(!web_client(&request(&[])).unwrap());
        assert!(web_client(&request(&[("x-portal-client", "AAA")])).is_err());
        assert!(
            web_client(&request(&[
                ("x-portal-client", "web"),
                ("sec-fetch-site", "cross-site")
            ]))
            .is_err()
        );
    }

    #[test]
    fn a_web_sign_in_puts_the_refresh_token_in_the_cookie_and_not_the_body() {
        let pair =
            serde_json::json!({"access_token": "a", "refresh_token": "r", "expires_in": 900});
        let web = sign_in_answer(&pair, true, 60).unwrap();
        let Body::Text(body) = web.body() else {
            panic!("text body")
        };
        assert!(!body.contains("refresh_token"), "{body}");
        assert!(
            web.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with("portal_refresh=r;")
        );
        let api = sign_in_answer(&pair, false, 60).unwrap();
        let Body::Text(body) = api.body() else {
            panic!("text body")
        };
        assert!(body.contains("\"refresh_token\":\"r\""), "{body}");
        assert!(api.headers().get("set-cookie").is_none());
    }

    #[test]
    fn the_cookie_cannot_be_read_by_scripts_or_sent_elsewhere() {
        let mut response = Response::new(Body::Empty);
        set_refresh_cookie(&mut response, "tok", 60);
        let value = response.headers()["set-cookie"].to_str().unwrap();
        for part in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/v1/auth",
            "Max-Age=60",
        ] {
            assert!(value.contains(part), "{value} lacks {part}");
        }
    }
}
