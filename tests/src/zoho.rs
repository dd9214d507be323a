//! A fake Zoho CRM: the accounts token endpoint and the v8 records API, served over plain
//! HTTP/1.1 from an in-process tokio task (tests) or the `fake-zoho` binary (development).
//!
//! It keeps records per module in memory, issues and checks OAuth tokens, and answers in
//! Zoho's shapes and status codes (checked against Zoho's published OpenAPI description,
//! `zoho/crm-oas`, v8.0). Tests can make it misbehave the way Zoho does: rate limits,
//! server errors, slow answers, expired tokens, per-record failures.
//!
//! Every record change takes a new `Modified_Time` from a fake clock that never repeats a
//! second, so modification times are strictly increasing across the whole fake.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The OAuth client the fake accepts (see [`FakeZoho::credentials`]).
pub const CLIENT_ID: &str = "fake-client";
pub const CLIENT_SECRET: &str = "fake-secret";
pub const REFRESH_TOKEN: &str = "fake-refresh";

/// Record ids are 19-digit numbers like Zoho's; the first record gets this one.
const FIRST_RECORD_ID: u64 = 4_876_876_000_000_100_001;
const MAX_RECORDS_PER_WRITE: usize = 100;
const MAX_PER_PAGE: usize = 200;
/// Zoho serves at most this many records by `page`; beyond it needs `page_token`.
const DISCRETE_PAGINATION_LIMIT: usize = 2000;
const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Fields Zoho sets itself; writes that send them are ignored for these fields.
const SYSTEM_FIELDS: [&str; 5] = [
    "id",
    "Created_Time",
    "Modified_Time",
    "Created_By",
    "Modified_By",
];

/// Who changed a record: our integration user (API writes) or a person in the CRM.
#[derive(Clone, Copy)]
enum Actor {
    Api,
    Crm,
}

impl Actor {
    const API_ID: &str = "4876876000000225001";
    const CRM_ID: &str = "4876876000000225002";

    fn user(self) -> Value {
        match self {
            Actor::Api => {
                json!({"name": "Portal Integration", "id": Self::API_ID, "email": "crm-integration@example.com"})
            }
            Actor::Crm => {
                json!({"name": "Sales Manager", "id": Self::CRM_ID, "email": "sales.manager@example.com"})
            }
        }
    }

    fn by_id(id: &str) -> Option<Self> {
        match id {
            Self::API_ID => Some(Actor::Api),
            Self::CRM_ID => Some(Actor::Crm),
            _ => None,
        }
    }
}

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
    server: tokio::task::AbortHandle,
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panicking test must not take the fake down for the others.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeZoho {
    /// Starts on a free local port.
    pub async fn start() -> FakeZoho {
        Self::start_on("127.0.0.1:0")
            .await
            .expect("the fake Zoho can listen on a local port")
    }

    pub async fn start_on(addr: &str) -> std::io::Result<FakeZoho> {
        let listener = TcpListener::bind(addr).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Mutex::new(State::new(base_url.clone())));
        let server = tokio::spawn(serve(listener, shared.clone())).abort_handle();
        Ok(FakeZoho {
            base_url,
            shared,
            server,
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
        self.server.abort();
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

/// A scalar as text; lookups by their id; anything else empty.
fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Object(o) => o.get("id").map(plain_text).unwrap_or_default(),
        _ => String::new(),
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Zoho compares text case-insensitively for duplicates and search; lookups by id.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(_), _) | (_, Value::Object(_)) => {
            let (a, b) = (plain_text(a), plain_text(b));
            !a.is_empty() && a == b
        }
        (Value::String(a), Value::String(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        (Value::String(s), other) | (other, Value::String(s)) => *s == plain_text(other),
        _ => a == b,
    }
}

fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .or_else(|_| DateTime::parse_from_rfc2822(s.trim()))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

// ------------------------------------------------------------------ state

#[derive(Default)]
struct Module {
    /// Keyed by the numeric id, so iteration is in id order.
    records: BTreeMap<u64, Map<String, Value>>,
    mandatory: Vec<String>,
    unique: Vec<String>,
    lookups: Vec<String>,
}

impl Module {
    fn new(name: &str) -> Self {
        let mandatory: &[&str] = match name {
            "Leads" => &["Last_Name"],
            "Vendors" => &["Vendor_Name"],
            "Tasks" => &["Subject"],
            _ => &[],
        };
        let lookups: &[&str] = match name {
            "Leads" => &["Owner", "Partner"],
            "Commissions" => &["Owner", "Partner", "Lead"],
            _ => &["Owner"],
        };
        Module {
            mandatory: mandatory.iter().map(|f| f.to_string()).collect(),
            lookups: lookups.iter().map(|f| f.to_string()).collect(),
            ..Module::default()
        }
    }
}

/// Where a `page_token` continues: the query it belongs to and the last key served.
struct Cursor {
    module: String,
    sort_by: String,
    sort_order: String,
    since: Option<DateTime<Utc>>,
    last: SortKey,
    page: usize,
}

type SortKey = (Option<DateTime<Utc>>, u64);

struct State {
    base_url: String,
    modules: HashMap<String, Module>,
    next_id: u64,
    last_modified: Option<DateTime<Utc>>,
    tokens: HashSet<String>,
    request_faults: VecDeque<Fault>,
    token_delays: VecDeque<Duration>,
    record_errors: VecDeque<(String, String)>,
    fault_rate: f64,
    rng: u64,
    refresh_count: usize,
    api_calls: usize,
    writes: usize,
    page_tokens: HashMap<String, Cursor>,
    webhook: Option<(String, String)>,
}

enum WriteKind {
    Insert,
    Update,
    UpdateOne(String),
    Upsert,
}

impl State {
    fn new(base_url: String) -> Self {
        State {
            base_url,
            modules: HashMap::new(),
            next_id: FIRST_RECORD_ID,
            last_modified: None,
            tokens: HashSet::new(),
            request_faults: VecDeque::new(),
            token_delays: VecDeque::new(),
            record_errors: VecDeque::new(),
            fault_rate: 0.0,
            rng: 0x9E37_79B9_7F4A_7C15,
            refresh_count: 0,
            api_calls: 0,
            writes: 0,
            page_tokens: HashMap::new(),
            webhook: None,
        }
    }

    fn module_mut(&mut self, name: &str) -> &mut Module {
        self.modules
            .entry(name.to_string())
            .or_insert_with(|| Module::new(name))
    }

    fn all_records(&self, module: &str) -> Vec<Value> {
        self.modules
            .get(module)
            .map(|m| m.records.values().cloned().map(Value::Object).collect())
            .unwrap_or_default()
    }

    fn existing_id(&self, module: &str, id: &str) -> Option<u64> {
        let id = id.trim().parse().ok()?;
        self.modules
            .get(module)?
            .records
            .contains_key(&id)
            .then_some(id)
    }

    /// The next modification time: now, but always at least a second after the last one.
    fn tick(&mut self) -> String {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default();
        let time = match self.last_modified {
            Some(last) if last + chrono::Duration::seconds(1) > now => {
                last + chrono::Duration::seconds(1)
            }
            _ => now,
        };
        self.last_modified = Some(time);
        format_time(time)
    }

    fn random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn next_fault(&mut self) -> Option<Fault> {
        if let Some(fault) = self.request_faults.pop_front() {
            return Some(fault);
        }
        if self.fault_rate > 0.0 {
            let draw = (self.random() >> 11) as f64 / (1u64 << 53) as f64;
            if draw < self.fault_rate {
                let status = if self.random() >> 63 == 0 { 429 } else { 500 };
                return Some(Fault::Status(status));
            }
        }
        None
    }

    /// Drops system fields and `$` keys, and writes lookups as `{"id", "name"}` objects.
    fn prepare(&mut self, module: &str, input: &Map<String, Value>) -> Map<String, Value> {
        let lookups = self.module_mut(module).lookups.clone();
        input
            .iter()
            .filter(|(k, _)| !SYSTEM_FIELDS.contains(&k.as_str()) && !k.starts_with('$'))
            .map(|(k, v)| {
                let is_lookup_object = v.as_object().is_some_and(|o| o.contains_key("id"));
                let value = if lookups.contains(k) || is_lookup_object {
                    self.lookup(v)
                } else {
                    v.clone()
                };
                (k.clone(), value)
            })
            .collect()
    }

    fn lookup(&self, value: &Value) -> Value {
        let (id, name) = match value {
            Value::String(s) if !s.trim().is_empty() => (s.trim().to_string(), None),
            Value::Number(n) => (n.to_string(), None),
            Value::Object(o) => match o.get("id") {
                Some(id @ (Value::String(_) | Value::Number(_))) => (
                    plain_text(id),
                    o.get("name").filter(|n| !n.is_null()).cloned(),
                ),
                _ => return value.clone(),
            },
            _ => return value.clone(),
        };
        if let Some(user) = Actor::by_id(&id) {
            return user.user();
        }
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.clone()));
        if let Some(name) = name.or_else(|| self.display_name(&id).map(Value::String)) {
            out.insert("name".into(), name);
        }
        Value::Object(out)
    }

    /// What Zoho shows as a lookup's name: the referenced record's name field.
    fn display_name(&self, id: &str) -> Option<String> {
        let id: u64 = id.parse().ok()?;
        let record = self.modules.values().find_map(|m| m.records.get(&id))?;
        let text = |f: &str| {
            record
                .get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        if let Some(last) = text("Last_Name") {
            return Some(match text("First_Name") {
                Some(first) => format!("{first} {last}"),
                None => last.to_string(),
            });
        }
        [
            "Vendor_Name",
            "Account_Name",
            "Deal_Name",
            "Name",
            "Subject",
        ]
        .into_iter()
        .find_map(text)
        .map(str::to_string)
    }

    fn create(
        &mut self,
        module: &str,
        fields: Map<String, Value>,
        actor: Actor,
    ) -> Map<String, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let time = self.tick();
        let mut record = Map::new();
        record.insert("id".into(), Value::String(id.to_string()));
        record.insert("Owner".into(), actor.user());
        record.extend(fields);
        record.insert("Created_Time".into(), Value::String(time.clone()));
        record.insert("Modified_Time".into(), Value::String(time));
        record.insert("Created_By".into(), actor.user());
        record.insert("Modified_By".into(), actor.user());
        self.module_mut(module).records.insert(id, record.clone());
        record
    }

    /// Merges fields into an existing record (the caller checked it exists).
    fn modify(
        &mut self,
        module: &str,
        id: u64,
        fields: Map<String, Value>,
        actor: Actor,
    ) -> Map<String, Value> {
        let time = self.tick();
        let record = self
            .module_mut(module)
            .records
            .get_mut(&id)
            .expect("the caller checked the record exists");
        record.extend(fields);
        record.insert("Modified_Time".into(), Value::String(time));
        record.insert("Modified_By".into(), actor.user());
        record.clone()
    }

    fn check_mandatory(
        &mut self,
        module: &str,
        index: usize,
        fields: &Map<String, Value>,
        inserting: bool,
    ) -> Result<(), Value> {
        for field in &self.module_mut(module).mandatory {
            let missing = match fields.get(field) {
                None => inserting,
                Some(value) => is_blank(value),
            };
            if missing {
                return Err(record_error(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    json!({"api_name": field, "json_path": json_path(index, field)}),
                ));
            }
        }
        Ok(())
    }

    fn check_unique(
        &mut self,
        module: &str,
        index: usize,
        fields: &Map<String, Value>,
        own_id: Option<u64>,
    ) -> Result<(), Value> {
        let m = self.module_mut(module);
        for field in &m.unique {
            let Some(value) = fields.get(field).filter(|v| !is_blank(v)) else {
                continue;
            };
            let clash = m.records.iter().find(|(id, record)| {
                Some(**id) != own_id && record.get(field).is_some_and(|v| same_value(v, value))
            });
            if let Some((id, record)) = clash {
                return Err(record_error(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    json!({
                        "api_name": field,
                        "json_path": json_path(index, field),
                        "id": id.to_string(),
                        "duplicate_record": {"id": id.to_string(), "Owner": record.get("Owner")},
                        "more_records": false,
                    }),
                ));
            }
        }
        Ok(())
    }

    fn insert_checked(
        &mut self,
        module: &str,
        index: usize,
        fields: Map<String, Value>,
    ) -> Result<Map<String, Value>, Value> {
        self.check_mandatory(module, index, &fields, true)?;
        self.check_unique(module, index, &fields, None)?;
        Ok(self.create(module, fields, Actor::Api))
    }

    fn update_checked(
        &mut self,
        module: &str,
        index: usize,
        id: &str,
        fields: Map<String, Value>,
    ) -> Result<Map<String, Value>, Value> {
        let Some(id) = self.existing_id(module, id) else {
            return Err(record_error(
                "INVALID_DATA",
                "the id given seems to be invalid",
                json!({"api_name": "id", "json_path": json_path(index, "id"), "expected_data_type": "bigint"}),
            ));
        };
        self.check_mandatory(module, index, &fields, false)?;
        self.check_unique(module, index, &fields, Some(id))?;
        Ok(self.modify(module, id, fields, Actor::Api))
    }

    /// The record an upsert updates: the first check field whose value matches a record.
    fn upsert_match(
        &mut self,
        module: &str,
        fields: &Map<String, Value>,
        check: &[String],
    ) -> Option<(u64, String)> {
        let m = self.module_mut(module);
        check.iter().find_map(|field| {
            let value = fields.get(field).filter(|v| !is_blank(v))?;
            m.records
                .iter()
                .find(|(_, r)| r.get(field).is_some_and(|v| same_value(v, value)))
                .map(|(id, _)| (*id, field.clone()))
        })
    }

    fn write(&mut self, module: &str, kind: WriteKind, body: &[u8]) -> Response {
        self.writes += 1;
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return Response::error(400, "INVALID_DATA", "body is not a valid JSON", json!({}));
        };
        let Some(data) = body
            .get("data")
            .and_then(Value::as_array)
            .filter(|d| !d.is_empty())
        else {
            return Response::error(
                400,
                "MANDATORY_NOT_FOUND",
                "required field not found",
                json!({"api_name": "data", "json_path": "$.data"}),
            );
        };
        if data.len() > MAX_RECORDS_PER_WRITE {
            return Response::error(
                400,
                "LIMIT_EXCEEDED",
                "the number of records exceeds the limit",
                json!({"api_name": "data", "json_path": "$.data", "limit": MAX_RECORDS_PER_WRITE}),
            );
        }
        let check: Vec<String> = match body.get("duplicate_check_fields").and_then(Value::as_array)
        {
            Some(fields) if !fields.is_empty() => fields
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => {
                let mut fields: Vec<String> = system_duplicate_fields(module)
                    .iter()
                    .map(|f| f.to_string())
                    .collect();
                fields.extend(self.module_mut(module).unique.iter().cloned());
                fields
            }
        };
        let mut injected = self.record_errors.pop_front();
        let mut results = Vec::with_capacity(data.len());
        for (index, input) in data.iter().enumerate() {
            if let Some((code, api_name)) = injected.take() {
                results.push(record_error(
                    &code,
                    "injected record error",
                    json!({"api_name": api_name, "json_path": json_path(index, &api_name)}),
                ));
                continue;
            }
            results.push(self.write_one(module, &kind, index, input, &check));
        }
        let ok = results.iter().filter(|r| r["status"] == "success").count();
        let status = match (ok, &kind) {
            (0, _) => 400,
            (n, _) if n < results.len() => 207,
            (_, WriteKind::Insert) => 201,
            _ => 200,
        };
        Response::json(status, json!({"data": results}))
    }

    fn write_one(
        &mut self,
        module: &str,
        kind: &WriteKind,
        index: usize,
        input: &Value,
        check: &[String],
    ) -> Value {
        let Some(input) = input.as_object() else {
            return record_error(
                "INVALID_DATA",
                "invalid data",
                json!({"api_name": "data", "json_path": format!("$.data[{index}]"), "expected_data_type": "jsonobject"}),
            );
        };
        let fields = self.prepare(module, input);
        let outcome = match kind {
            WriteKind::Insert => self
                .insert_checked(module, index, fields)
                .map(|r| (r, None)),
            WriteKind::Update => {
                match input.get("id").map(plain_text).filter(|id| !id.is_empty()) {
                    Some(id) => self
                        .update_checked(module, index, &id, fields)
                        .map(|r| (r, None)),
                    None => Err(record_error(
                        "MANDATORY_NOT_FOUND",
                        "required field not found",
                        json!({"api_name": "id", "json_path": json_path(index, "id")}),
                    )),
                }
            }
            WriteKind::UpdateOne(id) => self
                .update_checked(module, index, id, fields)
                .map(|r| (r, None)),
            WriteKind::Upsert => match self.upsert_match(module, &fields, check) {
                Some((id, field)) => self
                    .update_checked(module, index, &id.to_string(), fields)
                    .map(|r| (r, Some(("update", Value::String(field))))),
                None => self
                    .insert_checked(module, index, fields)
                    .map(|r| (r, Some(("insert", Value::Null)))),
            },
        };
        match outcome {
            Ok((record, upsert)) => {
                let added =
                    matches!(kind, WriteKind::Insert) || matches!(upsert, Some(("insert", _)));
                let who = |f: &str| {
                    let user = &record[f];
                    json!({"name": user["name"], "id": user["id"]})
                };
                let mut result = json!({
                    "code": "SUCCESS",
                    "details": {
                        "Modified_Time": record["Modified_Time"],
                        "Modified_By": who("Modified_By"),
                        "Created_Time": record["Created_Time"],
                        "id": record["id"],
                        "Created_By": who("Created_By"),
                    },
                    "message": if added { "record added" } else { "record updated" },
                    "status": "success",
                });
                if let Some((action, field)) = upsert {
                    result["action"] = json!(action);
                    result["duplicate_field"] = field;
                }
                result
            }
            Err(error) => error,
        }
    }

    fn get_one(&self, module: &str, id: &str, query: &Query) -> Response {
        let record = self
            .existing_id(module, id)
            .and_then(|id| self.modules.get(module)?.records.get(&id));
        match record {
            Some(record) => {
                Response::json(200, json!({"data": [project(record, query.get("fields"))]}))
            }
            None => Response::empty(204),
        }
    }

    fn search(&self, module: &str, query: &Query) -> Response {
        let criteria = match (query.get("criteria"), query.get("email")) {
            (Some(c), _) => match parse_criteria(c) {
                Some(c) => c,
                None => {
                    return Response::error(
                        400,
                        "INVALID_QUERY",
                        "Invalid query formed",
                        json!({"reason": "invalid criteria", "api_name": "criteria"}),
                    );
                }
            },
            (None, Some(email)) => Criteria::Cond {
                field: "Email".into(),
                op: "equals".into(),
                value: email.to_string(),
            },
            (None, None) => {
                return Response::error(
                    400,
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing",
                    json!({"param_name": "criteria"}),
                );
            }
        };
        let (page, per_page) = match paging(query) {
            Ok(p) => p,
            Err(response) => return response,
        };
        let matched = match self.modules.get(module) {
            Some(m) => {
                let mut out = Vec::new();
                for record in m.records.values() {
                    match criteria.matches(record) {
                        Some(true) => out.push(record),
                        Some(false) => {}
                        None => {
                            return Response::error(
                                400,
                                "INVALID_QUERY",
                                "Invalid query formed",
                                json!({"reason": "unsupported comparator", "api_name": "criteria"}),
                            );
                        }
                    }
                }
                out
            }
            None => Vec::new(),
        };
        let start = (page - 1) * per_page;
        let slice: Vec<Value> = matched
            .iter()
            .skip(start)
            .take(per_page)
            .map(|r| project(r, query.get("fields")))
            .collect();
        if slice.is_empty() {
            return Response::empty(204);
        }
        let more = matched.len() > start + slice.len();
        Response::json(
            200,
            json!({
                "data": slice,
                "info": {"count": slice.len(), "more_records": more, "page": page, "per_page": per_page},
            }),
        )
    }

    fn list(&mut self, module: &str, query: &Query, if_modified_since: Option<&str>) -> Response {
        let Some(fields) = query.get("fields") else {
            return Response::error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                json!({"param_name": "fields"}),
            );
        };
        let since = match if_modified_since {
            None => None,
            Some(text) => match parse_time(text) {
                Some(t) => Some(t),
                None => {
                    return Response::error(
                        400,
                        "INVALID_DATA",
                        "invalid data",
                        json!({"param_name": "If-Modified-Since"}),
                    );
                }
            },
        };
        let (page_param, per_page) = match paging(query) {
            Ok(p) => p,
            Err(response) => return response,
        };
        let mut sort_by = query.get("sort_by").unwrap_or("id").to_string();
        let mut sort_order = query.get("sort_order").unwrap_or("desc").to_string();
        let (page, after) = match query.get("page_token") {
            Some(token) => {
                let Some(cursor) = self.page_tokens.get(token) else {
                    return Response::error(
                        400,
                        "INVALID_DATA",
                        "invalid data",
                        json!({"param_name": "page_token"}),
                    );
                };
                let given_sort_by = query.get("sort_by").is_some_and(|s| s != cursor.sort_by);
                let given_order = query
                    .get("sort_order")
                    .is_some_and(|s| s != cursor.sort_order);
                let mismatch = if cursor.module != module {
                    Some("module")
                } else if given_sort_by {
                    Some("sort_by")
                } else if given_order {
                    Some("sort_order")
                } else if cursor.since != since {
                    Some("If-Modified-Since")
                } else {
                    None
                };
                if let Some(param) = mismatch {
                    return Response::error(
                        400,
                        "TOKEN_BOUND_DATA_MISMATCH",
                        "the given parameter does not match the page token",
                        json!({"param_name": param}),
                    );
                }
                sort_by.clone_from(&cursor.sort_by);
                sort_order.clone_from(&cursor.sort_order);
                (cursor.page + 1, Some(cursor.last))
            }
            None => {
                if page_param * per_page > DISCRETE_PAGINATION_LIMIT {
                    return Response::error(
                        400,
                        "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                        "use page_token to fetch records beyond the first 2000",
                        json!({"limit": DISCRETE_PAGINATION_LIMIT}),
                    );
                }
                (page_param, None)
            }
        };
        if !["id", "Created_Time", "Modified_Time"].contains(&sort_by.as_str()) {
            return Response::error(
                400,
                "INVALID_DATA",
                "invalid data",
                json!({"param_name": "sort_by", "supported_values": ["id", "Created_Time", "Modified_Time"]}),
            );
        }
        if !["asc", "desc"].contains(&sort_order.as_str()) {
            return Response::error(
                400,
                "INVALID_DATA",
                "invalid data",
                json!({"param_name": "sort_order", "supported_values": ["asc", "desc"]}),
            );
        }
        let descending = sort_order == "desc";
        let time_of = |record: &Map<String, Value>, field: &str| {
            record
                .get(field)
                .and_then(Value::as_str)
                .and_then(parse_time)
        };
        let mut rows: Vec<(SortKey, &Map<String, Value>)> = self
            .modules
            .get(module)
            .map(|m| {
                m.records
                    .iter()
                    .filter(|(_, r)| match since {
                        Some(since) => time_of(r, "Modified_Time").is_some_and(|t| t > since),
                        None => true,
                    })
                    .map(|(id, r)| {
                        let time = match sort_by.as_str() {
                            "id" => None,
                            field => time_of(r, field),
                        };
                        ((time, *id), r)
                    })
                    .collect()
            })
            .unwrap_or_default();
        rows.sort_by_key(|row| row.0);
        if descending {
            rows.reverse();
        }
        let remaining: Vec<&(SortKey, &Map<String, Value>)> = match after {
            Some(last) => rows
                .iter()
                .filter(|(key, _)| if descending { *key < last } else { *key > last })
                .collect(),
            None => rows.iter().skip((page - 1) * per_page).collect(),
        };
        let slice = &remaining[..remaining.len().min(per_page)];
        if slice.is_empty() {
            return Response::empty(if since.is_some() { 304 } else { 204 });
        }
        let data: Vec<Value> = slice
            .iter()
            .map(|(_, r)| project(r, Some(fields)))
            .collect();
        let more = remaining.len() > slice.len();
        let last = slice[slice.len() - 1].0;
        let next_page_token = more.then(|| {
            let token = format!("fz{:020x}", ulid::Ulid::new().random());
            self.page_tokens.insert(
                token.clone(),
                Cursor {
                    module: module.to_string(),
                    sort_by: sort_by.clone(),
                    sort_order: sort_order.clone(),
                    since,
                    last,
                    page,
                },
            );
            token
        });
        let expiry = more.then(|| format_time(Utc::now() + chrono::Duration::days(1)));
        Response::json(
            200,
            json!({
                "data": data,
                "info": {
                    "per_page": per_page,
                    "count": data.len(),
                    "page": page,
                    "sort_by": sort_by,
                    "sort_order": sort_order,
                    "more_records": more,
                    "next_page_token": next_page_token,
                    "previous_page_token": null,
                    "page_token_expiry": expiry,
                },
            }),
        )
    }
}

/// Zoho's system-defined duplicate check fields (crm-oas, upsert), used when a request
/// names none; standard modules without one (activities, notes) have none, custom modules
/// check `Name`.
fn system_duplicate_fields(module: &str) -> &'static [&'static str] {
    match module {
        "Leads" | "Contacts" => &["Email"],
        "Accounts" => &["Account_Name"],
        "Deals" => &["Deal_Name"],
        "Campaigns" => &["Campaign_Name"],
        "Cases" | "Quotes" | "Sales_Orders" | "Purchase_Orders" | "Invoices" => &["Subject"],
        "Solutions" => &["Solution_Title"],
        "Products" => &["Product_Name"],
        "Vendors" => &["Vendor_Name"],
        "Price_Books" => &["Price_Book_Name"],
        "Tasks" | "Events" | "Calls" | "Notes" | "Activities" | "Attachments" => &[],
        _ => &["Name"],
    }
}

/// `id` plus the requested fields (null when empty), as Zoho answers a `fields` list.
fn project(record: &Map<String, Value>, fields: Option<&str>) -> Value {
    let Some(fields) = fields else {
        return Value::Object(record.clone());
    };
    let mut out = Map::new();
    out.insert(
        "id".into(),
        record.get("id").cloned().unwrap_or(Value::Null),
    );
    for field in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        out.insert(
            field.to_string(),
            record.get(field).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

/// `page` (from 1) and `per_page` (1..=200, default 200).
fn paging(query: &Query) -> Result<(usize, usize), Response> {
    let number = |name: &str, default: usize, max: usize| match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                Response::error(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    json!({"param_name": name}),
                )
            }),
    };
    Ok((
        number("page", 1, 1_000_000)?,
        number("per_page", MAX_PER_PAGE, MAX_PER_PAGE)?,
    ))
}

fn json_path(index: usize, field: &str) -> String {
    format!("$.data[{index}].{field}")
}

fn record_error(code: &str, message: &str, details: Value) -> Value {
    json!({"code": code, "details": details, "message": message, "status": "error"})
}

// ------------------------------------------------------------------ search criteria

/// `(Field:op:value)`, or groups of them joined by `and` / `or`.
#[derive(Debug, PartialEq)]
enum Criteria {
    Cond {
        field: String,
        op: String,
        value: String,
    },
    And(Vec<Criteria>),
    Or(Vec<Criteria>),
}

impl Criteria {
    /// Whether the record matches; `None` for an operator the fake does not know.
    fn matches(&self, record: &Map<String, Value>) -> Option<bool> {
        match self {
            Criteria::And(all) => {
                let mut result = true;
                for c in all {
                    result &= c.matches(record)?;
                }
                Some(result)
            }
            Criteria::Or(any) => {
                let mut result = false;
                for c in any {
                    result |= c.matches(record)?;
                }
                Some(result)
            }
            Criteria::Cond { field, op, value } => {
                let mut path = field.split('.');
                let mut current = record.get(path.next()?).cloned().unwrap_or(Value::Null);
                for part in path {
                    current = current.get(part).cloned().unwrap_or(Value::Null);
                }
                let actual = plain_text(&current);
                let wanted = unescape(value);
                let eq = |v: &str| {
                    if v == "${EMPTY}" {
                        actual.trim().is_empty()
                    } else {
                        actual.trim().eq_ignore_ascii_case(v.trim())
                    }
                };
                let order = || match (actual.trim().parse::<f64>(), wanted.trim().parse::<f64>()) {
                    (Ok(a), Ok(b)) => a.partial_cmp(&b),
                    _ => match (parse_time(&actual), parse_time(&wanted)) {
                        (Some(a), Some(b)) => Some(a.cmp(&b)),
                        _ => Some(actual.as_str().cmp(wanted.as_str())),
                    },
                };
                use std::cmp::Ordering::{Equal, Greater, Less};
                Some(match op.as_str() {
                    "equals" => eq(&wanted),
                    "not_equal" => !eq(&wanted),
                    "in" => split_unescaped(value).iter().any(|v| eq(v)),
                    "not_in" => !split_unescaped(value).iter().any(|v| eq(v)),
                    "starts_with" => actual.to_lowercase().starts_with(&wanted.to_lowercase()),
                    "greater_than" => order() == Some(Greater),
                    "greater_equal" => matches!(order(), Some(Greater | Equal)),
                    "less_than" => order() == Some(Less),
                    "less_equal" => matches!(order(), Some(Less | Equal)),
                    _ => return None,
                })
            }
        }
    }
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a raw (still escaped) value on unescaped commas, unescaping each part.
fn split_unescaped(value: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    parts.last_mut().expect("never empty").push(next);
                }
            }
            ',' => parts.push(String::new()),
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    parts
}

fn parse_criteria(text: &str) -> Option<Criteria> {
    let mut parser = CriteriaParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    let criteria = parser.expr()?;
    parser.skip_spaces();
    (parser.pos == parser.chars.len()).then_some(criteria)
}

struct CriteriaParser {
    chars: Vec<char>,
    pos: usize,
}

impl CriteriaParser {
    fn skip_spaces(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> Option<()> {
        self.skip_spaces();
        if self.chars.get(self.pos) != Some(&c) {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let matches = end <= self.chars.len()
            && self.chars[self.pos..end]
                .iter()
                .collect::<String>()
                .eq_ignore_ascii_case(word);
        if matches {
            self.pos = end;
        }
        matches
    }

    fn expr(&mut self) -> Option<Criteria> {
        let mut items = vec![self.group()?];
        let mut conjunction: Option<bool> = None;
        loop {
            self.skip_spaces();
            let and = if self.keyword("and") {
                true
            } else if self.keyword("or") {
                false
            } else {
                break;
            };
            // Mixing and/or needs explicit grouping.
            if conjunction.is_some_and(|c| c != and) {
                return None;
            }
            conjunction = Some(and);
            items.push(self.group()?);
        }
        Some(match conjunction {
            None => items.pop()?,
            Some(true) => Criteria::And(items),
            Some(false) => Criteria::Or(items),
        })
    }

    fn group(&mut self) -> Option<Criteria> {
        self.eat('(')?;
        self.skip_spaces();
        let inner = if self.chars.get(self.pos) == Some(&'(') {
            self.expr()?
        } else {
            self.condition()?
        };
        self.eat(')')?;
        Some(inner)
    }

    fn condition(&mut self) -> Option<Criteria> {
        let field = self.until(':')?.trim().to_string();
        self.pos += 1;
        let op = self.until(':')?.trim().to_lowercase();
        self.pos += 1;
        // The value runs to the next unescaped ')'; escapes stay for the matcher.
        let start = self.pos;
        while let Some(&c) = self.chars.get(self.pos) {
            match c {
                '\\' => self.pos += 2,
                ')' => break,
                _ => self.pos += 1,
            }
        }
        let end = self.pos.min(self.chars.len());
        let value: String = self.chars[start..end].iter().collect();
        (!field.is_empty() && !op.is_empty() && self.pos < self.chars.len())
            .then_some(Criteria::Cond { field, op, value })
    }

    fn until(&mut self, stop: char) -> Option<String> {
        let start = self.pos;
        while let Some(&c) = self.chars.get(self.pos) {
            if c == stop {
                return Some(self.chars[start..self.pos].iter().collect());
            }
            if c == '(' || c == ')' {
                return None;
            }
            self.pos += 1;
        }
        None
    }
}

// ------------------------------------------------------------------ HTTP

struct Request {
    method: String,
    path: String,
    query: Query,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The access token of `Authorization: Zoho-oauthtoken <token>`.
    fn token(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("Zoho-oauthtoken")
            .then(|| token.trim())
    }
}

/// Decoded query-string (or form) pairs.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(text: &[u8]) -> Self {
        Query(url::form_urlencoded::parse(text).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Response {
    status: u16,
    body: Option<Value>,
}

impl Response {
    fn json(status: u16, body: Value) -> Self {
        Response {
            status,
            body: Some(body),
        }
    }

    fn empty(status: u16) -> Self {
        Response { status, body: None }
    }

    fn error(status: u16, code: &str, message: &str, details: Value) -> Self {
        Response::json(status, record_error(code, message, details))
    }

    fn invalid_token() -> Self {
        Response::error(401, "INVALID_TOKEN", "invalid oauth token", json!({}))
    }

    /// Zoho's answer for a fault status.
    fn fault(status: u16) -> Self {
        let (code, message) = match status {
            400 => ("INVALID_REQUEST", "invalid request"),
            401 => return Response::invalid_token(),
            403 => ("NO_PERMISSION", "permission denied"),
            404 => (
                "INVALID_URL_PATTERN",
                "Please check if the URL trying to access is a correct one",
            ),
            429 => ("TOO_MANY_REQUESTS", "too many requests"),
            503 => ("SERVICE_UNAVAILABLE", "service temporarily unavailable"),
            s if s >= 500 => ("INTERNAL_ERROR", "Internal Server Error"),
            _ => ("INVALID_REQUEST", "invalid request"),
        };
        Response::error(status, code, message, json!({}))
    }

    fn not_found() -> Self {
        Response::fault(404)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

async fn serve(listener: TcpListener, shared: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: let it pass rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            // A client hanging up mid-request is its own business.
            let _ = connection(stream, shared).await;
        });
    }
}

async fn connection(mut stream: TcpStream, shared: Shared) -> std::io::Result<()> {
    let response = match read_request(&mut stream).await? {
        Incoming::Closed => return Ok(()),
        Incoming::Bad(response) => response,
        Incoming::Request(request) => route(&shared, request).await,
    };
    write_response(&mut stream, &response).await?;
    stream.shutdown().await
}

enum Incoming {
    Request(Request),
    Bad(Response),
    Closed,
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Incoming> {
    let bad = |status: u16| Ok(Incoming::Bad(Response::fault(status)));
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return bad(400);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(Incoming::Closed)
            } else {
                bad(400)
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let (Some(method), Some(target)) = (request_line.next(), request_line.next()) else {
        return bad(400);
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if header("transfer-encoding").is_some() {
        return Ok(Incoming::Bad(Response::empty(411)));
    }
    let length = match header("content-length").map(|v| v.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) if n <= MAX_BODY_BYTES => n,
        Some(Ok(_)) => return Ok(Incoming::Bad(Response::empty(413))),
        Some(Err(_)) => return bad(400),
    };
    let mut body = buf[head_end + 4..].to_vec();
    if body.len() < length
        && header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return bad(400);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Incoming::Request(Request {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        query: Query::parse(query.as_bytes()),
        headers,
        body,
    }))
}

async fn write_response(stream: &mut TcpStream, response: &Response) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    let body = match &response.body {
        Some(body) => {
            let bytes = serde_json::to_vec(body).unwrap_or_default();
            head.push_str("Content-Type: application/json;charset=UTF-8\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", bytes.len()));
            bytes
        }
        // 204 and 304 carry no body and no length.
        None if matches!(response.status, 204 | 304) => Vec::new(),
        None => {
            head.push_str("Content-Length: 0\r\n");
            Vec::new()
        }
    };
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.flush().await
}

async fn route(shared: &Shared, request: Request) -> Response {
    let path = request.path.clone();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["oauth", "v2", "token"] => token(shared, &request).await,
        ["crm", "v8", rest @ ..] => api(shared, &request, rest).await,
        ["__fake", "records", module] => control(shared, &request, module, None).await,
        ["__fake", "records", module, id] => control(shared, &request, module, Some(*id)).await,
        _ => Response::not_found(),
    }
}

/// `POST /oauth/v2/token` (refresh-token grant), answering errors with 200 as Zoho does.
async fn token(shared: &Shared, request: &Request) -> Response {
    let delay = lock(shared).token_delays.pop_front();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if request.method != "POST" {
        return Response::json(200, json!({"error": "invalid_request"}));
    }
    let mut params = Query::parse(&request.body);
    params.0.extend(request.query.0.iter().cloned());
    if params.get("grant_type") != Some("refresh_token") {
        return Response::json(200, json!({"error": "unsupported_grant_type"}));
    }
    if params.get("client_id") != Some(CLIENT_ID)
        || params.get("client_secret") != Some(CLIENT_SECRET)
        || params.get("refresh_token") != Some(REFRESH_TOKEN)
    {
        return Response::json(200, json!({"error": "invalid_client"}));
    }
    let access_token = format!(
        "1000.{:020x}.{:020x}",
        ulid::Ulid::new().random(),
        ulid::Ulid::new().random()
    );
    let mut st = lock(shared);
    st.tokens.insert(access_token.clone());
    st.refresh_count += 1;
    Response::json(
        200,
        json!({
            "access_token": access_token,
            "api_domain": st.base_url,
            "token_type": "Bearer",
            "expires_in": 3600,
        }),
    )
}

/// `/crm/v8/*`: faults, then auth, then the records API.
async fn api(shared: &Shared, request: &Request, rest: &[&str]) -> Response {
    let fault = {
        let mut st = lock(shared);
        st.api_calls += 1;
        st.next_fault()
    };
    match fault {
        Some(Fault::Status(status)) => return Response::fault(status),
        Some(Fault::InvalidToken) => {
            if let Some(token) = request.token() {
                lock(shared).tokens.remove(token);
            }
            return Response::invalid_token();
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let mut st = lock(shared);
    if !request.token().is_some_and(|t| st.tokens.contains(t)) {
        return Response::invalid_token();
    }
    let since = request.header("if-modified-since");
    let query = &request.query;
    let body = &request.body;
    match (request.method.as_str(), rest) {
        ("GET", [module]) => st.list(module, query, since),
        ("GET", [module, "search"]) => st.search(module, query),
        ("GET", [module, id]) => st.get_one(module, id, query),
        ("POST", [module]) => st.write(module, WriteKind::Insert, body),
        ("POST", [module, "upsert"]) => st.write(module, WriteKind::Upsert, body),
        ("PUT", [module]) => st.write(module, WriteKind::Update, body),
        ("PUT", [module, id]) => st.write(module, WriteKind::UpdateOne(id.to_string()), body),
        (_, [_] | [_, _]) => Response::error(
            400,
            "INVALID_REQUEST_METHOD",
            "The http request method type is not a valid one",
            json!({}),
        ),
        _ => Response::not_found(),
    }
}

/// `/__fake/records/{module}[/{id}]`: look at and change records as a CRM user, announcing
/// changes to the configured webhook.
async fn control(shared: &Shared, request: &Request, module: &str, id: Option<&str>) -> Response {
    let not_found = || {
        Response::json(
            404,
            json!({"error": format!("no {module} record {}", id.unwrap_or(""))}),
        )
    };
    if request.method == "GET" {
        let st = lock(shared);
        return match id {
            None => Response::json(200, json!({"data": st.all_records(module)})),
            Some(id) => match st.existing_id(module, id) {
                Some(n) => Response::json(200, json!({"data": [st.modules[module].records[&n]]})),
                None => not_found(),
            },
        };
    }
    if request.method != "POST" {
        return Response::json(405, json!({"error": "use GET or POST"}));
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&request.body) else {
        return Response::json(
            400,
            json!({"error": "the body must be a JSON object of fields"}),
        );
    };
    let (record, event, target) = {
        let mut st = lock(shared);
        let prepared = st.prepare(module, &fields);
        let (record, event) = match id {
            None => (st.create(module, prepared, Actor::Crm), "created"),
            Some(id) => match st.existing_id(module, id) {
                Some(n) => (st.modify(module, n, prepared, Actor::Crm), "updated"),
                None => return not_found(),
            },
        };
        (Value::Object(record), event, st.webhook.clone())
    };
    let webhook = match (webhook_kind(module), target) {
        (Some(kind), Some((url, secret))) => {
            let body = webhook_body(&format!("{kind}.{event}"), module, &record);
            send_webhook(&format!("{url}/zoho/{kind}"), &secret, &body).await
        }
        _ => Value::Null,
    };
    let mut answer = record;
    answer["webhook"] = webhook;
    Response::json(if id.is_none() { 201 } else { 200 }, answer)
}

/// The status code the receiver answered, or why there was none.
async fn send_webhook(url: &str, secret: &str, body: &Value) -> Value {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(client) => client,
        Err(e) => return Value::String(e.to_string()),
    };
    let sent = client
        .post(url)
        .header("X-Portal-Webhook-Secret", secret)
        .header("User-Agent", "Zoho-CRM")
        .json(body)
        .send()
        .await;
    match sent {
        Ok(response) => json!(response.status().as_u16()),
        Err(e) => {
            // reqwest's own message names the URL; the cause (refused, timed out) is below it.
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            Value::String(text)
        }
    }
}

// ------------------------------------------------------------------ tests

#[cfg(test)]
mod tests {
    use super::*;

    async fn token(fake: &FakeZoho) -> String {
        let answer: Value = reqwest::Client::new()
            .post(format!("{}/oauth/v2/token", fake.base_url))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("refresh_token", REFRESH_TOKEN),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"].as_str().unwrap().to_string()
    }

    /// An API call: status and JSON body (`Null` when empty).
    async fn call(
        fake: &FakeZoho,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}/crm/v8/{path}", fake.base_url))
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, body)
    }

    async fn get(fake: &FakeZoho, token: &str, path: &str) -> (u16, Value) {
        call(fake, token, reqwest::Method::GET, path, None, &[]).await
    }

    async fn post(fake: &FakeZoho, token: &str, path: &str, body: Value) -> (u16, Value) {
        call(fake, token, reqwest::Method::POST, path, Some(body), &[]).await
    }

    #[tokio::test]
    async fn refreshed_tokens_work_until_expired_and_wrong_credentials_are_refused() {
        let fake = FakeZoho::start().await;
        let refused: Value = reqwest::Client::new()
            .post(format!(
                "{}/oauth/v2/token?grant_type=refresh_token&client_id={CLIENT_ID}&client_secret=nope&refresh_token={REFRESH_TOKEN}",
                fake.base_url
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(refused, json!({"error": "invalid_client"}));
        assert_eq!(fake.refresh_count(), 0);

        let lead = fake.insert("Leads", json!({"Last_Name": "Ng"}));
        let id = lead["id"].as_str().unwrap();
        let first = token(&fake).await;
        assert!(first.starts_with("1000."));
        let (status, body) = get(&fake, &first, &format!("Leads/{id}")).await;
        assert_eq!((status, &body["data"][0]["Last_Name"]), (200, &json!("Ng")));

        fake.expire_tokens();
        let (status, body) = get(&fake, &first, &format!("Leads/{id}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("INVALID_TOKEN"))
        );

        let second = token(&fake).await;
        assert_eq!(get(&fake, &second, &format!("Leads/{id}")).await.0, 200);
        assert_eq!(
            get(&fake, &second, "Leads/4876876000009999999").await.0,
            204
        );
        assert_eq!(fake.refresh_count(), 2);
        assert_eq!(fake.api_calls(), 4);
    }

    #[tokio::test]
    async fn upsert_inserts_then_updates_the_record_matching_the_duplicate_check_field() {
        let fake = FakeZoho::start().await;
        let token = token(&fake).await;
        let lead = json!({"Last_Name": "Ng", "Email": "ng@example.com", "Lead_Status": "New"});
        let (status, body) = post(
            &fake,
            &token,
            "Leads/upsert",
            json!({"data": [lead], "duplicate_check_fields": ["Email"]}),
        )
        .await;
        assert_eq!(status, 200);
        let first = &body["data"][0];
        assert_eq!(
            (first["action"].as_str(), first["message"].as_str()),
            (Some("insert"), Some("record added"))
        );
        assert_eq!(first["duplicate_field"], Value::Null);
        let id = first["details"]["id"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 19);

        let again = json!({"Last_Name": "Ng", "Email": "NG@example.com", "Lead_Status": "Contacted", "Partner": "4876876000000555001"});
        let (status, body) = post(&fake, &token, "Leads/upsert", json!({"data": [again]})).await;
        assert_eq!(status, 200);
        let second = &body["data"][0];
        assert_eq!(second["action"], "update");
        assert_eq!(second["duplicate_field"], "Email");
        assert_eq!(second["details"]["id"], id.as_str());
        assert_eq!(
            second["details"]["Modified_By"]["name"],
            "Portal Integration"
        );

        let stored = fake.record("Leads", &id).unwrap();
        assert_eq!(stored["Lead_Status"], "Contacted");
        assert_eq!(stored["Partner"], json!({"id": "4876876000000555001"}));
        assert!(stored["Modified_Time"].as_str() > stored["Created_Time"].as_str());
        assert_eq!(fake.records("Leads").len(), 1);
        assert_eq!(fake.writes(), 2);
    }

    #[tokio::test]
    async fn a_unique_field_clash_is_duplicate_data_naming_the_existing_record() {
        let fake = FakeZoho::start().await;
        fake.set_unique("Vendors", "Portal_Id");
        let existing = fake.insert("Vendors", json!({"Vendor_Name": "Acme", "Portal_Id": "P1"}));
        let token = token(&fake).await;
        let (status, body) = post(
            &fake,
            &token,
            "Vendors",
            json!({"data": [{"Vendor_Name": "Acme 2", "Portal_Id": "P1"}]}),
        )
        .await;
        assert_eq!(status, 400);
        let error = &body["data"][0];
        assert_eq!(error["code"], "DUPLICATE_DATA");
        assert_eq!(error["status"], "error");
        assert_eq!(error["details"]["api_name"], "Portal_Id");
        assert_eq!(error["details"]["json_path"], "$.data[0].Portal_Id");
        assert_eq!(error["details"]["id"], existing["id"]);
        assert_eq!(fake.records("Vendors").len(), 1);
    }

    #[tokio::test]
    async fn a_missing_mandatory_field_fails_the_record_with_400() {
        let fake = FakeZoho::start().await;
        let token = token(&fake).await;
        let (status, body) = post(
            &fake,
            &token,
            "Leads",
            json!({"data": [{"Email": "x@example.com"}]}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(
            body["data"][0],
            json!({"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"}, "message": "required field not found", "status": "error"})
        );
        assert!(fake.records("Leads").is_empty());
    }

    #[tokio::test]
    async fn a_batch_with_good_and_bad_records_is_207_in_request_order() {
        let fake = FakeZoho::start().await;
        let token = token(&fake).await;
        let (status, body) = post(
            &fake,
            &token,
            "Leads",
            json!({"data": [{"Last_Name": "A"}, {"First_Name": "B"}]}),
        )
        .await;
        assert_eq!(status, 207);
        assert_eq!(body["data"][0]["status"], "success");
        assert_eq!(body["data"][1]["code"], "MANDATORY_NOT_FOUND");
        assert_eq!(
            body["data"][1]["details"]["json_path"],
            "$.data[1].Last_Name"
        );

        let id = body["data"][0]["details"]["id"].as_str().unwrap();
        let update = json!({"data": [{"id": id, "Lead_Status": "Contacted"}, {"id": "4876876000009999999", "Lead_Status": "Lost"}]});
        let (status, body) = call(
            &fake,
            &token,
            reqwest::Method::PUT,
            "Leads",
            Some(update),
            &[],
        )
        .await;
        assert_eq!(status, 207);
        assert_eq!(body["data"][0]["message"], "record updated");
        assert_eq!(body["data"][1]["code"], "INVALID_DATA");
        assert_eq!(body["data"][1]["details"]["api_name"], "id");

        fake.inject(Fault::RecordError {
            code: "INVALID_DATA".into(),
            api_name: "Lead_Status".into(),
        });
        let (status, body) = post(
            &fake,
            &token,
            "Leads",
            json!({"data": [{"Last_Name": "C"}]}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["data"][0]["details"]["api_name"], "Lead_Status");
    }

    #[tokio::test]
    async fn if_modified_since_returns_only_later_changes_and_304_when_none() {
        let fake = FakeZoho::start().await;
        let a = fake.insert("Leads", json!({"Last_Name": "A"}));
        let b = fake.insert("Leads", json!({"Last_Name": "B"}));
        let a = fake.update(
            "Leads",
            a["id"].as_str().unwrap(),
            json!({"Lead_Status": "Contacted"}),
        );
        let token = token(&fake).await;
        let since = b["Created_Time"].as_str().unwrap();
        let path = "Leads?fields=Last_Name,Modified_Time&sort_by=Modified_Time&sort_order=asc";
        let (status, body) = call(
            &fake,
            &token,
            reqwest::Method::GET,
            path,
            None,
            &[("If-Modified-Since", since)],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"],
            json!([{"id": a["id"], "Last_Name": "A", "Modified_Time": a["Modified_Time"]}])
        );
        assert_eq!(body["info"]["more_records"], false);
        assert_eq!(body["info"]["next_page_token"], Value::Null);

        let latest = a["Modified_Time"].as_str().unwrap();
        let (status, body) = call(
            &fake,
            &token,
            reqwest::Method::GET,
            path,
            None,
            &[("If-Modified-Since", latest)],
        )
        .await;
        assert_eq!((status, body), (304, Value::Null));
        assert_eq!(
            get(&fake, &token, "Vendors?fields=Vendor_Name").await.0,
            204
        );
        assert_eq!(
            get(&fake, &token, "Leads").await.1["code"],
            "REQUIRED_PARAM_MISSING"
        );
    }

    #[tokio::test]
    async fn pages_follow_next_page_token_until_more_records_is_false() {
        let fake = FakeZoho::start().await;
        for i in 0..5 {
            fake.insert("Vendors", json!({"Vendor_Name": format!("V{i}")}));
        }
        let token = token(&fake).await;
        let mut seen = Vec::new();
        let mut path = "Vendors?fields=Vendor_Name&per_page=2&sort_by=Modified_Time&sort_order=asc"
            .to_string();
        loop {
            let (status, body) = get(&fake, &token, &path).await;
            assert_eq!(status, 200);
            seen.extend(
                body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["Vendor_Name"].clone()),
            );
            if body["info"]["more_records"] == false {
                assert_eq!(body["info"]["page"], 3);
                break;
            }
            let next = body["info"]["next_page_token"].as_str().unwrap();
            path = format!("Vendors?fields=Vendor_Name&per_page=2&page_token={next}");
        }
        assert_eq!(seen, ["V0", "V1", "V2", "V3", "V4"]);
    }

    #[tokio::test]
    async fn an_injected_429_fails_one_request_then_the_next_succeeds() {
        let fake = FakeZoho::start().await;
        let token = token(&fake).await;
        fake.inject(Fault::Status(429));
        let write = json!({"data": [{"Last_Name": "Ng"}]});
        let (status, body) = post(&fake, &token, "Leads", write.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (429, Some("TOO_MANY_REQUESTS"))
        );
        assert_eq!(fake.writes(), 0);
        assert_eq!(post(&fake, &token, "Leads", write).await.0, 201);
        assert_eq!((fake.api_calls(), fake.writes()), (2, 1));

        fake.inject(Fault::Delay(Duration::from_millis(150)));
        fake.inject(Fault::TokenDelay(Duration::from_millis(150)));
        let started = std::time::Instant::now();
        assert_eq!(get(&fake, &token, "Leads?fields=Last_Name").await.0, 200);
        assert!(started.elapsed() >= Duration::from_millis(150));
        let started = std::time::Instant::now();
        let _ = self::token(&fake).await;
        assert!(started.elapsed() >= Duration::from_millis(150));

        fake.inject(Fault::InvalidToken);
        assert_eq!(get(&fake, &token, "Leads?fields=Last_Name").await.0, 401);
        assert_eq!(get(&fake, &token, "Leads?fields=Last_Name").await.0, 401);
    }

    #[tokio::test]
    async fn a_fault_rate_fails_a_seeded_share_of_requests() {
        let outcomes = async || {
            let fake = FakeZoho::start().await;
            let token = token(&fake).await;
            fake.set_fault_rate(0.5, 7);
            let mut statuses = Vec::new();
            for _ in 0..20 {
                statuses.push(get(&fake, &token, "Leads?fields=Last_Name").await.0);
            }
            statuses
        };
        let first = outcomes().await;
        assert_eq!(first, outcomes().await);
        assert!(first.contains(&429) && first.contains(&500) && first.contains(&204));
    }

    #[tokio::test]
    async fn search_matches_criteria_on_fields_and_lookup_ids() {
        let fake = FakeZoho::start().await;
        let partner = fake.insert("Vendors", json!({"Vendor_Name": "Acme"}));
        let pid = partner["id"].as_str().unwrap();
        fake.insert(
            "Leads",
            json!({"Last_Name": "A", "Partner": pid, "Portal_Id": "L1"}),
        );
        fake.insert(
            "Leads",
            json!({"Last_Name": "B", "Partner": pid, "Portal_Id": "L2"}),
        );
        let token = token(&fake).await;
        let (status, body) =
            get(&fake, &token, "Leads/search?criteria=(Portal_Id:equals:L2)").await;
        assert_eq!(status, 200);
        assert_eq!(body["data"][0]["Last_Name"], "B");
        assert_eq!(
            body["data"][0]["Partner"],
            json!({"id": pid, "name": "Acme"})
        );
        assert_eq!(body["info"]["count"], 1);
        let criteria = format!("((Partner:equals:{pid})and(Last_Name:starts_with:a))");
        let (_, body) = get(&fake, &token, &format!("Leads/search?criteria={criteria}")).await;
        assert_eq!(body["data"].as_array().unwrap().len(), 1);
        assert_eq!(
            get(&fake, &token, "Leads/search?criteria=(Portal_Id:equals:L9)")
                .await
                .0,
            204
        );
        assert_eq!(
            get(&fake, &token, "Leads/search?criteria=Portal_Id")
                .await
                .0,
            400
        );
    }

    #[tokio::test]
    async fn a_control_edit_posts_the_webhook_with_the_secret() {
        let receiver = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", receiver.local_addr().unwrap());
        let captured = tokio::spawn(async move {
            let (mut stream, _) = receiver.accept().await.unwrap();
            let Incoming::Request(request) = read_request(&mut stream).await.unwrap() else {
                panic!("no request")
            };
            write_response(&mut stream, &Response::json(202, json!({})))
                .await
                .unwrap();
            request
        });
        let fake = FakeZoho::start().await;
        fake.set_webhook(&url, "s3cret");
        let lead = fake.insert("Leads", json!({"Last_Name": "Ng", "Portal_Id": "L1"}));
        let answer: Value = reqwest::Client::new()
            .post(format!(
                "{}/__fake/records/Leads/{}",
                fake.base_url,
                lead["id"].as_str().unwrap()
            ))
            .json(&json!({"Lead_Status": "Qualified"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["webhook"], 202);
        assert_eq!(answer["Modified_By"]["name"], "Sales Manager");
        let request = captured.await.unwrap();
        assert_eq!(request.path, "/zoho/lead");
        assert_eq!(request.header("x-portal-webhook-secret"), Some("s3cret"));
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            json!({"event": "lead.updated", "module": "Leads", "id": lead["id"], "portal_id": "L1", "status": "Qualified", "modified_time": answer["Modified_Time"]})
        );
    }
}
