//! Field-level encryption for sensitive values (banking details, tax numbers):
//! AES-256-GCM with a key from Secrets Manager, bound to the record it belongs to.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Encrypts and decrypts field values. The stored form is `v1:<nonce>:<ciphertext>`
/// (base64); the associated data (e.g. the partner id) binds a value to its record, so a
/// ciphertext copied onto another record does not decrypt.
#[derive(Clone)]
pub struct FieldCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher([redacted])")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an encrypted field could not be decrypted")]
pub struct DecryptError;

impl FieldCipher {
    /// A cipher from secret key material (any length of at least 32 bytes; it is hashed
    /// to the 256-bit key).
    pub fn new(material: &[u8]) -> Result<Self, String> {
        if material.len() < 32 {
            return Err("field encryption key material must be at least 32 bytes".into());
        }
        let key = Sha256::digest(material);
        Ok(Self {
            cipher: Aes256Gcm::new_from_slice(&key).expect("32-byte key"),
        })
    }

    pub fn encrypt(&self, plaintext: &str, associated: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: associated.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short field");
        format!("v1:{}:{}", STANDARD.encode(nonce), STANDARD.encode(sealed))
    }

    pub fn decrypt(&self, stored: &str, associated: &str) -> Result<String, DecryptError> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(nonce), Some(sealed)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(DecryptError);
        };
        let nonce = STANDARD.decode(nonce).map_err(|_| DecryptError)?;
        let sealed = STANDARD.decode(sealed).map_err(|_| DecryptError)?;
        if nonce.len() != 12 {
            return Err(DecryptError);
        }
        let plain = self
            .cipher
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

/// `••••1234`: the last four characters, the rest hidden.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn masks_show_only_the_last_four() {
        assert_eq!(mask("62001234567"), "••••4567");
        assert_eq!(mask("12"), "••••12");
    }
}
