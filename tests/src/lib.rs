//! Harness for the workspace's end-to-end tests: the local stack that `make test` started
//! (its resources arrive as the same environment variables the functions read), fixtures
//! from `events/`, and small helpers. Each test builds its own clients and uses unique ids,
//! so tests run in parallel against one emulator.

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
