//! A registered-partner world for end-to-end tests: the identity functions' real
//! handlers, driven by their fixtures, against the emulator.

use chrono::Utc;
use serde_json::{Value, json};
use shared::app::Keys;
use shared::identity::service::Identity;
use shared::store::keys;

use crate::*;

pub const PASSWORD: &str = "correct horse battery staple";

/// Rate limits count in fixed windows (15 minutes, an hour, a day): a test whose attempts
/// straddled a window's end would see the count restart. Waits (at most `needed_secs`)
/// until the current window of `window_secs` has that long left. Hours and days end where
/// a 15-minute window ends, so `within_one_window(900, n)` guards all three.
pub async fn within_one_window(window_secs: i64, needed_secs: i64) {
    let now = Utc::now().timestamp();
    let left = window_secs - now.rem_euclid(window_secs);
    if left < needed_secs {
        tokio::time::sleep(std::time::Duration::from_secs((left + 1) as u64)).await;
    }
}

/// A client address from the benchmarking range (198.18.0.0/15), unique in this process.
pub fn unique_source_ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) + std::process::id() % 1000 * 1000;
    format!("198.{}.{}.{}", 18 + (n >> 16) % 2, (n >> 8) % 256, n % 256)
}

/// [`call`] with the caller's bearer token.
pub async fn as_user<F, Fut>(req: lambda_http::Request, token: &str, handler: F) -> (u16, Value)
where
    F: FnOnce(lambda_http::Request) -> Fut,
    Fut: std::future::Future<
            Output = Result<lambda_http::Response<lambda_http::Body>, shared::http::Problem>,
        >,
{
    call(with_bearer(req, Some(token)), handler).await
}

pub async fn call<F, Fut>(req: lambda_http::Request, handler: F) -> (u16, Value)
where
    F: FnOnce(lambda_http::Request) -> Fut,
    Fut: std::future::Future<
            Output = Result<lambda_http::Response<lambda_http::Body>, shared::http::Problem>,
        >,
{
    outcome(&shared::http::respond(req, handler).await)
}

pub struct Portal {
    pub stack: Stack,
    pub open: Identity,
    pub signer: Identity,
    pub verifier: Identity,
    pub lister: Identity,
    /// A context with everything (documents bucket, field key, cursors, token keys).
    pub ctx: shared::app::Context,
    /// This world's client address (its own, so one test's failed logins never throttle
    /// another's).
    pub source_ip: String,
}

impl Portal {
    pub async fn new() -> Self {
        let stack = Stack::connect().await;
        Self {
            open: identity(&stack, Keys::None, false).await,
            signer: identity(&stack, Keys::Sign, false).await,
            verifier: identity(&stack, Keys::Verify, false).await,
            lister: identity(&stack, Keys::Verify, true).await,
            ctx: shared::app::context(
                &shared::config::ProcessEnv,
                &stack.sdk,
                shared::app::Needs {
                    keys: Keys::Verify,
                    cursors: true,
                    documents: true,
                    field_cipher: true,
                    export_queue: true,
                },
            )
            .await
            .unwrap(),
            source_ip: unique_source_ip(),
            stack,
        }
    }

    pub fn registration(email: &str) -> Value {
        json!({
            "business_name": "Acme Solar (Pty) Ltd", "business_type": "company",
            "registration_number": "2019/123456/07", "contact_person": "Thandi Nkosi",
            "email": email, "phone": "082 555 1234", "street_address": "12 Long Street",
            "city": "Cape Town", "province": "Western Cape", "postal_code": "8001", "country": "ZA",
            "password": PASSWORD
        })
    }

    /// Registers a partner with a fresh owner email; returns (partner_id, owner email).
    pub async fn register(&self) -> (String, String) {
        self.register_as(&Self::registration(&format!(
            "{}@acme.example",
            unique("owner-").to_lowercase()
        )))
        .await
    }

    /// Verifies the owner's address with the link from the registration email.
    pub async fn verify_email(&self, email: &str) {
        let token = token_for(&self.deliver_emails(email).await, "/verify-email");
        let req = with_json(
            http_fixture("auth-email-verify", "verify"),
            &json!({ "token": token }),
        );
        let (status, body) = call(req, |r| auth_email_verify::handle(r, &self.open)).await;
        assert_eq!(status, 204, "{body}");
    }

    /// Registers a partner, verifies its owner's address and approves it (a shortcut past
    /// KYC review, which has its own tests): only approved partners with a verified owner
    /// may invite users or register leads.
    pub async fn register_approved(&self) -> (String, String) {
        let (partner_id, email) = self.register().await;
        self.verify_email(&email).await;
        self.ctx
            .store()
            .apply(shared::store::Patch::new(&keys::partner(&partner_id)).set("status", "approved"))
            .await
            .unwrap();
        (partner_id, email)
    }

    /// Registers a partner from a registration body; returns (partner_id, owner email).
    pub async fn register_as(&self, body: &Value) -> (String, String) {
        let email = body["email"].as_str().unwrap().to_string();
        let req = with_source_ip(
            with_json(http_fixture("auth-register", "application"), body),
            &unique_source_ip(),
        );
        let (status, body) = call(req, |r| auth_register::handle(r, &self.ctx)).await;
        assert_eq!(status, 201, "{body}");
        (body["partner_id"].as_str().unwrap().to_string(), email)
    }

    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let req = with_source_ip(
            with_json(
                http_fixture("auth-login", "password"),
                &json!({"email": email, "password": password}),
            ),
            &self.source_ip,
        );
        call(req, |r| auth_login::handle(r, &self.signer)).await
    }

    pub async fn token(&self, email: &str) -> Value {
        let (status, body) = self.login(email, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let req = with_json(
            http_fixture("auth-refresh", "rotate"),
            &json!({"refresh_token": refresh_token}),
        );
        call(req, |r| auth_refresh::handle(r, &self.signer)).await
    }

    pub async fn me(&self, access: &str) -> (u16, Value) {
        call(with_bearer(http_fixture("me", "get"), Some(access)), |r| {
            me::handle(r, &self.verifier)
        })
        .await
    }

    pub async fn invite(&self, access: &str, email: &str, role: &str) -> (u16, Value) {
        let req = with_bearer(
            with_json(
                http_fixture("users-invite", "invite-sales"),
                &json!({"email": email, "role": role}),
            ),
            Some(access),
        );
        call(req, |r| users_invite::handle(r, &self.verifier)).await
    }

    pub async fn update_user(
        &self,
        access: &str,
        user_id: &str,
        version: u64,
        body: Value,
    ) -> (u16, Value) {
        let req = with_path_param(
            with_header(
                with_bearer(
                    with_json(http_fixture("users-update", "deactivate"), &body),
                    Some(access),
                ),
                "if-match",
                &format!("\"v{version}\""),
            ),
            "user_id",
            user_id,
        );
        call(req, |r| users_update::handle(r, &self.verifier)).await
    }

    /// The outbox emails addressed to `to` not sent yet, exactly as stored.
    pub async fn pending_emails(
        &self,
        to: &str,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let pending = self
            .stack
            .dynamodb()
            .query()
            .table_name(&self.stack.table)
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :p")
            .expression_attribute_values(
                ":p",
                aws_sdk_dynamodb::types::AttributeValue::S(keys::PENDING_EMAILS.into()),
            )
            .send()
            .await
            .unwrap();
        pending
            .items
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.get("to").and_then(|v| v.as_s().ok()).map(String::as_str) == Some(to))
            .collect()
    }

    /// Delivers the outbox emails addressed to `to` through the email-sender function (as
    /// the table stream would) and returns the bodies SES accepted for that address.
    pub async fn deliver_emails(&self, to: &str) -> Vec<String> {
        let mine = self.pending_emails(to).await;
        let records: Vec<Value> = mine
            .into_iter()
            .enumerate()
            .map(|(n, item)| {
                let image: serde_dynamo::Item = item.into();
                json!({"eventID": n.to_string(), "eventName": "INSERT", "eventSource": "aws:dynamodb",
                       "eventVersion": "1.1", "awsRegion": "us-east-1",
                       "dynamodb": {"Keys": {}, "NewImage": image, "SequenceNumber": format!("{n:024}"),
                                    "SizeBytes": 512, "StreamViewType": "NEW_AND_OLD_IMAGES",
                                    "ApproximateCreationDateTime": Utc::now().timestamp()}})
            })
            .collect();
        let config = email_sender::Config::read(&shared::config::ProcessEnv).unwrap();
        let deps = email_sender::Deps::new(&config, &self.stack.sdk)
            .await
            .unwrap();
        let event: aws_lambda_events::dynamodb::Event =
            serde_json::from_value(json!({ "Records": records })).unwrap();
        let response = email_sender::handle(
            lambda_runtime::LambdaEvent::new(event, Default::default()),
            &deps,
        )
        .await
        .unwrap();
        assert!(
            response.batch_item_failures.is_empty(),
            "emails failed to send"
        );
        sent_emails(&self.stack, to).await
    }
}

/// Bodies of the emails SES (the emulator) accepted for `to`.
pub async fn sent_emails(stack: &Stack, to: &str) -> Vec<String> {
    // The emulator builds the dump while other tests write; under load a dump can fail
    // (an error page instead of JSON): ask again.
    let mut data = Value::Null;
    for attempt in 0..10 {
        let response = reqwest::get(format!("{}/moto-api/data.json", stack.endpoint))
            .await
            .unwrap();
        match response.json::<Value>().await {
            Ok(v) => {
                data = v;
                break;
            }
            Err(e) if attempt < 9 => {
                eprintln!("emulator data dump failed ({e}); retrying");
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            Err(e) => panic!("the emulator's data dump keeps failing: {e}"),
        }
    }
    let mut bodies = Vec::new();
    let mut stack_: Vec<&Value> = vec![&data["ses"]];
    // The data dump nests per account/region; walk it for messages addressed to `to`.
    while let Some(v) = stack_.pop() {
        match v {
            Value::Object(m) => {
                let addressed = m
                    .get("destinations")
                    .or_else(|| m.get("destination"))
                    .is_some_and(|d| d.to_string().contains(to));
                if addressed {
                    bodies.push(v.to_string());
                } else {
                    stack_.extend(m.values());
                }
            }
            Value::Array(a) => stack_.extend(a.iter()),
            _ => {}
        }
    }
    bodies
}

/// An approved partner with its owner's address and tokens.
pub struct ApprovedPartner {
    pub id: String,
    pub email: String,
    /// The owner's login answer (`access_token`, `refresh_token`, `user`).
    pub owner: Value,
}

impl ApprovedPartner {
    /// The owner's access token.
    pub fn token(&self) -> &str {
        self.owner["access_token"].as_str().unwrap()
    }
}

impl Portal {
    /// A registered, approved partner and its signed-in owner.
    pub async fn approved_partner(&self) -> ApprovedPartner {
        let (id, email) = self.register_approved().await;
        ApprovedPartner {
            id,
            owner: self.token(&email).await,
            email,
        }
    }

    /// `POST /v1/public/unsubscribe/{token}` as a mail app's one-click button sends it.
    pub async fn unsubscribe(&self, token: &str) -> (u16, Value) {
        let req = with_path_param(
            api_request(
                "POST /v1/public/unsubscribe/{token}",
                &format!("/v1/public/unsubscribe/{token}"),
                &[],
            ),
            "token",
            token,
        );
        let mut req = with_header(req, "content-type", "application/x-www-form-urlencoded");
        *req.body_mut() = lambda_http::Body::from("List-Unsubscribe=One-Click");
        call(with_source_ip(req, &unique_source_ip()), |r| {
            public_unsubscribe::handle(r, &self.ctx)
        })
        .await
    }
}

/// The unsubscribe token of the page a sent email's footer links to (`/unsubscribe/<token>`,
/// which POSTs it to `/v1/public/unsubscribe/<token>`).
pub fn unsubscribe_token(sent: &str) -> String {
    let at = sent.find("/unsubscribe/").expect("an unsubscribe link") + "/unsubscribe/".len();
    sent[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

/// The token of the first email among `bodies` whose link goes to `path`.
pub fn token_for(bodies: &[String], path: &str) -> String {
    let body = bodies
        .iter()
        .find(|b| b.contains(path))
        .unwrap_or_else(|| panic!("no email with a {path} link: {bodies:?}"));
    token_from_link(body)
}

pub fn token_from_link(email_body: &str) -> String {
    let start = email_body.find("token=").expect("a link with a token") + "token=".len();
    email_body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

impl Portal {
    /// The object key a presigned URL of this stack's documents bucket points at.
    pub fn object_key(&self, url: &str) -> String {
        url::Url::parse(url)
            .unwrap()
            .path()
            .split_once(&format!("/{}/", self.stack.bucket))
            .unwrap()
            .1
            .to_string()
    }

    /// PUTs `bytes` to a presigned upload (`{url, headers}`) the way a browser does: the
    /// signed headers, the length set by the client. Returns the object key.
    pub async fn put_upload(&self, upload: &Value, bytes: &[u8]) -> String {
        let mut put = reqwest::Client::new()
            .put(upload["url"].as_str().unwrap())
            .body(bytes.to_vec());
        for (name, value) in upload["headers"].as_object().unwrap() {
            if name != "content-length" {
                put = put.header(name, value.as_str().unwrap());
            }
        }
        assert!(put.send().await.unwrap().status().is_success());
        self.object_key(upload["url"].as_str().unwrap())
    }

    /// The bucket's verifier (`kyc-verify-upload`) on the object-created event S3 sends
    /// for `key` (form-encoded, with the object's ETag).
    pub async fn verify_object(&self, key: &str) {
        let mut event: Value =
            serde_json::from_str(&fixture_json("kyc-verify-upload", "object-created")).unwrap();
        event["Records"][0]["s3"]["object"]["key"] = json!(key.replace(' ', "+"));
        event["Records"][0]["s3"]["bucket"]["name"] = json!(self.stack.bucket);
        let info = shared::storage::Documents::new(self.stack.s3(), &self.stack.bucket)
            .info(key)
            .await
            .unwrap();
        event["Records"][0]["s3"]["object"]["eTag"] =
            json!(info.and_then(|i| i.etag).unwrap_or_default());
        let event: aws_lambda_events::s3::S3Event = serde_json::from_value(event).unwrap();
        kyc_verify_upload::handle(
            lambda_runtime::LambdaEvent::new(event, Default::default()),
            &self.ctx,
        )
        .await
        .unwrap();
    }

    /// An access token for a fresh internal admin.
    pub async fn admin_token(&self) -> String {
        let email = format!("{}@ops.example", unique("admin-").to_lowercase());
        let req: shared::identity::service::BootstrapAdminRequest =
            serde_json::from_value(json!({"email": email, "password": PASSWORD})).unwrap();
        shared::identity::service::bootstrap_admin(&self.open, req, Utc::now())
            .await
            .unwrap();
        self.token(&email).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Invites `role` into the owner's partner and accepts; returns the new user's token pair.
    pub async fn member(&self, owner_access: &str, role: &str) -> Value {
        let email = format!(
            "{}@acme.example",
            unique(&format!("{role}-")).to_lowercase()
        );
        let (status, body) = self.invite(owner_access, &email, role).await;
        assert_eq!(status, 201, "{body}");
        let token = token_from_link(&self.deliver_emails(&email).await[0]);
        let accept = json!({"token": token, "password": "another long passphrase"});
        let (status, pair) = call(
            with_json(http_fixture("auth-invitation-accept", "accept"), &accept),
            |r| auth_invitation_accept::handle(r, &self.signer),
        )
        .await;
        assert_eq!(status, 200, "{pair}");
        pair
    }
}

/// A full context whose DynamoDB client counts the calls it makes.
pub async fn counted_context(counter: &CallCounter, stack: &Stack) -> shared::app::Context {
    let mut ctx = shared::app::context(
        &shared::config::ProcessEnv,
        &stack.sdk,
        shared::app::Needs {
            keys: Keys::Verify,
            cursors: true,
            documents: true,
            field_cipher: true,
            export_queue: true,
        },
    )
    .await
    .unwrap();
    ctx.identity = identity_with(counter.client(stack), stack, Keys::Verify, true).await;
    ctx
}

/// Writes `n` approved partners (copies of `template` with new ids) with lead counters and
/// `quarter`'s figures, varied by a fixed pattern: data for the nightly score job.
pub async fn seed_scored_partners(
    store: &shared::store::Store,
    template: &shared::partners::Partner,
    quarter: &str,
    n: usize,
) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(30) {
        let mut tx = store.tx();
        for i in chunk {
            let partner = shared::partners::Partner {
                id: ulid::Ulid::new().to_string(),
                ..template.clone()
            };
            let (won, lost, fast) = ((i % 13) as i64, (i % 7) as i64, (i % 5) as i64);
            tx = tx
                .put(&partner)
                .add(
                    &keys::partner_counters(&partner.id),
                    "partner_counters",
                    &[
                        ("leads_total", won + lost),
                        ("status_won", won),
                        ("status_lost", lost),
                    ],
                )
                .add(
                    &keys::partner_quarter(&partner.id, quarter),
                    "partner_quarter",
                    &[("leads_created", won + lost), ("first_contact_1h", fast)],
                );
        }
        store.commit(tx.build()).await.unwrap();
    }
}
