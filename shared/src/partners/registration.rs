//! A new partner account, however it arrives: a self-service application (`pending`) or a
//! record operations approved in Zoho (provisioned `approved`). One builder makes the
//! partner item and its slug guard, so both paths build the same record.

use serde::{Deserialize, Serialize};

use super::{Address, BusinessType, KycStatus, Partner, PartnerStatus, slug_for};
use crate::outbox::CrmSync;
use crate::store::{Entity, Key, keys};

/// The tier every new partner starts in.
pub const STARTING_TIER: super::Tier = super::Tier::Registered;

/// Reserves a public slug for one partner.
#[derive(Debug, Serialize, Deserialize)]
pub struct SlugGuard {
    pub slug: String,
    pub partner_id: String,
}

impl Entity for SlugGuard {
    const KIND: &'static str = "slug";

    fn key(&self) -> Key {
        keys::slug(&self.slug)
    }
}

/// What a new partner is made of; everything else starts empty.
#[derive(Debug, Clone)]
pub struct PartnerDraft {
    pub business_name: String,
    pub business_type: BusinessType,
    pub contact_person: String,
    /// Normalised (see [`crate::contact::Email`]).
    pub email: String,
    /// E.164, or empty when unknown.
    pub phone: String,
    pub address: Address,
    pub website: Option<String>,
    pub status: PartnerStatus,
    pub crm_sync: CrmSync,
}

impl PartnerDraft {
    /// The partner (KYC `incomplete`, a fresh id and a unique public slug) and the guard
    /// that reserves its slug; both go into the caller's transaction.
    pub fn build(self, at: &str) -> (Partner, SlugGuard) {
        let id = ulid::Ulid::new().to_string();
        let slug = slug_for(&self.business_name, &slug_suffix());
        let partner = Partner {
            id: id.clone(),
            business_name: self.business_name,
            business_type: self.business_type,
            tax_numbers: Default::default(),
            contact_person: self.contact_person,
            email: self.email,
            phone: self.phone,
            address: self.address,
            status: self.status,
            kyc_status: KycStatus::Incomplete,
            tier: STARTING_TIER,
            slug: slug.clone(),
            description: None,
            service_areas: Vec::new(),
            regions: Vec::new(),
            website: self.website,
            logo_key: None,
            logo_etag: None,
            logo_upload: None,
            banking_encrypted: None,
            banking_masked: None,
            commission_rate_bps: None,
            owner_admin_id: None,
            tags: Vec::new(),
            status_reason: None,
            crm_sync: self.crm_sync,
            search_text: String::new(),
            sessions_valid_after: 0,
            created_at: at.to_string(),
            updated_at: at.to_string(),
            version: 1,
        };
        let partner = Partner {
            search_text: partner.searchable(),
            ..partner
        };
        let guard = SlugGuard {
            slug,
            partner_id: id,
        };
        (partner, guard)
    }
}

/// Six random lower-case letters and digits: enough that two businesses with one name
/// practically never collide (and the slug guard refuses it when they do).
fn slug_suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str) -> PartnerDraft {
        PartnerDraft {
            business_name: name.into(),
            business_type: BusinessType::Company,
            contact_person: "A Person".into(),
            email: "a@example.com".into(),
            phone: String::new(),
            address: Address {
                street_address: "1 Main Rd".into(),
                suburb: None,
                city: "Cape Town".into(),
                province: "Western Cape".into(),
                postal_code: "8001".into(),
                country: "South Africa".into(),
            },
            website: None,
            status: PartnerStatus::Pending,
            crm_sync: CrmSync::pending(),
        }
    }

    #[test]
    fn a_draft_becomes_a_searchable_partner_with_its_own_slug_guard() {
        let (partner, guard) = draft("Acme Solar").build("2026-01-01T00:00:00Z");
        assert_eq!(guard.partner_id, partner.id);
        assert_eq!(guard.slug, partner.slug);
        assert!(partner.slug.starts_with("acme-solar-"));
        assert_eq!(partner.kyc_status, KycStatus::Incomplete);
        assert_eq!(partner.tier, STARTING_TIER);
        assert!(partner.search_text.contains("acme solar"));
        let (other, _) = draft("Acme Solar").build("2026-01-01T00:00:00Z");
        assert_ne!(other.slug, partner.slug);
    }
}
