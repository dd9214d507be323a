//! What every upload shares, whoever owns the file (KYC documents, lead attachments, and
//! later resources and logos): accepted types and sizes, URL lifetimes, the verification
//! states, and the magic-number checks the S3-triggered verifier applies.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Types a document may be uploaded as.
pub const CONTENT_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png"];
/// Largest document accepted (10 MiB).
pub const MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Presigned upload and download lifetimes.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Presigned upload issued; nothing verified yet.
    Uploading,
    /// Stored and verified (size, type); waiting for review.
    Pending,
    Approved,
    Rejected,
}

/// Whether `bytes` (the start of a file) is a `content_type` file by its magic number.
pub fn magic_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        _ => false,
    }
}

/// Whether `bytes` start like a `content_type` file (office formats: OOXML is a zip, the
/// legacy formats an OLE compound file).
pub fn attachment_magic_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "application/msword" | "application/vnd.ms-excel" => {
            bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
        }
        t if t.starts_with("application/vnd.openxmlformats") => bytes.starts_with(b"PK\x03\x04"),
        other => magic_matches(other, bytes),
    }
}
