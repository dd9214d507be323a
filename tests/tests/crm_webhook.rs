//! The CRM webhook receiver: authenticated calls are queued (FIFO, one group per record,
//! de-duplicated); refused calls queue nothing.

use portal_tests::*;
use serde_json::{Value, json};
use shared::config::Secret;
use shared::crm::webhook::WebhookAuth;

async fn receiver(stack: &Stack) -> (crm_webhook::Deps, String, String) {
    let sqs = stack.sqs();
    let url = stack.fifo_queue("webhook-", &[]).await;
    let secret = stack.webhook_secret().await;
    let deps = crm_webhook::Deps {
        queue: shared::queue::Queue::new(sqs, &url),
        auth: WebhookAuth {
            secret: Secret::new(secret.clone()),
            channels: vec!["1000000068001".into()],
        },
    };
    (deps, url, secret)
}

async fn queued(stack: &Stack, url: &str) -> Vec<(String, Value)> {
    let out = stack
        .sqs()
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    out.messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let group = m
                .attributes()
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
                })
                .cloned()
                .unwrap_or_default();
            (group, serde_json::from_str(m.body().unwrap()).unwrap())
        })
        .collect()
}

fn with_secret(req: lambda_http::Request, secret: &str) -> lambda_http::Request {
    with_header(req, "x-portal-webhook-secret", secret)
}

#[tokio::test]
async fn an_authenticated_lead_event_is_queued_once_in_its_records_group() {
    let stack = Stack::connect().await;
    let (deps, url, secret) = receiver(&stack).await;
    for _ in 0..2 {
        let req = with_secret(http_fixture("crm-webhook", "lead-updated"), &secret);
        let (status, body) =
            outcome(&shared::http::respond(req, |r| crm_webhook::handle(r, &deps)).await);
        assert_eq!((status, body), (200, json!({"accepted": true})));
    }
    let messages = queued(&stack, &url).await;
    assert_eq!(
        messages.len(),
        1,
        "Zoho's repeat of the same event is de-duplicated"
    );
    assert_eq!(messages[0].0, "Leads:4876876000000624001");
    assert_eq!(messages[0].1["kind"], "lead");
    assert_eq!(messages[0].1["payload"]["status"], "Contacted");
}

#[tokio::test]
async fn refused_calls_queue_nothing() {
    let stack = Stack::connect().await;
    let (deps, url, secret) = receiver(&stack).await;
    let cases: Vec<(&str, lambda_http::Request, u16)> = vec![
        (
            "no secret",
            http_fixture("crm-webhook", "lead-updated"),
            401,
        ),
        (
            "wrong secret",
            with_secret(
                http_fixture("crm-webhook", "lead-updated"),
                "not-the-secret",
            ),
            401,
        ),
        (
            "malformed",
            with_secret(
                with_json(http_fixture("crm-webhook", "lead-updated"), &json!("x")),
                &secret,
            ),
            400,
        ),
        (
            "no record id",
            with_secret(
                with_json(
                    http_fixture("crm-webhook", "lead-updated"),
                    &json!({"module": "Leads"}),
                ),
                &secret,
            ),
            400,
        ),
        (
            "too large",
            with_secret(
                with_json(
                    http_fixture("crm-webhook", "lead-updated"),
                    &json!({"module": "Leads", "id": "1", "pad": "x".repeat(70_000)}),
                ),
                &secret,
            ),
            413,
        ),
        (
            "unknown event",
            with_path_param(
                with_secret(http_fixture("crm-webhook", "lead-updated"), &secret),
                "event",
                "deal",
            ),
            404,
        ),
        (
            "foreign channel",
            with_json(
                http_fixture("crm-webhook", "notification"),
                &json!({"module": "Leads", "ids": ["1"], "channel_id": "999", "token": secret}),
            ),
            401,
        ),
    ];
    for (case, mut req, expected) in cases {
        if case == "no secret" {
            req.headers_mut().remove("x-portal-webhook-secret");
        }
        let (status, body) =
            outcome(&shared::http::respond(req, |r| crm_webhook::handle(r, &deps)).await);
        assert_eq!(status, expected, "{case}: {body}");
        assert!(body["code"].is_string(), "{case}: problem+json");
    }
    assert!(queued(&stack, &url).await.is_empty());
}

#[tokio::test]
async fn form_bodies_and_notification_callbacks_are_accepted() {
    let stack = Stack::connect().await;
    let (deps, url, secret) = receiver(&stack).await;
    let mut form = with_secret(http_fixture("crm-webhook", "lead-updated"), &secret);
    *form.body_mut() =
        lambda_http::Body::Text("module=Leads&id=4876876000000999001&status=Qualified".into());
    form.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    assert_eq!(
        outcome(&shared::http::respond(form, |r| crm_webhook::handle(r, &deps)).await).0,
        200
    );

    let mut notify: Value =
        serde_json::from_str(&fixture_json("crm-webhook", "notification")).unwrap();
    let mut body: Value = serde_json::from_str(notify["body"].as_str().unwrap()).unwrap();
    body["token"] = json!(secret);
    body["ids"] = json!(["11", "12"]);
    notify["body"] = json!(body.to_string());
    let req = lambda_http::request::from_str(&notify.to_string()).unwrap();
    assert_eq!(
        outcome(&shared::http::respond(req, |r| crm_webhook::handle(r, &deps)).await).0,
        200
    );

    let mut groups: Vec<String> = queued(&stack, &url)
        .await
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec!["Leads:11", "Leads:12", "Leads:4876876000000999001"]
    );
}
