//! The option lists a profile or KYC form needs, served by `GET /v1/partner/field-options`
//! so the web app never hard-codes them. Values are what the API accepts.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Option_ {
    pub value: &'static str,
    pub label: &'static str,
}

const fn o(value: &'static str, label: &'static str) -> Option_ {
    Option_ { value, label }
}

#[derive(Debug, Serialize)]
pub struct FieldOptions {
    pub business_types: &'static [Option_],
    pub document_types: &'static [Option_],
    pub document_content_types: &'static [&'static str],
    pub max_document_bytes: u64,
    pub provinces: &'static [Option_],
    pub service_areas: &'static [Option_],
    pub lead_statuses: &'static [Option_],
    pub bank_account_types: &'static [Option_],
}

pub const BUSINESS_TYPES: &[Option_] = &[
    o("sole_proprietor", "Sole proprietor"),
    o("company", "Company"),
    o("partnership", "Partnership"),
];

pub const DOCUMENT_TYPES: &[Option_] = &[
    o("id_document", "ID document"),
    o("proof_of_address", "Proof of address"),
    o("business_registration", "Business registration"),
    o("tax_certificate", "Tax certificate"),
    o("bank_statement", "Bank statement"),
    o("other", "Other"),
];

/// South Africa's provinces: the portal's regions.
pub const PROVINCES: &[Option_] = &[
    o("eastern_cape", "Eastern Cape"),
    o("free_state", "Free State"),
    o("gauteng", "Gauteng"),
    o("kwazulu_natal", "KwaZulu-Natal"),
    o("limpopo", "Limpopo"),
    o("mpumalanga", "Mpumalanga"),
    o("north_west", "North West"),
    o("northern_cape", "Northern Cape"),
    o("western_cape", "Western Cape"),
];

pub const SERVICE_AREAS: &[Option_] = &[
    o("residential_solar", "Residential solar"),
    o("commercial_solar", "Commercial solar"),
    o("battery_storage", "Battery storage"),
    o("ev_charging", "EV charging"),
    o("maintenance", "Maintenance"),
    o("consulting", "Consulting"),
];

pub const LEAD_STATUSES: &[Option_] = &[
    o("new", "New"),
    o("contacted", "Contacted"),
    o("qualified", "Qualified"),
    o("proposal", "Proposal"),
    o("won", "Won"),
    o("lost", "Lost"),
    o("converted", "Converted"),
];

pub const BANK_ACCOUNT_TYPES: &[Option_] = &[
    o("cheque", "Cheque / current"),
    o("savings", "Savings"),
    o("transmission", "Transmission"),
];

pub fn field_options() -> FieldOptions {
    FieldOptions {
        business_types: BUSINESS_TYPES,
        document_types: DOCUMENT_TYPES,
        document_content_types: crate::uploads::CONTENT_TYPES,
        max_document_bytes: crate::uploads::MAX_DOCUMENT_BYTES,
        provinces: PROVINCES,
        service_areas: SERVICE_AREAS,
        lead_statuses: LEAD_STATUSES,
        bank_account_types: BANK_ACCOUNT_TYPES,
    }
}

/// Whether `value` is one of `options`.
pub fn is_one_of(options: &[Option_], value: &str) -> bool {
    options.iter().any(|o| o.value == value)
}
