use super::{FieldError, Problem};
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

/// The default cap on JSON request bodies (API Gateway itself allows far more).
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// The request id clients quote to support: API Gateway's, else Lambda's invocation id.
pub fn request_id(req: &Request) -> String {
    #[allow(unreachable_patterns)]
    let gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    };
    gateway
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Parses a JSON body into `T`.
///
/// 415 unless the content type is JSON; 413 over `limit` bytes; 400 when empty, malformed,
/// when a member is named twice, or when a field is unknown or invalid (`T` should use
/// `#[serde(deny_unknown_fields)]` so no field can be mass-assigned). A whole number is an
/// integer however it is written (`2.0`). Errors name the field, never echo its value.
pub fn json_body<T: DeserializeOwned>(req: &Request, limit: usize) -> Result<T, Problem> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = media_type(content_type);
    if essence != "application/json"
        && !(essence.starts_with("application/") && essence.ends_with("+json"))
    {
        return Err(Problem::unsupported_media_type("application/json"));
    }
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    if bytes.len() > limit {
        return Err(Problem::payload_too_large(limit));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "body_required",
            "A JSON body is required.",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let StrictJson(value) = serde_path_to_error::deserialize(&mut de)
        .map_err(|err| body_problem(&err.path().to_string(), err.into_inner()))?;
    de.end().map_err(|err| body_problem(".", err))?;
    serde_path_to_error::deserialize(value)
        .map_err(|err| body_problem(&err.path().to_string(), err.into_inner()))
}

/// A JSON body as a value, read in one pass: a member named twice is refused (as when a
/// struct is read directly), and a whole number written with a fraction or an exponent
/// (`2.0`, `2e3`) is the integer it is — JSON has numbers, and JSON Schema's `integer`
/// says the same.
struct StrictJson(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // Within ±2^53 a float holds every integer exactly.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if v.fract() == 0.0 && v.abs() <= EXACT {
            Ok((v as i64).into())
        } else {
            Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
        }
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictJson(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(items.into())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if fields.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate field `{key}`"
                )));
            }
            let StrictJson(v) = map.next_value()?;
            fields.insert(key, v);
        }
        Ok(fields.into())
    }
}

fn body_problem(path: &str, err: serde_json::Error) -> Problem {
    if err.is_syntax() || err.is_eof() {
        return Problem::bad_request(
            "malformed_json",
            format!(
                "The body is not valid JSON (line {}, column {}).",
                err.line(),
                err.column()
            ),
        );
    }
    let field = if path == "." {
        String::new()
    } else {
        format!("/{}", path.replace('.', "/"))
    };
    Problem::validation(vec![FieldError::new(field, describe(&err.to_string()))])
}

/// serde's message without its position suffix and without echoing the submitted value
/// (which may be personal data): "invalid type: string \"x\", expected u32" becomes
/// "invalid type, expected u32". Unknown field names are kept: they are the client's keys.
fn describe(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    for kind in [
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
    ] {
        if message.starts_with(kind) {
            return match message.find(", expected ") {
                Some(i) => format!("{kind}, expected {}", &message[i + ", expected ".len()..]),
                None => kind.to_string(),
            };
        }
    }
    message.to_string()
}

/// The client's address as the gateway saw it (for throttling per source).
pub fn source_ip(req: &Request) -> String {
    #[allow(unreachable_patterns)]
    let ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    ip.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The request's path as the client sent it.
pub fn request_path(req: &Request) -> &str {
    let raw = req.raw_http_path();
    if raw.is_empty() {
        req.uri().path()
    } else {
        raw
    }
}

/// Ids and slugs are short (a ULID is 26 characters); anything longer names nothing.
pub const MAX_PATH_PARAM: usize = 128;

/// A path parameter of `template` (`/v1/leads/{lead_id}`), from the gateway's
/// `pathParameters` when present, else matched against the raw path (a router that does
/// not fill them in). A missing parameter means no route matched: 404. A value longer than
/// any id ([`MAX_PATH_PARAM`]) or with control characters names no object: 404 too
/// (the table would refuse such a key, which is not the client's 500 to get).
pub fn path_param(req: &Request, template: &str, name: &str) -> Result<String, Problem> {
    path_param_within(req, template, name, MAX_PATH_PARAM)
}

/// Signed links carry their claims: a token in a path is longer than an id.
pub const MAX_PATH_TOKEN: usize = 512;

/// A signed token from the path (see [`MAX_PATH_TOKEN`]); otherwise like [`path_param`].
pub fn path_token(req: &Request, template: &str, name: &str) -> Result<String, Problem> {
    path_param_within(req, template, name, MAX_PATH_TOKEN)
}

fn path_param_within(
    req: &Request,
    template: &str,
    name: &str,
    max: usize,
) -> Result<String, Problem> {
    let value = match req.path_parameters().first(name) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => {
            let path = request_path(req);
            match_template(template, path, name)
                .ok_or_else(|| Problem::route_not_found(req.method().as_str(), path))?
        }
    };
    if value.len() > max || value.chars().any(char::is_control) {
        let what = name.strip_suffix("_id").unwrap_or(name);
        return Err(Problem::not_found(what));
    }
    Ok(value)
}

fn match_template(template: &str, path: &str, name: &str) -> Option<String> {
    let want = format!("{{{name}}}");
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut found = None;
    for (ts, ps) in t.iter().zip(&p) {
        if ts.starts_with('{') && ts.ends_with('}') {
            if ps.is_empty() {
                return None;
            }
            if *ts == want {
                found = Some(percent_decode(ps)?);
            }
        } else if ts != ps {
            return None;
        }
    }
    found
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A `Content-Type`'s media type: lower-case, without parameters (`text/plain; charset=x`
/// is `text/plain`).
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A query parameter that must be one of an enum's (serde) values: `None` when absent, 400
/// naming it otherwise.
pub fn enum_query_param<T: DeserializeOwned>(
    req: &Request,
    name: &str,
) -> Result<Option<T>, Problem> {
    query_param(req, name)?
        .map(|v| {
            serde_json::from_value(serde_json::Value::String(v)).map_err(|_| {
                Problem::validation(vec![FieldError::new(
                    name,
                    "is not one of the allowed values",
                )])
            })
        })
        .transpose()
}

/// A query-string parameter: `None` when absent, 400 naming it when present without a
/// value (`?created_to=`): a filter sent empty is a client mistake, not "no filter".
pub fn query_param(req: &Request, name: &str) -> Result<Option<String>, Problem> {
    match req
        .query_string_parameters_ref()
        .and_then(|q| q.first(name))
    {
        None => Ok(None),
        Some("") => Err(Problem::validation(vec![FieldError::new(
            name,
            "must not be empty",
        )])),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// `?limit=`: default 25, between 1 and 100, else 400.
pub fn page_limit(req: &Request) -> Result<i32, Problem> {
    match query_param(req, "limit")? {
        None => Ok(25),
        Some(raw) => match raw.parse::<i32>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(Problem::validation(vec![FieldError::new(
                "limit",
                "must be an integer from 1 to 100",
            )])),
        },
    }
}

/// What an update's `If-Match` asks for (RFC 9110 §13.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: whatever version is current.
    Any,
    /// One of our ETags (as issued by [`super::etag`]; the weak form too).
    Version(u64),
}

impl IfMatch {
    /// The version asked for; `None` for `*` (whatever is current when the service reads).
    pub fn version(self) -> Option<u64> {
        match self {
            IfMatch::Any => None,
            IfMatch::Version(v) => Some(v),
        }
    }

    /// The version to write against: the one asked for, or for `*` the `current` one the
    /// caller read.
    pub fn or_current(self, current: impl FnOnce() -> u64) -> u64 {
        match self {
            IfMatch::Any => current(),
            IfMatch::Version(v) => v,
        }
    }
}

/// The `Idempotency-Key` of a create that must happen once: required; 1 to 255 visible
/// ASCII characters (a UUID or ULID is typical).
pub fn idempotency_key(req: &Request) -> Result<String, Problem> {
    let bad = |detail: &str| Problem::bad_request("idempotency_key_required", detail.to_string());
    let raw = req
        .headers()
        .get("idempotency-key")
        .ok_or_else(|| {
            bad("An Idempotency-Key header is required: the same key repeats the request safely.")
        })?
        .to_str()
        .map_err(|_| bad("The Idempotency-Key must be visible ASCII."))?
        .trim();
    if raw.is_empty() || raw.len() > 255 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(
            "The Idempotency-Key must be 1 to 255 visible ASCII characters.",
        ));
    }
    Ok(raw.to_string())
}

/// The `If-Match` of an update. 428 when absent or empty (there is no version to check
/// against); `*` matches any current version; 412 for a value that is not one of our
/// ETags, since it cannot match the current version.
pub fn if_match(req: &Request) -> Result<IfMatch, Problem> {
    let raw = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or_else(Problem::precondition_required)?
        .to_str()
        .map_err(|_| Problem::precondition_failed())?
        .trim();
    if raw.is_empty() {
        return Err(Problem::precondition_required());
    }
    if raw == "*" {
        return Ok(IfMatch::Any);
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw);
    tag.strip_prefix("\"v")
        .and_then(|r| r.strip_suffix('"'))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u64>().ok())
        .map(IfMatch::Version)
        .ok_or_else(Problem::precondition_failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{Method, Request as HttpRequest};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct NewThing {
        name: String,
        count: u32,
    }

    fn json_request(body: &str) -> Request {
        HttpRequest::builder()
            .method(Method::POST)
            .uri("/v1/things")
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::Text(body.to_string()))
            .unwrap()
    }

    #[test]
    fn valid_json_is_parsed() {
        let thing: NewThing =
            json_body(&json_request(r#"{"name":"a","count":2}"#), MAX_JSON_BODY).unwrap();
        assert_eq!(thing.count, 2);
    }

    #[test]
    fn unknown_fields_are_rejected_naming_the_field() {
        let err = json_body::<NewThing>(
            &json_request(r#"{"name":"a","count":2,"status":"approved"}"#),
            MAX_JSON_BODY,
        )
        .unwrap_err();
        assert_eq!(err.status(), 400);
        let body = err.body("r");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("unknown field `status`"),
            "{body}"
        );
    }

    #[test]
    fn wrong_types_name_the_field_without_echoing_input() {
        let err = json_body::<NewThing>(
            &json_request(r#"{"name":"a","count":"many-secret"}"#),
            MAX_JSON_BODY,
        )
        .unwrap_err();
        let body = err.body("r");
        assert_eq!(body["errors"][0]["field"], "/count");
        assert!(!body.to_string().contains("many-secret"), "{body}");
    }

    #[test]
    fn whole_numbers_with_a_fraction_or_exponent_are_integers() {
        let thing: NewThing =
            json_body(&json_request(r#"{"name":"a","count":2.0}"#), MAX_JSON_BODY).unwrap();
        assert_eq!(thing.count, 2);
        let thing: NewThing =
            json_body(&json_request(r#"{"name":"a","count":3e1}"#), MAX_JSON_BODY).unwrap();
        assert_eq!(thing.count, 30);
        let err =
            json_body::<NewThing>(&json_request(r#"{"name":"a","count":2.5}"#), MAX_JSON_BODY)
                .unwrap_err();
        assert_eq!(err.body("r")["errors"][0]["field"], "/count");
    }

    #[test]
    fn a_member_named_twice_is_a_400() {
        let err = json_body::<NewThing>(
            &json_request(r#"{"name":"a","count":1,"count":2}"#),
            MAX_JSON_BODY,
        )
        .unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(
            err.body("r").to_string().contains("duplicate field"),
            "{}",
            err.body("r")
        );
    }

    #[test]
    fn malformed_json_is_a_400() {
        let err = json_body::<NewThing>(&json_request(r#"{"name":"#), MAX_JSON_BODY).unwrap_err();
        assert_eq!((err.status().as_u16(), err.code()), (400, "malformed_json"));
        let err = json_body::<NewThing>(
            &json_request(r#"{"name":"a","count":1} trailing"#),
            MAX_JSON_BODY,
        )
        .unwrap_err();
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn oversized_bodies_are_a_413() {
        let big = format!(r#"{{"name":"{}","count":1}}"#, "x".repeat(100));
        let err = json_body::<NewThing>(&json_request(&big), 64).unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn non_json_content_type_is_a_415() {
        let req = HttpRequest::builder()
            .method(Method::POST)
            .header("content-type", "text/plain")
            .body(Body::Text("{}".into()))
            .unwrap();
        assert_eq!(
            json_body::<NewThing>(&req, MAX_JSON_BODY)
                .unwrap_err()
                .status(),
            415
        );
    }

    #[test]
    fn empty_body_is_a_400() {
        assert_eq!(
            json_body::<NewThing>(&json_request("  "), MAX_JSON_BODY)
                .unwrap_err()
                .code(),
            "body_required"
        );
    }

    #[test]
    fn an_oversized_id_is_a_404_not_a_storage_error() {
        let long = "A".repeat(MAX_PATH_PARAM + 1);
        let req = HttpRequest::builder()
            .uri(format!("/v1/leads/{long}"))
            .body(Body::Empty)
            .unwrap();
        let problem = path_param(&req, "/v1/leads/{lead_id}", "lead_id").unwrap_err();
        assert_eq!(
            (problem.status().as_u16(), problem.code()),
            (404, "not_found")
        );
        let ok = HttpRequest::builder()
            .uri("/v1/leads/01JD5Z8QK3M4N5P6Q7R8S9T0VW")
            .body(Body::Empty)
            .unwrap();
        assert!(path_param(&ok, "/v1/leads/{lead_id}", "lead_id").is_ok());
    }

    #[test]
    fn path_parameters_come_from_the_gateway_or_the_raw_path() {
        let req = HttpRequest::builder()
            .uri("/v1/leads/01HX%2Fz")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(
            path_param(&req, "/v1/leads/{lead_id}", "lead_id").unwrap(),
            "01HX/z"
        );
        let other = HttpRequest::builder()
            .uri("/v1/leads/01HX/history")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(
            path_param(&other, "/v1/leads/{lead_id}", "lead_id")
                .unwrap_err()
                .status(),
            404
        );
        let with_params = HttpRequest::builder()
            .uri("/anything")
            .body(Body::Empty)
            .unwrap()
            .with_path_parameters(std::collections::HashMap::from([(
                "lead_id".to_string(),
                "01GW".to_string(),
            )]));
        assert_eq!(
            path_param(&with_params, "/v1/leads/{lead_id}", "lead_id").unwrap(),
            "01GW"
        );
    }

    #[test]
    fn if_match_is_required_and_must_be_one_of_our_etags() {
        let none = HttpRequest::builder().body(Body::Empty).unwrap();
        assert_eq!(if_match(&none).unwrap_err().status(), 428);
        let ok = HttpRequest::builder()
            .header("if-match", "\"v7\"")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(if_match(&ok).unwrap(), IfMatch::Version(7));
        let weak = HttpRequest::builder()
            .header("if-match", "W/\"v8\"")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(if_match(&weak).unwrap(), IfMatch::Version(8));
        let foreign = HttpRequest::builder()
            .header("if-match", "\"abc\"")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(if_match(&foreign).unwrap_err().status(), 412);
        let signed = HttpRequest::builder()
            .header("if-match", "\"v+7\"")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(if_match(&signed).unwrap_err().status(), 412);
    }

    #[test]
    fn an_empty_if_match_is_428() {
        for empty in ["", "  "] {
            let req = HttpRequest::builder()
                .header("if-match", empty)
                .body(Body::Empty)
                .unwrap();
            let problem = if_match(&req).unwrap_err();
            assert_eq!(
                (problem.status().as_u16(), problem.code()),
                (428, "if_match_required"),
                "{empty:?}"
            );
        }
    }

    #[test]
    fn if_match_star_matches_any_version() {
        let req = HttpRequest::builder()
            .header("if-match", "*")
            .body(Body::Empty)
            .unwrap();
        let precondition = if_match(&req).unwrap();
        assert_eq!(precondition, IfMatch::Any);
        assert_eq!(precondition.or_current(|| 41), 41);
        assert_eq!(IfMatch::Version(7).or_current(|| 41), 7);
    }

    fn with_query(pairs: &[(&str, &str)]) -> Request {
        HttpRequest::builder()
            .uri("/")
            .body(Body::Empty)
            .unwrap()
            .with_query_string_parameters(std::collections::HashMap::from_iter(
                pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            ))
    }

    #[test]
    fn an_empty_query_value_is_a_400_naming_the_parameter() {
        let problem = query_param(&with_query(&[("created_to", "")]), "created_to").unwrap_err();
        assert_eq!(problem.status(), 400);
        let body = problem.body("r");
        assert_eq!(body["errors"][0]["field"], "created_to", "{body}");
        assert_eq!(
            query_param(&with_query(&[("q", "x")]), "q").unwrap(),
            Some("x".to_string())
        );
        assert_eq!(query_param(&with_query(&[]), "q").unwrap(), None);
        assert_eq!(
            page_limit(&with_query(&[("limit", "")]))
                .unwrap_err()
                .status(),
            400
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_is_a_400() {
        // API Gateway hands such a body to the function base64-encoded: Body::Binary.
        let req = HttpRequest::builder()
            .method(Method::POST)
            .header("content-type", "application/json")
            .body(Body::Binary(vec![0xff, 0xfe, b'{', 0x80]))
            .unwrap();
        let problem = json_body::<NewThing>(&req, MAX_JSON_BODY).unwrap_err();
        assert_eq!(
            (problem.status().as_u16(), problem.code()),
            (400, "malformed_json")
        );
    }

    #[test]
    fn page_limit_defaults_and_bounds() {
        let req = |q: &str| {
            HttpRequest::builder()
                .uri("/")
                .body(Body::Empty)
                .unwrap()
                .with_query_string_parameters(std::collections::HashMap::from([(
                    "limit".to_string(),
                    q.to_string(),
                )]))
        };
        assert_eq!(
            page_limit(&HttpRequest::builder().body(Body::Empty).unwrap()).unwrap(),
            25
        );
        assert_eq!(page_limit(&req("100")).unwrap(), 100);
        assert_eq!(page_limit(&req("101")).unwrap_err().status(), 400);
        assert_eq!(page_limit(&req("0")).unwrap_err().status(), 400);
    }
}
