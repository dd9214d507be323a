//! Internal documents per partner (contracts, call notes, a Notion page): an https link or
//! an upload (presigned, then checked by the bucket's verifier like a KYC file: declared
//! size, magic bytes; anything else deleted). Found by id (their own item) and listed per
//! partner (index `Lookup`, newest first). Never shown to partners.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::WorkspaceError;
use crate::audit::AuditEntry;
use crate::fault::{FieldError, Invalid};
use crate::storage::{Documents, PresignedUpload};
use crate::store::{Entity, Failure, Index, Key, Page, Query, Store, StoreError, keys};
use crate::uploads::{DOCX, DOWNLOAD_TTL, PPTX, UPLOAD_TTL, XLSX};
use crate::validate::{required, rfc3339};

/// Where internal files live in the documents bucket: `internal/<partner>/<document>`.
pub const PREFIX: &str = "internal/";
/// Accepted file types; at most 25 MiB each.
pub const CONTENT_TYPES: &[&str] = &[
    "application/pdf",
    DOCX,
    XLSX,
    PPTX,
    "image/png",
    "image/jpeg",
];
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;
const HEAD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Uploading,
    Verified,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalFile {
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub status: FileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalDocument {
    pub id: String,
    pub partner_id: String,
    pub title: String,
    pub document_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<InternalFile>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Entity for InternalDocument {
    const KIND: &'static str = "internal_document";

    fn key(&self) -> Key {
        keys::internal_document(&self.id)
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        vec![(
            Index::Lookup,
            Key::new(
                keys::partner_documents(&self.partner_id),
                format!("{}#{}", self.created_at, self.id),
            ),
        )]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDeclaration {
    pub content_type: String,
    pub size: u64,
}

/// `POST /v1/admin/partners/{partner_id}/documents`: a link or a file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    pub title: String,
    pub document_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub file: Option<FileDeclaration>,
}

/// Creates a document for a partner that exists (checked in the transaction: 404), with
/// the presigned upload of its file if it is one.
pub async fn create(
    store: &Store,
    docs: &Documents,
    actor: &str,
    partner_id: &str,
    req: NewDocument,
    now: DateTime<Utc>,
) -> Result<(InternalDocument, Option<PresignedUpload>), WorkspaceError> {
    let mut e: Vec<FieldError> = Vec::new();
    let title = required(&mut e, "/title", &req.title, 200);
    let document_type = required(&mut e, "/document_type", &req.document_type, 50).to_lowercase();
    let tags = crate::validate::tags(&mut e, "/tags", &req.tags, 20);
    let id = ulid::Ulid::new().to_string();
    let (url, file) = match (&req.url, &req.file) {
        (Some(u), None) => (
            crate::validate::https_link(u)
                .map_err(|m| e.push(FieldError::new("/url", m)))
                .ok(),
            None,
        ),
        (None, Some(f)) => {
            if !CONTENT_TYPES.contains(&f.content_type.as_str()) {
                e.push(FieldError::new(
                    "/file/content_type",
                    "must be PDF, DOCX, XLSX, PPTX, PNG or JPEG",
                ));
            }
            if f.size == 0 || f.size > MAX_BYTES {
                e.push(FieldError::new(
                    "/file/size",
                    format!("must be 1 to {MAX_BYTES} bytes"),
                ));
            }
            (
                None,
                Some(InternalFile {
                    key: format!("{PREFIX}{partner_id}/{id}"),
                    content_type: f.content_type.clone(),
                    size: f.size,
                    status: FileStatus::Uploading,
                    rejection_reason: None,
                }),
            )
        }
        _ => {
            e.push(FieldError::new(
                "/url",
                "give either an https url or a file",
            ));
            (None, None)
        }
    };
    Invalid::check(e, || ())?;
    let at = rfc3339(now);
    let doc = InternalDocument {
        id,
        partner_id: partner_id.to_string(),
        title,
        document_type,
        tags,
        url,
        file,
        created_by: actor.to_string(),
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
    };
    let upload = match &doc.file {
        Some(f) => Some(
            docs.presign_upload(&f.key, &f.content_type, f.size, UPLOAD_TTL)
                .await?,
        ),
        None => None,
    };
    let tx = store
        .tx()
        .require(
            &keys::partner(partner_id),
            Failure::Missing { what: "partner" },
        )
        .insert(&doc)
        .insert(&audit(&doc, actor, "document.added", &at))
        .build();
    store.commit(tx).await?;
    Ok((doc, upload))
}

fn audit(doc: &InternalDocument, actor: &str, action: &str, at: &str) -> AuditEntry {
    AuditEntry::new(
        Some(&doc.partner_id),
        actor,
        action,
        format!("document:{}", doc.id),
        at,
    )
    .change(
        Value::Null,
        json!({"title": doc.title, "document_type": doc.document_type, "url": doc.url}),
    )
}

/// The document a document route reads with the access check.
pub fn document_key(id: &str) -> Vec<Key> {
    vec![keys::internal_document(id)]
}

/// Deletes a document read with the access check, then its file.
pub async fn delete(
    store: &Store,
    docs: &Documents,
    actor: &str,
    current: Option<InternalDocument>,
    now: DateTime<Utc>,
) -> Result<(), WorkspaceError> {
    let doc = current.ok_or(WorkspaceError::NotFound("document"))?;
    let at = rfc3339(now);
    let tx = store
        .tx()
        .delete_version(&doc.key(), doc.version)
        .insert(&audit(&doc, actor, "document.deleted", &at))
        .build();
    store.commit(tx).await?;
    if let Some(f) = &doc.file {
        docs.delete(&f.key).await?;
    }
    Ok(())
}

/// A partner's documents, newest first (one Query page); verified files with a download
/// link valid 5 minutes (signed locally, no request).
pub async fn list(
    store: &Store,
    docs: &Documents,
    partner_id: &str,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Value, WorkspaceError> {
    let q = Query::partition(
        Some(Index::Lookup),
        keys::partner_documents(partner_id),
        limit,
    )
    .newest_first();
    let page: Page<InternalDocument> = store.query(&q, cursor).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for d in &page.items {
        let link = match d.file.as_ref().filter(|f| f.status == FileStatus::Verified) {
            Some(f) => Some(docs.presign_download(&f.key, DOWNLOAD_TTL).await?.url),
            None => None,
        };
        items.push(view(d, link.as_deref()));
    }
    Ok(json!({"items": items, "next_cursor": page.next_cursor}))
}

/// A document as operations see it (`download_url` for a verified file).
pub fn view(d: &InternalDocument, download_url: Option<&str>) -> Value {
    json!({
        "id": d.id,
        "partner_id": d.partner_id,
        "title": d.title,
        "document_type": d.document_type,
        "tags": d.tags,
        "url": d.url,
        "file": d.file.as_ref().map(|f| json!({
            "content_type": f.content_type,
            "size": f.size,
            "status": f.status,
            "rejection_reason": f.rejection_reason,
        })),
        "download_url": download_url,
        "created_by": d.created_by,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "version": d.version,
    })
}

/// What the verifier did with an internal file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected(String),
    /// Nothing waits for it (a deleted document, a redelivery): deleted if unexpected.
    Ignored,
}

/// Checks the object at `object_key` (`internal/<partner>/<document>`) against its
/// document's declaration: size, magic bytes. A mismatch is deleted and recorded.
pub async fn verify(
    store: &Store,
    docs: &Documents,
    object_key: &str,
) -> Result<Outcome, WorkspaceError> {
    let id = object_key.rsplit('/').next().unwrap_or("");
    for _ in 0..5 {
        let doc: Option<InternalDocument> = store.get(&keys::internal_document(id)).await?;
        let Some(doc) = doc.filter(|d| d.file.as_ref().is_some_and(|f| f.key == object_key)) else {
            docs.delete(object_key).await?;
            return Ok(Outcome::Ignored);
        };
        let file = doc.file.clone().expect("filtered");
        if file.status != FileStatus::Uploading {
            return Ok(Outcome::Ignored);
        }
        let Some(info) = docs.info(object_key).await? else {
            return Ok(Outcome::Ignored);
        };
        let problem = if info.size != file.size {
            Some(format!(
                "The file is {} bytes; {} were declared.",
                info.size, file.size
            ))
        } else if !crate::uploads::magic_matches(
            &file.content_type,
            &docs.head_bytes(object_key, HEAD_BYTES).await?,
        ) {
            Some(format!("The file is not a {} file.", file.content_type))
        } else {
            None
        };
        let mut next = doc.clone();
        next.file = Some(InternalFile {
            status: if problem.is_some() {
                FileStatus::Rejected
            } else {
                FileStatus::Verified
            },
            rejection_reason: problem.clone(),
            ..file
        });
        next.updated_at = rfc3339(Utc::now());
        next.version = doc.version + 1;
        match store
            .commit(store.tx().replace(&next, doc.version).build())
            .await
        {
            Err(StoreError::Condition(_)) => continue,
            other => other?,
        }
        return Ok(match problem {
            None => Outcome::Accepted,
            Some(reason) => {
                docs.delete(object_key).await?;
                Outcome::Rejected(reason)
            }
        });
    }
    Err(StoreError::Dynamo("the document kept changing while its file was checked".into()).into())
}
