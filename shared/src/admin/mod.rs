//! Back-office read models over many domains: the partner directory with its hero metrics
//! and a partner's full record (profile, users, KYC documents, recent activity).

use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::identity::model::User;
use crate::identity::service::UserView;
use crate::kyc::{DocumentView, KycDocument};
use crate::money::{Currency, Money};
use crate::partners::profile::PartnerView;
use crate::partners::{KycStatus, Partner, PartnerStatus};
use crate::store::{Filter, Index, Page, Query, Store, keys};

/// Directory filters (`GET /v1/admin/partners`).
#[derive(Debug, Default, Clone)]
pub struct DirectoryFilters {
    pub status: Option<PartnerStatus>,
    pub kyc_status: Option<KycStatus>,
    pub tier: Option<String>,
    pub region: Option<String>,
    /// The account manager (`owner_admin_id`).
    pub owner: Option<String>,
    pub q: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Default)]
pub struct DirectoryCounters {
    #[serde(default)]
    pub active_partners: i64,
    #[serde(default)]
    pub pipeline_value_minor: i64,
    /// Owed (pending, approved or held) in the reporting currency, kept by the ledger
    /// (`commissions::totals`) as `commission_owed_<CURRENCY>_minor`.
    #[serde(default, rename = "commission_owed_ZAR_minor")]
    pub commission_owed_minor: i64,
}

#[derive(Debug, Serialize)]
pub struct HeroMetrics {
    pub active_partners: i64,
    pub pipeline_value: Money,
    pub commission_owed: Money,
}

#[derive(Debug, Serialize)]
pub struct Directory {
    pub items: Vec<PartnerView>,
    pub next_cursor: Option<String>,
    pub metrics: HeroMetrics,
}

/// The portal's reporting currency for the hero metrics.
pub const CURRENCY: Currency = Currency::ZAR;

/// The item holding the hero metrics (read with the access check, in one round trip).
pub fn metrics_key() -> Vec<crate::store::Key> {
    vec![keys::directory_counters()]
}

/// One Query page on the directory index (by status when filtered, else all partners,
/// newest first) with the maintained hero metrics (`counters`, read with the access
/// check). Other filters run server-side on the page read: a page may hold fewer than
/// `limit` matches.
pub async fn directory(
    store: &Store,
    counters: DirectoryCounters,
    filters: &DirectoryFilters,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Directory, AdminError> {
    let (index, partition) = match filters.status {
        Some(s) => (
            Index::ByState,
            format!("{}{}", keys::DIRECTORY_PREFIX, s.as_str()),
        ),
        None => (Index::Lookup, keys::DIRECTORY_ALL.to_string()),
    };
    let mut filter = Filter::new();
    if let Some(k) = filters.kyc_status {
        filter = filter.eq(
            &["kyc_status"],
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref()
                .unwrap_or(""),
        );
    }
    if let Some(t) = &filters.tier {
        filter = filter.eq(&["tier"], t);
    }
    if let Some(r) = &filters.region {
        filter = filter.contains_any(&[&["regions"], &["address", "province"]], r);
    }
    if let Some(o) = &filters.owner {
        filter = filter.eq(&["owner_admin_id"], o);
    }
    if let Some(q) = &filters.q {
        filter = filter.contains_any(&[&["search_text"]], &q.to_lowercase());
    }
    let query = Query::partition(Some(index), partition, limit)
        .newest_first()
        .filter(filter);
    let page: Page<Partner> = store.query(&query, cursor).await?;
    Ok(Directory {
        items: page.items.iter().map(PartnerView::from).collect(),
        next_cursor: page.next_cursor,
        metrics: HeroMetrics {
            active_partners: counters.active_partners,
            pipeline_value: Money::new(counters.pipeline_value_minor, CURRENCY),
            commission_owed: Money::new(counters.commission_owed_minor, CURRENCY),
        },
    })
}

/// What can go wrong reading the operations views.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("No such {0}.")]
    NotFound(&'static str),
    /// Stored data the field keys do not open (a key removed too early, or tampering).
    #[error("{0} does not decrypt with the field keys")]
    Undecryptable(&'static str),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl crate::fault::Fault for AdminError {
    fn kind(&self) -> crate::fault::Kind {
        match self {
            AdminError::NotFound(_) => crate::fault::Kind::NotFound,
            AdminError::Undecryptable(_) => crate::fault::Kind::Internal,
            AdminError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AdminError::NotFound(_) => "not_found",
            AdminError::Undecryptable(_) => "internal",
            AdminError::Store(e) => e.code(),
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            AdminError::Store(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// Everything about one partner for operations.
#[derive(Debug, Serialize)]
pub struct PartnerRecord {
    pub partner: PartnerView,
    /// The whole CRM state (Zoho's record id, a duplicate's id, its error text): for
    /// operations only.
    pub crm_sync: crate::outbox::CrmSync,
    /// Registration and VAT numbers in clear, to check against the KYC documents.
    pub tax_numbers: crate::partners::ClearTaxNumbers,
    /// The operations account manager and internal tags (never shown to the partner).
    pub owner_admin_id: Option<String>,
    pub tags: Vec<String>,
    pub version: u64,
    pub documents: Vec<DocumentView>,
    pub users: Vec<UserView>,
    pub activity: Vec<AuditEntry>,
}

/// How many of each kind the record shows: a partner with many users, documents or a long
/// history still costs a bounded read (the timeline pages through the rest).
pub const RECORD_ITEMS: i32 = 100;

/// A partner's record: the profile, its users, its KYC documents and the latest activity.
/// Four bounded reads, issued together: the profile and three prefix queries of the
/// partner's partition (never the leads and their history, which live there too).
pub async fn record(
    store: &Store,
    cipher: &crate::crypto::FieldCipher,
    partner_id: &str,
) -> Result<PartnerRecord, AdminError> {
    let partition = keys::partner_partition(partner_id);
    let of = |prefix: &str| {
        Query::partition(None, partition.clone(), RECORD_ITEMS).prefix(prefix.to_string())
    };
    let (users_q, docs_q, audit_q) = (
        of(keys::USER_PREFIX),
        of(keys::KYC_PREFIX),
        of(keys::AUDIT_PREFIX).newest_first(),
    );
    let profile = keys::partner(partner_id);
    let (partner, users, documents, activity) = tokio::try_join!(
        store.get::<Partner>(&profile),
        store.query_up_to::<User>(&users_q),
        store.query_up_to::<KycDocument>(&docs_q),
        store.query_up_to::<AuditEntry>(&audit_q),
    )?;
    let partner = partner.ok_or(AdminError::NotFound("partner"))?;
    let tax_numbers = partner
        .tax_numbers
        .open(cipher, &partner.id)
        .map_err(|_| AdminError::Undecryptable("a tax number"))?;
    Ok(PartnerRecord {
        tax_numbers,
        owner_admin_id: partner.owner_admin_id.clone(),
        tags: partner.tags.clone(),
        version: partner.version,
        crm_sync: partner.crm_sync.clone(),
        partner: PartnerView::from(&partner),
        documents: documents.iter().map(DocumentView::from).collect(),
        users: users.iter().map(UserView::from).collect(),
        activity,
    })
}
