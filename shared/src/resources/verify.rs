//! Verifying a resource's uploaded file (the bucket's verifier calls this for objects
//! under `resources/`): its size must be the declared size and its first bytes the
//! declared type's — `%PDF-`, the PNG and JPEG signatures, an MP4's `ftyp` box, and for
//! Office files the zip container with the part that names the format (`word/`, `ppt/`,
//! `xl/`). A verified file becomes the one partners download (the previous version is
//! deleted); anything else is deleted and the upload marked rejected with the reason.

use super::{PendingFile, Resource, ResourceError, ResourceStatus, StoredFile};
use crate::storage::Documents;
use crate::store::{Store, StoreError, keys};
use crate::uploads::VerificationStatus;

/// Where resource files live in the documents bucket: `resources/<id>/<version>`.
pub const PREFIX: &str = "resources/";

/// How much of a file the check reads (an Office file's first part names are near the
/// start of the zip).
const HEAD_BYTES: usize = 64 * 1024;

/// Whether `head` (the start of a file) is a `content_type` file.
pub fn matches(content_type: &str, head: &[u8]) -> bool {
    crate::uploads::magic_matches(content_type, head)
}

/// What the check did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected(String),
    /// Not an upload the resource is waiting for (an old version, a replay): deleted if it
    /// is not the verified file.
    Ignored,
}

/// Checks the object at `object_key` against the upload its resource declared.
pub async fn verify(
    store: &Store,
    docs: &Documents,
    object_key: &str,
    event_etag: Option<&str>,
) -> Result<Outcome, ResourceError> {
    let id = object_key
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("");
    for _ in 0..5 {
        let Some(resource) = store.get::<Resource>(&keys::resource(id)).await? else {
            docs.delete(object_key).await?;
            return Ok(Outcome::Ignored);
        };
        let pending = resource
            .upload
            .as_ref()
            .filter(|u| u.key == object_key && u.status == VerificationStatus::Uploading);
        let Some(pending) = pending else {
            let Some(current) = resource.file.clone().filter(|f| f.key == object_key) else {
                // An old version or a file nobody is waiting for.
                docs.delete(object_key).await?;
                return Ok(Outcome::Ignored);
            };
            let replaced =
                event_etag.is_some_and(|e| current.etag.as_deref() != Some(e.trim_matches('"')));
            if !replaced {
                return Ok(Outcome::Ignored);
            }
            // The verified file was overwritten through its (still valid) upload URL:
            // nobody checked the new bytes. Remove them; the resource has no file until a
            // new upload is verified.
            let mut next = resource.clone();
            next.file = None;
            next.upload = next.upload.take().or(Some(PendingFile {
                key: current.key.clone(),
                content_type: current.content_type.clone(),
                size: current.size,
                version: current.version,
                status: VerificationStatus::Rejected,
                rejection_reason: Some(
                    "The file was replaced after it was verified; upload it again.".into(),
                ),
                publish: false,
            }));
            next.updated_at = crate::validate::rfc3339(chrono::Utc::now());
            next.version = resource.version + 1;
            match store
                .commit(store.tx().replace(&next, resource.version).build())
                .await
            {
                Err(StoreError::Condition(_)) => continue,
                other => other?,
            }
            docs.delete(object_key).await?;
            return Ok(Outcome::Rejected("replaced after verification".into()));
        };
        let Some(info) = docs.info(object_key).await? else {
            return Ok(Outcome::Ignored);
        };
        let problem = if info.size != pending.size {
            Some(format!(
                "The file is {} bytes; {} were declared.",
                info.size, pending.size
            ))
        } else if !matches(
            &pending.content_type,
            &docs.head_bytes(object_key, HEAD_BYTES).await?,
        ) {
            Some(format!("The file is not a {} file.", pending.content_type))
        } else {
            None
        };
        let mut next = resource.clone();
        let old_file = resource.file.clone();
        match &problem {
            None => {
                next.file = Some(StoredFile {
                    key: pending.key.clone(),
                    content_type: pending.content_type.clone(),
                    size: pending.size,
                    version: pending.version,
                    etag: info.etag.clone(),
                });
                next.upload = None;
                next.url = None;
                // A CMS entry published with this file goes live with it.
                if pending.publish && next.status == ResourceStatus::Draft {
                    next.status = ResourceStatus::Published;
                    next.published_at
                        .get_or_insert_with(|| crate::validate::rfc3339(chrono::Utc::now()));
                }
            }
            Some(reason) => {
                let mut rejected = pending.clone();
                rejected.status = VerificationStatus::Rejected;
                rejected.rejection_reason = Some(reason.clone());
                next.upload = Some(rejected);
            }
        }
        next.updated_at = crate::validate::rfc3339(chrono::Utc::now());
        next.version = resource.version + 1;
        match store
            .commit(
                super::facets(
                    store.tx().replace(&next, resource.version),
                    Some(&resource),
                    &next,
                )
                .build(),
            )
            .await
        {
            Err(StoreError::Condition(_)) => continue,
            other => other?,
        }
        // Deleted once the rejection is recorded (a retry after a lost race still finds
        // the object to check).
        if problem.is_some() {
            docs.delete(object_key).await?;
        }
        if problem.is_none()
            && let Some(old) = old_file.filter(|o| o.key != object_key)
        {
            docs.delete(&old.key).await?;
        }
        return Ok(match problem {
            None => Outcome::Accepted,
            Some(r) => Outcome::Rejected(r),
        });
    }
    Err(ResourceError::Store(StoreError::Dynamo(
        "the resource kept changing while its file was checked".into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn files_are_what_their_type_says() {
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        let pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
        let office = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml....word/document.xml";
        assert!(matches(docx, office));
        assert!(!matches(pptx, office), "a Word file is not a presentation");
        assert!(!matches("application/pdf", office), "a zip is not a PDF");
        assert!(matches("application/pdf", b"%PDF-1.7\n"));
        assert!(matches(
            "video/mp4",
            b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"
        ));
        assert!(!matches("video/mp4", b"%PDF-1.7\n........"));
        assert!(!matches("text/html", b"<html>"));
    }
}
