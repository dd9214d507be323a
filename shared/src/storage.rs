//! S3 documents: presigned uploads and downloads, and the server-side reads the upload
//! verifier needs. Object keys are always built by the server; a client never chooses one.

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Upper bound on any presigned upload's lifetime.
pub const MAX_UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// Upper bound on any presigned download's lifetime.
pub const MAX_DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("presigning failed: {0}")]
    Presign(String),
    #[error("s3: {0}")]
    S3(String),
}

impl crate::fault::Fault for StorageError {
    fn kind(&self) -> crate::fault::Kind {
        crate::fault::Kind::Internal
    }
    fn code(&self) -> &'static str {
        "internal"
    }
}

/// An object key as S3 event notifications carry it: form-encoded (`my+file%2B1.pdf` is
/// `my file+1.pdf`).
pub fn decode_event_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| key.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_signed_headers_are_handed_to_the_uploader() {
        let uri = "https://b.s3.amazonaws.com/k?x-id=PutObject&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature=ab";
        assert_eq!(
            super::signed_header_names(uri),
            vec!["content-length", "content-type", "host"]
        );
        assert!(super::signed_header_names("https://b/k").is_empty());
    }

    #[test]
    fn event_keys_are_form_decoded() {
        assert_eq!(super::decode_event_key("kyc/P1/D1"), "kyc/P1/D1");
        assert_eq!(
            super::decode_event_key("kyc%2FP1%2Fmy+file%2B1%20x"),
            "kyc/P1/my file+1 x"
        );
        assert_eq!(super::decode_event_key("100%"), "100%");
    }
}

/// The header names a presigned URL's signature covers (`X-Amz-SignedHeaders`).
fn signed_header_names(uri: &str) -> Vec<String> {
    uri.split_once('?')
        .map(|(_, query)| query)
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-SignedHeaders"))
        .map(|(_, v)| {
            v.replace("%3B", ";")
                .replace("%3b", ";")
                .split(';')
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// What a browser needs to upload: `PUT url` with exactly these headers before `expires_at`.
#[derive(Debug, Clone, Serialize)]
pub struct PresignedUpload {
    pub url: String,
    pub method: &'static str,
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// A short-lived download link.
#[derive(Debug, Clone, Serialize)]
pub struct PresignedDownload {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Size and type of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: Option<String>,
    /// The object's ETag without quotes (S3 events carry the same value).
    pub etag: Option<String>,
}

/// The documents bucket.
#[derive(Clone, Debug)]
pub struct Documents {
    client: Client,
    bucket: String,
}

fn presigning(
    ttl: Duration,
    cap: Duration,
) -> Result<(PresigningConfig, DateTime<Utc>), StorageError> {
    let ttl = ttl.min(cap);
    let config =
        PresigningConfig::expires_in(ttl).map_err(|e| StorageError::Presign(e.to_string()))?;
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    Ok((config, expires_at))
}

impl Documents {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A presigned PUT for `key` whose signature pins `Content-Type` and `Content-Length`,
    /// so the upload must be exactly what was declared. `ttl` is capped at 15 minutes.
    pub async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        ttl: Duration,
    ) -> Result<PresignedUpload, StorageError> {
        let (config, expires_at) = presigning(ttl, MAX_UPLOAD_TTL)?;
        let length = i64::try_from(content_length)
            .map_err(|_| StorageError::Presign("length too large".into()))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|e| StorageError::Presign(e.to_string()))?;
        // Only what the signature covers: the SDK also lists unsigned headers (in Lambda,
        // `x-amzn-trace-id`), which a browser would have to send and the bucket's CORS
        // rule does not allow.
        let signed = signed_header_names(request.uri());
        let headers = request
            .headers()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .filter(|(name, _)| signed.iter().any(|s| s.eq_ignore_ascii_case(name)))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
            .collect();
        Ok(PresignedUpload {
            url: request.uri().to_string(),
            method: "PUT",
            headers,
            expires_at,
        })
    }

    /// A presigned GET for `key`, capped at 5 minutes.
    pub async fn presign_download(
        &self,
        key: &str,
        ttl: Duration,
    ) -> Result<PresignedDownload, StorageError> {
        self.presign_get(key, None, ttl).await
    }

    /// Size and content type, or `None` when the object does not exist.
    pub async fn info(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectInfo {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                content_type: out.content_type().map(str::to_string),
                etag: out.e_tag().map(|e| e.trim_matches('"').to_string()),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(StorageError::S3(format!("{e:?}"))),
        }
    }

    /// The first `n` bytes (for magic-byte checks) without downloading the whole object.
    pub async fn head_bytes(&self, key: &str, n: usize) -> Result<Vec<u8>, StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", n.saturating_sub(1)))
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| StorageError::S3(e.to_string()))?;
        let mut bytes = bytes.into_bytes().to_vec();
        bytes.truncate(n);
        Ok(bytes)
    }

    /// Writes an object from a streamed HTTP body of known `length` (a file copied from
    /// another system), without holding it in memory. Its ETag, if S3 gives one.
    pub async fn put_stream(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        body: aws_sdk_s3::primitives::ByteStream,
    ) -> Result<Option<String>, StorageError> {
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length as i64)
            .body(body)
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        Ok(out.e_tag().map(|e| e.trim_matches('"').to_string()))
    }

    /// A presigned GET for `key` that saves as `file_name` (`Content-Disposition`), capped
    /// at 5 minutes.
    pub async fn presign_download_as(
        &self,
        key: &str,
        file_name: &str,
        ttl: Duration,
    ) -> Result<PresignedDownload, StorageError> {
        let safe: String = file_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect();
        self.presign_get(key, Some(format!("attachment; filename=\"{safe}\"")), ttl)
            .await
    }

    async fn presign_get(
        &self,
        key: &str,
        disposition: Option<String>,
        ttl: Duration,
    ) -> Result<PresignedDownload, StorageError> {
        let (config, expires_at) = presigning(ttl, MAX_DOWNLOAD_TTL)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_response_content_disposition(disposition)
            .presigned(config)
            .await
            .map_err(|e| StorageError::Presign(e.to_string()))?;
        Ok(PresignedDownload {
            url: request.uri().to_string(),
            expires_at,
        })
    }

    /// Writes a small object from memory.
    pub async fn put_bytes(
        &self,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        Ok(())
    }

    /// Starts a multipart upload; its id.
    pub async fn start_upload(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StorageError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| StorageError::S3("no upload id".into()))
    }

    /// Uploads part `n` (from 1) of a multipart upload; its ETag.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        n: i32,
        bytes: Vec<u8>,
    ) -> Result<String, StorageError> {
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(n)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        out.e_tag()
            .map(str::to_string)
            .ok_or_else(|| StorageError::S3("no part ETag".into()))
    }

    /// Completes a multipart upload from its parts `(number, ETag)`.
    pub async fn finish_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
    ) -> Result<(), StorageError> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let parts = parts
            .iter()
            .map(|(n, etag)| CompletedPart::builder().part_number(*n).e_tag(etag).build())
            .collect();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        Ok(())
    }

    /// Uploads a file, in parts of `part_bytes` when it is larger than one part, reading
    /// one part at a time.
    pub async fn upload_file(
        &self,
        key: &str,
        content_type: &str,
        path: &std::path::Path,
        part_bytes: usize,
    ) -> Result<(), StorageError> {
        use std::io::Read as _;
        let io = |e: std::io::Error| StorageError::S3(format!("reading {}: {e}", path.display()));
        let size = std::fs::metadata(path).map_err(io)?.len() as usize;
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut read_part = |len: usize| -> Result<Vec<u8>, StorageError> {
            let mut buf = vec![0u8; len];
            file.read_exact(&mut buf).map_err(io)?;
            Ok(buf)
        };
        if size <= part_bytes {
            return self.put_bytes(key, content_type, read_part(size)?).await;
        }
        let upload_id = self.start_upload(key, content_type).await?;
        let mut parts = Vec::new();
        let mut left = size;
        while left > 0 {
            let len = left.min(part_bytes);
            let n = parts.len() as i32 + 1;
            let etag = match self.upload_part(key, &upload_id, n, read_part(len)?).await {
                Ok(etag) => etag,
                Err(e) => {
                    let _ = self
                        .client
                        .abort_multipart_upload()
                        .bucket(&self.bucket)
                        .key(key)
                        .upload_id(&upload_id)
                        .send()
                        .await;
                    return Err(e);
                }
            };
            parts.push((n, etag));
            left -= len;
        }
        self.finish_upload(key, &upload_id, &parts).await
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StorageError::S3(format!("{e:?}")))?;
        Ok(())
    }
}
