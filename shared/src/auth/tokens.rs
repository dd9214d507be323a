//! Access tokens: ES256 JWTs with a `kid`, checked `iss`/`aud`/`exp`/`iat`/`sub`, the
//! algorithm pinned. Keys come from Secrets Manager; every key in the secret verifies, the
//! active one signs, so a rotated key keeps old tokens valid until they expire.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::permissions::Role;
use crate::config::Secret;

/// Access tokens live 15 minutes.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Why a token naming a key id we do not hold is refused.
pub const UNKNOWN_KEY: &str = "unknown key id";
/// The `typ` header of access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// Clock skew tolerated on `exp`/`iat`.
pub const LEEWAY_SECS: u64 = 30;

/// The signing-key secret: `{"active_kid": "...", "keys": [{"kid", "private_key_pem", "x", "y"}]}`
/// (`x`/`y`: the P-256 public point, base64url). `infra/signing-key.py` writes it.
#[derive(Deserialize)]
pub struct SigningKeySecret {
    /// Absent from the public-keys secret (which no function signs with).
    #[serde(default)]
    pub active_kid: String,
    pub keys: Vec<SigningKeyEntry>,
}

#[derive(Deserialize)]
pub struct SigningKeyEntry {
    pub kid: String,
    #[serde(default)]
    pub private_key_pem: Option<Secret<String>>,
    pub x: String,
    pub y: String,
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    /// Not before: the issue time (RFC 8725 §3; checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub role: Role,
    /// The partner the user belongs to; absent for internal staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// The session (refresh-token family) the token was issued for.
    pub sid: String,
}

/// A public key as a JWK (served at `/.well-known/jwks.json`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub kid: String,
    pub x: String,
    pub y: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("signing keys are unusable: {0}")]
    Keys(String),
    #[error("token rejected: {0}")]
    Rejected(&'static str),
}

/// Issues and verifies access tokens.
pub struct TokenKeys {
    issuer: String,
    audience: String,
    signing: Option<(String, EncodingKey)>,
    verifying: HashMap<String, DecodingKey>,
    jwks: Vec<Jwk>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("kids", &self.verifying.keys())
            .finish()
    }
}

impl TokenKeys {
    /// Builds keys from the secret. `can_sign` loads the active private key (only the
    /// functions that issue tokens need it).
    pub fn from_secret(
        secret: &SigningKeySecret,
        issuer: &str,
        audience: &str,
        can_sign: bool,
    ) -> Result<Self, TokenError> {
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        let mut signing = None;
        for key in &secret.keys {
            let decoding = DecodingKey::from_ec_components(&key.x, &key.y)
                .map_err(|e| TokenError::Keys(format!("key {}: {e}", key.kid)))?;
            verifying.insert(key.kid.clone(), decoding);
            jwks.push(Jwk {
                kty: "EC",
                crv: "P-256",
                alg: "ES256",
                use_: "sig",
                kid: key.kid.clone(),
                x: key.x.clone(),
                y: key.y.clone(),
            });
            if can_sign && key.kid == secret.active_kid {
                let pem = key.private_key_pem.as_ref().ok_or_else(|| {
                    TokenError::Keys(format!("active key {} has no private key", key.kid))
                })?;
                let encoding = EncodingKey::from_ec_pem(pem.expose().as_bytes())
                    .map_err(|e| TokenError::Keys(format!("active key {}: {e}", key.kid)))?;
                signing = Some((key.kid.clone(), encoding));
            }
        }
        if can_sign && signing.is_none() {
            return Err(TokenError::Keys(format!(
                "active key {:?} is not in the secret",
                secret.active_kid
            )));
        }
        if verifying.is_empty() {
            return Err(TokenError::Keys("the secret holds no keys".into()));
        }
        Ok(Self {
            issuer: issuer.into(),
            audience: audience.into(),
            signing,
            verifying,
            jwks,
        })
    }

    pub fn jwks(&self) -> &[Jwk] {
        &self.jwks
    }

    /// Signs an access token for `user` in session `sid`; returns it with its lifetime.
    pub fn issue(
        &self,
        user: &str,
        role: Role,
        partner: Option<&str>,
        sid: &str,
        now: i64,
    ) -> Result<(String, i64), TokenError> {
        let (kid, key) = self
            .signing
            .as_ref()
            .ok_or(TokenError::Keys("this function cannot sign".into()))?;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user.to_string(),
            exp: now + ACCESS_TTL_SECS,
            iat: now,
            nbf: Some(now),
            role,
            pid: partner.map(str::to_string),
            sid: sid.to_string(),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.clone());
        header.typ = Some(ACCESS_TOKEN_TYPE.into());
        let token = jsonwebtoken::encode(&header, &claims, key)
            .map_err(|e| TokenError::Keys(e.to_string()))?;
        Ok((token, ACCESS_TTL_SECS))
    }

    /// Verifies signature (ES256 only, key chosen by `kid`), issuer, audience, expiry and
    /// presence of every required claim.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| TokenError::Rejected("malformed token"))?;
        if header.alg != Algorithm::ES256 {
            return Err(TokenError::Rejected("algorithm not allowed"));
        }
        // Explicit typing (RFC 8725 §3.11, RFC 9068): another kind of JWT signed with the
        // same key (an ID token, say) is not an access token.
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(TokenError::Rejected("not an access token"));
        }
        let kid = header
            .kid
            .ok_or(TokenError::Rejected("token has no key id"))?;
        let key = self
            .verifying
            .get(&kid)
            .ok_or(TokenError::Rejected(UNKNOWN_KEY))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.algorithms = vec![Algorithm::ES256];
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                TokenError::Rejected(match e.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::InvalidIssuer => "wrong issuer",
                    ErrorKind::InvalidAudience => "wrong audience",
                    ErrorKind::MissingRequiredClaim(_) => "missing claim",
                    ErrorKind::InvalidSignature => "bad signature",
                    ErrorKind::ImmatureSignature => "token not yet valid",
                    _ => "invalid token",
                })
            })?;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECS as i64 {
            return Err(TokenError::Rejected("issued in the future"));
        }
        Ok(claims)
    }
}
