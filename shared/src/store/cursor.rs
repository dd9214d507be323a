//! Opaque, tamper-proof page cursors.
//!
//! A cursor is the query's `LastEvaluatedKey` plus the scope it belongs to (index and
//! partition), MAC'd with a key from Secrets Manager. A forged or altered cursor, or a
//! cursor replayed against another partition (another partner's list), fails to verify and
//! is a 400; it can never start a page in someone else's data.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Signs and verifies cursors with one key per deployment.
#[derive(Clone, Debug)]
pub struct CursorCodec {
    key: Secret<Vec<u8>>,
}

/// Why a cursor was refused (the client only ever sees "invalid cursor").
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid cursor")]
pub struct InvalidCursor;

impl CursorCodec {
    /// `key` must be at least 32 bytes of secret material.
    pub fn new(key: Vec<u8>) -> Result<Self, String> {
        if key.len() < 32 {
            return Err("cursor key must be at least 32 bytes".into());
        }
        Ok(Self {
            key: Secret::new(key),
        })
    }

    fn mac(&self, scope: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(self.key.expose()).expect("HMAC takes any key length");
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// Encodes a `LastEvaluatedKey` (string attributes only: every key attribute of the
    /// table is a string) bound to `scope`.
    pub fn encode(
        &self,
        scope: &str,
        last_key: &HashMap<String, AttributeValue>,
    ) -> Option<String> {
        let mut plain = BTreeMap::new();
        for (name, value) in last_key {
            plain.insert(name.clone(), value.as_s().ok()?.clone());
        }
        let payload = serde_json::to_vec(&plain).ok()?;
        let tag = self.mac(scope, &payload).finalize().into_bytes();
        Some(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// Verifies and decodes a cursor issued for `scope`.
    pub fn decode(
        &self,
        scope: &str,
        cursor: &str,
    ) -> Result<HashMap<String, AttributeValue>, InvalidCursor> {
        let (payload, tag) = cursor.split_once('.').ok_or(InvalidCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidCursor)?;
        // Constant-time comparison inside verify_slice.
        self.mac(scope, &payload)
            .verify_slice(&tag)
            .map_err(|_| InvalidCursor)?;
        let plain: BTreeMap<String, String> =
            serde_json::from_slice(&payload).map_err(|_| InvalidCursor)?;
        Ok(plain
            .into_iter()
            .map(|(k, v)| (k, AttributeValue::S(v)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(vec![7u8; 32]).unwrap()
    }

    fn last_key(pk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("PK".to_string(), AttributeValue::S(pk.into())),
            ("SK".to_string(), AttributeValue::S("LEAD#01J".into())),
        ])
    }

    #[test]
    fn a_cursor_round_trips_within_its_scope() {
        let c = codec();
        let cursor = c.encode("leads|PARTNER#A", &last_key("PARTNER#A")).unwrap();
        assert_eq!(
            c.decode("leads|PARTNER#A", &cursor).unwrap(),
            last_key("PARTNER#A")
        );
    }

    #[test]
    fn a_cursor_from_another_partners_list_is_refused() {
        let c = codec();
        let cursor = c.encode("leads|PARTNER#A", &last_key("PARTNER#A")).unwrap();
        assert_eq!(c.decode("leads|PARTNER#B", &cursor), Err(InvalidCursor));
    }

    #[test]
    fn a_forged_cursor_pointing_at_another_partner_is_refused() {
        let c = codec();
        let cursor = c.encode("leads|PARTNER#A", &last_key("PARTNER#A")).unwrap();
        let (_, tag) = cursor.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"PK":"PARTNER#B","SK":"LEAD#01J"}"#);
        assert_eq!(
            c.decode("leads|PARTNER#A", &format!("{forged_payload}.{tag}")),
            Err(InvalidCursor)
        );
        assert_eq!(c.decode("leads|PARTNER#A", "garbage"), Err(InvalidCursor));
        assert_eq!(c.decode("leads|PARTNER#A", "a.b"), Err(InvalidCursor));
    }

    #[test]
    fn a_cursor_signed_with_another_key_is_refused() {
        let cursor = codec().encode("s", &last_key("PARTNER#A")).unwrap();
        let other = CursorCodec::new(vec![8u8; 32]).unwrap();
        assert_eq!(other.decode("s", &cursor), Err(InvalidCursor));
    }

    #[test]
    fn short_keys_are_refused_at_cold_start() {
        assert!(CursorCodec::new(vec![1u8; 16]).is_err());
    }
}
