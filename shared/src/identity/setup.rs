//! Cold-start wiring shared by every function that touches identity: configuration from
//! named variables, one SDK configuration, the store, and the token keys (read from
//! Secrets Manager once). Each function asks only for the keys it needs.

use super::auth::Auth;
use super::service::Identity;
use super::tokens::{SigningKeySecret, TokenKeys};
use crate::config::{AppSecretConfig, Common, ConfigError, Reader, Source, StoreConfig};
use crate::secrets::{AppSecret, Secrets};
use crate::store::Store;

/// Which token keys a function loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Public keys only: verify access tokens.
    Verify,
    /// Also the active private key: issue tokens (login, refresh, invitation accept).
    Sign,
    /// No tokens at all (registration, password reset requests).
    None,
}

/// Settings for token issuing and verification and for emailed links.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub common: Common,
    pub store: StoreConfig,
    pub app_secret: Option<AppSecretConfig>,
    pub signing_key_secret_id: Option<String>,
    pub issuer: String,
    pub audience: String,
    pub portal_url: String,
    pub default_country_code: String,
}

impl IdentityConfig {
    /// Reads `PORTAL_STAGE`, `TABLE_NAME`, `TOKEN_ISSUER`, `TOKEN_AUDIENCE`, `PORTAL_URL`,
    /// `DEFAULT_COUNTRY_CODE` (default 27), and when needed `SIGNING_KEY_SECRET_ARN` and
    /// `APP_SECRET_ARN` (page cursors).
    pub fn read(source: &dyn Source, keys: Keys, cursors: bool) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let common = Common::read(&mut r);
        let store = StoreConfig::read(&mut r);
        let app_secret = cursors.then(|| AppSecretConfig::read(&mut r));
        let signing_key_secret_id =
            (keys != Keys::None).then(|| r.required("SIGNING_KEY_SECRET_ARN"));
        let issuer = r.required("TOKEN_ISSUER");
        let audience = r.required("TOKEN_AUDIENCE");
        let portal_url = r.required("PORTAL_URL");
        let default_country_code = r
            .optional("DEFAULT_COUNTRY_CODE")
            .unwrap_or_else(|| "27".into());
        r.finish()?;
        Ok(Self {
            common,
            store,
            app_secret,
            signing_key_secret_id,
            issuer,
            audience,
            portal_url,
            default_country_code,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Tokens(#[from] super::tokens::TokenError),
}

/// Builds [`Identity`] from configuration: the clients, the cursor key and token keys.
pub async fn identity(
    config: &IdentityConfig,
    sdk: &aws_config::SdkConfig,
    keys: Keys,
) -> Result<Identity, SetupError> {
    let secrets = Secrets::new(crate::aws::secrets_manager(sdk));
    let mut store = Store::new(crate::aws::dynamodb(sdk), &config.store.table_name);
    if let Some(app) = &config.app_secret {
        store = store.with_cursors(
            AppSecret::load(&secrets, &app.app_secret_id)
                .await?
                .cursor_codec()?,
        );
    }
    let auth = match (&config.signing_key_secret_id, keys) {
        (Some(id), Keys::Verify | Keys::Sign) => {
            let secret: SigningKeySecret = secrets.json(id).await?;
            Some(Auth::new(TokenKeys::from_secret(
                &secret,
                &config.issuer,
                &config.audience,
                keys == Keys::Sign,
            )?))
        }
        _ => None,
    };
    Ok(Identity {
        store,
        auth,
        portal_url: config.portal_url.clone(),
        default_country_code: config.default_country_code.clone(),
    })
}

/// The cold start of a function: read the process environment, load the SDK
/// configuration, build [`Identity`]. Leaked on purpose: it lives as long as the process.
pub async fn from_env(keys: Keys, cursors: bool) -> Result<&'static Identity, SetupError> {
    let config = IdentityConfig::read(&crate::config::ProcessEnv, keys, cursors)?;
    let sdk = crate::aws::sdk_config().await;
    Ok(Box::leak(Box::new(identity(&config, &sdk, keys).await?)))
}
