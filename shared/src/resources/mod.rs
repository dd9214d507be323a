//! The resource library: sales material operations publish and partners download.
//!
//! A resource is created as a draft with either a presigned upload (verified by the
//! bucket's verifier: size and magic bytes of its declared type, an office file's zip
//! container included; anything else deleted) or an external https link. Published
//! resources are listed to partners of their `min_tier` and above from one index partition
//! (tier, type, category, tag and `q` are filters on the page read). A download counts
//! once per partner per day, in one transaction with the partner's timeline entry;
//! category and tag counts are maintained on write.

pub mod error;
pub mod model;
pub mod strapi;
pub mod verify;

pub use error::ResourceError;
pub use model::{
    DownloadMark, PendingFile, Resource, ResourceSource, ResourceStatus, ResourceType, StoredFile,
};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::AuditEntry;
use crate::auth::Principal;
use crate::fault::{FieldError, Invalid};
use crate::partners::{Partner, Tier};
use crate::storage::Documents;
use crate::store::{
    Failure, Fetched, Filter, Index, Key, Page, Patch, Query, Store, StoreError, TxBuilder, keys,
};
use crate::uploads::VerificationStatus;
use crate::validate::{optional, required, rfc3339};

/// A file to upload: what it will be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDeclaration {
    pub content_type: String,
    pub size: u64,
}

/// `POST /v1/admin/resources`: metadata and either `file` (a presigned upload follows) or
/// `url` (an external https link).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewResource {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub r#type: ResourceType,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub min_tier: Option<Tier>,
    #[serde(default)]
    pub training: Option<bool>,
    #[serde(default)]
    pub file: Option<FileDeclaration>,
    #[serde(default)]
    pub url: Option<String>,
}

/// `PATCH /v1/admin/resources/{id}`: absent fields stay; `status` publishes or archives;
/// `file` replaces the file (a new version, verified before partners get it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceUpdate {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::present")]
    pub description: Option<Option<String>>,
    #[serde(default, rename = "type")]
    pub r#type: Option<ResourceType>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub min_tier: Option<Tier>,
    #[serde(default)]
    pub training: Option<bool>,
    #[serde(default)]
    pub status: Option<ResourceStatus>,
    #[serde(default)]
    pub file: Option<FileDeclaration>,
    #[serde(default)]
    pub url: Option<String>,
}

/// Types a resource file may be, with the largest accepted size of each.
pub const FILE_TYPES: &[(&str, u64)] = &[
    ("application/pdf", 25 * 1024 * 1024),
    (crate::uploads::PPTX, 50 * 1024 * 1024),
    (crate::uploads::DOCX, 25 * 1024 * 1024),
    (crate::uploads::XLSX, 25 * 1024 * 1024),
    ("image/png", 10 * 1024 * 1024),
    ("image/jpeg", 10 * 1024 * 1024),
    ("video/mp4", 500 * 1024 * 1024),
];

/// The largest size of `content_type`, if it is a resource file type.
pub fn size_limit(content_type: &str) -> Option<u64> {
    FILE_TYPES
        .iter()
        .find(|(t, _)| *t == content_type)
        .map(|(_, max)| *max)
}

const MAX_TAGS: usize = 20;

fn clean_category(e: &mut Vec<FieldError>, category: &str) -> String {
    required(e, "/category", category, 50).to_lowercase()
}

/// An external link: https, a host that is not loopback, private or internal (see
/// [`crate::validate::https_link`]).
pub fn check_link(raw: &str) -> Result<String, &'static str> {
    crate::validate::https_link(raw)
}

fn check_file(e: &mut Vec<FieldError>, f: &FileDeclaration) {
    match size_limit(&f.content_type) {
        None => e.push(FieldError::new(
            "/file/content_type",
            "must be PDF, PPTX, DOCX, XLSX, PNG, JPEG or MP4",
        )),
        Some(max) if f.size == 0 || f.size > max => e.push(FieldError::new(
            "/file/size",
            format!("must be 1 to {max} bytes for {}", f.content_type),
        )),
        Some(_) => {}
    }
}

fn searchable(r: &Resource) -> String {
    format!(
        "{} {} {} {}",
        r.title,
        r.description.as_deref().unwrap_or(""),
        r.category,
        r.tags.join(" ")
    )
    .to_lowercase()
}

/// What a published resource adds to the facet counts: its category and tags, under its
/// minimum tier (a partner's counts sum the tiers up to its own).
fn facet_contributions(r: Option<&Resource>) -> Vec<(String, i64)> {
    let Some(r) = r.filter(|r| r.status == ResourceStatus::Published) else {
        return Vec::new();
    };
    let rank = r.min_tier.rank();
    let mut out = vec![(format!("category#{rank}#{}", r.category), 1)];
    out.extend(r.tags.iter().map(|t| (format!("tag#{rank}#{t}"), 1)));
    out
}

fn facets<'a>(tx: TxBuilder<'a>, before: Option<&Resource>, after: &Resource) -> TxBuilder<'a> {
    tx.add_change(
        &keys::resource_facets(),
        "resource_facets",
        &facet_contributions(before),
        &facet_contributions(Some(after)),
    )
}

/// The version a new file of `r` gets: after every version it has or had pending.
fn next_file_version(r: &Resource) -> u32 {
    r.upload
        .as_ref()
        .map(|u| u.version)
        .max(r.file.as_ref().map(|f| f.version))
        .unwrap_or(0)
        + 1
}

/// A presigned upload for a resource's file.
#[derive(Debug, Serialize)]
pub struct Upload {
    pub url: String,
    pub method: &'static str,
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

fn object_key(resource_id: &str, version: u32) -> String {
    format!("{}{resource_id}/{version}", verify::PREFIX)
}

async fn presign(docs: &Documents, file: &PendingFile) -> Result<Upload, ResourceError> {
    let p = docs
        .presign_upload(
            &file.key,
            &file.content_type,
            file.size,
            crate::uploads::UPLOAD_TTL,
        )
        .await?;
    Ok(Upload {
        url: p.url,
        method: p.method,
        headers: p.headers.into_iter().collect(),
        expires_at: rfc3339(p.expires_at),
    })
}

/// `POST /v1/admin/resources`: a draft, with its presigned upload when it is a file.
pub async fn create(
    store: &Store,
    docs: &Documents,
    actor: &str,
    req: NewResource,
    now: DateTime<Utc>,
) -> Result<(Resource, Option<Upload>), ResourceError> {
    let mut e = Vec::new();
    let title = required(&mut e, "/title", &req.title, 200);
    let description = optional(&mut e, "/description", &req.description, 2000);
    let category = clean_category(&mut e, &req.category);
    let tags = crate::validate::tags(&mut e, "/tags", &req.tags, MAX_TAGS);
    let url = match (&req.file, &req.url) {
        (Some(f), None) => {
            check_file(&mut e, f);
            None
        }
        (None, Some(u)) => check_link(u)
            .map_err(|m| e.push(FieldError::new("/url", m)))
            .ok(),
        _ => {
            e.push(FieldError::new(
                "/file",
                "give either a file or an https url",
            ));
            None
        }
    };
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let at = rfc3339(now);
    let id = ulid::Ulid::new().to_string();
    let min_tier = req.min_tier.unwrap_or(Tier::Registered);
    let upload = req.file.as_ref().map(|f| PendingFile {
        key: object_key(&id, 1),
        content_type: f.content_type.clone(),
        size: f.size,
        version: 1,
        status: VerificationStatus::Uploading,
        rejection_reason: None,
        publish: false,
    });
    let mut resource = Resource {
        id: id.clone(),
        title,
        description,
        r#type: req.r#type,
        category,
        tags,
        min_tier,
        min_tier_rank: min_tier.rank().to_string(),
        training: req
            .training
            .unwrap_or(req.r#type == ResourceType::TrainingVideo),
        status: ResourceStatus::Draft,
        file: None,
        upload,
        url,
        download_count: 0,
        unique_partners: 0,
        search_text: String::new(),
        published_at: None,
        source: None,
        created_by: actor.to_string(),
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
    };
    resource.search_text = searchable(&resource);
    let presigned = match &resource.upload {
        Some(f) => Some(presign(docs, f).await?),
        None => None,
    };
    let tx = store
        .tx()
        .insert(&resource)
        .insert(
            &AuditEntry::new(
                None,
                actor,
                "resource.created",
                format!("resource:{id}"),
                &at,
            )
            .change(
                Value::Null,
                serde_json::json!({"title": resource.title, "type": resource.r#type}),
            ),
        )
        .build();
    store.commit(tx).await?;
    Ok((resource, presigned))
}

/// The resource an operations route reads with its access check.
pub fn admin_resource_key(id: &str) -> Vec<Key> {
    vec![keys::resource(id)]
}

/// `PATCH /v1/admin/resources/{id}` (`If-Match`): metadata, publish or archive, or a new
/// file version, on the resource read with the access check (`fetched`). Publishing needs
/// something to download (a verified file or a link).
#[allow(clippy::too_many_arguments)]
pub async fn update(
    store: &Store,
    docs: &Documents,
    actor: &str,
    fetched: &mut Fetched,
    id: &str,
    expected_version: Option<u64>,
    req: ResourceUpdate,
    now: DateTime<Utc>,
) -> Result<(Resource, Option<Upload>), ResourceError> {
    let current: Resource = fetched
        .take(&keys::resource(id))?
        .ok_or(ResourceError::NotFound("resource"))?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(ResourceError::Stale);
    }
    if current.source.is_some() {
        return Err(ResourceError::ManagedByCms);
    }
    let mut e = Vec::new();
    let mut next = current.clone();
    if let Some(t) = &req.title {
        next.title = required(&mut e, "/title", t, 200);
    }
    if let Some(d) = &req.description {
        next.description = optional(&mut e, "/description", d, 2000);
    }
    if let Some(t) = req.r#type {
        next.r#type = t;
    }
    if let Some(c) = &req.category {
        next.category = clean_category(&mut e, c);
    }
    if let Some(t) = &req.tags {
        next.tags = crate::validate::tags(&mut e, "/tags", t, MAX_TAGS);
    }
    if let Some(t) = req.min_tier {
        next.min_tier = t;
        next.min_tier_rank = t.rank().to_string();
    }
    if let Some(t) = req.training {
        next.training = t;
    }
    if req.file.is_some() && req.url.is_some() {
        e.push(FieldError::new(
            "/file",
            "give either a file or an https url",
        ));
    }
    if let Some(f) = &req.file {
        check_file(&mut e, f);
        let version = next_file_version(&current);
        next.upload = Some(PendingFile {
            key: object_key(id, version),
            content_type: f.content_type.clone(),
            size: f.size,
            version,
            status: VerificationStatus::Uploading,
            rejection_reason: None,
            publish: false,
        });
    }
    if let Some(u) = &req.url {
        match check_link(u) {
            Ok(u) => {
                next.url = Some(u);
                next.file = None;
                next.upload = None;
            }
            Err(m) => e.push(FieldError::new("/url", m)),
        }
    }
    if let Some(s) = req.status {
        if s == ResourceStatus::Published && next.file.is_none() && next.url.is_none() {
            e.push(FieldError::new(
                "/status",
                "a resource is published once its file is verified (or it has a link)",
            ));
        }
        if s == ResourceStatus::Published && current.status != ResourceStatus::Published {
            next.published_at = Some(rfc3339(now));
        }
        next.status = s;
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    next.search_text = searchable(&next);
    if next == current {
        return Ok((current, None));
    }
    let at = rfc3339(now);
    next.updated_at = at.clone();
    next.version = current.version + 1;
    let presigned = match (&req.file, &next.upload) {
        (Some(_), Some(f)) => Some(presign(docs, f).await?),
        _ => None,
    };
    let tx = facets(store.tx().replace(&next, current.version), Some(&current), &next)
        .insert(
            &AuditEntry::new(None, actor, "resource.updated", format!("resource:{id}"), &at).change(
                serde_json::json!({"status": current.status, "min_tier": current.min_tier, "version": current.version}),
                serde_json::json!({"status": next.status, "min_tier": next.min_tier, "file_version": next.upload.as_ref().map(|u| u.version)}),
            ),
        )
        .build();
    store.commit(tx).await?;
    // A link replaced the file: its object goes too.
    if let Some(old) = current.file.as_ref().filter(|_| next.file.is_none()) {
        docs.delete(&old.key).await?;
    }
    Ok((next, presigned))
}

/// A resource as operations see it.
pub fn admin_view(r: &Resource) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        if let Some(t) = m.remove("resource_type") {
            m.insert("type".into(), t);
        }
        m.remove("search_text");
        m.remove("min_tier_rank");
    }
    v
}

/// What a create or an update answers: the resource as operations see it and the
/// presigned upload for its (new) file, or `null`.
pub fn written_view(r: &Resource, upload: Option<&Upload>) -> Value {
    let mut v = admin_view(r);
    v["upload_url"] = serde_json::to_value(upload).unwrap_or_default();
    v
}

/// A resource as partners see it: what it is and what to download, not how it is stored.
pub fn view(r: &Resource, completed: bool) -> Value {
    serde_json::json!({
        "id": r.id,
        "title": r.title,
        "description": r.description,
        "type": r.r#type,
        "category": r.category,
        "tags": r.tags,
        "min_tier": r.min_tier,
        "status": r.status,
        "training": r.training,
        "completed": completed,
        "file": r.file.as_ref().map(|f| serde_json::json!({"content_type": f.content_type, "size": f.size})),
        "url": r.url,
        "download_count": r.download_count,
        "updated_at": r.updated_at,
    })
}

/// `GET /v1/admin/resources`: every resource (or one status), newest first, one page.
pub async fn admin_list(
    store: &Store,
    status: Option<ResourceStatus>,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Resource>, ResourceError> {
    let q = match status {
        Some(s) => Query::partition(
            Some(Index::ByState),
            keys::resources_by_status(s.as_str()),
            limit,
        ),
        None => Query::partition(Some(Index::Lookup), keys::RESOURCES_ALL, limit),
    };
    Ok(store.query(&q.newest_first(), cursor).await?)
}

/// Partner list filters.
#[derive(Debug, Default, Clone)]
pub struct ListFilters {
    pub r#type: Option<ResourceType>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub completed: Option<bool>,
}

/// The caller's completions, read with the access check.
pub fn completions_key(principal: &Principal) -> Vec<Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| vec![keys::completions(p, &principal.user_id)])
        .unwrap_or_default()
}

fn completed_ids(
    principal: &Principal,
    fetched: &mut Fetched,
) -> Result<Vec<String>, ResourceError> {
    let Some(k) = completions_key(principal).into_iter().next() else {
        return Err(crate::auth::NoPartner.into());
    };
    let item: Option<Value> = fetched.take(&k)?;
    Ok(item
        .and_then(|i| serde_json::from_value(i["resource_ids"].clone()).ok())
        .unwrap_or_default())
}

fn partner_of(partner: Option<&Partner>) -> Result<&Partner, ResourceError> {
    partner.ok_or_else(|| crate::auth::NoPartner.into())
}

/// `GET /v1/resources`: one Query page of published resources, newest first; the tier
/// (`min_tier_rank` at most the partner's), type, category, tag and `q` filters run on
/// the page read, `completed` against the caller's completions read with the access check.
pub async fn list(
    store: &Store,
    principal: &Principal,
    partner: Option<&Partner>,
    fetched: &mut Fetched,
    filters: &ListFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Value, ResourceError> {
    let partner = partner_of(partner)?;
    let done = completed_ids(principal, fetched)?;
    let mut filter = Filter::new().at_most(&["min_tier_rank"], &partner.tier.rank().to_string());
    if let Some(t) = filters.r#type {
        filter = filter.eq(&["resource_type"], t.as_str());
    }
    if let Some(c) = &filters.category {
        filter = filter.eq(&["category"], &c.trim().to_lowercase());
    }
    if let Some(t) = &filters.tag {
        filter = filter.contains_any(&[&["tags"]], &t.trim().to_lowercase());
    }
    if let Some(q) = &filters.q {
        filter = filter.contains_any(&[&["search_text"]], &q.trim().to_lowercase());
    }
    let query = Query::partition(
        Some(Index::ByState),
        keys::resources_by_status(ResourceStatus::Published.as_str()),
        limit,
    )
    .newest_first()
    .filter(filter);
    let page: Page<Resource> = store.query(&query, cursor).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|r| (r, done.contains(&r.id)))
        .filter(|(_, c)| filters.completed.is_none_or(|want| want == *c))
        .map(|(r, c)| view(r, c))
        .collect();
    Ok(serde_json::json!({"items": items, "next_cursor": page.next_cursor}))
}

/// The resource a partner route reads with its access check.
pub fn resource_keys(principal: &Principal, id: &str) -> Vec<Key> {
    let mut k = vec![keys::resource(id)];
    k.extend(completions_key(principal));
    k
}

/// A resource the partner may see: published and within its tier (else 404).
fn visible(fetched: &mut Fetched, partner: &Partner, id: &str) -> Result<Resource, ResourceError> {
    let r: Option<Resource> = fetched.take(&keys::resource(id))?;
    r.filter(|r| r.status == ResourceStatus::Published && r.min_tier <= partner.tier)
        .ok_or(ResourceError::NotFound("resource"))
}

/// `GET /v1/resources/{id}`: read with the access check (one round trip).
pub fn get(
    principal: &Principal,
    partner: Option<&Partner>,
    fetched: &mut Fetched,
    id: &str,
) -> Result<Value, ResourceError> {
    let partner = partner_of(partner)?;
    let r = visible(fetched, partner, id)?;
    let done = completed_ids(principal, fetched)?;
    Ok(view(&r, done.contains(&r.id)))
}

/// The items a download reads with the access check: the resource and the partner's
/// marks for today and ever.
pub fn download_keys(principal: &Principal, id: &str, today: &str) -> Vec<Key> {
    let mut k = vec![keys::resource(id)];
    if let Some(p) = principal.partner_id.as_deref() {
        k.push(keys::resource_download(id, p, today));
        k.push(keys::resource_download(id, p, "ever"));
    }
    k
}

#[derive(Debug, Serialize)]
pub struct Download {
    pub url: String,
    pub expires_at: Option<String>,
    /// Whether this download was counted (the first of the partner's today).
    pub counted: bool,
}

/// `GET /v1/resources/{id}/download`: a presigned GET (5 minutes) or the external link.
/// The first download of a partner on a day counts: the day's mark, the resource's
/// counters (and the partner's first-ever mark) and a timeline entry in one transaction;
/// a concurrent second one loses the mark's condition and is not counted.
pub async fn download(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    partner: Option<&Partner>,
    fetched: &mut Fetched,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Download, ResourceError> {
    let partner = partner_of(partner)?;
    let r = visible(fetched, partner, id)?;
    let today = now.format("%Y-%m-%d").to_string();
    let seen_today: Option<Value> =
        fetched.take(&keys::resource_download(id, &partner.id, &today))?;
    let seen_ever: Option<Value> =
        fetched.take(&keys::resource_download(id, &partner.id, "ever"))?;
    let (url, expires_at) = match (&r.file, &r.url) {
        (Some(f), _) => {
            let p = docs
                .presign_download(&f.key, crate::uploads::DOWNLOAD_TTL)
                .await?;
            (p.url, Some(rfc3339(p.expires_at)))
        }
        (None, Some(u)) => (u.clone(), None),
        (None, None) => return Err(ResourceError::NotFound("resource")),
    };
    let mut counted = false;
    if seen_today.is_none() {
        let mark = DownloadMark {
            resource_id: id.to_string(),
            partner_id: partner.id.clone(),
            day: today.clone(),
            expires_at: Some(now.timestamp() + 2 * 24 * 3600),
        };
        let at = rfc3339(now);
        let mut tx = store
            .tx()
            .create(&mark, Failure::conflict("already_counted", "counted today"))
            .patch(
                Patch::new(&keys::resource(id))
                    .add("download_count", 1)
                    .add("unique_partners", i64::from(seen_ever.is_none()))
                    .require_exists(),
            )
            .insert(
                &AuditEntry::new(
                    Some(&partner.id),
                    &principal.user_id,
                    "resource.downloaded",
                    format!("resource:{id}"),
                    &at,
                )
                .change(Value::Null, serde_json::json!({"title": r.title})),
            );
        if seen_ever.is_none() {
            tx = tx.create(
                &DownloadMark {
                    resource_id: id.to_string(),
                    partner_id: partner.id.clone(),
                    day: "ever".into(),
                    expires_at: None,
                },
                Failure::conflict("already_counted", "counted before"),
            );
        }
        counted = match store.commit(tx.build()).await {
            Ok(()) => true,
            Err(StoreError::Condition(Failure::Conflict {
                code: "already_counted",
                ..
            })) => false,
            Err(e) => return Err(e.into()),
        };
    }
    Ok(Download {
        url,
        expires_at,
        counted,
    })
}

/// `POST /v1/resources/{id}/complete`: adds the resource to the caller's completions
/// (a set: idempotent). Only training resources the partner may see.
pub async fn complete(
    store: &Store,
    principal: &Principal,
    partner: Option<&Partner>,
    fetched: &mut Fetched,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Value, ResourceError> {
    let partner = partner_of(partner)?;
    let r = visible(fetched, partner, id)?;
    if !r.training {
        return Err(ResourceError::NotTraining);
    }
    let done = completed_ids(principal, fetched)?;
    if !done.contains(&r.id) {
        let at = rfc3339(now);
        let tx = store
            .tx()
            .patch(
                Patch::new(&keys::completions(&partner.id, &principal.user_id))
                    .set(keys::KIND, "training_completions")
                    .add_to_set("resource_ids", id),
            )
            .insert(
                &AuditEntry::new(
                    Some(&partner.id),
                    &principal.user_id,
                    "resource.completed",
                    format!("resource:{id}"),
                    &at,
                )
                .change(Value::Null, serde_json::json!({"title": r.title})),
            )
            .build();
        store.commit(tx).await?;
    }
    Ok(view(&r, true))
}

/// The facet item, read with the access check.
pub fn facets_key() -> Vec<Key> {
    vec![keys::resource_facets()]
}

#[derive(Debug, Serialize)]
pub struct Facet {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize)]
pub struct Facets {
    pub categories: Vec<Facet>,
    pub tags: Vec<Facet>,
}

/// `GET /v1/resources/categories`: categories and tags of the published resources the
/// partner's tier sees, with counts (one maintained item, read with the access check).
pub fn categories(
    partner: Option<&Partner>,
    fetched: &mut Fetched,
) -> Result<Facets, ResourceError> {
    let partner = partner_of(partner)?;
    let item: Option<BTreeMap<String, Value>> = fetched.take(&keys::resource_facets())?;
    let mut cats: BTreeMap<String, i64> = BTreeMap::new();
    let mut tags: BTreeMap<String, i64> = BTreeMap::new();
    for (attr, v) in item.unwrap_or_default() {
        let mut parts = attr.splitn(3, '#');
        let (Some(kind), Some(rank), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(rank) = rank.parse::<usize>() else {
            continue;
        };
        if rank > partner.tier.rank() {
            continue;
        }
        let n = v.as_i64().unwrap_or(0);
        match kind {
            "category" => *cats.entry(name.to_string()).or_default() += n,
            "tag" => *tags.entry(name.to_string()).or_default() += n,
            _ => {}
        }
    }
    let list = |m: BTreeMap<String, i64>| {
        m.into_iter()
            .filter(|(_, c)| *c > 0)
            .map(|(name, count)| Facet { name, count })
            .collect()
    };
    Ok(Facets {
        categories: list(cats),
        tags: list(tags),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_be_https_to_a_public_host() {
        assert!(check_link("https://example.com/brochure.pdf").is_ok());
        assert!(check_link("https://www.notion.so/page?x=1").is_ok());
        for bad in [
            "http://example.com/a.pdf",
            "https://localhost/a",
            "https://127.0.0.1/a",
            "https://10.1.2.3/a",
            "https://192.168.0.10:8443/a",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/a",
            "https://[fd00::1]/a",
            "https://intranet/a",
            "https://user:pw@example.com/a",
            "https://files.internal/a",
            "ftp://example.com/a",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }
}
