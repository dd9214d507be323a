//! The fake's records and their rules: ids, modification times, mandatory, unique and
//! lookup fields, writes with per-record results, listing with pages and page tokens,
//! search. Answers are built here in Zoho's shapes; `server` only carries them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::Fault;
use crate::criteria::{Criteria, parse_criteria};
use crate::server::{Query, Response};

/// Record ids are 19-digit numbers like Zoho's; the first record gets this one.
const FIRST_RECORD_ID: u64 = 4_876_876_000_000_100_001;
const MAX_RECORDS_PER_WRITE: usize = 100;
const MAX_PER_PAGE: usize = 200;
/// Zoho serves at most this many records by `page`; beyond it needs `page_token`.
const DISCRETE_PAGINATION_LIMIT: usize = 2000;
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
pub(crate) enum Actor {
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

/// A scalar as text; lookups by their id; anything else empty.
pub(crate) fn plain_text(value: &Value) -> String {
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

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .or_else(|_| DateTime::parse_from_rfc2822(s.trim()))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Default)]
pub(crate) struct Module {
    /// Keyed by the numeric id, so iteration is in id order.
    pub(crate) records: BTreeMap<u64, Map<String, Value>>,
    pub(crate) mandatory: Vec<String>,
    pub(crate) unique: Vec<String>,
    pub(crate) lookups: Vec<String>,
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

pub(crate) struct State {
    pub(crate) base_url: String,
    pub(crate) modules: HashMap<String, Module>,
    next_id: u64,
    last_modified: Option<DateTime<Utc>>,
    pub(crate) tokens: HashSet<String>,
    pub(crate) request_faults: VecDeque<Fault>,
    pub(crate) token_delays: VecDeque<Duration>,
    pub(crate) record_errors: VecDeque<(String, String)>,
    pub(crate) fault_rate: f64,
    pub(crate) rng: u64,
    pub(crate) refresh_count: usize,
    pub(crate) api_calls: usize,
    pub(crate) writes: usize,
    page_tokens: HashMap<String, Cursor>,
    pub(crate) webhook: Option<(String, String)>,
}

pub(crate) enum WriteKind {
    Insert,
    Update,
    UpdateOne(String),
    Upsert,
}

impl State {
    pub(crate) fn new(base_url: String) -> Self {
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

    pub(crate) fn module_mut(&mut self, name: &str) -> &mut Module {
        self.modules
            .entry(name.to_string())
            .or_insert_with(|| Module::new(name))
    }

    pub(crate) fn all_records(&self, module: &str) -> Vec<Value> {
        self.modules
            .get(module)
            .map(|m| m.records.values().cloned().map(Value::Object).collect())
            .unwrap_or_default()
    }

    pub(crate) fn existing_id(&self, module: &str, id: &str) -> Option<u64> {
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

    pub(crate) fn next_fault(&mut self) -> Option<Fault> {
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
    pub(crate) fn prepare(
        &mut self,
        module: &str,
        input: &Map<String, Value>,
    ) -> Map<String, Value> {
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

    pub(crate) fn create(
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
    pub(crate) fn modify(
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

    pub(crate) fn write(&mut self, module: &str, kind: WriteKind, body: &[u8]) -> Response {
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

    pub(crate) fn get_one(&self, module: &str, id: &str, query: &Query) -> Response {
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

    pub(crate) fn search(&self, module: &str, query: &Query) -> Response {
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

    pub(crate) fn list(
        &mut self,
        module: &str,
        query: &Query,
        if_modified_since: Option<&str>,
    ) -> Response {
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

pub(crate) fn record_error(code: &str, message: &str, details: Value) -> Value {
    json!({"code": code, "details": details, "message": message, "status": "error"})
}
