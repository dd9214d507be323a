//! The local stack's event delivery (infra/local/events.py): queue and bucket events reach
//! functions through the Lambda Invoke API in the shapes Lambda's event sources use, partial
//! batch failures are retried, and repeat failures end in the dead-letter queue.

use aws_lambda_events::s3::S3Event;
use aws_lambda_events::sqs::SqsEvent;
use portal_tests::{Stack, env, root, unique};
use serde_json::{Value, json};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

type Invocations = Arc<Mutex<Vec<(String, Value)>>>;

/// A stand-in for `cargo lambda watch`'s Invoke API. The worker fails every message whose
/// body is "poison", the mailer every email to bounce@example.com (both as batch item
/// failures); the verifier accepts everything.
async fn fake_invoke_api() -> (String, Invocations) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Invocations = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let record = record.clone();
            tokio::spawn(async move {
                let Some((path, body)) = portal_tests::read_http_request(&mut socket).await else {
                    return;
                };
                let function = path.split('/').nth(3).unwrap_or("").to_string();
                let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let response = if function == "mailer" {
                    let failures: Vec<Value> = payload["Records"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|r| r["dynamodb"]["NewImage"]["to"]["S"] == "bounce@example.com")
                        .map(|r| json!({"itemIdentifier": r["dynamodb"]["SequenceNumber"]}))
                        .collect();
                    json!({"batchItemFailures": failures})
                } else if function == "worker" {
                    let failures: Vec<Value> = payload["Records"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|r| r["body"] == "poison")
                        .map(|r| json!({"itemIdentifier": r["messageId"]}))
                        .collect();
                    json!({"batchItemFailures": failures})
                } else if function == "verifier" && payload.to_string().contains("broken") {
                    json!({"errorType": "VerificationFailed", "errorMessage": "the table is unavailable"})
                } else {
                    Value::Null
                };
                record.lock().unwrap().push((function, payload));
                let body = response.to_string();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                    body.len(),
                    body
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

struct Pump(Child);

impl Drop for Pump {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Fixture {
    dir: std::path::PathBuf,
    state: Value,
    _pump: Pump,
}

impl Fixture {
    fn resource(&self, logical: &str) -> String {
        self.state["resources"][logical]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Provisions tests/fixtures/event-sources.yaml as its own stack and starts the event
/// delivery against `invoke_url`.
fn provision_and_pump(stack: &Stack, invoke_url: &str) -> Fixture {
    let dir = std::env::temp_dir().join(unique("portal-events-"));
    std::fs::create_dir_all(&dir).unwrap();
    let python = env("PORTAL_PYTHON");
    let stack_name = unique("evt").to_lowercase();
    let status = Command::new(&python)
        .arg(root().join("infra/local/provision.py"))
        .args([
            "--template",
            root()
                .join("tests/fixtures/event-sources.yaml")
                .to_str()
                .unwrap(),
        ])
        .args(["--endpoint", &stack.endpoint, "--stack", &stack_name])
        .args(["--env-out", dir.join("env").to_str().unwrap()])
        .args(["--state-out", dir.join("state.json").to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "provisioning the fixture template failed");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap();
    let pump = Pump(
        Command::new(&python)
            .arg(root().join("infra/local/events.py"))
            .args([
                "--state",
                dir.join("state.json").to_str().unwrap(),
                "--invoke-url",
                invoke_url,
                "--wait",
                "1",
            ])
            .spawn()
            .unwrap(),
    );
    Fixture {
        dir,
        state,
        _pump: pump,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_and_bucket_events_reach_their_functions_like_lambda_event_sources() {
    let stack = Stack::connect().await;
    let (invoke_url, seen) = fake_invoke_api().await;
    let fixture = provision_and_pump(&stack, &invoke_url);
    let inbox = fixture.resource("Inbox");
    let dead_letters = fixture.resource("InboxDeadLetter");
    let bucket = fixture.resource("Uploads");

    let sqs = stack.sqs();
    for body in ["ok-1", "poison", "ok-2"] {
        sqs.send_message()
            .queue_url(&inbox)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let s3 = stack.s3();
    for key in ["kyc/P1/D1.pdf", "other/ignored.txt"] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(b"%PDF-1.7".to_vec().into())
            .send()
            .await
            .unwrap();
    }

    // Wait for: both good messages handled, the poison message dead-lettered, the upload delivered.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut dead = Vec::new();
    loop {
        let done_ok = {
            let seen = seen.lock().unwrap();
            let bodies: Vec<String> = seen
                .iter()
                .filter(|(f, _)| f == "worker")
                .flat_map(|(_, p)| p["Records"].as_array().cloned().unwrap_or_default())
                .map(|r| r["body"].as_str().unwrap_or("").to_string())
                .collect();
            bodies.contains(&"ok-1".to_string())
                && bodies.contains(&"ok-2".to_string())
                && seen.iter().any(|(f, _)| f == "verifier")
        };
        if dead.is_empty() {
            let out = sqs
                .receive_message()
                .queue_url(&dead_letters)
                .send()
                .await
                .unwrap();
            dead = out.messages.unwrap_or_default();
        }
        if done_ok && !dead.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "events not delivered in time: {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some("poison"));
    let seen = seen.lock().unwrap().clone();

    // Every worker invocation is a well-formed SqsEvent; each good message was handled once
    // (deleted after success), the poison one retried until redriven.
    let mut ok_count = 0;
    let mut poison_count = 0;
    for (_, payload) in seen.iter().filter(|(f, _)| f == "worker") {
        let event: SqsEvent = serde_json::from_value(payload.clone()).expect("an SqsEvent");
        for r in event.records {
            assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
            assert!(r.receipt_handle.is_some() && r.message_id.is_some());
            match r.body.as_deref() {
                Some("poison") => poison_count += 1,
                Some(_) => ok_count += 1,
                None => panic!("record without body"),
            }
        }
    }
    assert_eq!(
        ok_count, 2,
        "good messages are deleted after success, not redelivered"
    );
    assert_eq!(
        poison_count, 2,
        "a failed item is redelivered up to maxReceiveCount"
    );

    // The verifier got exactly the upload under its prefix, as an S3 event.
    let uploads: Vec<S3Event> = seen
        .iter()
        .filter(|(f, _)| f == "verifier")
        .map(|(_, p)| serde_json::from_value(p.clone()).expect("an S3Event"))
        .collect();
    let keys: Vec<String> = uploads
        .iter()
        .flat_map(|e| e.records.iter().filter_map(|r| r.s3.object.key.clone()))
        .collect();
    assert_eq!(keys, vec!["kyc/P1/D1.pdf".to_string()]);
    assert_eq!(
        uploads[0].records[0].s3.bucket.name.as_deref(),
        Some(bucket.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_upload_verification_reaches_an_alarmed_queue() {
    let stack = Stack::connect().await;
    let (invoke_url, seen) = fake_invoke_api().await;
    let fixture = provision_and_pump(&stack, &invoke_url);
    let failures = fixture.resource("VerifierFailures");
    stack
        .s3()
        .put_object()
        .bucket(fixture.resource("Uploads"))
        .key("kyc/P1/broken.pdf")
        .body(b"%PDF-1.7".to_vec().into())
        .send()
        .await
        .unwrap();
    let sqs = stack.sqs();
    let deadline = Instant::now() + Duration::from_secs(60);
    let record = loop {
        let out = sqs
            .receive_message()
            .queue_url(&failures)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            break serde_json::from_str::<Value>(m.body().unwrap()).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the failed event never reached the on-failure queue"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(
        record["requestPayload"]["Records"][0]["s3"]["object"]["key"],
        "kyc/P1/broken.pdf"
    );
    let attempts = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(f, _)| f == "verifier")
        .count();
    assert_eq!(
        attempts, 2,
        "the first invocation and MaximumRetryAttempts (1) retry"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn table_stream_records_reach_their_function_filtered_retried_then_dead_lettered() {
    let stack = Stack::connect().await;
    let (invoke_url, seen) = fake_invoke_api().await;
    let fixture = provision_and_pump(&stack, &invoke_url);
    let table = fixture.resource("Ledger");
    let failures = fixture.resource("LedgerFailures");

    let ddb = stack.dynamodb();
    use aws_sdk_dynamodb::types::AttributeValue::S;
    for (pk, kind, to) in [
        ("a", "email_outbox", "ok@example.com"),
        ("b", "lead", "-"),
        ("c", "email_outbox", "bounce@example.com"),
    ] {
        ddb.put_item()
            .table_name(&table)
            .item("PK", S(pk.into()))
            .item("kind", S(kind.into()))
            .item("to", S(to.into()))
            .send()
            .await
            .unwrap();
    }

    let sqs = stack.sqs();
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let out = sqs
            .receive_message()
            .queue_url(&failures)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no on-failure record; seen {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };

    let delivered: Vec<(String, String)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(f, _)| f == "mailer")
        .flat_map(|(_, p)| {
            let event: aws_lambda_events::dynamodb::Event =
                serde_json::from_value(p.clone()).expect("a DynamoDB stream event");
            event.records.into_iter().map(|r| {
                let pk = match r.change.keys.get("PK") {
                    Some(serde_dynamo::AttributeValue::S(s)) => s.clone(),
                    other => panic!("unexpected key {other:?}"),
                };
                (r.event_name, pk)
            })
        })
        .collect();
    assert!(delivered.iter().all(|(name, _)| name == "INSERT"));
    assert!(
        !delivered.iter().any(|(_, pk)| pk == "b"),
        "the filter lets only outbox items through: {delivered:?}"
    );
    assert_eq!(
        delivered.iter().filter(|(_, pk)| pk == "a").count(),
        1,
        "{delivered:?}"
    );
    assert_eq!(
        delivered.iter().filter(|(_, pk)| pk == "c").count(),
        2,
        "first try plus one retry: {delivered:?}"
    );

    let body: Value = serde_json::from_str(dead.body().unwrap()).unwrap();
    assert_eq!(body["DDBStreamBatchInfo"]["batchSize"], 1);
    assert_eq!(body["records"][0]["dynamodb"]["Keys"]["PK"]["S"], "c");
}
