//! Harness for the workspace's end-to-end tests: the local stack that `make test` started
//! (its resources arrive as the same environment variables the functions read), fixtures
//! from `events/`, and small helpers. Each test builds its own clients and uses unique ids,
//! so tests run in parallel against one emulator.

pub mod crm;
pub mod portal;
pub mod zoho;

use aws_config::SdkConfig;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A required variable of the test environment.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `make test`, which starts the local AWS stack and exports it")
    })
}

/// Clients and resource names of the local stack.
pub struct Stack {
    pub sdk: SdkConfig,
    pub table: String,
    pub bucket: String,
    pub app_secret: String,
    pub endpoint: String,
}

impl Stack {
    pub async fn connect() -> Self {
        let endpoint = env("AWS_ENDPOINT_URL");
        Self {
            sdk: shared::aws::sdk_config().await,
            table: env("TABLE_NAME"),
            bucket: env("DOCUMENTS_BUCKET"),
            app_secret: env("APP_SECRET_ARN"),
            endpoint,
        }
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        shared::aws::dynamodb(&self.sdk)
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        shared::aws::s3(&self.sdk)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        shared::aws::sqs(&self.sdk)
    }

    pub fn secrets_manager(&self) -> aws_sdk_secretsmanager::Client {
        shared::aws::secrets_manager(&self.sdk)
    }

    /// A new FIFO queue (unique name) with extra attributes; returns its URL.
    pub async fn fifo_queue(
        &self,
        prefix: &str,
        attributes: &[(aws_sdk_sqs::types::QueueAttributeName, String)],
    ) -> String {
        let mut create = self
            .sqs()
            .create_queue()
            .queue_name(format!("{}.fifo", unique(prefix)))
            .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
        for (name, value) in attributes {
            create = create.attributes(name.clone(), value);
        }
        create.send().await.unwrap().queue_url.unwrap()
    }

    /// Up to 10 messages now visible on a queue.
    pub async fn receive(&self, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
        self.sqs()
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    /// The shared secret Zoho's webhooks carry (from Secrets Manager).
    pub async fn webhook_secret(&self) -> String {
        self.secrets_manager()
            .get_secret_value()
            .secret_id(env("CRM_WEBHOOK_SECRET_ARN"))
            .send()
            .await
            .unwrap()
            .secret_string
            .unwrap()
    }

    /// One item exactly as stored (to check what is at rest, not what the API shows).
    pub async fn raw_item(
        &self,
        pk: &str,
        sk: &str,
    ) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
        use aws_sdk_dynamodb::types::AttributeValue::S;
        self.dynamodb()
            .get_item()
            .table_name(&self.table)
            .key("PK", S(pk.into()))
            .key("SK", S(sk.into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("no item {pk} / {sk}"))
    }
}

/// A unique id for test data (ULID, so tests never collide).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new())
}

/// `events/<function>/<case>.json` as raw JSON.
pub fn fixture_json(function: &str, case: &str) -> String {
    let path = root()
        .join("events")
        .join(function)
        .join(format!("{case}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An API fixture as the `Request` lambda_http hands the handler.
pub fn http_fixture(function: &str, case: &str) -> Request {
    lambda_http::request::from_str(&fixture_json(function, case)).unwrap_or_else(|e| {
        panic!("events/{function}/{case}.json is not an API Gateway HTTP event: {e}")
    })
}

/// The response body parsed as JSON.
pub fn body_json(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(t) => serde_json::from_str(t).expect("JSON body"),
        Body::Binary(b) => serde_json::from_slice(b).expect("JSON body"),
        _ => Value::Null,
    }
}

/// Captures the JSON log lines a piece of code writes with the production log format.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let sink = self.clone();
        shared::telemetry::json_subscriber(tracing_subscriber::EnvFilter::new("debug"), move || {
            sink.clone()
        })
        .finish()
    }

    /// The process-wide capture: installed once as the global default subscriber, so every
    /// callsite in the test binary is interested in it (a per-test subscriber races with
    /// tracing's callsite interest cache when tests run in parallel).
    pub fn global() -> &'static CapturedLogs {
        static GLOBAL: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(|| {
            let logs = CapturedLogs::default();
            tracing::subscriber::set_global_default(logs.subscriber())
                .expect("no other global subscriber");
            logs
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
            .collect()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ------------------------------------------------------------------ requests

/// The API Gateway HTTP API event (JSON) for `route` at `path` with its path parameters
/// and `query`, as the gateway hands it a function.
pub fn api_event(route: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let (method, template) = route.split_once(' ').expect("METHOD /path");
    let mut params = serde_json::Map::new();
    for (t, v) in template.split('/').zip(path.split('/')) {
        if let Some(name) = t.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            params.insert(name.to_string(), Value::String(v.to_string()));
        }
    }
    let raw_query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let qsp: serde_json::Map<String, Value> = query
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    serde_json::json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": raw_query.join("&"),
        "queryStringParameters": if qsp.is_empty() { Value::Null } else { Value::Object(qsp) },
        "headers": {"accept": "application/json", "host": "api.partners.example.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "portalapi",
            "domainName": "api.partners.example.com", "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.10", "userAgent": "tests"},
            "requestId": ulid::Ulid::new().to_string(), "routeKey": route, "stage": "$default",
            "time": "20/Nov/2026:10:00:00 +0000", "timeEpoch": 1795173600000u64
        },
        "isBase64Encoded": false,
        "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) }
    })
}

/// An API Gateway HTTP request for `route` (`"GET /v1/payouts/{payout_id}"`) at `path`
/// with its path parameters and `query` (`a=1&b=2`), as the gateway hands it a handler.
pub fn api_request(route: &str, path: &str, query: &[(&str, &str)]) -> Request {
    let event = api_event(route, path, query);
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway HTTP event")
}

/// One HTTP/1.1 request read from `socket` (for stand-in servers): the request target
/// and the body (`Content-Length` bytes). `None` when the peer closed before a full head.
pub async fn read_http_request(socket: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..pos]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse::<usize>().unwrap())
                .unwrap_or(0);
            break (pos + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let end = (head_end + length).min(buf.len());
    Some((path, buf[head_end..end].to_vec()))
}

/// Replaces the fixture's JSON body.
pub fn with_json(mut req: Request, body: &Value) -> Request {
    *req.body_mut() = Body::Text(body.to_string());
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    req
}

/// Replaces (or removes, with `None`) the bearer token.
pub fn with_bearer(mut req: Request, token: Option<&str>) -> Request {
    match token {
        Some(t) => {
            req.headers_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        None => {
            req.headers_mut().remove("authorization");
        }
    }
    req
}

pub fn with_header(mut req: Request, name: &'static str, value: &str) -> Request {
    req.headers_mut().insert(name, value.parse().unwrap());
    req
}

/// Points a fixture at another path parameter value (as the gateway would set it).
pub fn with_path_param(req: Request, name: &str, value: &str) -> Request {
    use lambda_http::RequestExt;
    req.with_path_parameters(std::collections::HashMap::from([(
        name.to_string(),
        value.to_string(),
    )]))
}

/// Sets the client's source address in the request context.
pub fn with_source_ip(req: Request, ip: &str) -> Request {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let ctx = match req.request_context() {
        #[allow(unreachable_patterns)]
        RequestContext::ApiGatewayV2(mut ctx) => {
            ctx.http.source_ip = Some(ip.to_string());
            RequestContext::ApiGatewayV2(ctx)
        }
        #[allow(unreachable_patterns)]
        other => other,
    };
    req.with_request_context(ctx)
}

/// Status and JSON body of a response.
pub fn outcome(response: &Response<Body>) -> (u16, Value) {
    (response.status().as_u16(), body_json(response))
}

// ------------------------------------------------------------------ identity

/// `Identity` as a function builds it at cold start, from the test stack's environment.
pub async fn identity(
    stack: &Stack,
    keys: shared::app::Keys,
    cursors: bool,
) -> shared::identity::service::Identity {
    identity_with(stack.dynamodb(), stack, keys, cursors).await
}

/// Like [`identity`], with a given DynamoDB client (e.g. one that counts calls).
pub async fn identity_with(
    dynamodb: aws_sdk_dynamodb::Client,
    stack: &Stack,
    keys: shared::app::Keys,
    cursors: bool,
) -> shared::identity::service::Identity {
    let config =
        shared::app::IdentityConfig::read(&shared::config::ProcessEnv, keys, cursors).unwrap();
    let mut id = shared::app::identity(&config, &stack.sdk, keys)
        .await
        .unwrap();
    id.store = rebuild_store(id.store, dynamodb, &config.store.table_name);
    id
}

fn rebuild_store(
    original: shared::store::Store,
    client: aws_sdk_dynamodb::Client,
    table: &str,
) -> shared::store::Store {
    original.with_client(client, table)
}

/// The DynamoDB operation a request calls, from its `X-Amz-Target`
/// (`DynamoDB_20120810.GetItem` → `GetItem`).
pub fn operation_name(headers: &aws_smithy_runtime_api::http::Headers) -> String {
    let target = headers.get("x-amz-target").unwrap_or("unknown");
    target.rsplit('.').next().unwrap_or(target).to_string()
}

/// Counts DynamoDB operations by name, through the SDK's interceptor hook.
#[derive(Clone, Debug, Default)]
pub struct CallCounter(Arc<Mutex<Vec<String>>>);

impl CallCounter {
    pub fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    pub fn reset(&self) {
        self.0.lock().unwrap().clear();
    }

    /// A DynamoDB client recording every operation it sends.
    pub fn client(&self, stack: &Stack) -> aws_sdk_dynamodb::Client {
        let conf = aws_sdk_dynamodb::config::Builder::from(&stack.sdk)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    /// Once per operation attempt that reaches the wire; DynamoDB names the operation in
    /// `X-Amz-Target` (`DynamoDB_20120810.GetItem`).
    fn read_before_transmit(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let name = operation_name(context.request().headers());
        self.0.lock().unwrap().push(name);
        Ok(())
    }
}
