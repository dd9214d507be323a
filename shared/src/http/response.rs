use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use super::Problem;

/// A JSON response. API answers carry tokens or personal data: no cache may keep them
/// (`no-store`; a public document such as the JWKS sets its own policy), and the type is
/// not to be sniffed.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, Problem> {
    let body = serde_json::to_string(value).map_err(Problem::internal)?;
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// A JSON response for a versioned resource, with its `ETag`.
pub fn json_with_etag<T: Serialize>(
    status: StatusCode,
    value: &T,
    version: u64,
) -> Result<Response<Body>, Problem> {
    let mut response = json(status, value)?;
    response.headers_mut().insert(header::ETAG, etag(version));
    Ok(response)
}

pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The strong ETag of a record version; [`super::if_match`] reads it back.
pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).expect("digits are a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::Request as HttpRequest;

    #[test]
    fn json_answers_are_never_stored_by_caches() {
        let response = json(StatusCode::OK, &serde_json::json!({"access_token": "x"})).unwrap();
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }

    #[test]
    fn etag_round_trips_through_if_match() {
        let response = json_with_etag(StatusCode::OK, &serde_json::json!({"a": 1}), 42).unwrap();
        let tag = response.headers()["etag"].clone();
        let req = HttpRequest::builder()
            .header("if-match", tag)
            .body(Body::Empty)
            .unwrap();
        assert_eq!(
            crate::http::if_match(&req).unwrap(),
            crate::http::IfMatch::Version(42)
        );
    }
}
