//! The HTTP edge: request parsing, responses, RFC 9457 problems, and the per-invocation
//! wrapper every API function runs its handler through.
//!
//! A handler returns `Result<Response<Body>, Problem>`; [`respond`] turns a `Problem` into
//! an `application/problem+json` response carrying the request id, so a client mistake is
//! always a 4xx answer and never an `Err` that the gateway would turn into a 5xx.

pub mod browser;
mod problem;
mod request;
mod response;

pub use problem::{FieldError, Problem};
pub use request::{
    IfMatch, MAX_JSON_BODY, enum_query_param, idempotency_key, if_match, json_body, media_type,
    page_limit, path_param, path_token, query_param, request_id, request_path, source_ip,
};
pub use response::{etag, json, json_with_etag, no_content};

use lambda_http::{Body, Request, Response};
use std::future::Future;
use tracing::Instrument;

/// Runs one invocation: a span carrying the request id, the handler, the problem mapping,
/// and one outcome line (method, route, status, duration — never the body or query).
pub async fn respond<F, Fut>(req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Problem>>,
{
    let request_id = request_id(&req);
    let method = req.method().clone();
    let route = route_key(&req);
    let span = tracing::info_span!("invocation", request_id = %request_id);
    async move {
        let started = std::time::Instant::now();
        let response = match handler(req).await {
            Ok(response) => response,
            Err(problem) => {
                problem.log();
                problem.into_response(&request_id)
            }
        };
        tracing::info!(
            method = %method,
            route = %route,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_millis() as u64,
            "request handled"
        );
        response
    }
    .instrument(span)
    .await
}

/// Serves an API function: `main` builds its dependencies once, then calls this.
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Copy + Send,
    Fut: Future<Output = Result<Response<Body>, Problem>> + Send,
{
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(respond(req, handler).await)
    }))
    .await
}

/// The route template the gateway matched (`GET /v1/leads/{lead_id}`), or the raw path
/// when there is none (the local router reports `$default`).
fn route_key(req: &Request) -> String {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;

    #[allow(unreachable_patterns)]
    let key = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    };
    match key {
        Some(k) if k != "$default" => k,
        _ => request_path(req).to_string(),
    }
}
