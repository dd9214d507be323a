//! Files attached to a lead: presigned uploads verified like KYC documents.

use super::*;

pub const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRequest {
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadAttachment {
    pub id: String,
    pub partner_id: String,
    pub lead_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub status: crate::uploads::VerificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub object_key: String,
    /// The ETag of the object that passed verification: a later event for the same key
    /// with another ETag means the file was replaced after it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_etag: Option<String>,
    pub created_at: String,
}

impl Entity for LeadAttachment {
    const KIND: &'static str = "lead_attachment";

    fn key(&self) -> crate::store::Key {
        keys::lead_attachment(&self.partner_id, &self.lead_id, &self.id)
    }
}

#[derive(Debug, Serialize)]
pub struct AttachmentGranted {
    pub attachment: LeadAttachment,
    pub upload: PresignedUpload,
}

/// A presigned upload under `leads/<partner>/<lead>/<attachment>`, verified like KYC uploads.
pub async fn request_attachment(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    lead_id: &str,
    req: AttachmentRequest,
    budget: crate::limits::UploadBudget,
    now: DateTime<Utc>,
) -> Result<AttachmentGranted, LeadError> {
    let lead = own_lead(store, principal, lead_id).await?;
    let file_name = crate::validate::upload(
        &req.file_name,
        &req.content_type,
        req.size,
        ATTACHMENT_TYPES,
        crate::uploads::MAX_DOCUMENT_BYTES,
    )?;
    let id = ulid::Ulid::new().to_string();
    let attachment = LeadAttachment {
        object_key: format!("leads/{}/{}/{id}", lead.partner_id, lead.id),
        id,
        partner_id: lead.partner_id.clone(),
        lead_id: lead.id.clone(),
        file_name,
        content_type: req.content_type,
        size: req.size,
        status: crate::uploads::VerificationStatus::Uploading,
        rejection_reason: None,
        object_etag: None,
        created_at: rfc3339(now),
    };
    let tx = budget.spend(
        store.tx().insert(&attachment),
        &attachment.partner_id,
        attachment.size,
        now,
    );
    store.commit(tx.build()).await?;
    let upload = docs
        .presign_upload(
            &attachment.object_key,
            &attachment.content_type,
            attachment.size,
            crate::uploads::UPLOAD_TTL,
        )
        .await?;
    Ok(AttachmentGranted { attachment, upload })
}

/// Verifies a stored attachment (size and magic bytes); a mismatch deletes the object.
pub async fn verify_attachment(
    store: &Store,
    docs: &Documents,
    object_key: &str,
    event_etag: Option<&str>,
) -> Result<bool, LeadError> {
    let parts: Vec<&str> = object_key
        .strip_prefix("leads/")
        .unwrap_or("")
        .split('/')
        .collect();
    let [partner_id, lead_id, id] = parts.as_slice() else {
        docs.delete(object_key).await?;
        return Ok(false);
    };
    let mut key = keys::lead_attachment(partner_id, lead_id, id);
    let mut found = store.get::<LeadAttachment>(&key).await?;
    if found.is_none() {
        // The lead moved to another partner (its attachments with it; object keys stay).
        if let Some(lead) = find(store, lead_id)
            .await?
            .filter(|l| l.partner_id != *partner_id)
        {
            key = keys::lead_attachment(&lead.partner_id, lead_id, id);
            found = store.get::<LeadAttachment>(&key).await?;
        }
    }
    let Some(att) = found else {
        docs.delete(object_key).await?;
        return Ok(false);
    };
    if att.status != crate::uploads::VerificationStatus::Uploading {
        // A presigned URL stays usable for its lifetime: a second upload to the same key
        // after verification is a replacement nobody checked. Reject it and remove it.
        let replaced = att.status != crate::uploads::VerificationStatus::Rejected
            && matches!((event_etag, att.object_etag.as_deref()),
                (Some(new), Some(verified)) if new.trim_matches('"') != verified);
        if !replaced {
            return Ok(att.status == crate::uploads::VerificationStatus::Pending);
        }
        docs.delete(object_key).await?;
        store
            .apply(
                Patch::new(&key)
                    .set("status", crate::uploads::VerificationStatus::Rejected)
                    .set(
                        "rejection_reason",
                        "The file was replaced after it was verified; attach it again.",
                    )
                    .require_exists(),
            )
            .await?;
        return Ok(false);
    }
    let Some(info) = docs.info(object_key).await? else {
        return Ok(false);
    };
    let ok = info.size == att.size
        && crate::uploads::attachment_magic_matches(
            &att.content_type,
            &docs.head_bytes(object_key, 16).await?,
        );
    if !ok {
        docs.delete(object_key).await?;
    }
    let mut patch = Patch::new(&key)
        .set(
            "status",
            if ok {
                crate::uploads::VerificationStatus::Pending
            } else {
                crate::uploads::VerificationStatus::Rejected
            },
        )
        .require_eq("status", crate::uploads::VerificationStatus::Uploading);
    if let (true, Some(etag)) = (ok, &info.etag) {
        patch = patch.set("object_etag", etag);
    }
    if !ok {
        patch = patch.set(
            "rejection_reason",
            "The file does not match its declared size or type.",
        );
    }
    match store.apply(patch).await {
        Ok(()) | Err(StoreError::Condition(_)) => Ok(ok),
        Err(e) => Err(e.into()),
    }
}
