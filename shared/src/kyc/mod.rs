//! KYC documents: presigned uploads, verification of what was stored, the partner's
//! submission for review, and operations' review.

mod error;
pub use error::KycError;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::auth::Principal;
use crate::fault::{FieldError, Invalid};
use crate::notifications::{EmailKind, OutboxEmail};
use crate::partners::{BusinessType, KycStatus, Partner, PartnerStatus};
use crate::storage::{Documents, PresignedDownload, PresignedUpload};
use crate::store::{Entity, Failure, Key, Page, Patch, Query, Store, keys};
pub use crate::uploads::{
    CONTENT_TYPES, DOWNLOAD_TTL, MAX_DOCUMENT_BYTES, UPLOAD_TTL, VerificationStatus, magic_matches,
};
use crate::validate::rfc3339;

/// Object keys of KYC documents: `kyc/<partner_id>/<document_id>`.
pub const OBJECT_PREFIX: &str = "kyc/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    IdDocument,
    ProofOfAddress,
    BusinessRegistration,
    TaxCertificate,
    BankStatement,
    Other,
}

impl DocumentType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::IdDocument => "id_document",
            DocumentType::ProofOfAddress => "proof_of_address",
            DocumentType::BusinessRegistration => "business_registration",
            DocumentType::TaxCertificate => "tax_certificate",
            DocumentType::BankStatement => "bank_statement",
            DocumentType::Other => "other",
        }
    }
}

/// The documents a partner must provide before review.
pub fn required_types(business: BusinessType) -> Vec<DocumentType> {
    let mut required = vec![
        DocumentType::IdDocument,
        DocumentType::ProofOfAddress,
        DocumentType::BankStatement,
    ];
    if business != BusinessType::SoleProprietor {
        required.push(DocumentType::BusinessRegistration);
    }
    required
}

/// A KYC document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KycDocument {
    pub id: String,
    pub partner_id: String,
    pub document_type: DocumentType,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub verification_status: VerificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub object_key: String,
    /// The ETag of the object that passed verification: a later event for the same key
    /// with another ETag means the file was replaced after it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    /// The last day the document is valid (a tax clearance certificate, an ID), when it
    /// has one: the partner is reminded before it passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Entity for KycDocument {
    const KIND: &'static str = "kyc_document";

    fn key(&self) -> Key {
        keys::kyc_document(&self.partner_id, &self.id)
    }
}

/// A document as clients see it.
#[derive(Debug, Serialize)]
pub struct DocumentView {
    pub id: String,
    pub document_type: DocumentType,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub verification_status: VerificationStatus,
    pub rejection_reason: Option<String>,
    pub expires_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&KycDocument> for DocumentView {
    fn from(d: &KycDocument) -> Self {
        Self {
            id: d.id.clone(),
            document_type: d.document_type,
            file_name: d.file_name.clone(),
            content_type: d.content_type.clone(),
            size: d.size,
            verification_status: d.verification_status,
            rejection_reason: d.rejection_reason.clone(),
            expires_on: d.expires_on.clone(),
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
        }
    }
}

// ------------------------------------------------------------------ upload

/// `POST /v1/kyc/documents`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    pub document_type: DocumentType,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    /// `YYYY-MM-DD`, today or later: the last day the document is valid.
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// The most years ahead a document's expiry may be set.
pub const MAX_VALID_YEARS: u32 = 20;

/// A document's `expires_on`: a date from today up to [`MAX_VALID_YEARS`] ahead.
fn expiry(raw: Option<&str>, now: DateTime<Utc>) -> Result<Option<String>, Invalid> {
    let Some(raw) = raw else { return Ok(None) };
    let today = now.date_naive();
    // Months, not years: 20 years after 29 February is 28 February, not "no such day".
    let latest = today
        .checked_add_months(chrono::Months::new(12 * MAX_VALID_YEARS))
        .unwrap_or(today);
    match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if d >= today && d <= latest => Ok(Some(d.to_string())),
        Ok(_) => Err(Invalid(vec![FieldError::new(
            "/expires_on",
            "must be today or a later date, at most 20 years ahead",
        )])),
        Err(_) => Err(Invalid(vec![FieldError::new(
            "/expires_on",
            "must be a date (YYYY-MM-DD)",
        )])),
    }
}

#[derive(Debug, Serialize)]
pub struct UploadGranted {
    pub document: DocumentView,
    pub upload: PresignedUpload,
}

/// Records the document (`uploading`) and presigns a PUT of exactly the declared type and
/// size to a key the server chooses, valid 15 minutes.
pub async fn request_upload(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    req: UploadRequest,
    budget: crate::limits::UploadBudget,
    now: DateTime<Utc>,
) -> Result<UploadGranted, KycError> {
    let partner_id = principal.partner_id()?.to_string();
    let file_name = crate::validate::upload(
        &req.file_name,
        &req.content_type,
        req.size,
        CONTENT_TYPES,
        MAX_DOCUMENT_BYTES,
    )?;
    let expires_on = expiry(req.expires_on.as_deref(), now)?;
    let at = rfc3339(now);
    let id = ulid::Ulid::new().to_string();
    let doc = KycDocument {
        object_key: format!("{OBJECT_PREFIX}{partner_id}/{id}"),
        id,
        partner_id: partner_id.clone(),
        document_type: req.document_type,
        file_name,
        content_type: req.content_type,
        size: req.size,
        verification_status: VerificationStatus::Uploading,
        rejection_reason: None,
        object_etag: None,
        reviewed_by: None,
        expires_on,
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
    };
    let audit = AuditEntry::new(
        Some(&partner_id),
        &principal.user_id,
        "kyc.upload_requested",
        format!("kyc_document:{}", doc.id),
        &at,
    )
    .change(
        serde_json::Value::Null,
        serde_json::json!({"document_type": doc.document_type, "size": doc.size}),
    );
    // The partner must exist (and be this caller's): a deleted partner cannot upload.
    let tx = store
        .tx()
        .require(
            &keys::partner(&partner_id),
            Failure::Missing { what: "partner" },
        )
        .insert(&doc)
        .insert(&audit);
    let tx = budget.spend(tx, &partner_id, doc.size, now).build();
    store.commit(tx).await?;
    let upload = docs
        .presign_upload(&doc.object_key, &doc.content_type, doc.size, UPLOAD_TTL)
        .await?;
    Ok(UploadGranted {
        document: DocumentView::from(&doc),
        upload,
    })
}

// ------------------------------------------------------------------ verification

/// What the verifier did with one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Accepted,
    Rejected(String),
    /// Already verified earlier (a redelivered event): nothing done.
    AlreadyProcessed,
    /// No document record for this key: the object was removed.
    Unknown,
    /// The object is no longer there (deleted meanwhile).
    Gone,
}

/// `kyc/<partner_id>/<document_id>` → the two ids.
pub fn parse_object_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(OBJECT_PREFIX)?;
    let (partner, document) = rest.split_once('/')?;
    (!partner.is_empty() && !document.is_empty() && !document.contains('/'))
        .then_some((partner, document))
}

/// Checks a stored upload against its record: size equal to the declared size, magic
/// bytes of the declared type. A match moves the document to `pending` (and the partner's
/// KYC to `submitted` once every required type is present); a mismatch deletes the object
/// and rejects the document with the reason. Safe to run twice for one object; an event
/// for a file that replaced an already verified one (another `event_etag`) rejects it.
pub async fn verify_upload(
    store: &Store,
    docs: &Documents,
    object_key: &str,
    event_etag: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Verification, KycError> {
    let Some((partner_id, document_id)) = parse_object_key(object_key) else {
        docs.delete(object_key).await?;
        return Ok(Verification::Unknown);
    };
    let Some(doc) = store
        .get::<KycDocument>(&keys::kyc_document(partner_id, document_id))
        .await?
    else {
        docs.delete(object_key).await?;
        return Ok(Verification::Unknown);
    };
    if doc.object_key != object_key {
        return Ok(Verification::AlreadyProcessed);
    }
    if doc.verification_status != VerificationStatus::Uploading {
        let replaced = matches!((event_etag, doc.object_etag.as_deref()), (Some(new), Some(verified)) if new.trim_matches('"') != verified)
            && doc.verification_status != VerificationStatus::Rejected;
        if !replaced {
            return Ok(Verification::AlreadyProcessed);
        }
        docs.delete(object_key).await?;
        let reason =
            "The file was replaced after it was verified; upload it as a new document.".to_string();
        let at = rfc3339(now);
        let patch = Patch::new(&doc.key())
            .set("verification_status", VerificationStatus::Rejected)
            .set("rejection_reason", &reason)
            .set("updated_at", &at)
            .add("version", 1)
            .require_exists();
        let audit = AuditEntry::new(
            Some(partner_id),
            "system",
            "kyc.upload_replaced",
            format!("kyc_document:{document_id}"),
            &at,
        );
        store
            .commit(store.tx().patch(patch).insert(&audit).build())
            .await?;
        return Ok(Verification::Rejected(reason));
    }
    let Some(info) = docs.info(object_key).await? else {
        return Ok(Verification::Gone);
    };
    let problem = if info.size != doc.size {
        Some(format!(
            "The file is {} bytes; {} were declared.",
            info.size, doc.size
        ))
    } else if !magic_matches(&doc.content_type, &docs.head_bytes(object_key, 16).await?) {
        Some(format!(
            "The file's content is not {} as declared.",
            doc.content_type
        ))
    } else {
        None
    };
    let at = rfc3339(now);
    let (status, reason) = match &problem {
        Some(reason) => (VerificationStatus::Rejected, Some(reason.clone())),
        None => (VerificationStatus::Pending, None),
    };
    if problem.is_some() {
        docs.delete(object_key).await?;
    }
    let mut patch = Patch::new(&doc.key())
        .set("verification_status", status)
        .set("updated_at", &at)
        .add("version", 1)
        .require_eq("verification_status", VerificationStatus::Uploading)
        .on_failure(Failure::conflict("already_processed", "already processed"));
    if let Some(r) = &reason {
        patch = patch.set("rejection_reason", r);
    }
    if let (None, Some(etag)) = (&reason, &info.etag) {
        patch = patch.set("object_etag", etag);
    }
    let audit = AuditEntry::new(
        Some(partner_id),
        "system",
        if problem.is_some() {
            "kyc.upload_rejected"
        } else {
            "kyc.upload_verified"
        },
        format!("kyc_document:{document_id}"),
        &at,
    )
    .change(
        serde_json::json!({"verification_status": "uploading"}),
        serde_json::json!({"verification_status": status, "reason": reason}),
    );
    match store
        .commit(store.tx().patch(patch).insert(&audit).build())
        .await
    {
        Ok(()) => {}
        Err(crate::store::StoreError::Condition(_)) => return Ok(Verification::AlreadyProcessed),
        Err(e) => return Err(e.into()),
    }
    if let Some(reason) = problem {
        return Ok(Verification::Rejected(reason));
    }
    mark_submitted_when_complete(store, partner_id).await?;
    Ok(Verification::Accepted)
}

/// The partner's documents (one bounded read; uploads are limited per day).
async fn documents_of(store: &Store, partner_id: &str) -> Result<Vec<KycDocument>, KycError> {
    let q =
        Query::partition(None, keys::partner_partition(partner_id), 1000).prefix(keys::KYC_PREFIX);
    Ok(store.query_up_to(&q).await?)
}

/// Required types with no document in one of `statuses`.
fn missing(
    partner: &Partner,
    documents: &[KycDocument],
    statuses: &[VerificationStatus],
) -> Vec<DocumentType> {
    required_types(partner.business_type)
        .into_iter()
        .filter(|t| {
            !documents
                .iter()
                .any(|d| d.document_type == *t && statuses.contains(&d.verification_status))
        })
        .collect()
}

async fn mark_submitted_when_complete(store: &Store, partner_id: &str) -> Result<(), KycError> {
    let Some(partner) = store.get::<Partner>(&keys::partner(partner_id)).await? else {
        return Ok(());
    };
    let docs = documents_of(store, partner_id).await?;
    if partner.kyc_status == KycStatus::Incomplete
        && missing(
            &partner,
            &docs,
            &[VerificationStatus::Pending, VerificationStatus::Approved],
        )
        .is_empty()
    {
        let patch = Patch::new(&partner.key())
            .set("kyc_status", KycStatus::Submitted)
            .add("version", 1)
            .require_eq("kyc_status", KycStatus::Incomplete)
            .on_failure(Failure::Stale);
        match store.apply(patch).await {
            Ok(()) | Err(crate::store::StoreError::Condition(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ list, download, delete, submit

/// `GET /v1/kyc/documents`: one Query on the caller's partition.
pub async fn list(
    store: &Store,
    principal: &Principal,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<DocumentView>, KycError> {
    let partner_id = principal.partner_id()?;
    let q =
        Query::partition(None, keys::partner_partition(partner_id), limit).prefix(keys::KYC_PREFIX);
    let page = store.query::<KycDocument>(&q, cursor).await?;
    Ok(Page {
        items: page.items.iter().map(DocumentView::from).collect(),
        next_cursor: page.next_cursor,
    })
}

async fn own_document(
    store: &Store,
    principal: &Principal,
    document_id: &str,
) -> Result<KycDocument, KycError> {
    let partner_id = principal.partner_id()?;
    store
        .get::<KycDocument>(&keys::kyc_document(partner_id, document_id))
        .await?
        .ok_or(KycError::NotFound("document"))
}

/// `GET /v1/kyc/documents/{id}/download`: a presigned GET valid 5 minutes.
pub async fn download(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    document_id: &str,
) -> Result<PresignedDownload, KycError> {
    let doc = own_document(store, principal, document_id).await?;
    if !matches!(
        doc.verification_status,
        VerificationStatus::Pending | VerificationStatus::Approved
    ) {
        return Err(KycError::NotDownloadable);
    }
    Ok(docs.presign_download(&doc.object_key, DOWNLOAD_TTL).await?)
}

/// The KYC document an operations download reads with the access check.
pub fn review_document_key(partner_id: &str, document_id: &str) -> Vec<crate::store::Key> {
    vec![keys::kyc_document(partner_id, document_id)]
}

/// `GET /v1/admin/kyc/documents/{id}/download?partner_id=`: the file a reviewer opens, as a
/// presigned GET valid 5 minutes, once it is stored and verified; the download is on the
/// partner's timeline (who opened which document, when).
pub async fn review_download(
    store: &Store,
    docs: &Documents,
    actor: &str,
    doc: Option<KycDocument>,
    now: DateTime<Utc>,
) -> Result<PresignedDownload, KycError> {
    let doc = doc.ok_or(KycError::NotFound("document"))?;
    if !matches!(
        doc.verification_status,
        VerificationStatus::Pending | VerificationStatus::Approved
    ) {
        return Err(KycError::NotDownloadable);
    }
    let link = docs.presign_download(&doc.object_key, DOWNLOAD_TTL).await?;
    let audit = AuditEntry::new(
        Some(&doc.partner_id),
        actor,
        "kyc.document_downloaded",
        format!("kyc_document:{}", doc.id),
        &rfc3339(now),
    )
    .change(
        serde_json::Value::Null,
        serde_json::json!({"document_type": doc.document_type, "status": doc.verification_status}),
    );
    store.commit(store.tx().insert(&audit).build()).await?;
    Ok(link)
}

/// `DELETE /v1/kyc/documents/{id}`: the record and the object, while not approved.
pub async fn delete(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    document_id: &str,
    now: DateTime<Utc>,
) -> Result<(), KycError> {
    let doc = own_document(store, principal, document_id).await?;
    if doc.verification_status == VerificationStatus::Approved {
        return Err(KycError::DocumentApproved);
    }
    let at = rfc3339(now);
    let audit = AuditEntry::new(
        Some(&doc.partner_id),
        &principal.user_id,
        "kyc.document_deleted",
        format!("kyc_document:{}", doc.id),
        &at,
    );
    // Conditional on the version read: a concurrent approval makes this a 412, not a loss.
    let tx = store
        .tx()
        .delete_version(&doc.key(), doc.version)
        .insert(&audit)
        .build();
    store.commit(tx).await?;
    docs.delete(&doc.object_key).await?;
    Ok(())
}

/// `POST /v1/kyc/submit`: with every required type uploaded and verified, the application
/// goes to review (`under_review`, KYC `submitted`); otherwise 409 listing what is missing.
pub async fn submit(
    store: &Store,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<Partner, KycError> {
    let partner_id = principal.partner_id()?;
    let partner: Partner = store
        .get(&keys::partner(partner_id))
        .await?
        .ok_or(KycError::NotFound("partner"))?;
    if !matches!(
        partner.status,
        PartnerStatus::Pending | PartnerStatus::Rejected
    ) {
        return Err(KycError::NotSubmittable);
    }
    let docs = documents_of(store, partner_id).await?;
    let missing = missing(
        &partner,
        &docs,
        &[VerificationStatus::Pending, VerificationStatus::Approved],
    );
    if !missing.is_empty() {
        return Err(KycError::Incomplete {
            missing: missing.iter().map(|t| t.as_str()).collect(),
        });
    }
    let at = rfc3339(now);
    let kyc_status = if partner.kyc_status == KycStatus::Verified {
        KycStatus::Verified
    } else {
        KycStatus::Submitted
    };
    let next = Partner {
        status: PartnerStatus::UnderReview,
        kyc_status,
        status_reason: None,
        crm_sync: crate::outbox::CrmSync::pending(),
        updated_at: at.clone(),
        version: partner.version + 1,
        ..partner.clone()
    };
    let audit = AuditEntry::new(
        Some(partner_id),
        &principal.user_id,
        "partner.submitted",
        format!("partner:{partner_id}"),
        &at,
    )
    .change(
        serde_json::json!({"status": partner.status}),
        serde_json::json!({"status": next.status, "kyc_status": next.kyc_status}),
    );
    store
        .commit(
            store
                .tx()
                .replace(&next, partner.version)
                .insert(&audit)
                .build(),
        )
        .await?;
    Ok(next)
}

// ------------------------------------------------------------------ review (operations)

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    Reject,
}

/// `POST /v1/admin/kyc/documents/{document_id}/review`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub partner_id: String,
    pub decision: ReviewDecision,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Approves or rejects a verified document. When every required type has an approved
/// document, the partner's KYC becomes `verified` in the same transaction; the owner is
/// emailed either way.
pub async fn review(
    store: &Store,
    admin: &Principal,
    document_id: &str,
    req: ReviewRequest,
    now: DateTime<Utc>,
) -> Result<KycDocument, KycError> {
    let mut e = Vec::new();
    let reason = crate::validate::optional(&mut e, "/reason", &req.reason, 500);
    if req.decision == ReviewDecision::Reject && reason.is_none() && e.is_empty() {
        e.push(FieldError::new("/reason", "is required to reject"));
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let partner: Partner = store
        .get(&keys::partner(&req.partner_id))
        .await?
        .ok_or(KycError::NotFound("document"))?;
    let docs = documents_of(store, &partner.id).await?;
    let doc = docs
        .iter()
        .find(|d| d.id == document_id)
        .cloned()
        .ok_or(KycError::NotFound("document"))?;
    if doc.verification_status != VerificationStatus::Pending {
        return Err(KycError::NotReviewable);
    }
    let at = rfc3339(now);
    let status = match req.decision {
        ReviewDecision::Approve => VerificationStatus::Approved,
        ReviewDecision::Reject => VerificationStatus::Rejected,
    };
    let reviewed = KycDocument {
        verification_status: status,
        rejection_reason: reason.clone(),
        reviewed_by: Some(admin.user_id.clone()),
        updated_at: at.clone(),
        version: doc.version + 1,
        ..doc.clone()
    };
    let after: Vec<KycDocument> = docs
        .iter()
        .map(|d| {
            if d.id == doc.id {
                reviewed.clone()
            } else {
                d.clone()
            }
        })
        .collect();
    let verified = missing(&partner, &after, &[VerificationStatus::Approved]).is_empty();
    let audit = AuditEntry::new(
        Some(&partner.id),
        &admin.user_id,
        "kyc.document_reviewed",
        format!("kyc_document:{}", doc.id),
        &at,
    )
    .change(
        serde_json::json!({"verification_status": doc.verification_status}),
        serde_json::json!({"verification_status": status, "reason": reason}),
    );
    let mail = OutboxEmail::new(
        &partner.email,
        EmailKind::DocumentReviewed {
            document_type: doc.document_type.as_str().replace('_', " "),
            decision: if status == VerificationStatus::Approved {
                "approved".into()
            } else {
                "rejected".into()
            },
            reason: reason.clone(),
        },
        &at,
    );
    let mut tx = store
        .tx()
        .replace(&reviewed, doc.version)
        .insert(&audit)
        .insert(&mail);
    let kyc_status = if verified {
        Some(KycStatus::Verified)
    } else if status == VerificationStatus::Rejected {
        Some(KycStatus::Rejected)
    } else {
        None
    };
    if let Some(k) = kyc_status.filter(|k| *k != partner.kyc_status) {
        tx = tx.patch(
            Patch::new(&partner.key())
                .set("kyc_status", k)
                .set("updated_at", &at)
                .add("version", 1)
                .require_exists(),
        );
    }
    store.commit(tx.build()).await?;
    if status == VerificationStatus::Approved && !verified {
        // Two reviews of the last two documents at once each see the other still pending:
        // after committing, look again (strongly consistent) so the later one verifies.
        settle_verification(store, &partner.id, &at).await?;
    }
    Ok(reviewed)
}

/// Marks the partner's KYC verified if every required document is approved now (read
/// again and retried if the partner changed between the read and the write).
async fn settle_verification(store: &Store, partner_id: &str, at: &str) -> Result<(), KycError> {
    for _ in 0..3 {
        let Some(partner) = store.get::<Partner>(&keys::partner(partner_id)).await? else {
            return Ok(());
        };
        if partner.kyc_status == KycStatus::Verified {
            return Ok(());
        }
        let docs = documents_of(store, partner_id).await?;
        if !missing(&partner, &docs, &[VerificationStatus::Approved]).is_empty() {
            return Ok(());
        }
        let patch = Patch::new(&partner.key())
            .set("kyc_status", KycStatus::Verified)
            .set("updated_at", at)
            .add("version", 1)
            .require_eq("version", partner.version)
            .on_failure(Failure::Stale);
        match store.apply(patch).await {
            Ok(()) => return Ok(()),
            Err(crate::store::StoreError::Condition(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_a_date_from_today_to_twenty_years_ahead_even_on_a_leap_day() {
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        let now = at("2028-02-29T10:00:00Z");
        assert_eq!(expiry(None, now).unwrap(), None);
        for ok in ["2028-02-29", "2030-06-30", "2048-02-28"] {
            assert_eq!(expiry(Some(ok), now).unwrap().as_deref(), Some(ok), "{ok}");
        }
        for bad in ["2028-02-28", "2048-03-01", "29/02/2030", "soon"] {
            assert!(expiry(Some(bad), now).is_err(), "{bad}");
        }
    }

    #[test]
    fn magic_numbers_identify_the_declared_types() {
        assert!(magic_matches("application/pdf", b"%PDF-1.7\n"));
        assert!(magic_matches(
            "image/png",
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]
        ));
        assert!(magic_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!magic_matches(
            "application/pdf",
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]
        ));
        assert!(!magic_matches("image/gif", b"GIF89a"));
        assert!(!magic_matches("application/pdf", b""));
    }

    #[test]
    fn companies_also_need_their_registration() {
        assert_eq!(required_types(BusinessType::SoleProprietor).len(), 3);
        assert!(
            required_types(BusinessType::Company).contains(&DocumentType::BusinessRegistration)
        );
    }

    #[test]
    fn object_keys_are_parsed_strictly() {
        assert_eq!(parse_object_key("kyc/P1/D1"), Some(("P1", "D1")));
        for bad in ["kyc/P1", "kyc//D1", "leads/P1/D1", "kyc/P1/D1/x"] {
            assert_eq!(parse_object_key(bad), None, "{bad}");
        }
    }
}
