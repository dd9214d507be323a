//! The local stack's front door (infra/local/gateway.py): requests reach `cargo lambda
//! watch` untouched, except a text-typed body that is not UTF-8, which watch would answer
//! with a `500 text/plain` of its own; the gateway delivers that one as API Gateway does,
//! base64-encoded to the function the router names, and answers what the function answers.

use base64::Engine;
use portal_tests::{env, root};
use serde_json::{Value, json};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// (path of the request watch got, its body).
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A stand-in for watch: the Invoke API answers like a function that refuses the body (a
/// problem+json 400); any other request is answered `200 watch`.
async fn fake_watch() -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let Some((path, body)) = portal_tests::read_http_request(&mut socket).await else {
                    return;
                };
                let invoked = path.starts_with("/2015-03-31/functions/");
                record.lock().unwrap().push((path, body));
                let (content_type, payload) = if invoked {
                    let problem = json!({"type": "/problems/malformed_json", "title": "The request is malformed",
                        "status": 400, "code": "malformed_json", "request_id": "r"});
                    let answer = json!({"statusCode": 400, "isBase64Encoded": false, "cookies": [],
                        "headers": {"content-type": "application/problem+json", "cache-control": "no-store"},
                        "body": problem.to_string()});
                    ("application/json", answer.to_string())
                } else {
                    ("text/plain", "watch".to_string())
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{payload}",
                    payload.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (port, seen)
}

struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_gateway(watch_port: u16) -> (Gateway, String) {
    let port = free_port();
    let child = Command::new(env("PORTAL_PYTHON"))
        .arg(root().join("infra/local/gateway.py"))
        .args([port.to_string(), watch_port.to_string()])
        .arg(root().join("Cargo.toml"))
        .spawn()
        .expect("python runs the gateway");
    let gateway = Gateway(child);
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the gateway did not listen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (gateway, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn a_body_that_is_not_utf8_reaches_the_function_base64_encoded_as_behind_api_gateway() {
    let (watch_port, seen) = fake_watch().await;
    let (_gateway, url) = start_gateway(watch_port).await;
    let client = reqwest::Client::new();
    let bytes = vec![b'{', 0xff, 0xfe, b'"', 0x80, b'}'];

    let response = client
        .post(format!(
            "{url}/v1/leads/01J00000000000000000000000/activities?x=1"
        ))
        .header("content-type", "application/json")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "malformed_json");

    let (path, payload) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        path,
        "/2015-03-31/functions/leads-activities-create/invocations"
    );
    let event: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(event["body"].as_str().unwrap())
            .unwrap(),
        bytes
    );
    assert_eq!(
        event["rawPath"],
        "/v1/leads/01J00000000000000000000000/activities"
    );
    assert_eq!(
        event["pathParameters"]["lead_id"],
        "01J00000000000000000000000"
    );
    assert_eq!(event["queryStringParameters"]["x"], "1");
    assert_eq!(event["requestContext"]["http"]["method"], "POST");

    // Every other request goes to watch as it came.
    let response = client
        .post(format!("{url}/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"email":"é"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "watch");
    let (path, body) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (path.as_str(), body.as_slice()),
        ("/v1/auth/login", r#"{"email":"é"}"#.as_bytes())
    );
}
