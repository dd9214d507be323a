//! Passwords: Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1) or stronger.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::Secret;

/// Memory cost in KiB (19 MiB), iterations and lanes.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;

/// A password that satisfies the policy (12 to 128 characters). Never logged.
#[derive(Debug, Clone)]
pub struct Password(Secret<String>);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let n = raw.chars().count();
        if n < 12 {
            return Err("must be at least 12 characters");
        }
        if n > 128 {
            return Err("must be at most 128 characters");
        }
        Ok(Self(Secret::new(raw.to_string())))
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose().as_bytes()
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) to store.
pub fn hash(password: &Password) -> Secret<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    let phc = hasher()
        .hash_password(password.bytes(), &salt)
        .expect("hashing with valid parameters")
        .to_string();
    Secret::new(phc)
}

/// Whether `password` matches the stored PHC string. The parameters come from the stored
/// string, so hashes made with stronger settings keep verifying.
pub fn verify(password: &str, stored: &Secret<String>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored.expose()) else {
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Spends the same work as a real verification, for logins with an unknown email, so
/// response time does not reveal which emails have accounts.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<Secret<String>> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        hash(&Password::parse("an-unguessable-placeholder").expect("policy-conform"))
    });
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let p = Password::parse("correct horse battery").unwrap();
        let h = hash(&p);
        assert!(
            h.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.expose()
        );
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse battery!", &h));
        assert_ne!(hash(&p).expose(), h.expose(), "salts differ");
    }

    #[test]
    fn the_policy_is_12_to_128_characters() {
        assert!(Password::parse("elevenchars").is_err());
        assert!(Password::parse("twelve chars").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        // Characters, not bytes.
        assert!(Password::parse("ñññññññññññ").is_err());
    }

    #[test]
    fn a_malformed_stored_hash_never_verifies() {
        assert!(!verify("anything at all", &Secret::new("not-a-phc".into())));
    }
}
