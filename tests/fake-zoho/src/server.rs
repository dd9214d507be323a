//! The HTTP side: a `tiny_http` server whose accept thread hands each request to a thread
//! of its own (so a delayed answer holds up nobody else), the routes, the OAuth token
//! endpoint, the records API's faults and auth, the `__fake` control endpoints and the
//! webhooks they send.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use crate::records::{Actor, State, WriteKind, record_error};
use crate::{CLIENT_ID, CLIENT_SECRET, Fault, REFRESH_TOKEN, webhook_body, webhook_kind};

const MAX_BODY_BYTES: u64 = 8 * 1024 * 1024;

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panicking test must not take the fake down for the others.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Request {
    /// Upper case, e.g. `POST`.
    method: String,
    path: String,
    query: Query,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The access token of `Authorization: Zoho-oauthtoken <token>`.
    fn token(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("Zoho-oauthtoken")
            .then(|| token.trim())
    }
}

/// Decoded query-string (or form) pairs.
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(text: &[u8]) -> Self {
        Query(form_urlencoded::parse(text).into_owned().collect())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) struct Response {
    status: u16,
    body: Option<Value>,
}

impl Response {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Response {
            status,
            body: Some(body),
        }
    }

    pub(crate) fn empty(status: u16) -> Self {
        Response { status, body: None }
    }

    pub(crate) fn error(status: u16, code: &str, message: &str, details: Value) -> Self {
        Response::json(status, record_error(code, message, details))
    }

    pub(crate) fn invalid_token() -> Self {
        Response::error(401, "INVALID_TOKEN", "invalid oauth token", json!({}))
    }

    /// Zoho's answer for a fault status.
    pub(crate) fn fault(status: u16) -> Self {
        let (code, message) = match status {
            400 => ("INVALID_REQUEST", "invalid request"),
            401 => return Response::invalid_token(),
            403 => ("NO_PERMISSION", "permission denied"),
            404 => (
                "INVALID_URL_PATTERN",
                "Please check if the URL trying to access is a correct one",
            ),
            429 => ("TOO_MANY_REQUESTS", "too many requests"),
            503 => ("SERVICE_UNAVAILABLE", "service temporarily unavailable"),
            s if s >= 500 => ("INTERNAL_ERROR", "Internal Server Error"),
            _ => ("INVALID_REQUEST", "invalid request"),
        };
        Response::error(status, code, message, json!({}))
    }

    pub(crate) fn not_found() -> Self {
        Response::fault(404)
    }
}

/// Starts the accept thread: each request is answered on a thread of its own, until
/// `stopping` is set and the server unblocked.
pub(crate) fn spawn(
    http: Arc<tiny_http::Server>,
    shared: Shared,
    stopping: Arc<AtomicBool>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("fake-zoho".into())
        .spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                match http.recv() {
                    Ok(request) => {
                        let shared = shared.clone();
                        std::thread::spawn(move || answer(&shared, request));
                    }
                    // Unblocked to stop (checked above), or out of file descriptors and the
                    // like: let it pass rather than spin.
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        })
        .map(drop)
}

fn answer(shared: &Shared, mut incoming: tiny_http::Request) {
    let response = match read(&mut incoming) {
        Ok(request) => route(shared, request),
        Err(response) => response,
    };
    let (headers, body) = match &response.body {
        Some(body) => (
            vec![
                tiny_http::Header::from_bytes("Content-Type", "application/json;charset=UTF-8")
                    .expect("a valid header"),
            ],
            serde_json::to_vec(body).unwrap_or_default(),
        ),
        // 204 and 304 carry no body.
        None => (Vec::new(), Vec::new()),
    };
    let length = body.len();
    let reply = tiny_http::Response::new(
        tiny_http::StatusCode(response.status),
        headers,
        std::io::Cursor::new(body),
        Some(length),
        None,
    );
    // A client hanging up before its answer is its own business.
    let _ = incoming.respond(reply);
}

/// The request as the routes see it; a body over 8 MiB is 413, an unreadable one 400.
fn read(incoming: &mut tiny_http::Request) -> Result<Request, Response> {
    if incoming
        .body_length()
        .is_some_and(|n| n as u64 > MAX_BODY_BYTES)
    {
        return Err(Response::empty(413));
    }
    let mut body = Vec::new();
    incoming
        .as_reader()
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|_| Response::fault(400))?;
    if body.len() as u64 > MAX_BODY_BYTES {
        return Err(Response::empty(413));
    }
    let target = incoming.url();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Request {
        method: incoming.method().as_str().to_ascii_uppercase(),
        path: path.to_string(),
        query: Query::parse(query.as_bytes()),
        headers: incoming
            .headers()
            .iter()
            .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
            .collect(),
        body,
    })
}

fn route(shared: &Shared, request: Request) -> Response {
    let path = request.path.clone();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["oauth", "v2", "token"] => token(shared, &request),
        ["crm", "v8", rest @ ..] => api(shared, &request, rest),
        ["__fake", "records", module] => control(shared, &request, module, None),
        ["__fake", "records", module, id] => control(shared, &request, module, Some(*id)),
        _ => Response::not_found(),
    }
}

/// `POST /oauth/v2/token` (refresh-token grant), answering errors with 200 as Zoho does.
fn token(shared: &Shared, request: &Request) -> Response {
    let delay = lock(shared).token_delays.pop_front();
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }
    if request.method != "POST" {
        return Response::json(200, json!({"error": "invalid_request"}));
    }
    let mut params = Query::parse(&request.body);
    params.0.extend(request.query.0.iter().cloned());
    if params.get("grant_type") != Some("refresh_token") {
        return Response::json(200, json!({"error": "unsupported_grant_type"}));
    }
    if params.get("client_id") != Some(CLIENT_ID)
        || params.get("client_secret") != Some(CLIENT_SECRET)
        || params.get("refresh_token") != Some(REFRESH_TOKEN)
    {
        return Response::json(200, json!({"error": "invalid_client"}));
    }
    let access_token = format!(
        "1000.{:020x}.{:020x}",
        ulid::Ulid::new().random(),
        ulid::Ulid::new().random()
    );
    let mut st = lock(shared);
    st.tokens.insert(access_token.clone());
    st.refresh_count += 1;
    Response::json(
        200,
        json!({
            "access_token": access_token,
            "api_domain": st.base_url,
            "token_type": "Bearer",
            "expires_in": 3600,
        }),
    )
}

/// `/crm/v8/*`: faults, then auth, then the records API.
fn api(shared: &Shared, request: &Request, rest: &[&str]) -> Response {
    let fault = {
        let mut st = lock(shared);
        st.api_calls += 1;
        st.next_fault()
    };
    match fault {
        Some(Fault::Status(status)) => return Response::fault(status),
        Some(Fault::InvalidToken) => {
            if let Some(token) = request.token() {
                lock(shared).tokens.remove(token);
            }
            return Response::invalid_token();
        }
        Some(Fault::Delay(delay)) => std::thread::sleep(delay),
        _ => {}
    }
    let mut st = lock(shared);
    if !request.token().is_some_and(|t| st.tokens.contains(t)) {
        return Response::invalid_token();
    }
    let since = request.header("if-modified-since");
    let query = &request.query;
    let body = &request.body;
    match (request.method.as_str(), rest) {
        ("GET", [module]) => st.list(module, query, since),
        ("GET", [module, "search"]) => st.search(module, query),
        ("GET", [module, id]) => st.get_one(module, id, query),
        ("POST", [module]) => st.write(module, WriteKind::Insert, body),
        ("POST", [module, "upsert"]) => st.write(module, WriteKind::Upsert, body),
        ("PUT", [module]) => st.write(module, WriteKind::Update, body),
        ("PUT", [module, id]) => st.write(module, WriteKind::UpdateOne(id.to_string()), body),
        (_, [_] | [_, _]) => Response::error(
            400,
            "INVALID_REQUEST_METHOD",
            "The http request method type is not a valid one",
            json!({}),
        ),
        _ => Response::not_found(),
    }
}

/// `/__fake/records/{module}[/{id}]`: look at and change records as a CRM user, announcing
/// changes to the configured webhook.
fn control(shared: &Shared, request: &Request, module: &str, id: Option<&str>) -> Response {
    let not_found = || {
        Response::json(
            404,
            json!({"error": format!("no {module} record {}", id.unwrap_or(""))}),
        )
    };
    if request.method == "GET" {
        let st = lock(shared);
        return match id {
            None => Response::json(200, json!({"data": st.all_records(module)})),
            Some(id) => match st.existing_id(module, id) {
                Some(n) => Response::json(200, json!({"data": [st.modules[module].records[&n]]})),
                None => not_found(),
            },
        };
    }
    if request.method != "POST" {
        return Response::json(405, json!({"error": "use GET or POST"}));
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&request.body) else {
        return Response::json(
            400,
            json!({"error": "the body must be a JSON object of fields"}),
        );
    };
    let (record, event, target) = {
        let mut st = lock(shared);
        let prepared = st.prepare(module, &fields);
        let (record, event) = match id {
            None => (st.create(module, prepared, Actor::Crm), "created"),
            Some(id) => match st.existing_id(module, id) {
                Some(n) => (st.modify(module, n, prepared, Actor::Crm), "updated"),
                None => return not_found(),
            },
        };
        (Value::Object(record), event, st.webhook.clone())
    };
    let webhook = match (webhook_kind(module), target) {
        (Some(kind), Some((url, secret))) => {
            let body = webhook_body(&format!("{kind}.{event}"), module, &record);
            send_webhook(&format!("{url}/zoho/{kind}"), &secret, &body)
        }
        _ => Value::Null,
    };
    let mut answer = record;
    answer["webhook"] = webhook;
    Response::json(if id.is_none() { 201 } else { 200 }, answer)
}

/// The status code the receiver answered, or why there was none.
fn send_webhook(url: &str, secret: &str, body: &Value) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let sent = agent
        .post(url)
        .header("X-Portal-Webhook-Secret", secret)
        .header("User-Agent", "Zoho-CRM")
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes());
    match sent {
        Ok(response) => json!(response.status().as_u16()),
        Err(e) => {
            // The error names what failed; its causes (refused, timed out) follow it.
            let mut text = format!("{url}: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            Value::String(text)
        }
    }
}
