//! Importing resources from a Strapi v5 collection (REST content API).
//!
//! A scheduled run reads the collection's published entries changed since the watermark
//! (`filters[updatedAt][$gte]`, sorted by `updatedAt` then `documentId`, page by page),
//! and upserts each on its `documentId`: the resource id is derived from the collection
//! and document id, so a re-run, an overlap or a crash never makes a second resource. An
//! entry's media file is streamed from Strapi into the documents bucket and checked by the
//! same verifier as an operator's upload (a new version replaces the old one only once it
//! is verified); an entry with an https `url` instead becomes a link. After each page the
//! checkpoint (watermark and page) is saved, so a run that stops — out of time, or failed
//! — resumes where it was. Once the changes are read to the end, the run lists the
//! published document ids and archives the imported resources whose entries are no longer
//! published.
//!
//! The collection's fields (README "Sales material"): `title`, `description`, `type`
//! (a resource type), `category`, `tags` (a list of strings, a comma-separated string, or
//! a relation of `{name}`), `min_tier` (optional), `training` (optional), and either `file`
//! (single media) or `url` (https). An entry that does not fit is skipped, named in the
//! run's report and in the import state, and never blocks the entries after it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    PendingFile, Resource, ResourceError, ResourceSource, ResourceStatus, ResourceType, check_link,
    clean_category, facets, object_key, searchable, size_limit, verify,
};
use crate::audit::AuditEntry;
use crate::config::{ConfigError, Reader, Source};
use crate::fault::FieldError;
use crate::partners::Tier;
use crate::secrets::Secrets;
use crate::storage::Documents;
use crate::store::{Entity, Index, Key, Query, Store, keys};
use crate::uploads::VerificationStatus;
use crate::validate::{optional, required, rfc3339};

/// The system name on imported resources and in their keys.
pub const SYSTEM: &str = "strapi";
/// Who imported resources are created and changed by (in the audit trail).
pub const ACTOR: &str = "cms:strapi";
/// The most imported resources the archive pass reads (a bound on one run's work).
pub const MAX_IMPORTED: i32 = 10_000;
/// Skipped entries kept in the import state for operators.
const KEEP_SKIPPED: usize = 20;

/// Where the collection is: `STRAPI_URL` (unset: no import), `STRAPI_COLLECTION`
/// (the plural API id, default `resources`), `STRAPI_TOKEN_SECRET_ARN` (the API token),
/// `STRAPI_PAGE_SIZE` (1–100, default 50).
#[derive(Debug, Clone)]
pub struct StrapiConfig {
    pub base_url: String,
    pub collection: String,
    pub token_secret_id: String,
    pub page_size: u32,
}

impl StrapiConfig {
    /// The configuration, or `None` when `STRAPI_URL` is empty or unset.
    pub fn read(r: &mut Reader<'_>) -> Option<Self> {
        let base_url = r.optional("STRAPI_URL").filter(|u| !u.trim().is_empty());
        let collection = r
            .optional("STRAPI_COLLECTION")
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "resources".into());
        let page_size: u32 = r.parsed_or("STRAPI_PAGE_SIZE", 50);
        let base_url = base_url?;
        Some(Self {
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            collection,
            token_secret_id: r.required("STRAPI_TOKEN_SECRET_ARN"),
            page_size: page_size.clamp(1, 100),
        })
    }
}

/// The import's dependencies: the table, the bucket, the token's secret, an HTTP client.
pub struct Importer {
    store: Store,
    docs: Documents,
    secrets: Secrets,
    http: reqwest::Client,
    strapi: Option<StrapiConfig>,
}

impl Importer {
    pub fn new(
        store: Store,
        docs: Documents,
        secrets: Secrets,
        strapi: Option<StrapiConfig>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(5))
            // A media URL is checked before it is fetched; a redirect could lead anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Self {
            store,
            docs,
            secrets,
            http,
            strapi,
        }
    }

    /// From the process configuration (`TABLE_NAME`, `DOCUMENTS_BUCKET`, the `STRAPI_*`
    /// variables).
    pub fn from_config(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = crate::config::Common::read(&mut r);
        let store = crate::config::StoreConfig::read(&mut r);
        let bucket = crate::config::DocumentsConfig::read(&mut r);
        let strapi = StrapiConfig::read(&mut r);
        r.finish()?;
        Ok(Self::new(
            Store::new(crate::aws::dynamodb(sdk), &store.table_name),
            Documents::new(crate::aws::s3(sdk), bucket.bucket),
            Secrets::new(crate::aws::secrets_manager(sdk)),
            strapi,
        ))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// An entry the import skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub document_id: String,
    pub reason: String,
}

/// Where the import of one collection stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportState {
    pub collection: String,
    /// Entries updated before this were imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// The page (of entries updated at or after the watermark) to read next.
    pub page: u32,
    /// Documents updated exactly at the watermark that were already imported (a page
    /// boundary can fall between entries of one time; they are not imported twice).
    #[serde(default)]
    pub seen: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    /// When a run last read every change and archived what was unpublished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_complete_at: Option<String>,
    /// Entries skipped by recent runs (newest last, at most 20).
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

impl Entity for ImportState {
    const KIND: &'static str = "resource_import";

    fn key(&self) -> Key {
        keys::resource_import(SYSTEM, &self.collection)
    }
}

/// How much one run may do: stop (checkpoint saved) at the deadline or after `max_pages`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Budget {
    pub deadline: Option<Instant>,
    pub max_pages: Option<u32>,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// `false`: no Strapi is configured and nothing was done.
    pub configured: bool,
    pub pages: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub skipped: u32,
    pub archived: u32,
    /// Files copied from Strapi and verified (or rejected) here.
    pub files_verified: u32,
    pub files_rejected: u32,
    /// Every change was read and the archive pass ran (else the next run continues).
    pub complete: bool,
}

/// An entry as Strapi gives it.
struct Entry {
    document_id: String,
    updated_at: String,
    fields: Value,
}

/// What an entry says the resource is.
struct Content {
    title: String,
    description: Option<String>,
    r#type: ResourceType,
    category: String,
    tags: Vec<String>,
    min_tier: Tier,
    training: bool,
    body: Body,
}

enum Body {
    Link(String),
    Media {
        url: String,
        content_type: String,
        /// The media's URL and hash: a different file when it changes.
        identity: String,
    },
}

/// The resource id of a document: a ULID-shaped hash of the collection and document id,
/// so every run finds (with a strongly consistent read) what an earlier one wrote.
pub fn resource_id(collection: &str, document_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{SYSTEM}:{collection}:{document_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    ulid::Ulid::from_bytes(bytes).to_string()
}

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_string)
}

/// Tags as a list of strings, a comma-separated string, or a relation of `{name}`.
fn tag_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split(',').map(|t| t.trim().to_string()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string).or_else(|| text(t, "name")))
            .collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|t| !t.is_empty())
    .collect()
}

impl Importer {
    fn config(&self) -> &StrapiConfig {
        self.strapi.as_ref().expect("checked by run")
    }

    /// What an entry says, or why it cannot be imported.
    fn content(&self, entry: &Entry) -> Result<Content, String> {
        let f = &entry.fields;
        let mut e: Vec<FieldError> = Vec::new();
        let title = required(&mut e, "title", &text(f, "title").unwrap_or_default(), 200);
        let description = optional(&mut e, "description", &text(f, "description"), 2000);
        let r#type = match text(f, "type") {
            Some(t) => serde_json::from_value::<ResourceType>(Value::String(t.clone()))
                .map_err(|_| {
                    e.push(FieldError::new(
                        "type",
                        format!("{t:?} is not a resource type"),
                    ))
                })
                .ok(),
            None => {
                e.push(FieldError::new("type", "is required"));
                None
            }
        };
        let category = clean_category(
            &mut e,
            &text(f, "category").unwrap_or_else(|| "general".into()),
        );
        let tags = crate::validate::tags(&mut e, "tags", &tag_list(f.get("tags")), super::MAX_TAGS);
        let min_tier = match text(f, "min_tier").filter(|t| !t.is_empty()) {
            None => Some(Tier::Registered),
            Some(t) => serde_json::from_value::<Tier>(Value::String(t.clone()))
                .map_err(|_| e.push(FieldError::new("min_tier", format!("{t:?} is not a tier"))))
                .ok(),
        };
        let media = f.get("file").filter(|m| m.is_object());
        let link = text(f, "url").filter(|u| !u.trim().is_empty());
        let body = match (media, link) {
            (Some(m), _) => self
                .media(m)
                .map_err(|m| e.push(FieldError::new("file", m)))
                .ok(),
            (None, Some(u)) => check_link(&u)
                .map(Body::Link)
                .map_err(|m| e.push(FieldError::new("url", m)))
                .ok(),
            (None, None) => {
                e.push(FieldError::new("file", "give a file or an https url"));
                None
            }
        };
        match (r#type, min_tier, body) {
            (Some(r#type), Some(min_tier), Some(body)) if e.is_empty() => Ok(Content {
                title,
                description,
                training: f
                    .get("training")
                    .and_then(Value::as_bool)
                    .unwrap_or(r#type == ResourceType::TrainingVideo),
                r#type,
                category,
                tags,
                min_tier,
                body,
            }),
            _ => Err(e
                .iter()
                .map(|f| format!("{} {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }

    /// A media field: a file type resources may be, at a URL on the Strapi server or an
    /// https URL that is not internal (a cloud upload provider).
    fn media(&self, m: &Value) -> Result<Body, String> {
        let content_type = text(m, "mime").unwrap_or_default();
        if size_limit(&content_type).is_none() {
            return Err(format!(
                "is a {content_type:?} file; resources are PDF, PPTX, DOCX, XLSX, PNG, JPEG or MP4"
            ));
        }
        let raw = text(m, "url").ok_or("has no url")?;
        let url = if raw.starts_with('/') && !raw.starts_with("//") {
            format!("{}{raw}", self.config().base_url)
        } else {
            check_link(&raw).map_err(str::to_string)?
        };
        let identity = format!("{raw}#{}", text(m, "hash").unwrap_or_default());
        Ok(Body::Media {
            url,
            content_type,
            identity,
        })
    }

    async fn token(&self) -> Result<String, ResourceError> {
        let raw = self
            .secrets
            .string(&self.config().token_secret_id)
            .await
            .map_err(|e| ResourceError::Cms(e.to_string()))?;
        let raw = raw.expose().trim();
        // A plain token, or `{"token": "…"}`.
        Ok(match serde_json::from_str::<Value>(raw) {
            Ok(v) => text(&v, "token").unwrap_or_default(),
            Err(_) => raw.to_string(),
        })
    }

    /// One page of the collection's published entries.
    async fn page(
        &self,
        token: &str,
        params: &[(&str, String)],
    ) -> Result<(Vec<Value>, u32), ResourceError> {
        let c = self.config();
        let url = format!("{}/api/{}", c.base_url, c.collection);
        let what = format!("GET {url}");
        let resp = self
            .http
            .get(&url)
            .bearer_auth(token)
            .query(params)
            .send()
            .await
            .map_err(|e| ResourceError::Cms(format!("{what}: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            let hint = match status.as_u16() {
                401 | 403 => " (check the API token and its permissions on the collection)",
                404 => " (check STRAPI_COLLECTION: the collection's plural API id)",
                _ => "",
            };
            return Err(ResourceError::Cms(format!(
                "{what} answered {status}{hint}"
            )));
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|e| ResourceError::Cms(format!("{what}: not JSON: {e}")))?;
        let data = body["data"]
            .as_array()
            .cloned()
            .ok_or_else(|| ResourceError::Cms(format!("{what}: no data list")))?;
        let page_count = body["meta"]["pagination"]["pageCount"]
            .as_u64()
            .unwrap_or(0) as u32;
        Ok((data, page_count))
    }

    /// Imports what changed since the last run, then archives unpublished entries.
    pub async fn run(
        &self,
        now: DateTime<Utc>,
        budget: Budget,
    ) -> Result<ImportReport, ResourceError> {
        let mut report = ImportReport::default();
        let Some(config) = self.strapi.as_ref() else {
            return Ok(report);
        };
        report.configured = true;
        let state_key = keys::resource_import(SYSTEM, &config.collection);
        let mut state = self
            .store
            .get::<ImportState>(&state_key)
            .await?
            .unwrap_or_else(|| ImportState {
                collection: config.collection.clone(),
                page: 1,
                ..Default::default()
            });
        state.last_run_at = Some(rfc3339(now));
        let token = self.token().await?;
        loop {
            let out_of_time = budget.deadline.is_some_and(|d| Instant::now() >= d)
                || budget.max_pages.is_some_and(|m| report.pages >= m);
            if out_of_time {
                self.save(&state).await?;
                return Ok(report);
            }
            let mut params = vec![
                ("status", "published".to_string()),
                ("sort[0]", "updatedAt:asc".to_string()),
                ("sort[1]", "documentId:asc".to_string()),
                ("pagination[page]", state.page.max(1).to_string()),
                ("pagination[pageSize]", config.page_size.to_string()),
                ("populate", "*".to_string()),
            ];
            if let Some(w) = &state.watermark {
                params.push(("filters[updatedAt][$gte]", w.clone()));
            }
            let (data, _) = self.page(&token, &params).await?;
            report.pages += 1;
            let entries: Vec<Entry> = data
                .into_iter()
                .filter_map(|v| {
                    Some(Entry {
                        document_id: text(&v, "documentId")?,
                        updated_at: text(&v, "updatedAt")?,
                        fields: v,
                    })
                })
                .collect();
            let read = entries.len();
            let fresh: Vec<&Entry> = entries
                .iter()
                .filter(|e| {
                    !(state.watermark.as_deref() == Some(e.updated_at.as_str())
                        && state.seen.contains(&e.document_id))
                })
                .collect();
            self.apply_page(&fresh, &mut state, &mut report, now)
                .await?;
            // The next checkpoint: past the last change read (remembering what was read
            // at its time); or, when the whole page shares the watermark's time, the next
            // page of that time.
            match entries.last() {
                Some(last) if state.watermark.as_deref() < Some(last.updated_at.as_str()) => {
                    state.watermark = Some(last.updated_at.clone());
                    state.seen = entries
                        .iter()
                        .filter(|e| e.updated_at == last.updated_at)
                        .map(|e| e.document_id.clone())
                        .collect();
                    state.page = 1;
                }
                Some(_) => {
                    state
                        .seen
                        .extend(entries.iter().map(|e| e.document_id.clone()));
                    state.seen.sort();
                    state.seen.dedup();
                    state.page += 1;
                }
                None => {}
            }
            if read < config.page_size as usize {
                break;
            }
            self.save(&state).await?;
        }
        report.archived = self.archive_unpublished(&token, now).await?;
        state.page = 1;
        state.last_complete_at = Some(rfc3339(now));
        self.save(&state).await?;
        report.complete = true;
        Ok(report)
    }

    async fn save(&self, state: &ImportState) -> Result<(), ResourceError> {
        Ok(self
            .store
            .commit(self.store.tx().put(state).build())
            .await?)
    }

    /// Upserts a page of entries: their resources read in one batch, one transaction per
    /// changed entry, then each new file copied and verified.
    async fn apply_page(
        &self,
        entries: &[&Entry],
        state: &mut ImportState,
        report: &mut ImportReport,
        now: DateTime<Utc>,
    ) -> Result<(), ResourceError> {
        let collection = self.config().collection.clone();
        let ids: Vec<String> = entries
            .iter()
            .map(|e| resource_id(&collection, &e.document_id))
            .collect();
        let keys: Vec<Key> = ids.iter().map(|id| keys::resource(id)).collect();
        let mut fetched = self.store.fetch(&keys).await?;
        for (entry, key) in entries.iter().zip(&keys) {
            let existing: Option<Resource> = fetched.take(key)?;
            let content = match self.content(entry) {
                Ok(c) => c,
                Err(reason) => {
                    tracing::warn!(document = %entry.document_id, %reason, "CMS entry skipped");
                    report.skipped += 1;
                    state.skipped.retain(|s| s.document_id != entry.document_id);
                    state.skipped.push(Skipped {
                        document_id: entry.document_id.clone(),
                        reason,
                    });
                    let over = state.skipped.len().saturating_sub(KEEP_SKIPPED);
                    state.skipped.drain(..over);
                    continue;
                }
            };
            state.skipped.retain(|s| s.document_id != entry.document_id);
            self.upsert(entry, &collection, existing, content, report, now)
                .await?;
        }
        Ok(())
    }

    async fn upsert(
        &self,
        entry: &Entry,
        collection: &str,
        existing: Option<Resource>,
        content: Content,
        report: &mut ImportReport,
        now: DateTime<Utc>,
    ) -> Result<(), ResourceError> {
        let id = resource_id(collection, &entry.document_id);
        let at = rfc3339(now);
        let media_identity = match &content.body {
            Body::Media { identity, .. } => Some(identity.clone()),
            Body::Link(_) => None,
        };
        let same_version = existing
            .as_ref()
            .filter(|r| {
                r.source
                    .as_ref()
                    .is_some_and(|s| s.updated_at == entry.updated_at)
            })
            .map(|r| (r.status, r.upload.clone()));
        match (same_version, &content.body) {
            // This version was imported; finish the copy an earlier run did not.
            (
                Some((_, Some(pending))),
                Body::Media {
                    url, content_type, ..
                },
            ) if pending.status == VerificationStatus::Uploading => {
                match self.open(url, content_type).await? {
                    Some(resp) => self.copy(&id, &pending, resp, report).await?,
                    None => report.files_rejected += 1,
                }
                Ok(())
            }
            // Archived by a run that found it unpublished, published again since without
            // a change: written (published) again.
            (Some((ResourceStatus::Archived, _)), _) | (None, _) => {
                self.write(
                    existing,
                    entry,
                    collection,
                    content,
                    media_identity,
                    report,
                    &at,
                )
                .await
            }
            // Imported as it is (a refused file stays refused until the entry changes).
            (Some(_), _) => {
                report.unchanged += 1;
                Ok(())
            }
        }
    }

    /// Writes the entry's version of the resource (one transaction with the facet counts
    /// and the audit entry), then copies and verifies its file if it is a new one.
    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        existing: Option<Resource>,
        entry: &Entry,
        collection: &str,
        content: Content,
        media_identity: Option<String>,
        report: &mut ImportReport,
        at: &str,
    ) -> Result<(), ResourceError> {
        let id = resource_id(collection, &entry.document_id);
        let mut next = existing.clone().unwrap_or_else(|| Resource {
            id: id.clone(),
            title: String::new(),
            description: None,
            r#type: content.r#type,
            category: String::new(),
            tags: Vec::new(),
            min_tier: Tier::Registered,
            min_tier_rank: String::new(),
            training: false,
            status: ResourceStatus::Draft,
            file: None,
            upload: None,
            url: None,
            download_count: 0,
            unique_partners: 0,
            search_text: String::new(),
            published_at: None,
            source: None,
            created_by: ACTOR.to_string(),
            created_at: at.to_string(),
            updated_at: at.to_string(),
            version: 0,
        });
        next.title = content.title;
        next.description = content.description;
        next.r#type = content.r#type;
        next.category = content.category;
        next.tags = content.tags;
        next.min_tier = content.min_tier;
        next.min_tier_rank = content.min_tier.rank().to_string();
        next.training = content.training;
        let same_media = existing
            .as_ref()
            .and_then(|r| r.source.as_ref())
            .is_some_and(|s| s.media.is_some() && s.media == media_identity);
        let mut opened = None;
        match &content.body {
            Body::Link(url) => {
                next.url = Some(url.clone());
                next.file = None;
                next.upload = None;
                next.status = ResourceStatus::Published;
            }
            Body::Media {
                url, content_type, ..
            } => {
                next.url = None;
                let has_file = next.file.is_some() && same_media;
                if has_file {
                    next.status = ResourceStatus::Published;
                } else if !(same_media
                    && next
                        .upload
                        .as_ref()
                        .is_some_and(|u| u.status == VerificationStatus::Uploading))
                {
                    // A new file: a new version, verified before partners get it.
                    let version = super::next_file_version(&next);
                    let Some(resp) = self.open(url, content_type).await? else {
                        report.files_rejected += 1;
                        return Ok(());
                    };
                    let length = resp.content_length().unwrap_or_default();
                    opened = Some(resp);
                    next.upload = Some(PendingFile {
                        key: object_key(&id, version),
                        content_type: content_type.clone(),
                        size: length,
                        version,
                        status: VerificationStatus::Uploading,
                        rejection_reason: None,
                        publish: true,
                    });
                    // Published with the file it had until the new one is verified; a
                    // resource without one is published by the verifier.
                    if next.file.is_none() {
                        next.status = ResourceStatus::Draft;
                    } else {
                        next.status = ResourceStatus::Published;
                    }
                }
                if opened.is_none()
                    && next
                        .upload
                        .as_ref()
                        .is_some_and(|u| u.status == VerificationStatus::Uploading)
                {
                    // The same file, still to be copied (an earlier run stopped short).
                    opened = self.open(url, content_type).await?;
                }
            }
        }
        if next.status == ResourceStatus::Published && next.published_at.is_none() {
            next.published_at = Some(at.to_string());
        }
        next.source = Some(ResourceSource {
            system: SYSTEM.to_string(),
            collection: collection.to_string(),
            document_id: entry.document_id.clone(),
            updated_at: entry.updated_at.clone(),
            media: media_identity,
        });
        next.search_text = searchable(&next);
        next.updated_at = at.to_string();
        next.version = existing.as_ref().map_or(1, |r| r.version + 1);
        let (tx, action) = match &existing {
            Some(r) => (
                self.store.tx().replace(&next, r.version),
                "resource.imported_update",
            ),
            None => (self.store.tx().insert(&next), "resource.imported"),
        };
        let tx = facets(tx, existing.as_ref(), &next)
            .insert(
                &AuditEntry::new(None, ACTOR, action, format!("resource:{id}"), at).change(
                    serde_json::json!({"status": existing.as_ref().map(|r| r.status)}),
                    serde_json::json!({"status": next.status, "document_id": entry.document_id, "updated_at": entry.updated_at}),
                ),
            )
            .build();
        self.store.commit(tx).await?;
        if existing.is_some() {
            report.updated += 1;
        } else {
            report.created += 1;
        }
        if let (Some(resp), Some(pending)) = (opened, next.upload.as_ref()) {
            self.copy(&id, pending, resp, report).await?;
        }
        Ok(())
    }

    /// Opens a media file: `None` (logged) when it is not one a resource may be — gone,
    /// of unknown size or over its type's limit; an error when Strapi cannot answer now.
    async fn open(
        &self,
        url: &str,
        content_type: &str,
    ) -> Result<Option<reqwest::Response>, ResourceError> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| ResourceError::Cms(format!("GET {url}: {e}")))?;
        let status = resp.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(ResourceError::Cms(format!("GET {url} answered {status}")));
        }
        let max = size_limit(content_type).unwrap_or(0);
        Ok(match resp.content_length() {
            Some(n) if status.is_success() && n > 0 && n <= max => Some(resp),
            length => {
                tracing::warn!(%url, %status, ?length, max, "CMS media not imported");
                None
            }
        })
    }

    /// Streams an opened media file into the resource's pending version and verifies it.
    async fn copy(
        &self,
        id: &str,
        pending: &PendingFile,
        resp: reqwest::Response,
        report: &mut ImportReport,
    ) -> Result<(), ResourceError> {
        let length = resp.content_length().unwrap_or(pending.size);
        let body = http::Response::from(resp).into_body();
        let etag = self
            .docs
            .put_stream(
                &pending.key,
                &pending.content_type,
                length,
                aws_sdk_s3::primitives::ByteStream::from_body_1_x(body),
            )
            .await?;
        match verify::verify(&self.store, &self.docs, &pending.key, etag.as_deref()).await? {
            verify::Outcome::Accepted => report.files_verified += 1,
            verify::Outcome::Rejected(reason) => {
                tracing::warn!(resource = %id, %reason, "CMS media rejected");
                report.files_rejected += 1;
            }
            verify::Outcome::Ignored => {}
        }
        Ok(())
    }

    /// The published document ids, every page of them.
    async fn published_ids(&self, token: &str) -> Result<HashSet<String>, ResourceError> {
        let mut ids = HashSet::new();
        let mut page = 1u32;
        loop {
            let params = [
                ("status", "published".to_string()),
                ("fields[0]", "documentId".to_string()),
                ("sort[0]", "documentId:asc".to_string()),
                ("pagination[page]", page.to_string()),
                ("pagination[pageSize]", "100".to_string()),
            ];
            let (data, page_count) = self.page(token, &params).await?;
            ids.extend(data.iter().filter_map(|v| text(v, "documentId")));
            if page >= page_count || data.is_empty() {
                return Ok(ids);
            }
            page += 1;
        }
    }

    /// Archives imported resources whose entries are no longer published.
    async fn archive_unpublished(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<u32, ResourceError> {
        let published = self.published_ids(token).await?;
        let q = Query::partition(
            Some(Index::Due),
            keys::resources_source(SYSTEM, &self.config().collection),
            MAX_IMPORTED,
        );
        let imported: Vec<Resource> = self.store.query_up_to(&q).await?;
        let at = rfc3339(now);
        let mut archived = 0;
        for r in imported {
            let gone = r
                .source
                .as_ref()
                .is_some_and(|s| !published.contains(&s.document_id));
            if !gone || r.status == ResourceStatus::Archived {
                continue;
            }
            // The index may lag: the item itself decides.
            let Some(current) = self.store.get::<Resource>(&keys::resource(&r.id)).await? else {
                continue;
            };
            if current.status == ResourceStatus::Archived {
                continue;
            }
            let mut next = current.clone();
            next.status = ResourceStatus::Archived;
            if let Some(u) = next.upload.as_mut() {
                u.publish = false;
            }
            next.updated_at = at.clone();
            next.version = current.version + 1;
            let tx = facets(
                self.store.tx().replace(&next, current.version),
                Some(&current),
                &next,
            )
            .insert(
                &AuditEntry::new(
                    None,
                    ACTOR,
                    "resource.archived",
                    format!("resource:{}", r.id),
                    &at,
                )
                .change(
                    serde_json::json!({"status": current.status}),
                    serde_json::json!({"status": next.status, "reason": "unpublished in the CMS"}),
                ),
            )
            .build();
            self.store.commit(tx).await?;
            archived += 1;
        }
        Ok(archived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_always_maps_to_the_same_resource_id() {
        let a = resource_id("resources", "abc123");
        assert_eq!(a, resource_id("resources", "abc123"));
        assert_ne!(a, resource_id("resources", "abc124"));
        assert_ne!(a, resource_id("other", "abc123"));
        assert!(a.parse::<ulid::Ulid>().is_ok());
    }

    #[test]
    fn tags_come_as_a_list_a_comma_string_or_a_relation() {
        assert_eq!(
            tag_list(Some(&serde_json::json!(["a", "b"]))),
            vec!["a", "b"]
        );
        assert_eq!(tag_list(Some(&serde_json::json!("a, b,"))), vec!["a", "b"]);
        assert_eq!(
            tag_list(Some(
                &serde_json::json!([{"name": "a"}, {"documentId": "x"}])
            )),
            vec!["a"]
        );
        assert!(tag_list(None).is_empty());
    }
}
