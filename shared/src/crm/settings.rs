//! Where the portal's data lives in Zoho: module and field API names and the status
//! mappings. Defaults match the setup described in the README ("Connecting Zoho CRM");
//! `CRM_SETTINGS` (JSON) overrides any part of them.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::leads::LeadStatus;
use crate::partners::PartnerStatus;

/// Zoho module API names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Modules {
    pub leads: String,
    pub partners: String,
    pub commissions: String,
    pub activities: String,
}

impl Default for Modules {
    fn default() -> Self {
        Self {
            leads: "Leads".into(),
            partners: "Vendors".into(),
            commissions: "Commissions".into(),
            activities: "Tasks".into(),
        }
    }
}

/// Field API names the portal reads and writes beyond Zoho's standard ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fields {
    /// Custom unique field holding the portal's id on every synced record; upserts key on it.
    pub portal_id: String,
    /// Lookup (to the partners module) on Leads and on commission records.
    pub partner_lookup: String,
    pub lead_status: String,
    pub partner_status: String,
    pub status_reason: String,
    pub commission_status: String,
    /// Zoho's standard fields the portal maps, per module (an org that renamed one says so).
    pub lead: LeadFieldNames,
    pub partner: PartnerFieldNames,
    pub commission: CommissionFieldNames,
}

macro_rules! field_names {
    ($(#[$doc:meta])* $name:ident { $($field:ident = $api:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(pub $field: String,)*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $($field: $api.into(),)*
                }
            }
        }
    };
}

field_names!(
    /// Fields of the leads module.
    LeadFieldNames {
        first_name = "First_Name",
        last_name = "Last_Name",
        email = "Email",
        phone = "Phone",
        mobile = "Mobile",
        company = "Company",
        website = "Website",
        description = "Description",
        lead_source = "Lead_Source",
        amount = "Amount",
        currency = "Currency",
    }
);

field_names!(
    /// Fields of the partners module (Vendors, or Accounts in some orgs).
    PartnerFieldNames {
        name = "Vendor_Name",
        account_name = "Account_Name",
        email = "Email",
        phone = "Phone",
        contact_person = "Contact_Person",
        street = "Street",
        city = "City",
        state = "State",
        zip_code = "Zip_Code",
        country = "Country",
        website = "Website",
        tier = "Partner_Tier",
        commission_rate_bps = "Commission_Rate_Bps",
    }
);

field_names!(
    /// Fields of the commissions module.
    CommissionFieldNames {
        lead = "Lead",
        portal_lead_id = "Portal_Lead_Id",
        deal_ref = "Deal_Ref",
        description = "Description",
        name = "Name",
        amount = "Amount",
        currency = "Currency",
        rate_bps = "Rate_Bps",
        hold_reason = "Hold_Reason",
        earned_at = "Earned_At",
        paid_at = "Paid_At",
    }
);

impl Default for Fields {
    fn default() -> Self {
        Self {
            portal_id: "Portal_Id".into(),
            partner_lookup: "Partner".into(),
            lead_status: "Lead_Status".into(),
            partner_status: "Partner_Status".into(),
            status_reason: "Status_Reason".into(),
            commission_status: "Commission_Status".into(),
            lead: LeadFieldNames::default(),
            partner: PartnerFieldNames::default(),
            commission: CommissionFieldNames::default(),
        }
    }
}

/// Retries of one Zoho call on 429, 5xx and timeouts: capped exponential backoff with full
/// jitter (`sleep = random(0, min(cap, base * 2^attempt))`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retry {
    pub attempts: u32,
    pub base_ms: u64,
    pub cap_ms: u64,
    /// Per-request timeout.
    pub timeout_ms: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 5,
            base_ms: 200,
            cap_ms: 2_000,
            timeout_ms: 5_000,
        }
    }
}

/// Everything configurable about the CRM link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrmSettings {
    pub modules: Modules,
    pub fields: Fields,
    /// Zoho `Lead_Status` value → portal status. Values not listed leave the status alone.
    pub lead_status_in: HashMap<String, LeadStatus>,
    /// Portal status → the Zoho value written for it (must map back to the same status).
    pub lead_status_out: HashMap<LeadStatus, String>,
    /// Zoho partner status value → portal status.
    pub partner_status_in: HashMap<String, PartnerStatus>,
    /// Portal partner status → Zoho value.
    pub partner_status_out: HashMap<PartnerStatus, String>,
    pub retry: Retry,
    /// Re-pushes of one outbox item before it is given up on (then it stays `failed`,
    /// visible on the record, until an admin replays it).
    pub max_push_attempts: u32,
}

fn map<K: std::hash::Hash + Eq, V>(pairs: Vec<(K, V)>) -> HashMap<K, V> {
    pairs.into_iter().collect()
}

impl Default for CrmSettings {
    fn default() -> Self {
        use LeadStatus::*;
        let s = |v: &str| v.to_string();
        Self {
            modules: Modules::default(),
            fields: Fields::default(),
            lead_status_in: map(vec![
                (s("Not Contacted"), New),
                (s("Attempted to Contact"), Contacted),
                (s("Contact in Future"), Contacted),
                (s("Contacted"), Contacted),
                (s("Pre-Qualified"), Qualified),
                (s("Qualified"), Qualified),
                (s("Proposal Sent"), Proposal),
                (s("Closed Won"), Won),
                (s("Converted"), Converted),
                (s("Junk Lead"), Lost),
                (s("Lost Lead"), Lost),
                (s("Not Qualified"), Lost),
                (s("Closed Lost"), Lost),
            ]),
            lead_status_out: map(vec![
                (New, s("Not Contacted")),
                (Contacted, s("Contacted")),
                (Qualified, s("Qualified")),
                (Proposal, s("Proposal Sent")),
                (Won, s("Closed Won")),
                (Lost, s("Lost Lead")),
                (Converted, s("Converted")),
            ]),
            partner_status_in: map(vec![
                (s("Pending"), PartnerStatus::Pending),
                (s("Under Review"), PartnerStatus::UnderReview),
                (s("Approved"), PartnerStatus::Approved),
                (s("Rejected"), PartnerStatus::Rejected),
                (s("Suspended"), PartnerStatus::Suspended),
            ]),
            partner_status_out: map(vec![
                (PartnerStatus::Pending, s("Pending")),
                (PartnerStatus::UnderReview, s("Under Review")),
                (PartnerStatus::Approved, s("Approved")),
                (PartnerStatus::Rejected, s("Rejected")),
                (PartnerStatus::Suspended, s("Suspended")),
            ]),
            retry: Retry::default(),
            max_push_attempts: 8,
        }
    }
}

impl CrmSettings {
    /// Defaults overridden by `json` (`CRM_SETTINGS`; empty means defaults). A mapping given
    /// replaces the default mapping as a whole.
    pub fn from_json(json: Option<&str>) -> Result<Self, String> {
        let settings: CrmSettings = match json.map(str::trim).filter(|s| !s.is_empty()) {
            None => CrmSettings::default(),
            Some(raw) => serde_json::from_str(raw).map_err(|e| format!("CRM_SETTINGS: {e}"))?,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Every portal status has a Zoho value that maps back to it, so a push followed by
    /// the webhook it causes never changes the status.
    pub fn check(&self) -> Result<(), String> {
        for status in LeadStatus::ALL {
            let out = self.lead_status_out.get(&status).ok_or_else(|| {
                format!(
                    "CRM_SETTINGS: lead_status_out has no value for {}",
                    status.as_str()
                )
            })?;
            if self.lead_status_in.get(out) != Some(&status) {
                return Err(format!(
                    "CRM_SETTINGS: lead_status_in must map {out:?} back to {}",
                    status.as_str()
                ));
            }
        }
        for (status, out) in &self.partner_status_out {
            if self.partner_status_in.get(out) != Some(status) {
                return Err(format!(
                    "CRM_SETTINGS: partner_status_in must map {out:?} back to {}",
                    status.as_str()
                ));
            }
        }
        Ok(())
    }

    /// The fields the portal reads from a module (Zoho's list endpoint requires them).
    pub fn read_fields(&self, module: &str) -> Vec<String> {
        let f = &self.fields;
        let mut out: Vec<String> = ["id", "Modified_Time", f.portal_id.as_str()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let extra: &[&str] = if module == self.modules.leads {
            &[
                "First_Name",
                "Last_Name",
                "Email",
                "Phone",
                "Mobile",
                "Company",
                "Website",
                "Description",
            ]
        } else if module == self.modules.partners {
            &[
                "Vendor_Name",
                "Email",
                "Phone",
                "Website",
                "Street",
                "City",
                "State",
                "Zip_Code",
                "Country",
                "Contact_Person",
            ]
        } else {
            &[
                "Name",
                "Lead",
                "Portal_Lead_Id",
                "Deal_Ref",
                "Description",
                "Amount",
                "Currency",
                "Rate_Bps",
                "Hold_Reason",
                "Earned_At",
                "Paid_At",
            ]
        };
        out.extend(extra.iter().map(|s| s.to_string()));
        if module == self.modules.leads {
            out.push(f.lead_status.clone());
            out.push(f.partner_lookup.clone());
            out.push(f.lead.amount.clone());
            out.push(f.lead.currency.clone());
        } else if module == self.modules.partners {
            out.push(f.partner_status.clone());
            out.push(f.status_reason.clone());
        } else {
            out.push(f.commission_status.clone());
            out.push(f.partner_lookup.clone());
        }
        out
    }

    pub fn lead_status(&self, zoho_value: &str) -> Option<LeadStatus> {
        self.lead_status_in.get(zoho_value).copied()
    }

    /// A ledger status as the Commissions module's picklist writes it (read back by
    /// [`crate::commissions::LineStatus::from_crm`]).
    pub fn zoho_commission_status(status: crate::commissions::LineStatus) -> &'static str {
        use crate::commissions::LineStatus::*;
        match status {
            Pending => "Pending",
            Approved => "Approved",
            Held => "On Hold",
            Paid => "Paid",
            Cancelled => "Cancelled",
        }
    }

    pub fn zoho_lead_status(&self, status: LeadStatus) -> &str {
        self.lead_status_out
            .get(&status)
            .map(String::as_str)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_every_status() {
        let s = CrmSettings::from_json(None).unwrap();
        for status in LeadStatus::ALL {
            assert_eq!(s.lead_status(s.zoho_lead_status(status)), Some(status));
        }
        assert_eq!(s.lead_status("Junk Lead"), Some(LeadStatus::Lost));
    }

    #[test]
    fn overrides_replace_parts_and_bad_mappings_are_refused() {
        let s = CrmSettings::from_json(Some(r#"{"modules":{"partners":"Accounts"}}"#)).unwrap();
        assert_eq!(s.modules.partners, "Accounts");
        assert_eq!(s.modules.leads, "Leads");
        let broken = CrmSettings::from_json(Some(r#"{"lead_status_in":{"Not Contacted":"new"}}"#))
            .unwrap_err();
        assert!(broken.contains("lead_status_in"), "{broken}");
        assert!(CrmSettings::from_json(Some(r#"{"modulez":{}}"#)).is_err());
    }
}
