//! Field-level encryption for sensitive values (banking details, tax numbers):
//! AES-256-GCM with a key from Secrets Manager, bound to the record it belongs to.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Encrypts and decrypts field values with a set of keys, one of them active. The stored
/// form is `v2:<key id>:<nonce>:<ciphertext>` (base64): the key id names the key that
/// sealed the value, so keys rotate without re-encrypting at once (old keys stay listed
/// to read, the active one seals). The associated data (e.g. the partner id) binds a
/// value to its record, so a ciphertext copied onto another record does not decrypt.
///
/// The secret (`FieldKeySecret`) is either key material alone (at least 32 bytes; its key
/// id is `0`) or `{"active": "<id>", "keys": {"<id>": "<material>", ...}}`.
#[derive(Clone)]
pub struct FieldCipher {
    active: String,
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldCipher(active {}, [redacted])", self.active)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an encrypted field could not be decrypted")]
pub struct DecryptError;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySet {
    active: String,
    keys: std::collections::BTreeMap<String, String>,
}

/// The key id of key material given alone (and of values sealed before key ids existed).
const FIRST_KEY_ID: &str = "0";

fn aes_key(material: &[u8]) -> Result<Aes256Gcm, String> {
    if material.len() < 32 {
        return Err("field encryption key material must be at least 32 bytes".into());
    }
    Aes256Gcm::new_from_slice(&Sha256::digest(material))
        .map_err(|_| "a SHA-256 digest is a 256-bit key".to_string())
}

impl FieldCipher {
    /// A cipher with one key (id `0`) from secret key material (any length of at least
    /// 32 bytes; it is hashed to the 256-bit key).
    pub fn new(material: &[u8]) -> Result<Self, String> {
        Ok(Self {
            active: FIRST_KEY_ID.into(),
            keys: vec![(FIRST_KEY_ID.into(), aes_key(material)?)],
        })
    }

    /// A cipher from the secret's text: key material alone, or a key set (see the type).
    pub fn from_secret(text: &str) -> Result<Self, String> {
        if !text.trim_start().starts_with('{') {
            return Self::new(text.as_bytes());
        }
        let set: KeySet = serde_json::from_str(text)
            .map_err(|e| format!("the field key set is not valid: {e}"))?;
        let mut keys = Vec::new();
        for (id, material) in &set.keys {
            if id.is_empty() || id.contains(':') {
                return Err(format!("field key id {id:?} must be non-empty without ':'"));
            }
            keys.push((id.clone(), aes_key(material.as_bytes())?));
        }
        if !set.keys.contains_key(&set.active) {
            return Err(format!(
                "the active field key {:?} is not listed",
                set.active
            ));
        }
        Ok(Self {
            active: set.active,
            keys,
        })
    }

    /// The id of the key new values are sealed with.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    fn key(&self, id: &str) -> Option<&Aes256Gcm> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, c)| c)
    }

    pub fn encrypt(&self, plaintext: &str, associated: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let cipher = self.key(&self.active).expect("the active key is listed");
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: associated.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short field");
        format!(
            "v2:{}:{}:{}",
            self.active,
            STANDARD.encode(nonce),
            STANDARD.encode(sealed)
        )
    }

    /// The key id a stored value was sealed with (`0` for values from before key ids).
    pub fn key_id_of(stored: &str) -> Option<&str> {
        match stored.split(':').next()? {
            "v1" => Some(FIRST_KEY_ID),
            "v2" => stored.split(':').nth(1),
            _ => None,
        }
    }

    pub fn decrypt(&self, stored: &str, associated: &str) -> Result<String, DecryptError> {
        let parts: Vec<&str> = stored.split(':').collect();
        let (key_id, nonce, sealed) = match parts.as_slice() {
            ["v1", nonce, sealed] => (FIRST_KEY_ID, *nonce, *sealed),
            ["v2", key_id, nonce, sealed] => (*key_id, *nonce, *sealed),
            _ => return Err(DecryptError),
        };
        let cipher = self.key(key_id).ok_or(DecryptError)?;
        let nonce = STANDARD.decode(nonce).map_err(|_| DecryptError)?;
        let sealed = STANDARD.decode(sealed).map_err(|_| DecryptError)?;
        if nonce.len() != 12 {
            return Err(DecryptError);
        }
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: associated.as_bytes(),
                },
            )
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }
}

/// A sensitive value as it is stored: sealed with the field cipher (bound to its record),
/// and the masked form clients see, so reading a profile never needs the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sealed {
    pub encrypted: String,
    pub masked: String,
}

impl Sealed {
    pub fn seal(cipher: &FieldCipher, value: &str, associated: &str) -> Self {
        Self {
            encrypted: cipher.encrypt(value, associated),
            masked: mask(value),
        }
    }

    pub fn open(&self, cipher: &FieldCipher, associated: &str) -> Result<String, DecryptError> {
        cipher.decrypt(&self.encrypted, associated)
    }
}

/// `••••1234`: the last four characters, the rest hidden.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

/// A 256-bit random token, base64url.
pub fn random_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token: its SHA-256, hex. The token itself is never stored.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs and checks the portal's self-contained links (one-click unsubscribes, calendar
/// feeds): `<payload>.<mac>`, both base64url, the MAC an HMAC-SHA256 over a scope and the
/// payload. The key is derived from the application secret's key material with its own
/// label, so a link's MAC is never a valid page cursor or the reverse, and a link of one
/// scope is never valid in another.
#[derive(Clone)]
pub struct Signer {
    key: crate::config::Secret<Vec<u8>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

impl Signer {
    /// From secret key material of at least 32 bytes.
    pub fn new(material: &[u8]) -> Result<Self, String> {
        use hmac::Mac as _;
        if material.len() < 32 {
            return Err("link signing key material must be at least 32 bytes".into());
        }
        let mut derive =
            <HmacSha256 as hmac::Mac>::new_from_slice(material).expect("HMAC takes any key length");
        derive.update(b"partner-portal signed links v1");
        Ok(Self {
            key: crate::config::Secret::new(derive.finalize().into_bytes().to_vec()),
        })
    }

    fn mac(&self, scope: &str, payload: &[u8]) -> HmacSha256 {
        use hmac::Mac as _;
        let mut mac =
            <HmacSha256 as hmac::Mac>::new_from_slice(self.key.expose()).expect("any key length");
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// `payload` signed for `scope`, safe in a URL path segment.
    pub fn sign(&self, scope: &str, payload: &[u8]) -> String {
        use base64::Engine as _;
        use hmac::Mac as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let tag = self.mac(scope, payload).finalize().into_bytes();
        format!("{}.{}", b64.encode(payload), b64.encode(tag))
    }

    /// The payload of a token signed for `scope`; `None` for anything else (forged,
    /// altered, of another scope, malformed). The comparison is constant-time.
    pub fn verify(&self, scope: &str, token: &str) -> Option<Vec<u8>> {
        use base64::Engine as _;
        use hmac::Mac as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (payload, tag) = token.split_once('.')?;
        let payload = b64.decode(payload).ok()?;
        let tag = b64.decode(tag).ok()?;
        self.mac(scope, &payload).verify_slice(&tag).ok()?;
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_link_verifies_only_unaltered_and_in_its_scope() {
        let signer = Signer::new(&[7u8; 32]).unwrap();
        let token = signer.sign("unsubscribe", b"payload");
        assert_eq!(
            signer.verify("unsubscribe", &token).as_deref(),
            Some(&b"payload"[..])
        );
        assert_eq!(signer.verify("calendar", &token), None, "another scope");
        let other = Signer::new(&[8u8; 32]).unwrap();
        assert_eq!(other.verify("unsubscribe", &token), None, "another key");
        let (_, tag) = token.split_once('.').unwrap();
        let other_token = signer.sign("unsubscribe", b"other");
        let (other_payload, _) = other_token.split_once('.').unwrap();
        let altered = format!("{other_payload}.{tag}");
        assert_eq!(
            signer.verify("unsubscribe", &altered),
            None,
            "altered payload"
        );
        assert_eq!(signer.verify("unsubscribe", "no-dot"), None);
        assert!(Signer::new(&[1u8; 31]).is_err(), "short key material");
    }

    fn cipher() -> FieldCipher {
        FieldCipher::new(b"a test key that is long enough for the cipher").unwrap()
    }

    #[test]
    fn values_round_trip_and_ciphertexts_differ() {
        let c = cipher();
        let a = c.encrypt("62001234567", "partner-1");
        let b = c.encrypt("62001234567", "partner-1");
        assert_ne!(a, b, "fresh nonce per value");
        assert!(!a.contains("62001234567"));
        assert_eq!(c.decrypt(&a, "partner-1").unwrap(), "62001234567");
    }

    #[test]
    fn a_value_moved_to_another_record_or_altered_does_not_decrypt() {
        let c = cipher();
        let a = c.encrypt("62001234567", "partner-1");
        assert_eq!(c.decrypt(&a, "partner-2"), Err(DecryptError));
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(c.decrypt(&tampered, "partner-1"), Err(DecryptError));
        let other = FieldCipher::new(b"another key that is long enough for the cipher").unwrap();
        assert_eq!(other.decrypt(&a, "partner-1"), Err(DecryptError));
    }

    #[test]
    fn a_rotated_key_set_reads_values_sealed_with_the_previous_key() {
        let old = FieldCipher::new(b"the first key, long enough for the cipher!").unwrap();
        let before = old.encrypt("4012345678", "partner-1");
        assert_eq!(FieldCipher::key_id_of(&before), Some("0"));
        let rotated = FieldCipher::from_secret(
            r#"{"active": "2", "keys": {"0": "the first key, long enough for the cipher!",
                "2": "the second key, also long enough for it!!"}}"#,
        )
        .unwrap();
        assert_eq!(rotated.decrypt(&before, "partner-1").unwrap(), "4012345678");
        let after = rotated.encrypt("4012345678", "partner-1");
        assert_eq!(FieldCipher::key_id_of(&after), Some("2"));
        assert_eq!(old.decrypt(&after, "partner-1"), Err(DecryptError));
        assert!(FieldCipher::from_secret(r#"{"active": "9", "keys": {}}"#).is_err());
    }

    #[test]
    fn values_sealed_before_key_ids_still_decrypt() {
        let c = cipher();
        let v2 = c.encrypt("62001234567", "partner-1");
        let legacy = v2.replacen("v2:0:", "v1:", 1);
        assert_eq!(c.decrypt(&legacy, "partner-1").unwrap(), "62001234567");
    }

    #[test]
    fn masks_show_only_the_last_four() {
        assert_eq!(mask("62001234567"), "••••4567");
        assert_eq!(mask("12"), "••••12");
    }
}
