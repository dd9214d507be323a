//! A partner's own profile: read, edit (property-level authorization), logo upload.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

use super::PartnerError;
use super::options::{self, PROVINCES, SERVICE_AREAS};
use super::{Address, BankingMasked, BusinessType, KycStatus, Partner, PartnerStatus};
use crate::audit::AuditEntry;
use crate::auth::{Principal, Role};
use crate::contact::{Email, Phone};
use crate::crypto::{FieldCipher, mask};
use crate::fault::{FieldError, Invalid};
use crate::storage::{Documents, PresignedUpload};
use crate::store::{Patch, Store, StoreError, keys};

/// A partner as the partner sees it: banking details and tax numbers masked, internals
/// left out.
#[derive(Debug, Serialize)]
pub struct PartnerView {
    pub id: String,
    pub business_name: String,
    pub business_type: BusinessType,
    pub registration_number: Option<String>,
    pub vat_number: Option<String>,
    pub contact_person: String,
    pub email: String,
    pub phone: String,
    pub address: Address,
    pub description: Option<String>,
    pub service_areas: Vec<String>,
    pub regions: Vec<String>,
    pub website: Option<String>,
    pub has_logo: bool,
    /// A presigned GET of the verified logo (valid 5 minutes), where the function can sign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// The latest logo upload while it is checked or after it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_upload: Option<LogoUploadView>,
    pub banking: Option<BankingMasked>,
    pub status: PartnerStatus,
    pub status_reason: Option<String>,
    pub kyc_status: KycStatus,
    pub tier: super::Tier,
    pub commission_rate_bps: Option<u32>,
    pub slug: String,
    pub crm_sync: crate::outbox::CrmSyncView,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Partner> for PartnerView {
    fn from(p: &Partner) -> Self {
        Self {
            id: p.id.clone(),
            business_name: p.business_name.clone(),
            business_type: p.business_type,
            registration_number: p
                .tax_numbers
                .registration_number
                .as_ref()
                .map(|s| s.masked.clone()),
            vat_number: p.tax_numbers.vat_number.as_ref().map(|s| s.masked.clone()),
            contact_person: p.contact_person.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            address: p.address.clone(),
            description: p.description.clone(),
            service_areas: p.service_areas.clone(),
            regions: p.regions.clone(),
            website: p.website.clone(),
            has_logo: p.logo_key.is_some(),
            logo_url: None,
            logo_upload: p
                .logo_upload
                .as_ref()
                .filter(|u| u.status != crate::uploads::VerificationStatus::Pending)
                .map(|u| LogoUploadView {
                    status: u.status,
                    rejection_reason: u.rejection_reason.clone(),
                }),
            banking: p.banking_masked.clone(),
            status: p.status,
            status_reason: p.status_reason.clone(),
            kyc_status: p.kyc_status,
            tier: p.tier,
            commission_rate_bps: p.commission_rate_bps,
            slug: p.slug.clone(),
            crm_sync: crate::outbox::CrmSyncView::from(&p.crm_sync),
            created_at: p.created_at.clone(),
            updated_at: p.updated_at.clone(),
        }
    }
}

/// Where the latest logo upload stands.
#[derive(Debug, Serialize)]
pub struct LogoUploadView {
    pub status: crate::uploads::VerificationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
}

impl PartnerView {
    /// The view with a presigned GET of the verified logo.
    pub async fn with_logo_url(
        mut self,
        partner: &Partner,
        docs: &Documents,
    ) -> Result<Self, PartnerError> {
        if let Some(key) = &partner.logo_key {
            self.logo_url = Some(
                docs.presign_download(key, crate::uploads::DOWNLOAD_TTL)
                    .await?
                    .url,
            );
        }
        Ok(self)
    }
}

/// Fields a partner may edit; everything else in the record is read-only to them.
const EDITABLE: &[&str] = &[
    "contact_person",
    "email",
    "phone",
    "street_address",
    "suburb",
    "city",
    "province",
    "postal_code",
    "country",
    "description",
    "service_areas",
    "regions",
    "website",
];
/// Editable by the owner only.
const OWNER_ONLY: &[&str] = &["banking"];
/// Known but never writable by partners (status, terms, ids...).
const READ_ONLY: &[&str] = &[
    "id",
    "partner_id",
    "business_name",
    "business_type",
    "registration_number",
    "vat_number",
    "tax_numbers",
    "status",
    "status_reason",
    "kyc_status",
    "tier",
    "commission_rate_bps",
    "commission_terms",
    "slug",
    "crm_sync",
    "has_logo",
    "logo_key",
    "logo_url",
    "logo_upload",
    "created_at",
    "updated_at",
    "version",
];

/// Banking details as the owner submits them.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BankingInput {
    pub bank_name: String,
    pub account_holder: String,
    pub account_number: String,
    pub account_type: String,
    pub branch_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileUpdate {
    contact_person: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    street_address: Option<String>,
    suburb: Option<String>,
    city: Option<String>,
    province: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    description: Option<String>,
    service_areas: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    website: Option<String>,
    banking: Option<BankingInput>,
}

/// Property-level authorization: 400 naming every field that is read-only or unknown,
/// 403 when a manager sends banking details.
fn check_writable(body: &Map<String, Value>, role: Role) -> Result<(), PartnerError> {
    let mut errors = Vec::new();
    for key in body.keys() {
        let k = key.as_str();
        if READ_ONLY.contains(&k) {
            errors.push(FieldError::new(format!("/{k}"), "is not writable"));
        } else if !EDITABLE.contains(&k) && !OWNER_ONLY.contains(&k) {
            errors.push(FieldError::new(format!("/{k}"), "is not a profile field"));
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    if role != Role::Owner && body.keys().any(|k| OWNER_ONLY.contains(&k.as_str())) {
        return Err(PartnerError::OwnerOnly);
    }
    Ok(())
}

fn required_text(
    e: &mut Vec<FieldError>,
    field: &str,
    v: Option<String>,
    max: usize,
    current: &str,
) -> String {
    match v.map(|s| s.trim().to_string()) {
        None => current.to_string(),
        Some(s) if s.is_empty() => {
            e.push(FieldError::new(field, "must not be empty"));
            current.to_string()
        }
        Some(s) if s.chars().count() > max => {
            e.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
            current.to_string()
        }
        Some(s) => s,
    }
}

fn optional_text(
    e: &mut Vec<FieldError>,
    field: &str,
    v: Option<String>,
    max: usize,
    current: &Option<String>,
) -> Option<String> {
    match v.map(|s| s.trim().to_string()) {
        None => current.clone(),
        Some(s) if s.is_empty() => None,
        Some(s) if s.chars().count() > max => {
            e.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
            current.clone()
        }
        Some(s) => Some(s),
    }
}

fn choices(
    e: &mut Vec<FieldError>,
    field: &str,
    v: Option<Vec<String>>,
    allowed: &[options::Option_],
    current: &[String],
) -> Vec<String> {
    match v {
        None => current.to_vec(),
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for item in list {
                if !options::is_one_of(allowed, &item) {
                    e.push(FieldError::new(
                        field,
                        format!("{item:?} is not an option (see /v1/partner/field-options)"),
                    ));
                } else if !out.contains(&item) {
                    out.push(item);
                }
            }
            out
        }
    }
}

/// `PATCH /v1/partner`: applies the editable fields the caller's role may set, conditional
/// on the version the caller read (`If-Match`); banking details are encrypted, and only
/// their masked form is kept readable.
pub async fn update(
    store: &Store,
    cipher: &FieldCipher,
    principal: &Principal,
    expected_version: u64,
    body: Value,
    default_country_code: &str,
    now: DateTime<Utc>,
) -> Result<Partner, PartnerError> {
    let partner_id = principal.partner_id()?.to_string();
    let Value::Object(map) = &body else {
        return Err(PartnerError::NotAnObject);
    };
    check_writable(map, principal.role)?;
    let update: ProfileUpdate = serde_json::from_value(body.clone()).map_err(|err| {
        Invalid::field(
            "",
            err.to_string()
                .split(" at line")
                .next()
                .unwrap_or("invalid")
                .to_string(),
        )
    })?;

    let current: Partner = store
        .get(&keys::partner(&partner_id))
        .await?
        .ok_or(PartnerError::NotFound("partner"))?;
    if current.version != expected_version {
        return Err(PartnerError::Stale);
    }
    let mut e = Vec::new();
    let mut next = current.clone();
    next.contact_person = required_text(
        &mut e,
        "/contact_person",
        update.contact_person,
        200,
        &current.contact_person,
    );
    if let Some(raw) = update.email {
        match Email::parse(&raw) {
            Ok(v) => next.email = v.to_string(),
            Err(m) => e.push(FieldError::new("/email", m)),
        }
    }
    if let Some(raw) = update.phone {
        match Phone::parse(&raw, default_country_code) {
            Ok(v) => next.phone = v.as_str().to_string(),
            Err(m) => e.push(FieldError::new("/phone", m)),
        }
    }
    let a = &current.address;
    next.address = Address {
        street_address: required_text(
            &mut e,
            "/street_address",
            update.street_address,
            200,
            &a.street_address,
        ),
        suburb: optional_text(&mut e, "/suburb", update.suburb, 100, &a.suburb),
        city: required_text(&mut e, "/city", update.city, 100, &a.city),
        province: required_text(&mut e, "/province", update.province, 100, &a.province),
        postal_code: required_text(
            &mut e,
            "/postal_code",
            update.postal_code,
            20,
            &a.postal_code,
        ),
        country: required_text(&mut e, "/country", update.country, 100, &a.country),
    };
    next.description = optional_text(
        &mut e,
        "/description",
        update.description,
        2000,
        &current.description,
    );
    next.website = optional_text(&mut e, "/website", update.website, 300, &current.website);
    if let Some(w) = &next.website
        && !(w.starts_with("https://") || w.starts_with("http://"))
    {
        e.push(FieldError::new("/website", "must be an http(s) URL"));
    }
    next.service_areas = choices(
        &mut e,
        "/service_areas",
        update.service_areas,
        SERVICE_AREAS,
        &current.service_areas,
    );
    next.regions = choices(
        &mut e,
        "/regions",
        update.regions,
        PROVINCES,
        &current.regions,
    );
    if let Some(b) = update.banking {
        let fields = [
            ("/banking/bank_name", &b.bank_name, 100),
            ("/banking/account_holder", &b.account_holder, 200),
            ("/banking/account_number", &b.account_number, 34),
            ("/banking/account_type", &b.account_type, 30),
            ("/banking/branch_code", &b.branch_code, 20),
        ];
        for (field, value, max) in fields {
            if value.trim().is_empty() || value.chars().count() > max {
                e.push(FieldError::new(
                    field,
                    format!("is required, at most {max} characters"),
                ));
            }
        }
        if !b.account_number.chars().all(|c| c.is_ascii_digit()) {
            e.push(FieldError::new(
                "/banking/account_number",
                "must be digits only",
            ));
        }
        if !options::is_one_of(options::BANK_ACCOUNT_TYPES, &b.account_type) {
            e.push(FieldError::new(
                "/banking/account_type",
                "is not an option (see /v1/partner/field-options)",
            ));
        }
        let plain = serde_json::to_string(&b)
            .map_err(|e| StoreError::Mapping(format!("banking details: {e}")))?;
        next.banking_encrypted = Some(cipher.encrypt(&plain, &partner_id));
        next.banking_masked = Some(BankingMasked {
            bank_name: mask(&b.bank_name),
            account_holder: mask(&b.account_holder),
            account_number: mask(&b.account_number),
            account_type: b.account_type.clone(),
            branch_code: mask(&b.branch_code),
        });
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    next.search_text = next.searchable();
    next.crm_sync = current.crm_sync.repending();
    next.updated_at = crate::validate::rfc3339(now);
    next.version = current.version + 1;
    let changed: Vec<&String> = map.keys().collect();
    let audit = AuditEntry::new(
        Some(&partner_id),
        &principal.user_id,
        "partner.profile_updated",
        format!("partner:{partner_id}"),
        &next.updated_at,
    )
    .change(Value::Null, serde_json::json!({ "fields": changed }));
    if current.version != expected_version {
        return Err(PartnerError::Stale);
    }
    let tx = store
        .tx()
        .patch(Patch::changes(&current, &next, expected_version))
        .insert(&audit)
        .insert(&crate::outbox::CrmOutbox::new(
            crate::outbox::OutboxEntity::Partner,
            &partner_id,
            &partner_id,
            crate::outbox::OutboxOperation::Upsert,
            &next.updated_at,
        ))
        .build();
    store.commit(tx).await?;
    Ok(next)
}

/// `POST /v1/partner/logo`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoRequest {
    pub content_type: String,
    pub size: u64,
}

use crate::uploads::{LOGO_CONTENT_TYPES, MAX_LOGO_BYTES, VerificationStatus};

/// A presigned upload for a new logo under `logos/<partner_id>/<id>`. The profile shows
/// the new logo once the upload verifier has checked the file (type, size, dimensions);
/// until then the previous one stays.
pub async fn request_logo(
    store: &Store,
    docs: &Documents,
    principal: &Principal,
    req: LogoRequest,
    budget: crate::limits::UploadBudget,
    now: DateTime<Utc>,
) -> Result<PresignedUpload, PartnerError> {
    let partner_id = principal.partner_id()?;
    let mut e = Vec::new();
    if !LOGO_CONTENT_TYPES.contains(&req.content_type.as_str()) {
        e.push(FieldError::new(
            "/content_type",
            format!("must be one of {}", LOGO_CONTENT_TYPES.join(", ")),
        ));
    }
    if req.size == 0 || req.size > MAX_LOGO_BYTES {
        e.push(FieldError::new(
            "/size",
            format!("must be between 1 and {MAX_LOGO_BYTES} bytes"),
        ));
    }
    if !e.is_empty() {
        return Err(Invalid(e).into());
    }
    let upload = super::LogoUpload {
        object_key: format!("{LOGO_PREFIX}{partner_id}/{}", ulid::Ulid::new()),
        content_type: req.content_type,
        size: req.size,
        status: VerificationStatus::Uploading,
        rejection_reason: None,
    };
    let tx = store.tx().patch(
        Patch::new(&keys::partner(partner_id))
            .set("logo_upload", &upload)
            .set("updated_at", crate::validate::rfc3339(now))
            .add("version", 1)
            .require_exists()
            .on_failure(crate::store::Failure::Missing { what: "partner" }),
    );
    store
        .commit(budget.spend(tx, partner_id, upload.size, now).build())
        .await?;
    Ok(docs
        .presign_upload(
            &upload.object_key,
            &upload.content_type,
            upload.size,
            Duration::from_secs(15 * 60),
        )
        .await?)
}

/// Where logos are stored: `logos/<partner_id>/<upload id>`.
pub const LOGO_PREFIX: &str = "logos/";

/// What the verifier did with a stored logo.
#[derive(Debug, PartialEq, Eq)]
pub enum LogoCheck {
    /// It is now the partner's logo.
    Accepted,
    /// Refused and deleted, with the reason shown to the partner.
    Rejected(String),
    /// Not the partner's latest upload (or already checked): deleted unless it is the
    /// verified logo itself.
    Ignored,
}

/// Checks a stored logo (S3 object-created event): declared size, image type by its
/// header, dimensions within bounds. An accepted logo replaces the previous one (which is
/// deleted); a refused one is deleted and the reason recorded. A verified logo replaced
/// through its still-valid URL (another ETag) is removed. Conditional on the partner's
/// version: after a concurrent change the partner is read again (a few times, then the
/// event fails and is retried).
pub async fn verify_logo(
    store: &Store,
    docs: &Documents,
    object_key: &str,
    event_etag: Option<&str>,
    now: DateTime<Utc>,
) -> Result<LogoCheck, PartnerError> {
    for _ in 0..3 {
        match check_logo(store, docs, object_key, event_etag, now).await {
            Err(PartnerError::Store(StoreError::Condition(_))) => continue,
            other => return other,
        }
    }
    Err(PartnerError::Busy)
}

async fn check_logo(
    store: &Store,
    docs: &Documents,
    object_key: &str,
    event_etag: Option<&str>,
    now: DateTime<Utc>,
) -> Result<LogoCheck, PartnerError> {
    let Some(partner_id) = object_key
        .strip_prefix(LOGO_PREFIX)
        .and_then(|rest| rest.split_once('/'))
        .map(|(partner, _)| partner)
        .filter(|p| ulid::Ulid::from_string(p).is_ok())
    else {
        docs.delete(object_key).await?;
        return Ok(LogoCheck::Ignored);
    };
    let Some(partner) = store.get::<Partner>(&keys::partner(partner_id)).await? else {
        docs.delete(object_key).await?;
        return Ok(LogoCheck::Ignored);
    };
    let at = crate::validate::rfc3339(now);
    let guarded = |patch: Patch| {
        patch
            .set("updated_at", &at)
            .add("version", 1)
            .require_eq("version", partner.version)
    };
    let pending = partner
        .logo_upload
        .as_ref()
        .filter(|u| u.object_key == object_key && u.status == VerificationStatus::Uploading);
    let Some(upload) = pending else {
        if partner.logo_key.as_deref() == Some(object_key) {
            let replaced = matches!((event_etag, partner.logo_etag.as_deref()),
                (Some(new), Some(verified)) if new.trim_matches('"') != verified);
            if !replaced {
                return Ok(LogoCheck::Ignored);
            }
            docs.delete(object_key).await?;
            store
                .apply(guarded(
                    Patch::new(&keys::partner(partner_id))
                        .remove("logo_key")
                        .remove("logo_etag"),
                ))
                .await?;
            return Ok(LogoCheck::Rejected(
                "The logo was replaced after it was verified; upload it again.".into(),
            ));
        }
        docs.delete(object_key).await?;
        return Ok(LogoCheck::Ignored);
    };
    let Some(info) = docs.info(object_key).await? else {
        return Ok(LogoCheck::Ignored);
    };
    let head = docs
        .head_bytes(object_key, crate::uploads::IMAGE_HEADER_BYTES)
        .await?;
    let refused = crate::uploads::logo_problem(&upload.content_type, upload.size, info.size, &head);
    let key = keys::partner(partner_id);
    match refused {
        Some(reason) => {
            docs.delete(object_key).await?;
            let rejected = super::LogoUpload {
                status: VerificationStatus::Rejected,
                rejection_reason: Some(reason.clone()),
                ..upload.clone()
            };
            store
                .apply(guarded(Patch::new(&key).set("logo_upload", &rejected)))
                .await?;
            Ok(LogoCheck::Rejected(reason))
        }
        None => {
            let mut patch = Patch::new(&key)
                .set("logo_key", object_key)
                .remove("logo_upload");
            patch = match &info.etag {
                Some(etag) => patch.set("logo_etag", etag.trim_matches('"')),
                None => patch.remove("logo_etag"),
            };
            store.apply(guarded(patch)).await?;
            if let Some(previous) = partner.logo_key.as_deref().filter(|k| *k != object_key) {
                docs.delete(previous).await?;
            }
            Ok(LogoCheck::Accepted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_and_unknown_fields_are_named() {
        let body = serde_json::json!({"status": "approved", "tier": "gold", "nickname": "x", "city": "Durban"});
        let err = check_writable(body.as_object().unwrap(), Role::Owner).unwrap_err();
        let fields: Vec<String> = crate::fault::Fault::fields(&err)
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, vec!["/nickname", "/status", "/tier"]);
    }

    #[test]
    fn only_the_owner_may_send_banking_details() {
        let body = serde_json::json!({"banking": {}});
        assert!(matches!(
            check_writable(body.as_object().unwrap(), Role::Manager),
            Err(PartnerError::OwnerOnly)
        ));
        assert!(check_writable(body.as_object().unwrap(), Role::Owner).is_ok());
    }
}
