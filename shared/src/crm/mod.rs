//! Zoho CRM synchronisation, both ways.
//!
//! - Inbound: [`webhook`] authenticates and queues Zoho's webhook and Notifications API
//!   calls; [`inbound`] applies them (re-reading each record from Zoho).
//! - Outbound: [`outbound`] pushes the portal's `crm_outbox` items to Zoho.
//! - [`reconcile`] repairs what missed webhooks and failed pushes left behind.
//! - [`zoho`] is the REST v8 client with the shared token; [`settings`] the field mapping.

pub mod inbound;
pub mod outbound;
pub mod reconcile;
pub mod settings;
pub mod webhook;
pub mod zoho;

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Reader, Source, StoreConfig};
use crate::leads::LeadSettings;
use crate::secrets::Secrets;
use crate::store::{Entity, Key, Store, keys};
pub use settings::CrmSettings;
pub use zoho::Zoho;

/// A Zoho record linked to a portal object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrmLink {
    pub module: String,
    pub crm_id: String,
    /// `partner` or `lead`.
    pub entity: String,
    pub entity_id: String,
    pub partner_id: String,
}

impl Entity for CrmLink {
    const KIND: &'static str = "crm_link";

    fn key(&self) -> Key {
        keys::crm_link(&self.module, &self.crm_id)
    }
}

/// What the CRM workers share, built once per cold start.
pub struct Crm {
    pub store: Store,
    pub zoho: Zoho,
    pub settings: CrmSettings,
    /// The web app's base URL (invitation links of auto-provisioned partners).
    pub portal_url: String,
    pub leads: LeadSettings,
    /// Tier rates, for accruals on won leads.
    pub commissions: crate::commissions::CommissionSettings,
}

impl Crm {
    pub fn knows_module(&self, module: &str) -> bool {
        let m = &self.settings.modules;
        module == m.leads || module == m.partners || module == m.commissions
    }
}

/// `TABLE_NAME`, `ZOHO_CREDENTIALS_SECRET_ARN`, `CRM_SETTINGS` (optional JSON),
/// `PORTAL_URL`, `DEFAULT_COUNTRY_CODE` (27), `LEAD_PROTECTION_DAYS` (90),
/// `TIER_COMMISSION_RATES`, `PAYOUT_DAY_OF_MONTH`.
pub struct CrmConfig {
    pub store: StoreConfig,
    pub credentials_secret_id: String,
    pub settings: CrmSettings,
    pub portal_url: String,
    pub leads: LeadSettings,
    pub commissions: crate::commissions::CommissionSettings,
}

impl CrmConfig {
    pub fn read(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = crate::config::Common::read(&mut r);
        let store = StoreConfig::read(&mut r);
        let credentials_secret_id = r.required("ZOHO_CREDENTIALS_SECRET_ARN");
        let raw = r.optional("CRM_SETTINGS");
        let portal_url = r.required("PORTAL_URL");
        let leads = LeadSettings {
            protection_days: r.parsed_or("LEAD_PROTECTION_DAYS", 90),
            default_country_code: r
                .optional("DEFAULT_COUNTRY_CODE")
                .unwrap_or_else(|| "27".into()),
            // The CRM is not rate limited: what Zoho assigns, the portal records.
            portal_daily_limit: None,
            portal_url: portal_url.clone(),
        };
        let commissions = crate::commissions::CommissionSettings::read(&mut r);
        let settings = CrmSettings::from_json(raw.as_deref());
        r.finish()?;
        let settings = settings.map_err(|problem| ConfigError {
            problems: vec![problem],
        })?;
        Ok(Self {
            store,
            credentials_secret_id,
            settings,
            portal_url,
            leads,
            commissions,
        })
    }
}

impl Crm {
    pub fn new(config: CrmConfig, sdk: &aws_config::SdkConfig) -> Self {
        let store = Store::new(crate::aws::dynamodb(sdk), &config.store.table_name);
        let secrets = Secrets::new(crate::aws::secrets_manager(sdk));
        let zoho = Zoho::new(
            store.clone(),
            secrets,
            &config.credentials_secret_id,
            config.settings.retry.clone(),
        );
        Self {
            store,
            zoho,
            settings: config.settings,
            portal_url: config.portal_url,
            leads: config.leads,
            commissions: config.commissions,
        }
    }
}
