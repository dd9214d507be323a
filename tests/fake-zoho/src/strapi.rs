//! A fake Strapi v5 content API: one or more collection types and a media library, for the
//! resource import's tests and for `make dev`.
//!
//! It answers in Strapi 5's flattened REST shapes: `GET /api/{collection}` gives
//! `{"data": [entry…], "meta": {"pagination": {page, pageSize, pageCount, total}}}` where an
//! entry is `{id, documentId, <fields>, createdAt, updatedAt, publishedAt}` and a populated
//! media field is the file object (`{id, documentId, name, hash, ext, mime, size (kB), url}`,
//! `url` relative, served at `/uploads/…`). Only published entries are listed (Strapi's
//! default `status=published`); media fields appear only when populated (`populate=*` or
//! `populate[0]=<field>`). Understood parameters: `filters[updatedAt][$gt|$gte]`,
//! `sort[0]=updatedAt:asc`/`documentId:asc` (any order of those two), `pagination[page]`,
//! `pagination[pageSize]` (at most 100), `fields[0]=documentId`. Requests need
//! `Authorization: Bearer <token>`; errors are Strapi's `{"data": null, "error": {…}}`.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::server::Query;

/// One document of a collection type.
#[derive(Clone)]
struct Entry {
    id: u64,
    document_id: String,
    fields: Map<String, Value>,
    created_at: String,
    updated_at: String,
    /// `None` once unpublished (a draft only).
    published_at: Option<String>,
}

#[derive(Default)]
struct State {
    collections: BTreeMap<String, Vec<Entry>>,
    /// Media files by URL path (`/uploads/<hash><ext>`): content type and bytes.
    files: BTreeMap<String, (String, Vec<u8>)>,
    next_id: u64,
    last_time: Option<DateTime<Utc>>,
    /// Statuses the next API requests answer with.
    faults: Vec<u16>,
}

impl State {
    /// A strictly increasing clock (milliseconds, as Strapi writes `updatedAt`).
    fn now(&mut self) -> String {
        let now = Utc::now();
        let mut t = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        if let Some(last) = self.last_time
            && t <= last
        {
            t = last + chrono::Duration::milliseconds(1);
        }
        self.last_time = Some(t);
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fake Strapi listening on `base_url`; it stops when dropped.
pub struct FakeStrapi {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The API token it accepts.
    pub token: String,
    shared: Shared,
    requests: Arc<AtomicUsize>,
    http: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
}

impl FakeStrapi {
    /// Starts on `addr` (`127.0.0.1:0`: a free port), accepting `token`.
    pub fn listen(addr: &str, token: &str) -> std::io::Result<FakeStrapi> {
        let http = Arc::new(tiny_http::Server::http(addr).map_err(std::io::Error::other)?);
        let local = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("the fake Strapi listens on TCP only"))?;
        let shared: Shared = Arc::default();
        let stopping = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        {
            let (http, shared, stopping, requests, token) = (
                http.clone(),
                shared.clone(),
                stopping.clone(),
                requests.clone(),
                token.to_string(),
            );
            std::thread::Builder::new()
                .name("fake-strapi".into())
                .spawn(move || {
                    while !stopping.load(Ordering::SeqCst) {
                        match http.recv() {
                            Ok(request) => {
                                requests.fetch_add(1, Ordering::SeqCst);
                                let (shared, token) = (shared.clone(), token.clone());
                                std::thread::spawn(move || answer(&shared, &token, request));
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(10)),
                        }
                    }
                })?;
        }
        Ok(FakeStrapi {
            base_url: format!("http://{local}"),
            token: token.to_string(),
            shared,
            requests,
            http,
            stopping,
        })
    }

    /// Adds a file to the media library; the returned file object is what a media field
    /// holds (and what [`FakeStrapi::publish`] takes for it).
    pub fn upload(&self, name: &str, mime: &str, bytes: Vec<u8>) -> Value {
        let mut st = lock(&self.shared);
        let id = st.id();
        let at = st.now();
        let (stem, ext) = name
            .rsplit_once('.')
            .map(|(s, e)| (s.to_string(), format!(".{e}")))
            .unwrap_or_else(|| (name.to_string(), String::new()));
        let hash = format!(
            "{}_{id:08x}",
            stem.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let url = format!("/uploads/{hash}{ext}");
        let size_kb = (bytes.len() as f64 / 10.24).round() / 100.0;
        st.files.insert(url.clone(), (mime.to_string(), bytes));
        json!({
            "id": id,
            "documentId": document_id(id + 7_000),
            "name": name,
            "alternativeText": null,
            "caption": null,
            "width": null,
            "height": null,
            "formats": null,
            "hash": hash,
            "ext": ext,
            "mime": mime,
            "size": size_kb,
            "url": url,
            "previewUrl": null,
            "provider": "local",
            "provider_metadata": null,
            "createdAt": at,
            "updatedAt": at,
            "publishedAt": at,
        })
    }

    /// Creates (`document_id: None`) or edits and publishes an entry of `collection`;
    /// `fields` replace the entry's fields. Returns its `documentId`.
    pub fn publish(&self, collection: &str, document_id: Option<&str>, fields: Value) -> String {
        let mut st = lock(&self.shared);
        let at = st.now();
        let fields = fields.as_object().cloned().unwrap_or_default();
        let existing = document_id.and_then(|d| {
            st.collections
                .get(collection)
                .and_then(|c| c.iter().position(|e| e.document_id == d))
        });
        match existing {
            Some(i) => {
                let entry = &mut st.collections.get_mut(collection).expect("listed")[i];
                entry.fields = fields;
                entry.updated_at = at.clone();
                entry.published_at = Some(at);
                entry.document_id.clone()
            }
            None => {
                let id = st.id();
                let doc = document_id
                    .map(str::to_string)
                    .unwrap_or_else(|| self::document_id(id));
                st.collections
                    .entry(collection.to_string())
                    .or_default()
                    .push(Entry {
                        id,
                        document_id: doc.clone(),
                        fields,
                        created_at: at.clone(),
                        updated_at: at.clone(),
                        published_at: Some(at),
                    });
                doc
            }
        }
    }

    /// Unpublishes an entry (it stays a draft, absent from the published listing).
    pub fn unpublish(&self, collection: &str, document_id: &str) {
        let mut st = lock(&self.shared);
        let at = st.now();
        if let Some(e) = st
            .collections
            .get_mut(collection)
            .and_then(|c| c.iter_mut().find(|e| e.document_id == document_id))
        {
            e.published_at = None;
            e.updated_at = at;
        }
    }

    /// The next API request answers with `status` (Strapi's error body).
    pub fn fail_next(&self, status: u16) {
        lock(&self.shared).faults.push(status);
    }

    /// How many HTTP requests it has answered or is answering.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FakeStrapi {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.http.unblock();
    }
}

/// A Strapi-like document id: 24 lower-case letters and digits.
fn document_id(n: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
    (0..24)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

fn error(status: u16, name: &str, message: &str) -> (u16, String, Vec<u8>) {
    let body = json!({
        "data": null,
        "error": {"status": status, "name": name, "message": message, "details": {}},
    });
    (
        status,
        "application/json; charset=utf-8".to_string(),
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

fn answer(shared: &Shared, token: &str, mut incoming: tiny_http::Request) {
    let mut sink = Vec::new();
    let _ = incoming.as_reader().take(1 << 20).read_to_end(&mut sink);
    let target = incoming.url().to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let authorized = incoming.headers().iter().any(|h| {
        h.field.equiv("Authorization") && h.value.as_str().trim() == format!("Bearer {token}")
    });
    let get = incoming.method() == &tiny_http::Method::Get;
    let (status, content_type, body) = if !get {
        error(405, "MethodNotAllowedError", "Method Not Allowed")
    } else if let Some(file) = path.strip_prefix("/uploads/") {
        // The local upload provider serves files publicly.
        match lock(shared).files.get(&format!("/uploads/{file}")) {
            Some((mime, bytes)) => (200, mime.clone(), bytes.clone()),
            None => error(404, "NotFoundError", "Not Found"),
        }
    } else if let Some(collection) = path.strip_prefix("/api/") {
        let fault = {
            let mut st = lock(shared);
            (!st.faults.is_empty()).then(|| st.faults.remove(0))
        };
        match fault {
            Some(s) => error(s, "ApplicationError", "Internal Server Error"),
            None if !authorized => {
                error(401, "UnauthorizedError", "Missing or invalid credentials")
            }
            None => list(shared, collection, &Query::parse(query.as_bytes())),
        }
    } else {
        error(404, "NotFoundError", "Not Found")
    };
    let length = body.len();
    let reply = tiny_http::Response::new(
        tiny_http::StatusCode(status),
        vec![tiny_http::Header::from_bytes("Content-Type", content_type).expect("a valid header")],
        std::io::Cursor::new(body),
        Some(length),
        None,
    );
    let _ = incoming.respond(reply);
}

fn list(shared: &Shared, collection: &str, q: &Query) -> (u16, String, Vec<u8>) {
    let st = lock(shared);
    let Some(entries) = st.collections.get(collection) else {
        return error(404, "NotFoundError", "Not Found");
    };
    if q.get("status").is_some_and(|s| s != "published") {
        return error(
            400,
            "ValidationError",
            "Only published entries are served by this fake",
        );
    }
    let page: usize = q
        .get("pagination[page]")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = q
        .get("pagination[pageSize]")
        .and_then(|p| p.parse().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let gt = q.get("filters[updatedAt][$gt]");
    let gte = q.get("filters[updatedAt][$gte]");
    let mut found: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.published_at.is_some())
        .filter(|e| gt.is_none_or(|w| e.updated_at.as_str() > w))
        .filter(|e| gte.is_none_or(|w| e.updated_at.as_str() >= w))
        .collect();
    let sorts: Vec<&str> = (0..4)
        .filter_map(|i| q.get(&format!("sort[{i}]")))
        .chain(q.get("sort"))
        .collect();
    // Stable sorts applied last key first give the order of all keys.
    for s in sorts.iter().rev() {
        let (field, dir) = s.split_once(':').unwrap_or((s, "asc"));
        let desc = dir.eq_ignore_ascii_case("desc");
        match field {
            "updatedAt" => found.sort_by(|a, b| a.updated_at.cmp(&b.updated_at)),
            "documentId" => found.sort_by(|a, b| a.document_id.cmp(&b.document_id)),
            "id" => found.sort_by_key(|e| e.id),
            _ => return error(400, "ValidationError", &format!("Invalid key {field}")),
        }
        if desc {
            found.reverse();
        }
    }
    let total = found.len();
    let only_ids = q.get("fields[0]") == Some("documentId");
    let populate_all = q.get("populate") == Some("*");
    let populated: Vec<&str> = (0..8)
        .filter_map(|i| q.get(&format!("populate[{i}]")))
        .collect();
    let data: Vec<Value> = found
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|e| {
            let mut out = Map::new();
            out.insert("id".into(), json!(e.id));
            out.insert("documentId".into(), json!(e.document_id));
            if !only_ids {
                for (k, v) in &e.fields {
                    let media = v.is_object() && v.get("mime").is_some();
                    if media && !(populate_all || populated.contains(&k.as_str())) {
                        continue;
                    }
                    out.insert(k.clone(), v.clone());
                }
                out.insert("createdAt".into(), json!(e.created_at));
                out.insert("updatedAt".into(), json!(e.updated_at));
                out.insert("publishedAt".into(), json!(e.published_at));
                out.insert("locale".into(), Value::Null);
            }
            Value::Object(out)
        })
        .collect();
    let body = json!({
        "data": data,
        "meta": {"pagination": {
            "page": page,
            "pageSize": size,
            "pageCount": total.div_ceil(size),
            "total": total,
        }},
    });
    (
        200,
        "application/json; charset=utf-8".to_string(),
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}
