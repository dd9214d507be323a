//! The API's `$default` route: the web portal and everything no other route matches.
//!
//! - `GET`/`HEAD` of the app's pages (`/`, `/app/...`, the pages emails link to): the app's
//!   `index.html`, `no-cache`, under a strict Content-Security-Policy (no inline script).
//!   Any other path outside the API gets the same page with status 404 (the app shows its
//!   not-found page).
//! - `GET`/`HEAD` of a built file (`/assets/<name>-<hash>.js`, the icon): the file, cached
//!   for a year when its name carries its hash, gzip when the client takes it, `304` on a
//!   matching `If-None-Match`.
//! - Anything under `/v1` or `/.well-known`, and every other method: the API's
//!   problem+json 404, instead of the gateway's bare `{"message":"Not Found"}`.

mod site;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use shared::config::{Common, ConfigError, Reader, Source, Stage};
use shared::http::Problem;

pub use site::Asset;

#[derive(Debug)]
pub struct Deps {
    /// Sent with every page: what the pages may load and where they may connect.
    content_security_policy: HeaderValue,
    /// HSTS in deployed stages (they are served over HTTPS only).
    strict_transport: bool,
}

impl Deps {
    pub fn from_source(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let common = Common::read(&mut r);
        let bucket = r.required("DOCUMENTS_BUCKET");
        let region = r.optional("AWS_REGION");
        let endpoint = r.optional("AWS_ENDPOINT_URL");
        r.finish()?;
        let storage = storage_origins(&bucket, region.as_deref(), endpoint.as_deref());
        Ok(Self {
            content_security_policy: HeaderValue::from_str(&content_security_policy(&storage))
                .map_err(|_| ConfigError {
                    problems: vec![
                        "DOCUMENTS_BUCKET or AWS_ENDPOINT_URL is not a valid origin".into(),
                    ],
                })?,
            strict_transport: common.stage != Stage::Local,
        })
    }
}

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        _sdk: &shared::app::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        Ok(Self::from_source(source)?)
    }
}

/// The origins presigned document URLs point at: uploads (`PUT`), downloads fetched for a
/// preview, and logos. Locally that is the emulator's endpoint.
fn storage_origins(bucket: &str, region: Option<&str>, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(endpoint) => {
            let url = endpoint.trim_end_matches('/');
            // Only the origin: scheme, host and port.
            match url.split_once("://") {
                Some((scheme, rest)) => {
                    format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest))
                }
                None => url.to_string(),
            }
        }
        None => {
            let region = region.unwrap_or("us-east-1");
            format!("https://{bucket}.s3.{region}.amazonaws.com https://{bucket}.s3.amazonaws.com")
        }
    }
}

fn content_security_policy(storage: &str) -> String {
    [
        "default-src 'none'".to_string(),
        "script-src 'self'".to_string(),
        "style-src 'self'".to_string(),
        format!("img-src 'self' data: blob: {storage}"),
        "font-src 'self'".to_string(),
        format!("connect-src 'self' {storage}"),
        // Document previews: a downloaded file shown from a blob: URL.
        "frame-src blob:".to_string(),
        "object-src 'none'".to_string(),
        "manifest-src 'self'".to_string(),
        "base-uri 'none'".to_string(),
        "form-action 'self'".to_string(),
        "frame-ancestors 'none'".to_string(),
    ]
    .join("; ")
}

pub async fn handle(req: Request, deps: &Deps) -> Result<Response<Body>, Problem> {
    let path = shared::http::request_path(&req).to_string();
    let method = req.method().clone();
    if !(method == Method::GET || method == Method::HEAD) || site::is_api(&path) {
        return Err(Problem::route_not_found(method.as_str(), &path));
    }
    let headers = req.headers();
    let gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(accepts_gzip);
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    let (status, asset, cache) = match site::file(&path) {
        Some(asset) => (StatusCode::OK, asset, site::cache_control(asset)),
        None if site::is_build_output(&path) => {
            // A hashed file this build does not have (a page from an older deployment).
            return Ok(with_security_headers(
                Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .header(header::CACHE_CONTROL, "no-cache")
                    .body(Body::from("Not found"))
                    .expect("static response"),
                deps,
            ));
        }
        None => {
            let status = if site::is_page(&path) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            (status, site::index(), "no-cache")
        }
    };

    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, asset.etag)
        .header(header::VARY, "Accept-Encoding");
    let not_modified = status == StatusCode::OK
        && if_none_match
            .as_deref()
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag));
    let body = if not_modified {
        response = response.status(StatusCode::NOT_MODIFIED);
        Body::Empty
    } else if method == Method::HEAD {
        Body::Empty
    } else {
        match (gzip, asset.gzip) {
            (true, Some(compressed)) => {
                response = response.header(header::CONTENT_ENCODING, "gzip");
                Body::Binary(compressed.to_vec())
            }
            _ if asset.content_type.starts_with("text/") => {
                Body::Text(String::from_utf8_lossy(asset.body).into_owned())
            }
            _ => Body::Binary(asset.body.to_vec()),
        }
    };
    Ok(with_security_headers(
        response.body(body).expect("static response"),
        deps,
    ))
}

/// `Accept-Encoding` takes gzip unless it says `gzip;q=0`.
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

fn with_security_headers(mut response: Response<Body>, deps: &Deps) -> Response<Body> {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        deps.content_security_policy.clone(),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Links in emails carry one-time tokens in their query: never pass them on.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if deps.strict_transport {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
