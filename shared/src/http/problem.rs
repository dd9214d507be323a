use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::{Map, Value};
use std::borrow::Cow;

pub use crate::fault::FieldError;
use crate::fault::{Fault, Kind};

/// The one mapping from a domain's failure to the API's problem: status and title by the
/// fault's kind, its code, message, field errors and extension members. Internal and
/// unavailable faults keep their message for the log and tell the caller only to retry or
/// quote the request id.
impl<E: Fault> From<E> for Problem {
    fn from(fault: E) -> Self {
        let kind = fault.kind();
        match kind {
            Kind::Internal => return Problem::internal(&fault),
            Kind::Unavailable => return Problem::unavailable(&fault),
            _ => {}
        }
        let (status, title) = Problem::of_kind(kind);
        let fields = fault.fields();
        let title = if fields.is_empty() {
            title
        } else {
            "Some fields are invalid"
        };
        let mut p = Problem::new(status, fault.code(), title)
            .with_detail(fault.to_string())
            .with_errors(fields);
        for (key, value) in fault.extensions() {
            p = p.with_extension(key, value);
        }
        if kind == Kind::Throttled {
            p.retry_after = Some(fault.retry_after().unwrap_or(1));
        }
        p
    }
}

/// An RFC 9457 problem: the only error shape the API returns.
///
/// `code` is stable and machine-readable; `title` is fixed per code; `detail` explains this
/// occurrence and never carries internal error text (that goes to the log only).
/// (Boxed: errors travel through every `?`, so the type stays one pointer wide.)
#[derive(Debug, Clone)]
pub struct Problem(Box<Parts>);

#[derive(Debug, Clone)]
pub struct Parts {
    status: StatusCode,
    code: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Option<String>,
    errors: Vec<FieldError>,
    extensions: Map<String, Value>,
    retry_after: Option<u64>,
    internal: Option<String>,
}

impl std::ops::Deref for Problem {
    type Target = Parts;
    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut Parts {
        &mut self.0
    }
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Parts {
            status,
            code: code.into(),
            title: title.into(),
            detail: None,
            errors: Vec::new(),
            extensions: Map::new(),
            retry_after: None,
            internal: None,
        }))
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// An extension member (e.g. `existing_id` on a duplicate).
    pub fn with_extension(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_string(), value.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// 400: the body or a parameter is malformed.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "The request is malformed").with_detail(detail)
    }

    /// 400 with per-field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Some fields are invalid",
        )
        .with_detail("See `errors` for each invalid field.")
        .with_errors(errors)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::unauthorized_because("unauthenticated", detail)
    }

    /// 401 with a more specific code (`invalid_credentials`, `invalid_refresh_token`).
    pub fn unauthorized_because(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, "Authentication is required").with_detail(detail)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Your role does not allow this",
        )
    }

    /// 404 for a missing object and, identically, for another partner's object.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
            .with_detail(format!("No such {what}."))
    }

    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "route_not_found", "No such route")
            .with_detail(format!("There is no route for {method} {path}."))
    }

    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
        )
        .with_detail(format!("This route accepts {allowed}."))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict").with_detail(detail)
    }

    /// 412: the `If-Match` version is stale.
    pub fn precondition_failed() -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, "stale_version", "The resource has changed")
            .with_detail("The resource was modified since you read it; fetch it again and retry with its new ETag.")
    }

    /// 428: an update without `If-Match`.
    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "If-Match is required",
        )
        .with_detail("Send the ETag you read in an If-Match header.")
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The body is too large",
        )
        .with_detail(format!("The body may be at most {limit} bytes."))
    }

    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported content type",
        )
        .with_detail(format!("Send the body as {expected}."))
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many requests",
        )
        .with_detail(format!("Try again in {retry_after_secs} seconds."));
        p.retry_after = Some(retry_after_secs);
        p
    }

    /// 500: something on our side failed. `cause` is logged with the request id and never
    /// sent to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut p = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
        .with_detail(
            "Something went wrong on our side; quote the request id if you contact support.",
        );
        p.internal = Some(cause.to_string());
        p
    }

    /// 503: a dependency is unavailable; the client may retry.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable",
        )
        .with_detail("Please retry shortly.");
        p.internal = Some(cause.to_string());
        p.retry_after = Some(1);
        p
    }

    /// What a problem of this kind is called, and its status.
    fn of_kind(kind: Kind) -> (StatusCode, &'static str) {
        match kind {
            Kind::Invalid => (StatusCode::BAD_REQUEST, "The request is invalid"),
            Kind::Unauthenticated => (StatusCode::UNAUTHORIZED, "Authentication is required"),
            Kind::Forbidden => (StatusCode::FORBIDDEN, "This is not allowed"),
            Kind::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            Kind::Conflict => (StatusCode::CONFLICT, "Conflict"),
            Kind::Gone => (StatusCode::GONE, "No longer available"),
            Kind::Stale => (StatusCode::PRECONDITION_FAILED, "The resource has changed"),
            Kind::Unprocessable => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "The request contradicts an earlier one",
            ),
            Kind::PreconditionRequired => {
                (StatusCode::PRECONDITION_REQUIRED, "If-Match is required")
            }
            Kind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large"),
            Kind::Throttled => (StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            Kind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable"),
            Kind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
        }
    }

    pub(crate) fn log(&self) {
        if self.status.is_server_error() {
            tracing::error!(code = %self.code, cause = self.internal.as_deref().unwrap_or(""), "request failed");
        } else {
            tracing::info!(code = %self.code, status = self.status.as_u16(), "request rejected");
        }
    }

    /// The `application/problem+json` body.
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("/problems/{}", self.code)),
        );
        body.insert("title".into(), Value::String(self.title.to_string()));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        if let Some(d) = &self.detail {
            body.insert("detail".into(), Value::String(d.clone()));
        }
        body.insert("code".into(), Value::String(self.code.to_string()));
        body.insert("request_id".into(), Value::String(request_id.to_string()));
        if !self.errors.is_empty() {
            body.insert(
                "errors".into(),
                serde_json::to_value(&self.errors).unwrap_or(Value::Null),
            );
        }
        for (k, v) in &self.extensions {
            body.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(body)
    }

    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let body = self.body(request_id).to_string();
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_response_has_the_rfc9457_shape_and_request_id() {
        let problem =
            Problem::validation(vec![FieldError::new("/email", "must be an email address")]);
        let response = problem.into_response("req-1");
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let Body::Text(text) = response.body() else {
            panic!("expected a text body")
        };
        let body: Value = serde_json::from_str(text).unwrap();
        assert_eq!(body["status"], 400);
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["type"], "/problems/validation_failed");
        assert_eq!(body["request_id"], "req-1");
        assert_eq!(body["errors"][0]["field"], "/email");
    }

    #[test]
    fn internal_cause_is_never_sent_to_the_client() {
        let problem =
            Problem::internal("dynamodb: ResourceNotFoundException arn:aws:dynamodb:secret-table");
        let body = problem.body("r").to_string();
        assert!(!body.contains("dynamodb"), "{body}");
        assert_eq!(problem.status(), 500);
    }

    #[test]
    fn throttling_tells_the_client_when_to_retry() {
        let response = Problem::too_many_requests(30).into_response("r");
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "30");
    }

    #[test]
    fn extensions_cannot_overwrite_standard_members() {
        let body = Problem::conflict("duplicate", "exists")
            .with_extension("status", 200)
            .with_extension("existing_id", "01J")
            .body("r");
        assert_eq!(body["status"], 409);
        assert_eq!(body["existing_id"], "01J");
    }
}
