//! Secrets Manager, read once per cold start.
//!
//! Values are cached for the life of the execution environment: a warm invocation never
//! calls Secrets Manager. Rotation takes effect on the next cold start, except where a
//! reader asks for a fresh value ([`Secrets::fresh_json`]: token verifiers that meet a key
//! id they do not know yet).

use aws_sdk_secretsmanager::Client;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

use crate::config::Secret;
use crate::store::CursorCodec;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret {id} could not be read: {cause}")]
    Fetch { id: String, cause: String },
    #[error("secret {id} is malformed: {cause}")]
    Malformed { id: String, cause: String },
}

/// A cache of secret strings by id.
#[derive(Clone, Debug)]
pub struct Secrets {
    client: Client,
    cache: Arc<Mutex<HashMap<String, Arc<Secret<String>>>>>,
}

impl Secrets {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            cache: Arc::default(),
        }
    }

    /// The secret's string value, fetched on first use and cached afterwards.
    pub async fn string(&self, id: &str) -> Result<Arc<Secret<String>>, SecretError> {
        let mut cache = self.cache.lock().await;
        if let Some(value) = cache.get(id) {
            return Ok(value.clone());
        }
        let value = self.fetch(id).await?;
        cache.insert(id.to_string(), value.clone());
        Ok(value)
    }

    /// The secret's JSON value read from Secrets Manager now (and cached for later reads).
    pub async fn fresh_json<T: for<'de> Deserialize<'de>>(
        &self,
        id: &str,
    ) -> Result<T, SecretError> {
        let value = self.fetch(id).await?;
        self.cache
            .lock()
            .await
            .insert(id.to_string(), value.clone());
        parse(id, &value)
    }

    async fn fetch(&self, id: &str) -> Result<Arc<Secret<String>>, SecretError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| SecretError::Fetch {
                id: id.to_string(),
                cause: format!("{e:?}"),
            })?;
        let value = out.secret_string().ok_or_else(|| SecretError::Malformed {
            id: id.to_string(),
            cause: "no string value".into(),
        })?;
        Ok(Arc::new(Secret::new(value.to_string())))
    }

    /// The secret's JSON value parsed as `T`.
    pub async fn json<T: for<'de> Deserialize<'de>>(&self, id: &str) -> Result<T, SecretError> {
        let raw = self.string(id).await?;
        parse(id, &raw)
    }
}

fn parse<T: for<'de> Deserialize<'de>>(id: &str, raw: &Secret<String>) -> Result<T, SecretError> {
    serde_json::from_str(raw.expose()).map_err(|e| SecretError::Malformed {
        id: id.to_string(),
        cause: e.to_string(),
    })
}

/// The application secret (`APP_SECRET_ARN`): keys the portal itself uses.
#[derive(Deserialize)]
pub struct AppSecret {
    /// Signs page cursors. Any string of at least 32 characters (template-generated).
    cursor_key: String,
}

impl AppSecret {
    pub async fn load(secrets: &Secrets, id: &str) -> Result<Self, SecretError> {
        secrets.json(id).await
    }

    /// Base64 key material, or a plain generated string as it is.
    fn material(&self) -> Vec<u8> {
        STANDARD
            .decode(&self.cursor_key)
            .unwrap_or_else(|_| self.cursor_key.as_bytes().to_vec())
    }

    pub fn cursor_codec(&self) -> Result<CursorCodec, SecretError> {
        CursorCodec::new(self.material()).map_err(|cause| SecretError::Malformed {
            id: "cursor_key".into(),
            cause,
        })
    }

    /// The signer of self-contained links (its own key, derived from the same material).
    pub fn link_signer(&self) -> Result<crate::crypto::Signer, SecretError> {
        crate::crypto::Signer::new(&self.material()).map_err(|cause| SecretError::Malformed {
            id: "cursor_key".into(),
            cause,
        })
    }
}

impl std::fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSecret([redacted])")
    }
}
