//! The composition root: what a portal function builds once per cold start (configuration
//! from named variables, one SDK configuration, the store, token keys read from Secrets
//! Manager once, the documents bucket, the field cipher) and hands to its handler. It sits
//! above every domain; nothing in the domains uses it.

use crate::auth::{Auth, KeySource};
use crate::config::{AppSecretConfig, Common, ConfigError, Reader, Source, StoreConfig};
use crate::identity::service::Identity;
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
    /// The private signing keys (`Keys::Sign`) or the public keys only (`Keys::Verify`).
    pub key_secret_id: Option<String>,
    pub issuer: String,
    pub audience: String,
    pub portal_url: String,
    pub default_country_code: String,
    pub limits: crate::limits::Limits,
}

impl IdentityConfig {
    /// Reads `PORTAL_STAGE`, `TABLE_NAME`, `TOKEN_ISSUER`, `TOKEN_AUDIENCE`, `PORTAL_URL`,
    /// `DEFAULT_COUNTRY_CODE` (default 27), and when needed `SIGNING_KEY_SECRET_ARN` (the
    /// functions that issue tokens), `VERIFYING_KEYS_SECRET_ARN` (every other function with
    /// a token: public keys only) and `APP_SECRET_ARN` (page cursors).
    pub fn read(source: &dyn Source, keys: Keys, cursors: bool) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let common = Common::read(&mut r);
        let store = StoreConfig::read(&mut r);
        let app_secret = cursors.then(|| AppSecretConfig::read(&mut r));
        let key_secret_id = match keys {
            Keys::Sign => Some(r.required("SIGNING_KEY_SECRET_ARN")),
            Keys::Verify => Some(r.required("VERIFYING_KEYS_SECRET_ARN")),
            Keys::None => None,
        };
        let issuer = r.required("TOKEN_ISSUER");
        let audience = r.required("TOKEN_AUDIENCE");
        let portal_url = r.required("PORTAL_URL");
        let default_country_code = r
            .optional("DEFAULT_COUNTRY_CODE")
            .unwrap_or_else(|| "27".into());
        let limits = r.parsed_or("RATE_LIMITS", crate::limits::Limits::default());
        r.finish()?;
        Ok(Self {
            common,
            store,
            app_secret,
            key_secret_id,
            issuer,
            audience,
            portal_url,
            default_country_code,
            limits,
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
    Tokens(#[from] crate::auth::tokens::TokenError),
    #[error(transparent)]
    Keys(#[from] crate::auth::KeyLoadError),
}

/// Builds [`Identity`] from configuration: the clients, the cursor key and token keys.
pub async fn identity(
    config: &IdentityConfig,
    sdk: &aws_config::SdkConfig,
    keys: Keys,
) -> Result<Identity, SetupError> {
    let secrets = Secrets::new(crate::aws::secrets_manager(sdk));
    Ok(identity_and_signer(config, sdk, &secrets, keys).await?.0)
}

/// [`identity`] and, when the application secret is configured, the link signer made
/// from it (one read of the secret for both). The two secrets are read concurrently: a
/// cold start waits for one Secrets Manager round trip, not two.
async fn identity_and_signer(
    config: &IdentityConfig,
    sdk: &aws_config::SdkConfig,
    secrets: &Secrets,
    keys: Keys,
) -> Result<(Identity, Option<crate::crypto::Signer>), SetupError> {
    let app_secret = async {
        match &config.app_secret {
            Some(app) => {
                Ok::<_, SetupError>(Some(AppSecret::load(secrets, &app.app_secret_id).await?))
            }
            None => Ok(None),
        }
    };
    let token_keys = async {
        match (&config.key_secret_id, keys) {
            (Some(id), Keys::Verify | Keys::Sign) => Ok::<_, SetupError>(Some(
                Auth::load(KeySource {
                    secrets: secrets.clone(),
                    secret_id: id.clone(),
                    issuer: config.issuer.clone(),
                    audience: config.audience.clone(),
                    can_sign: keys == Keys::Sign,
                })
                .await?,
            )),
            _ => Ok(None),
        }
    };
    let (app_secret, auth) = tokio::try_join!(app_secret, token_keys)?;
    let mut store = Store::new(crate::aws::dynamodb(sdk), &config.store.table_name);
    let mut signer = None;
    if let Some(secret) = app_secret {
        store = store.with_cursors(secret.cursor_codec()?);
        signer = Some(secret.link_signer()?);
    }
    Ok((
        Identity {
            store,
            auth,
            portal_url: config.portal_url.clone(),
            default_country_code: config.default_country_code.clone(),
            limits: config.limits,
        },
        signer,
    ))
}

/// What a function needs beyond the store and token keys.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub keys: Keys,
    pub cursors: bool,
    /// The documents bucket (`DOCUMENTS_BUCKET`).
    pub documents: bool,
    /// The field-encryption keys (`FIELD_KEY_SECRET_ARN`), for banking details and tax
    /// numbers.
    pub field_cipher: bool,
    /// The export queue (`EXPORT_QUEUE_URL`).
    pub export_queue: bool,
}

impl Needs {
    /// Nothing beyond the table (public routes that verify no token).
    pub const fn none() -> Self {
        Needs {
            keys: Keys::None,
            cursors: false,
            documents: false,
            field_cipher: false,
            export_queue: false,
        }
    }
    /// Verifies access tokens (every authenticated route).
    pub const fn verify() -> Self {
        Self::of(Keys::Verify, false)
    }
    /// Token keys of `keys` and, if `cursors`, the cursor key.
    pub const fn of(keys: Keys, cursors: bool) -> Self {
        Needs {
            keys,
            cursors,
            ..Self::none()
        }
    }
    /// Also the cursor key (routes that answer pages).
    pub const fn cursors(self) -> Self {
        Needs {
            cursors: true,
            ..self
        }
    }
    /// Also the documents bucket.
    pub const fn documents(self) -> Self {
        Needs {
            documents: true,
            ..self
        }
    }
    /// Also the field-encryption keys.
    pub const fn field_cipher(self) -> Self {
        Needs {
            field_cipher: true,
            ..self
        }
    }
    /// Also the export queue.
    pub const fn export_queue(self) -> Self {
        Needs {
            export_queue: true,
            ..self
        }
    }
}

/// Everything a portal function may need, built once per cold start.
#[derive(Debug)]
pub struct Context {
    pub identity: Identity,
    pub documents: Option<crate::storage::Documents>,
    pub cipher: Option<crate::crypto::FieldCipher>,
    /// Signs and checks self-contained links (with the cursor key: the application secret).
    pub signer: Option<crate::crypto::Signer>,
    /// Where export jobs are queued.
    pub export_queue: Option<crate::queue::Queue>,
    pub leads: crate::leads::LeadSettings,
    /// Tier rates and the payout schedule.
    pub commissions: crate::commissions::CommissionSettings,
}

impl Context {
    pub fn store(&self) -> &Store {
        &self.identity.store
    }

    /// The stage's rate limits (`RATE_LIMITS`).
    pub fn limits(&self) -> &crate::limits::Limits {
        &self.identity.limits
    }

    /// Authenticates and authorises the request (see [`Identity::require`]).
    pub async fn require(
        &self,
        req: &lambda_http::Request,
        route: &str,
    ) -> Result<crate::auth::Principal, crate::identity::IdentityError> {
        self.identity.require(req, route).await
    }

    /// Like [`Self::require`], reading the route's own items in the same round trip.
    pub async fn authorize(
        &self,
        req: &lambda_http::Request,
        route: &str,
        extra: impl FnOnce(&crate::auth::Principal) -> Vec<crate::store::Key>,
    ) -> Result<crate::identity::access::Access, crate::identity::IdentityError> {
        self.identity.authorize(req, route, extra).await
    }

    pub fn documents(&self) -> Result<&crate::storage::Documents, NotWired> {
        self.documents
            .as_ref()
            .ok_or(NotWired("the documents bucket"))
    }

    pub fn cipher(&self) -> Result<&crate::crypto::FieldCipher, NotWired> {
        self.cipher.as_ref().ok_or(NotWired("the field key"))
    }

    pub fn export_queue(&self) -> Result<&crate::queue::Queue, NotWired> {
        self.export_queue
            .as_ref()
            .ok_or(NotWired("the export queue"))
    }

    /// The link signer (functions that need the application secret: `Needs::cursors`).
    pub fn signer(&self) -> Result<&crate::crypto::Signer, NotWired> {
        self.signer
            .as_ref()
            .ok_or(NotWired("the application secret"))
    }
}

/// A function asked for a dependency its `Needs` did not declare (a build mistake).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("function built without {0}")]
pub struct NotWired(&'static str);

impl crate::fault::Fault for NotWired {
    fn kind(&self) -> crate::fault::Kind {
        crate::fault::Kind::Internal
    }
    fn code(&self) -> &'static str {
        "internal"
    }
}

/// Builds a [`Context`] from a configuration source.
pub async fn context(
    source: &dyn Source,
    sdk: &aws_config::SdkConfig,
    needs: Needs,
) -> Result<Context, SetupError> {
    let config = IdentityConfig::read(source, needs.keys, needs.cursors)?;
    let mut r = Reader::new(source);
    let bucket = needs
        .documents
        .then(|| crate::config::DocumentsConfig::read(&mut r));
    let field_key_id = needs
        .field_cipher
        .then(|| r.required("FIELD_KEY_SECRET_ARN"));
    let export_queue_url = needs.export_queue.then(|| r.required("EXPORT_QUEUE_URL"));
    let leads = crate::leads::LeadSettings {
        protection_days: r.parsed_or("LEAD_PROTECTION_DAYS", 90),
        default_country_code: config.default_country_code.clone(),
        portal_daily_limit: Some(config.limits.leads_per_partner()),
        portal_url: config.portal_url.clone(),
    };
    let commissions = crate::commissions::CommissionSettings::read(&mut r);
    r.finish()?;
    // The field key is read alongside the identity's secrets (one round trip of waiting),
    // through the same client.
    let secrets = Secrets::new(crate::aws::secrets_manager(sdk));
    let field_cipher = async {
        let Some(id) = field_key_id else {
            return Ok::<_, SetupError>(None);
        };
        let material = secrets.string(&id).await?;
        let cipher = crate::crypto::FieldCipher::from_secret(material.expose())
            .map_err(|cause| crate::secrets::SecretError::Malformed { id, cause })?;
        Ok(Some(cipher))
    };
    let ((identity, signer), cipher) = tokio::try_join!(
        identity_and_signer(&config, sdk, &secrets, needs.keys),
        field_cipher
    )?;
    let documents = bucket.map(|b| crate::storage::Documents::new(crate::aws::s3(sdk), b.bucket));
    let export_queue =
        export_queue_url.map(|url| crate::queue::Queue::new(crate::aws::sqs(sdk), url));
    Ok(Context {
        identity,
        documents,
        cipher,
        signer,
        export_queue,
        leads,
        commissions,
    })
}

/// What one function is built from, once per cold start: exactly what it needs, read
/// from configuration and built before the first event. A dependency that cannot be built
/// (a missing variable, an unreadable secret) fails the cold start, never a request.
/// Every function's `main` is the same: [`cold_start`] its `Deps`, then serve events.
pub use aws_config::SdkConfig;

pub trait Deps: Sized + Sync + 'static {
    fn build(
        source: &dyn Source,
        sdk: &aws_config::SdkConfig,
    ) -> impl std::future::Future<Output = Result<Self, SetupError>>;
}

/// A function's cold start: logging, the SDK configuration, then its [`Deps`] from the
/// process environment, kept for the life of the process.
pub async fn cold_start<D: Deps>(function: &str) -> Result<&'static D, SetupError> {
    crate::telemetry::init(function);
    let sdk = crate::aws::sdk_config().await;
    let deps = D::build(&crate::config::ProcessEnv, &sdk).await?;
    Ok(Box::leak(Box::new(deps)))
}

/// The [`Needs`] of a function built on the shared [`Context`].
pub trait Wants: Sync + 'static {
    const NEEDS: Needs;
}

/// The dependencies of a function built on [`Context`] with `W`'s needs; it is the
/// context (handlers take `&Context`).
pub struct With<W: Wants> {
    ctx: Context,
    wants: std::marker::PhantomData<W>,
}

impl<W: Wants> std::ops::Deref for With<W> {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl<W: Wants> Deps for With<W> {
    async fn build(source: &dyn Source, sdk: &aws_config::SdkConfig) -> Result<Self, SetupError> {
        Ok(Self {
            ctx: context(source, sdk, W::NEEDS).await?,
            wants: std::marker::PhantomData,
        })
    }
}

/// The CRM workers' dependencies: the Zoho client (its token prepared: [`crate::crm::zoho::Zoho::prepare`]),
/// the table, the settings.
impl Deps for crate::crm::Crm {
    async fn build(source: &dyn Source, sdk: &aws_config::SdkConfig) -> Result<Self, SetupError> {
        let crm = crate::crm::Crm::new(crate::crm::CrmConfig::read(source)?, sdk);
        crm.zoho.prepare().await;
        Ok(crm)
    }
}

/// The resource import's dependencies: the table, the bucket, the CMS token's secret.
impl Deps for crate::resources::strapi::Importer {
    async fn build(source: &dyn Source, sdk: &aws_config::SdkConfig) -> Result<Self, SetupError> {
        Ok(Self::from_config(source, sdk)?)
    }
}

/// The nightly score job's and the backfill's dependencies: the table.
impl Deps for crate::insight::nightly::Nightly {
    async fn build(source: &dyn Source, sdk: &aws_config::SdkConfig) -> Result<Self, SetupError> {
        Ok(Self::from_config(source, sdk)?)
    }
}

/// Declares what a function on the shared [`Context`] needs, as `NEEDS`, and its `Deps`:
/// `shared::function_deps!(Needs::verify().documents());`.
#[macro_export]
macro_rules! function_deps {
    ($needs:expr) => {
        /// What the function is built from at cold start.
        pub const NEEDS: $crate::app::Needs = $needs;
        /// This function's needs (see `NEEDS`).
        pub struct Wants;
        impl $crate::app::Wants for Wants {
            const NEEDS: $crate::app::Needs = NEEDS;
        }
        /// What this function is built from at cold start.
        pub type Deps = $crate::app::With<Wants>;
    };
}

/// The scheduled emails' dependencies: the table and the portal's URL.
impl Deps for crate::reports::digests::Digests {
    async fn build(source: &dyn Source, sdk: &aws_config::SdkConfig) -> Result<Self, SetupError> {
        Ok(Self::from_config(source, sdk)?)
    }
}
