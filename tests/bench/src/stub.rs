//! A Lambda Runtime API stand-in: a function binary is started with
//! `AWS_LAMBDA_RUNTIME_API` pointing here, and the harness sees when it first asks for
//! work (its init is over) and when each answer arrives.

use serde_json::Value;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

/// What the function said of one invocation.
#[derive(Debug)]
pub struct Answer {
    pub duration: Duration,
    pub error: bool,
    pub body: Vec<u8>,
}

/// One running function process and its private Runtime API.
pub struct Function {
    child: std::process::Child,
    asks: mpsc::UnboundedReceiver<Instant>,
    events: mpsc::UnboundedSender<Value>,
    sent: mpsc::UnboundedReceiver<Instant>,
    answers: mpsc::UnboundedReceiver<(Instant, bool, Vec<u8>)>,
    started: Instant,
    server: tokio::task::JoinHandle<()>,
}

struct Channels {
    asks: mpsc::UnboundedSender<Instant>,
    events: Mutex<mpsc::UnboundedReceiver<Value>>,
    sent: mpsc::UnboundedSender<Instant>,
    answers: mpsc::UnboundedSender<(Instant, bool, Vec<u8>)>,
    ids: std::sync::atomic::AtomicU64,
}

impl Function {
    /// Starts `binary` with `env` (plus the Lambda variables) against a new Runtime API.
    pub async fn start(
        binary: &std::path::Path,
        name: &str,
        memory_mb: u32,
        env: &[(String, String)],
        extra: &[(&str, String)],
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let (asks_tx, asks) = mpsc::unbounded_channel();
        let (events, events_rx) = mpsc::unbounded_channel();
        let (sent_tx, sent) = mpsc::unbounded_channel();
        let (answers_tx, answers) = mpsc::unbounded_channel();
        let channels = Arc::new(Channels {
            asks: asks_tx,
            events: Mutex::new(events_rx),
            sent: sent_tx,
            answers: answers_tx,
            ids: Default::default(),
        });
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                tokio::spawn(serve(socket, channels.clone()));
            }
        });
        let mut command = std::process::Command::new(binary);
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string())
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let started = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        Self {
            child,
            asks,
            events,
            sent,
            answers,
            started,
            server,
        }
    }

    /// Time from the process start to its first request for work: the function's init.
    pub async fn init(&mut self) -> Duration {
        let at = tokio::time::timeout(Duration::from_secs(30), self.asks.recv())
            .await
            .expect("the function asks for work within 30 s")
            .expect("the runtime API is up");
        at - self.started
    }

    /// Hands the function one event and waits for its answer.
    pub async fn invoke(&mut self, event: Value) -> Answer {
        self.events.send(event).expect("the runtime API is up");
        let wait = Duration::from_secs(60);
        let sent = tokio::time::timeout(wait, self.sent.recv())
            .await
            .expect("the event is taken")
            .unwrap();
        let (at, error, body) = tokio::time::timeout(wait, self.answers.recv())
            .await
            .expect("the function answers within 60 s")
            .unwrap();
        Answer {
            duration: at.saturating_duration_since(sent),
            error,
            body,
        }
    }

    pub async fn stop(self) {
        drop(self)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.server.abort();
    }
}

/// Reads one request: (method and path, body). Handles `Content-Length` and chunked bodies.
async fn read_request(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let line = head.lines().next().unwrap_or("").to_string();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head
        .lines()
        .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
    buf.drain(..head_end);
    let mut body = Vec::new();
    if chunked {
        loop {
            let line_end = loop {
                if let Some(pos) = buf.windows(2).position(|w| w == b"\r\n") {
                    break pos;
                }
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            };
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&buf[..line_end])
                    .split(';')
                    .next()?
                    .trim(),
                16,
            )
            .ok()?;
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
    } else {
        let length = length.unwrap_or(0);
        while buf.len() < length {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        body.extend(buf.drain(..length));
    }
    Some((line, body))
}

async fn reply(
    socket: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> bool {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    socket.write_all(&bytes).await.is_ok()
}

async fn serve(mut socket: TcpStream, ch: Arc<Channels>) {
    let mut buf = Vec::new();
    while let Some((line, body)) = read_request(&mut socket, &mut buf).await {
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        if path.ends_with("/runtime/invocation/next") {
            let _ = ch.asks.send(Instant::now());
            let Some(event) = ch.events.lock().await.recv().await else {
                return;
            };
            let id = ch.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
            let headers = [
                ("content-type", "application/json".to_string()),
                ("lambda-runtime-aws-request-id", format!("bench-{id}")),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:eu-west-1:123456789012:function:bench".to_string(),
                ),
                (
                    "lambda-runtime-trace-id",
                    format!("Root=1-00000000-{id:024x};Parent=0000000000000001;Sampled=0"),
                ),
            ];
            if !reply(
                &mut socket,
                "200 OK",
                &headers,
                event.to_string().as_bytes(),
            )
            .await
            {
                return;
            }
            let _ = ch.sent.send(Instant::now());
        } else if path.ends_with("/response") || path.ends_with("/error") {
            let _ = ch
                .answers
                .send((Instant::now(), path.ends_with("/error"), body));
            if !reply(&mut socket, "202 Accepted", &[], b"{}").await {
                return;
            }
        } else {
            if path.ends_with("/init/error") {
                let _ = ch.answers.send((Instant::now(), true, body));
            }
            if !reply(&mut socket, "202 Accepted", &[], b"{}").await {
                return;
            }
        }
    }
}
