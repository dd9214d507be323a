//! A fake Zoho CRM (and, in [`strapi`], a fake Strapi content API): the accounts token endpoint and the v8 records API over HTTP/1.1
//! (served by `tiny_http` on threads of its own), for the end-to-end tests (in process) and
//! for local development (the `fake-zoho` binary, which `make dev` runs).
//!
//! It keeps records per module in memory, issues and checks OAuth tokens, and answers in
//! Zoho's shapes and status codes (checked against Zoho's published OpenAPI description,
//! `zoho/crm-oas`, v8.0). Tests can make it misbehave the way Zoho does: rate limits,
//! server errors, slow answers, expired tokens, per-record failures.
//!
//! Every record change takes a new `Modified_Time` from a fake clock that never repeats a
//! second, so modification times are strictly increasing across the whole fake.
//!
//! Endpoints:
//! - `POST /oauth/v2/token`: the refresh-token grant (errors answered with 200, as Zoho does);
//! - `/crm/v8/{module}[/{id}|/search|/upsert]`: list, get, search, insert, update, upsert;
//! - `GET|POST /__fake/records/{module}[/{id}]`: look at and change records as a CRM user,
//!   announcing each change to the configured webhook (see [`FakeZoho::set_webhook`]).

mod criteria;
mod records;
mod server;
pub mod strapi;

pub use strapi::FakeStrapi;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use records::{Actor, State, plain_text};
use server::{Shared, lock};

/// The OAuth client the fake accepts (see [`FakeZoho::credentials`]).
pub const CLIENT_ID: &str = "fake-client";
pub const CLIENT_SECRET: &str = "fake-secret";
pub const REFRESH_TOKEN: &str = "fake-refresh";

/// A way for the fake to misbehave.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The next API request answers with this HTTP status and Zoho's error JSON for it.
    Status(u16),
    /// The next API request answers 401 `INVALID_TOKEN`, and the token it presented stops working.
    InvalidToken,
    /// The next API request waits this long, then is answered normally.
    Delay(Duration),
    /// The next token-endpoint request waits this long, then is answered normally.
    TokenDelay(Duration),
    /// The first record of the next write (that gets past faults and auth) fails with this code.
    RecordError { code: String, api_name: String },
}

/// A fake Zoho CRM listening on `base_url`; the server stops when this is dropped.
pub struct FakeZoho {
    /// `http://127.0.0.1:PORT`: both the accounts URL and the API domain.
    pub base_url: String,
    shared: Shared,
    http: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
}

impl FakeZoho {
    /// Starts on a free local port. (Async so that async tests can await it; the server
    /// runs on threads of its own and needs no runtime.)
    pub async fn start() -> FakeZoho {
        Self::listen("127.0.0.1:0").expect("the fake Zoho can listen on a local port")
    }

    /// Starts on `addr` (see [`FakeZoho::listen`]).
    pub async fn start_on(addr: &str) -> std::io::Result<FakeZoho> {
        Self::listen(addr)
    }

    /// Starts on `addr` (`127.0.0.1:0`: a free port) and returns once it accepts connections.
    pub fn listen(addr: &str) -> std::io::Result<FakeZoho> {
        let http = Arc::new(tiny_http::Server::http(addr).map_err(std::io::Error::other)?);
        let local = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("the fake Zoho listens on TCP only"))?;
        let base_url = format!("http://{local}");
        let shared: Shared = Arc::new(Mutex::new(State::new(base_url.clone())));
        let stopping = Arc::new(AtomicBool::new(false));
        server::spawn(http.clone(), shared.clone(), stopping.clone())?;
        Ok(FakeZoho {
            base_url,
            shared,
            http,
            stopping,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }

    /// The client's Zoho settings: OAuth client, refresh token and accounts URL.
    pub fn credentials(&self) -> Value {
        json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "accounts_url": self.base_url,
        })
    }

    /// Queues a fault. Faults of one kind are used in order: `Status`, `InvalidToken` and
    /// `Delay` by the next API requests, `TokenDelay` by the next token requests,
    /// `RecordError` by the next writes that reach record handling.
    pub fn inject(&self, fault: Fault) {
        let mut st = self.state();
        match fault {
            Fault::TokenDelay(d) => st.token_delays.push_back(d),
            Fault::RecordError { code, api_name } => st.record_errors.push_back((code, api_name)),
            other => st.request_faults.push_back(other),
        }
    }

    /// Makes each API request (without a queued fault) fail with 429 or 500, half each, with
    /// probability `rate`; the draws come from a xorshift generator seeded with `seed`.
    pub fn set_fault_rate(&self, rate: f64, seed: u64) {
        let mut st = self.state();
        st.fault_rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        st.rng = if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        };
    }

    /// Invalidates every access token issued so far.
    pub fn expire_tokens(&self) {
        self.state().tokens.clear();
    }

    /// Successful token-endpoint calls.
    pub fn refresh_count(&self) -> usize {
        self.state().refresh_count
    }

    /// Requests to `/crm/v8/*`, failed ones included.
    pub fn api_calls(&self) -> usize {
        self.state().api_calls
    }

    /// POST/PUT requests to `/crm/v8/*` that got past faults and auth.
    pub fn writes(&self) -> usize {
        self.state().writes
    }

    /// All records of a module, ordered by id.
    pub fn records(&self, module: &str) -> Vec<Value> {
        self.state().all_records(module)
    }

    pub fn record(&self, module: &str, id: &str) -> Option<Value> {
        let st = self.state();
        let id = id.parse().ok()?;
        st.modules
            .get(module)?
            .records
            .get(&id)
            .cloned()
            .map(Value::Object)
    }

    /// Creates a record as a CRM user would (no mandatory or unique checks); returns it.
    pub fn insert(&self, module: &str, fields: Value) -> Value {
        let Value::Object(fields) = fields else {
            panic!("FakeZoho::insert takes a JSON object of fields, got {fields}")
        };
        let mut st = self.state();
        let fields = st.prepare(module, &fields);
        Value::Object(st.create(module, fields, Actor::Crm))
    }

    /// Edits a record as a CRM user would: merges the fields, bumps `Modified_Time`.
    pub fn update(&self, module: &str, id: &str, fields: Value) -> Value {
        let Value::Object(fields) = fields else {
            panic!("FakeZoho::update takes a JSON object of fields, got {fields}")
        };
        let mut st = self.state();
        let Some(id) = st.existing_id(module, id) else {
            drop(st);
            panic!("FakeZoho::update: no {module} record {id}")
        };
        let fields = st.prepare(module, &fields);
        Value::Object(st.modify(module, id, fields, Actor::Crm))
    }

    /// Makes a field unique in a module: a write with a value another record has fails
    /// with `DUPLICATE_DATA`; upserts also match on it.
    pub fn set_unique(&self, module: &str, field: &str) {
        let mut st = self.state();
        let unique = &mut st.module_mut(module).unique;
        if !unique.iter().any(|f| f == field) {
            unique.push(field.to_string());
        }
    }

    /// Replaces a module's mandatory fields (defaults: Leads `Last_Name`, Vendors
    /// `Vendor_Name`, Tasks `Subject`).
    pub fn set_mandatory(&self, module: &str, fields: &[&str]) {
        self.state().module_mut(module).mandatory = fields.iter().map(|f| f.to_string()).collect();
    }

    /// Declares a lookup field, so a bare id written to it is stored as `{"id": …}`
    /// (defaults: `Owner` everywhere, Leads `Partner`, Commissions `Partner` and `Lead`).
    pub fn set_lookup(&self, module: &str, field: &str) {
        let mut st = self.state();
        let lookups = &mut st.module_mut(module).lookups;
        if !lookups.iter().any(|f| f == field) {
            lookups.push(field.to_string());
        }
    }

    /// Where control-endpoint changes are announced: `POST {url}/zoho/{lead|partner|commission}`
    /// with the shared secret in `X-Portal-Webhook-Secret`.
    pub fn set_webhook(&self, url: &str, secret: &str) {
        self.state().webhook = Some((url.trim_end_matches('/').to_string(), secret.to_string()));
    }
}

impl Drop for FakeZoho {
    fn drop(&mut self) {
        // The accept thread sees the flag once unblocked and ends, dropping its handle of
        // the server; the listening socket closes with the last handle (ours, just after).
        self.stopping.store(true, Ordering::SeqCst);
        self.http.unblock();
    }
}

/// The body our Zoho webhook template sends for a record.
pub fn webhook_body(event: &str, module: &str, record: &Value) -> Value {
    let status_field = match module {
        "Leads" => "Lead_Status",
        "Vendors" => "Partner_Status",
        "Commissions" => "Commission_Status",
        _ => "",
    };
    let text = |field: &str| record.get(field).map(plain_text).unwrap_or_default();
    json!({
        "event": event,
        "module": module,
        "id": text("id"),
        "portal_id": text("Portal_Id"),
        "status": text(status_field),
        "modified_time": text("Modified_Time"),
    })
}

/// The webhook path segment for a module (modules without a webhook: `None`).
fn webhook_kind(module: &str) -> Option<&'static str> {
    match module {
        "Leads" => Some("lead"),
        "Vendors" => Some("partner"),
        "Commissions" => Some("commission"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
