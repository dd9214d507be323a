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
    let zip = bytes.starts_with(b"PK\x03\x04");
    let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    match content_type {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "video/mp4" => bytes.len() >= 12 && &bytes[4..8] == b"ftyp",
        // Office files: the zip container with the part that names the format (its first
        // part names are near the start of the file).
        DOCX => zip && holds(b"word/"),
        PPTX => zip && holds(b"ppt/"),
        XLSX => zip && holds(b"xl/"),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/webp" => bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Logo formats and bounds: at most 2 MiB, and between 16 and 4096 pixels on each side.
pub const LOGO_CONTENT_TYPES: &[&str] = &["image/png", "image/jpeg", "image/webp"];
pub const MAX_LOGO_BYTES: u64 = 2 * 1024 * 1024;
pub const LOGO_SIDE_PX: std::ops::RangeInclusive<u32> = 16..=4096;
/// How much of an image the verifier reads to find its dimensions (a JPEG's frame header
/// follows its metadata segments).
pub const IMAGE_HEADER_BYTES: usize = 64 * 1024;

/// The width and height an image declares in its header, if `bytes` (the start of the
/// file) is a well-formed `content_type` image: PNG (`IHDR`), JPEG (the first start-of-
/// frame segment) or WebP (`VP8 `, `VP8L` or `VP8X`).
pub fn image_dimensions(content_type: &str, bytes: &[u8]) -> Option<(u32, u32)> {
    let be16 = |at: usize| Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let le16 = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let le24 = |at: usize| {
        let b = bytes.get(at..at + 3)?;
        Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
    };
    match content_type {
        "image/png" => {
            if !magic_matches(content_type, bytes) || bytes.get(12..16)? != b"IHDR" {
                return None;
            }
            let w = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
            let h = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
            Some((w, h))
        }
        "image/jpeg" => {
            if !magic_matches(content_type, bytes) {
                return None;
            }
            // Segments: FF <marker> <length, big-endian, including itself> <payload>.
            let mut at = 2;
            loop {
                if *bytes.get(at)? != 0xFF {
                    return None;
                }
                let marker = *bytes.get(at + 1)?;
                match marker {
                    0xFF => at += 1, // fill byte
                    0xD8 | 0x01 | 0xD0..=0xD7 => at += 2,
                    0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                        let h = be16(at + 5)?;
                        let w = be16(at + 7)?;
                        return Some((u32::from(w), u32::from(h)));
                    }
                    0xD9 | 0xDA => return None, // end of image or scan before a frame
                    _ => at += 2 + usize::from(be16(at + 2)?),
                }
            }
        }
        "image/webp" => {
            if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
                return None;
            }
            match bytes.get(12..16)? {
                b"VP8 " if bytes.get(23..26)? == [0x9D, 0x01, 0x2A] => {
                    Some((u32::from(le16(26)? & 0x3FFF), u32::from(le16(28)? & 0x3FFF)))
                }
                b"VP8L" if *bytes.get(20)? == 0x2F => {
                    let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
                    Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
                }
                b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Why a stored logo is refused, if it is: its size must be the declared one and its
/// header a `content_type` image within [`LOGO_SIDE_PX`] on each side.
pub fn logo_problem(content_type: &str, declared: u64, stored: u64, head: &[u8]) -> Option<String> {
    if stored != declared {
        return Some("The file does not match its declared size.".into());
    }
    match image_dimensions(content_type, head) {
        None => Some("The file is not a readable image of its declared type.".into()),
        Some((w, h)) if !LOGO_SIDE_PX.contains(&w) || !LOGO_SIDE_PX.contains(&h) => Some(format!(
            "The image is {w}×{h} pixels; each side must be between {} and {} pixels.",
            LOGO_SIDE_PX.start(),
            LOGO_SIDE_PX.end()
        )),
        Some(_) => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn png_jpeg_and_webp_headers_give_their_dimensions() {
        assert_eq!(
            image_dimensions("image/png", &png(320, 200)),
            Some((320, 200))
        );
        // SOI, an APP0 segment of 16 bytes, then a baseline frame header of 64×48.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x30, 0x00, 0x40, 0x03]);
        assert_eq!(image_dimensions("image/jpeg", &jpeg), Some((64, 48)));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
        webp.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0]);
        webp.extend_from_slice(&[99, 0, 0, 49, 0, 0]); // 100×50, stored minus one
        assert_eq!(image_dimensions("image/webp", &webp), Some((100, 50)));
    }

    #[test]
    fn a_logo_of_the_wrong_type_size_or_dimensions_is_refused() {
        assert_eq!(logo_problem("image/png", 33, 33, &png(256, 256)), None);
        assert!(logo_problem("image/png", 33, 34, &png(256, 256)).is_some());
        assert!(logo_problem("image/jpeg", 33, 33, &png(256, 256)).is_some());
        assert!(
            logo_problem("image/png", 33, 33, &png(20_000, 256))
                .unwrap()
                .contains("20000×256")
        );
        assert!(logo_problem("image/png", 33, 33, b"%PDF-1.7").is_some());
        // A truncated JPEG with no frame header is not an image.
        assert!(image_dimensions("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0x00]).is_none());
    }
}
