//! S3, SQS, Secrets Manager and SDK configuration against the emulator.

use portal_tests::{Stack, unique};
use shared::queue::{Fifo, Queue};
use shared::secrets::Secrets;
use shared::storage::Documents;
use std::collections::HashMap;
use std::time::Duration;

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn the_sdk_follows_the_standard_endpoint_variable() {
    let stack = Stack::connect().await;
    assert_eq!(stack.sdk.endpoint_url(), Some(stack.endpoint.as_str()));
}

#[tokio::test]
async fn a_presigned_upload_pins_type_length_key_and_expiry() {
    let stack = Stack::connect().await;
    let docs = Documents::new(stack.s3(), &stack.bucket);
    let key = format!("kyc/{}/{}", unique("P"), unique("D"));
    // Asking for an hour still yields at most 15 minutes.
    let upload = docs
        .presign_upload(&key, "application/pdf", 1234, Duration::from_secs(3600))
        .await
        .unwrap();

    let q = query_of(&upload.url);
    let signed: Vec<&str> = q["X-Amz-SignedHeaders"].split(';').collect();
    assert!(
        signed.contains(&"content-type") && signed.contains(&"content-length"),
        "{signed:?}"
    );
    assert!(q["X-Amz-Expires"].parse::<u64>().unwrap() <= 900);
    assert!(url::Url::parse(&upload.url).unwrap().path().ends_with(&key));
    assert_eq!(upload.method, "PUT");
    assert_eq!(upload.headers["content-type"], "application/pdf");
    assert_eq!(upload.headers["content-length"], "1234");
    let remaining = upload.expires_at - chrono::Utc::now();
    assert!(
        remaining <= chrono::Duration::seconds(900) && remaining > chrono::Duration::seconds(890)
    );
}

#[tokio::test]
async fn a_browser_upload_through_the_presigned_url_lands_and_can_be_read_back() {
    let stack = Stack::connect().await;
    let docs = Documents::new(stack.s3(), &stack.bucket);
    let key = format!("kyc/{}/{}", unique("P"), unique("D"));
    let content = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let upload = docs
        .presign_upload(
            &key,
            "application/pdf",
            content.len() as u64,
            Duration::from_secs(300),
        )
        .await
        .unwrap();

    let http = reqwest::Client::new();
    let mut put = http.put(&upload.url).body(content.clone());
    for (name, value) in &upload.headers {
        put = put.header(name, value);
    }
    let response = put.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());

    let info = docs.info(&key).await.unwrap().expect("object stored");
    assert_eq!(info.size, content.len() as u64);
    assert_eq!(docs.head_bytes(&key, 5).await.unwrap(), b"%PDF-");

    let download = docs
        .presign_download(&key, Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(
        query_of(&download.url)["X-Amz-Expires"]
            .parse::<u64>()
            .unwrap()
            <= 300
    );
    let fetched = http
        .get(&download.url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(fetched.as_ref(), content.as_slice());

    docs.delete(&key).await.unwrap();
    assert_eq!(docs.info(&key).await.unwrap(), None);
}

#[tokio::test]
async fn secrets_are_read_once_per_cold_start() {
    let stack = Stack::connect().await;
    let sm = stack.secrets_manager();
    let name = unique("test-secret-");
    sm.create_secret()
        .name(&name)
        .secret_string("first")
        .send()
        .await
        .unwrap();

    let secrets = Secrets::new(sm.clone());
    assert_eq!(secrets.string(&name).await.unwrap().expose(), "first");
    sm.put_secret_value()
        .secret_id(&name)
        .secret_string("rotated")
        .send()
        .await
        .unwrap();
    // Same execution environment: the cached value, no second call.
    assert_eq!(secrets.string(&name).await.unwrap().expose(), "first");
    // A new cold start sees the rotation.
    assert_eq!(
        Secrets::new(sm).string(&name).await.unwrap().expose(),
        "rotated"
    );
}

#[tokio::test]
async fn a_missing_secret_is_an_error_naming_it() {
    let stack = Stack::connect().await;
    let err = Secrets::new(stack.secrets_manager())
        .string("no-such-secret")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no-such-secret"));
}

#[tokio::test]
async fn fifo_messages_are_deduplicated_and_keep_their_group() {
    let stack = Stack::connect().await;
    let sqs = stack.sqs();
    let url = stack.fifo_queue("t-", &[]).await;
    let queue = Queue::new(sqs.clone(), &url);
    let fifo = || Fifo {
        group_id: "Leads:4876876000000624001".into(),
        deduplication_id: "evt-1".into(),
    };
    queue
        .send_json(&serde_json::json!({"n": 1}), Some(fifo()))
        .await
        .unwrap();
    queue
        .send_json(&serde_json::json!({"n": 1}), Some(fifo()))
        .await
        .unwrap();

    let out = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let messages = out.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body(), Some(r#"{"n":1}"#));
    let group = messages[0]
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId))
        .cloned();
    assert_eq!(group.as_deref(), Some("Leads:4876876000000624001"));
}
