//! Partner accounts: the application a business submits, its lifecycle and its profile.

pub mod decisions;
mod error;
pub mod options;
pub mod profile;
pub mod registration;
pub mod terms;

pub use error::PartnerError;

use serde::{Deserialize, Serialize};

use crate::store::{Entity, Index, Key, keys};

/// Where a partner stands with us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerStatus {
    Pending,
    UnderReview,
    Approved,
    Rejected,
    Suspended,
}

impl PartnerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerStatus::Pending => "pending",
            PartnerStatus::UnderReview => "under_review",
            PartnerStatus::Approved => "approved",
            PartnerStatus::Rejected => "rejected",
            PartnerStatus::Suspended => "suspended",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KycStatus {
    Incomplete,
    Submitted,
    Verified,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessType {
    SoleProprietor,
    Company,
    Partnership,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suburb: Option<String>,
    pub city: String,
    pub province: String,
    pub postal_code: String,
    pub country: String,
}

/// A partner's programme level, ordered: resources and default commission rates hang off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Where every partner starts (`standard` in items written before tiers existed).
    #[serde(alias = "standard")]
    Registered,
    Silver,
    Gold,
    Platinum,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Registered, Tier::Silver, Tier::Gold, Tier::Platinum];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Registered => "registered",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
            Tier::Platinum => "platinum",
        }
    }

    /// 0 for `registered` up to 3 for `platinum`.
    pub fn rank(self) -> usize {
        self as usize
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A partner (reseller or referrer) account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub business_name: String,
    pub business_type: BusinessType,
    /// Company registration and VAT numbers, encrypted per field with the key id.
    #[serde(default)]
    pub tax_numbers: TaxNumbers,
    pub contact_person: String,
    pub email: String,
    pub phone: String,
    pub address: Address,
    pub status: PartnerStatus,
    pub kyc_status: KycStatus,
    pub tier: Tier,
    /// The public lead-capture form's address: `/v1/public/partners/{slug}/leads`.
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub service_areas: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// The verified logo's object (set by the upload verifier only) and its ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_etag: Option<String>,
    /// The latest logo upload while it is checked, or why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_upload: Option<LogoUpload>,
    /// Banking details, AES-256-GCM encrypted (see [`crate::crypto`]); never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banking_encrypted: Option<String>,
    /// The masked form shown to clients, computed when the details are set, so reading a
    /// profile never needs the encryption key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banking_masked: Option<BankingMasked>,
    /// The partner's own commission rate (basis points), set by operations only; when
    /// absent, its tier's default applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_rate_bps: Option<u32>,
    /// The operations account manager (an internal user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_admin_id: Option<String>,
    /// Internal tags (never shown to the partner).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Why the partner was last rejected or suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Where the partner stands in Zoho (a Vendors record keyed on the portal id).
    #[serde(default)]
    pub crm_sync: crate::outbox::CrmSync,
    /// Lower-case name, email and contact, for the admin directory's `q` filter.
    #[serde(default)]
    pub search_text: String,
    /// Sessions started before this instant (epoch milliseconds) are void: set when the
    /// partner is suspended or rejected, so every user of it is signed out at once.
    #[serde(default)]
    pub sessions_valid_after: i64,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

/// A logo upload the partner asked for: what was declared, and where its check stands
/// (`uploading` until the verifier has seen the file, `rejected` with the reason after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoUpload {
    pub object_key: String,
    pub content_type: String,
    pub size: u64,
    pub status: crate::uploads::VerificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
}

/// A partner's registration and VAT numbers as stored: each sealed with the field cipher
/// (bound to the partner id) next to its masked form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxNumbers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<crate::crypto::Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<crate::crypto::Sealed>,
}

impl TaxNumbers {
    /// Seals the numbers a partner registered with.
    pub fn seal(
        cipher: &crate::crypto::FieldCipher,
        partner_id: &str,
        registration_number: Option<&str>,
        vat_number: Option<&str>,
    ) -> Self {
        let seal = |v: &str| crate::crypto::Sealed::seal(cipher, v, partner_id);
        Self {
            registration_number: registration_number.map(seal),
            vat_number: vat_number.map(seal),
        }
    }

    /// The numbers in clear, for operations (`None` where absent).
    pub fn open(
        &self,
        cipher: &crate::crypto::FieldCipher,
        partner_id: &str,
    ) -> Result<ClearTaxNumbers, crate::crypto::DecryptError> {
        let open = |s: &Option<crate::crypto::Sealed>| {
            s.as_ref().map(|s| s.open(cipher, partner_id)).transpose()
        };
        Ok(ClearTaxNumbers {
            registration_number: open(&self.registration_number)?,
            vat_number: open(&self.vat_number)?,
        })
    }
}

/// Registration and VAT numbers in clear: only in the operations record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClearTaxNumbers {
    pub registration_number: Option<String>,
    pub vat_number: Option<String>,
}

/// Banking details as clients see them: every value reduced to its last four characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankingMasked {
    pub bank_name: String,
    pub account_holder: String,
    pub account_number: String,
    pub account_type: String,
    pub branch_code: String,
}

impl Partner {
    /// The text the directory's `q` filter searches.
    pub fn searchable(&self) -> String {
        format!(
            "{} {} {}",
            self.business_name, self.email, self.contact_person
        )
        .to_lowercase()
    }
}

impl Entity for Partner {
    const KIND: &'static str = "partner";

    fn key(&self) -> Key {
        keys::partner(&self.id)
    }

    /// The admin directory lists every partner (`Lookup`) and partners by status
    /// (`ByState`), newest first.
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let newest_first = format!("{}#{}", self.created_at, self.id);
        vec![
            (
                Index::Lookup,
                Key::new(keys::DIRECTORY_ALL, newest_first.clone()),
            ),
            (
                Index::ByState,
                Key::new(
                    format!("{}{}", keys::DIRECTORY_PREFIX, self.status.as_str()),
                    newest_first,
                ),
            ),
        ]
    }
}

/// The public slug for a business name: lower-case words joined by dashes, plus a random
/// suffix so two businesses with one name never collide (the slug guard enforces it).
pub fn slug_for(business_name: &str, suffix: &str) -> String {
    let mut slug = String::new();
    for c in business_name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(40).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("partner-{suffix}")
    } else {
        format!("{slug}-{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe_and_suffixed() {
        assert_eq!(
            slug_for("Acme Solar (Pty) Ltd.", "x7k2"),
            "acme-solar-pty-ltd-x7k2"
        );
        assert_eq!(slug_for("  ***  ", "x7k2"), "partner-x7k2");
        assert_eq!(slug_for("Ünïcode Trading", "a1"), "n-code-trading-a1");
    }
}
