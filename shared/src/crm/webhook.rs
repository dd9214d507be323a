//! The CRM webhook receiver (`POST {function-url}/zoho/{event}`).
//!
//! Zoho does not sign webhooks and does not retry them, so the receiver authenticates with
//! a shared secret (constant-time compare), validates the minimal shape, puts the raw event
//! on the FIFO queue (one message group per CRM record, so one record's events stay in
//! order; de-duplicated by content) and answers at once. The worker treats the event as a
//! hint and re-reads the record from Zoho.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Secret;
use crate::fault::{Fault, FieldError, Invalid, Kind};
use crate::queue::{Fifo, Queue};

/// The header Zoho's webhook editor is set up to send.
pub const SECRET_HEADER: &str = "x-portal-webhook-secret";
/// Largest accepted body.
pub const MAX_BODY: usize = 64 * 1024;

/// The events the path may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Partner,
    Lead,
    Commission,
    /// A Notifications API callback (ids only, authenticated by its echoed token).
    Notify,
}

impl EventKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "partner" => Some(Self::Partner),
            "lead" => Some(Self::Lead),
            "commission" => Some(Self::Commission),
            "notify" => Some(Self::Notify),
            _ => None,
        }
    }
}

/// What the queue carries: the kind, the record, and Zoho's payload as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedEvent {
    pub kind: EventKind,
    pub module: String,
    pub record_id: String,
    pub payload: Value,
    pub received_at: String,
}

/// Receiver settings: the shared secret, and the Notifications channels we created.
#[derive(Clone)]
pub struct WebhookAuth {
    pub secret: Secret<String>,
    pub channels: Vec<String>,
}

fn same(a: &str, b: &str) -> bool {
    // Constant time in the content; lengths are not secret.
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Why a webhook call is refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("The body may be at most {0} bytes.")]
    TooLarge(usize),
    #[error("{0}")]
    Malformed(&'static str),
    #[error("The webhook secret is missing or wrong.")]
    Unauthenticated,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
}

impl Fault for WebhookError {
    fn kind(&self) -> Kind {
        match self {
            WebhookError::TooLarge(_) => Kind::TooLarge,
            WebhookError::Malformed(_) => Kind::Invalid,
            WebhookError::Unauthenticated => Kind::Unauthenticated,
            WebhookError::Invalid(e) => e.kind(),
            WebhookError::Queue(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            WebhookError::TooLarge(_) => "payload_too_large",
            WebhookError::Malformed(_) => "malformed_body",
            WebhookError::Unauthenticated => "unauthenticated",
            WebhookError::Invalid(e) => e.code(),
            WebhookError::Queue(e) => e.code(),
        }
    }
    fn fields(&self) -> Vec<FieldError> {
        match self {
            WebhookError::Invalid(e) => e.fields(),
            _ => Vec::new(),
        }
    }
}

/// Parses a JSON or form-encoded body into a JSON object.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, WebhookError> {
    if body.len() > MAX_BODY {
        return Err(WebhookError::TooLarge(MAX_BODY));
    }
    let value: Value =
        if crate::http::media_type(content_type) == "application/x-www-form-urlencoded" {
            let mut map = Map::new();
            for (k, v) in url_form(body) {
                map.insert(k, Value::String(v));
            }
            Value::Object(map)
        } else {
            serde_json::from_slice(body)
                .map_err(|_| WebhookError::Malformed("The body is not valid JSON or form data."))?
        };
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(WebhookError::Malformed("The body must be an object.")),
    }
}

fn url_form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                crate::storage::decode_event_key(k),
                crate::storage::decode_event_key(v),
            )
        })
        .collect()
}

fn field(map: &Map<String, Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Authenticates and validates one call; returns the messages to queue (a Notifications
/// callback names several records: one message each).
pub fn accept(
    kind: EventKind,
    header_secret: Option<&str>,
    body: Map<String, Value>,
    auth: &WebhookAuth,
    now: &str,
) -> Result<Vec<QueuedEvent>, WebhookError> {
    let unauthorized = || WebhookError::Unauthenticated;
    if kind == EventKind::Notify {
        let token = field(&body, "token").ok_or_else(unauthorized)?;
        let channel = field(&body, "channel_id").ok_or_else(unauthorized)?;
        if !same(&token, auth.secret.expose()) || !auth.channels.iter().any(|c| c == &channel) {
            return Err(unauthorized());
        }
    } else if !header_secret.is_some_and(|h| same(h, auth.secret.expose())) {
        return Err(unauthorized());
    }
    let module = field(&body, "module").ok_or_else(|| Invalid::field("/module", "is required"))?;
    let ids: Vec<String> = if kind == EventKind::Notify {
        body.get("ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .or_else(|| v.as_u64().map(|n| n.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        field(&body, "id").into_iter().collect()
    };
    if ids.is_empty() || ids.len() > 100 || ids.iter().any(|i| i.len() > 64) {
        return Err(Invalid::field(
            if kind == EventKind::Notify {
                "/ids"
            } else {
                "/id"
            },
            "must name the CRM record(s)",
        )
        .into());
    }
    let payload = Value::Object(body);
    Ok(ids
        .into_iter()
        .map(|record_id| QueuedEvent {
            kind,
            module: module.clone(),
            record_id,
            payload: payload.clone(),
            received_at: now.to_string(),
        })
        .collect())
}

/// The event's identity: a hash of what Zoho sent (not of when it arrived), so the same
/// call delivered twice is one event.
pub fn event_id(event: &QueuedEvent) -> String {
    let digest = Sha256::digest(
        serde_json::to_vec(&(&event.kind, &event.module, &event.record_id, &event.payload))
            .unwrap_or_default(),
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Queues the events: group = module + record, de-duplication id = hash of the content.
pub async fn enqueue(queue: &Queue, events: &[QueuedEvent]) -> Result<(), WebhookError> {
    for event in events {
        let fifo = Fifo {
            group_id: format!("{}:{}", event.module, event.record_id),
            deduplication_id: event_id(event),
        };
        queue.send_json(event, Some(fifo)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status the API answers a refused call with.
    trait Status {
        fn status(self) -> u16;
    }
    impl Status for WebhookError {
        fn status(self) -> u16 {
            crate::http::Problem::from(self).status().as_u16()
        }
    }

    fn auth() -> WebhookAuth {
        WebhookAuth {
            secret: Secret::new("s3cret-value".into()),
            channels: vec!["1000000068001".into()],
        }
    }

    #[test]
    fn a_wrong_or_missing_secret_is_refused() {
        let body = parse_body("application/json", br#"{"module":"Leads","id":"1"}"#).unwrap();
        assert_eq!(
            accept(EventKind::Lead, None, body.clone(), &auth(), "t")
                .unwrap_err()
                .status(),
            401
        );
        assert_eq!(
            accept(
                EventKind::Lead,
                Some("s3cret-valuf"),
                body.clone(),
                &auth(),
                "t"
            )
            .unwrap_err()
            .status(),
            401
        );
        assert_eq!(
            accept(EventKind::Lead, Some("s3cret-value"), body, &auth(), "t")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn form_bodies_and_notifications_are_understood() {
        let body = parse_body(
            "application/x-www-form-urlencoded",
            b"module=Leads&id=4876876000000624001&status=Contacted+in+Future",
        )
        .unwrap();
        let events = accept(EventKind::Lead, Some("s3cret-value"), body, &auth(), "t").unwrap();
        assert_eq!(events[0].record_id, "4876876000000624001");
        assert_eq!(events[0].payload["status"], "Contacted in Future");

        let notify = parse_body("application/json", br#"{"module":"Leads","ids":["11","12"],"operation":"update","channel_id":"1000000068001","token":"s3cret-value"}"#).unwrap();
        assert_eq!(
            accept(EventKind::Notify, None, notify, &auth(), "t")
                .unwrap()
                .len(),
            2
        );
        let foreign = parse_body(
            "application/json",
            br#"{"module":"Leads","ids":["11"],"channel_id":"999","token":"s3cret-value"}"#,
        )
        .unwrap();
        assert_eq!(
            accept(EventKind::Notify, None, foreign, &auth(), "t")
                .unwrap_err()
                .status(),
            401
        );
    }

    #[test]
    fn malformed_or_oversized_bodies_are_4xx() {
        assert_eq!(
            parse_body("application/json", b"{nope")
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            parse_body("application/json", b"[1]").unwrap_err().status(),
            400
        );
        assert_eq!(
            parse_body("application/json", &vec![b' '; MAX_BODY + 1])
                .unwrap_err()
                .status(),
            413
        );
        let no_id = parse_body("application/json", br#"{"module":"Leads"}"#).unwrap();
        assert_eq!(
            accept(EventKind::Lead, Some("s3cret-value"), no_id, &auth(), "t")
                .unwrap_err()
                .status(),
            400
        );
    }
}
