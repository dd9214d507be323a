//! The fake Zoho CRM as a standalone server for local development.
//!
//! Environment:
//! - `FAKE_ZOHO_ADDR`: where to listen (default `127.0.0.1:9400`);
//! - `FAKE_ZOHO_SEED`: a JSON file `{"Vendors": [{fields…}], "Leads": […]}` of records to
//!   create at start (Vendors first, so other records can refer to them);
//! - `FAKE_ZOHO_WEBHOOK_URL` and `FAKE_ZOHO_WEBHOOK_SECRET`: where changes made through
//!   `POST /__fake/records/{module}[/{id}]` are announced, as Zoho's webhook would.
//!
//! - `FAKE_STRAPI_ADDR` (optional): also serve a fake Strapi v5 content API there, with
//!   the API token `FAKE_STRAPI_TOKEN` (default `fake-strapi-token`) and two demo entries
//!   in its `resources` collection (a PDF in the media library and an external link).
//!
//! The OAuth client is `fake-client` / `fake-secret` with refresh token `fake-refresh`;
//! the listening URL is both the accounts URL and the API domain.

use fake_zoho::FakeZoho;
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("FAKE_ZOHO_ADDR").unwrap_or_else(|_| "127.0.0.1:9400".into());
    let fake = FakeZoho::listen(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    if let Ok(path) = std::env::var("FAKE_ZOHO_SEED") {
        seed(&fake, &path)?;
    }
    if let Ok(url) = std::env::var("FAKE_ZOHO_WEBHOOK_URL") {
        let secret = std::env::var("FAKE_ZOHO_WEBHOOK_SECRET").unwrap_or_default();
        fake.set_webhook(&url, &secret);
    }
    println!("fake Zoho CRM listening on {}", fake.base_url);
    // Kept alive with the process.
    let _strapi = match std::env::var("FAKE_STRAPI_ADDR") {
        Ok(addr) => {
            let token =
                std::env::var("FAKE_STRAPI_TOKEN").unwrap_or_else(|_| "fake-strapi-token".into());
            let strapi = fake_zoho::FakeStrapi::listen(&addr, &token)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            seed_strapi(&strapi);
            println!("fake Strapi listening on {}", strapi.base_url);
            Some(strapi)
        }
        Err(_) => None,
    };
    // The server runs on its own threads until the process is stopped.
    loop {
        std::thread::park();
    }
}

fn seed(fake: &FakeZoho, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("FAKE_ZOHO_SEED {path}: {e}"))?;
    let seed: Value =
        serde_json::from_str(&text).map_err(|e| format!("FAKE_ZOHO_SEED {path}: {e}"))?;
    let Value::Object(modules) = seed else {
        return Err(format!("FAKE_ZOHO_SEED {path}: expected an object of modules").into());
    };
    let mut modules: Vec<(String, Value)> = modules.into_iter().collect();
    modules.sort_by_key(|(module, _)| module != "Vendors");
    for (module, records) in modules {
        let Value::Array(records) = records else {
            return Err(
                format!("FAKE_ZOHO_SEED {path}: {module} must be an array of records").into(),
            );
        };
        for record in records {
            if !record.is_object() {
                return Err(
                    format!("FAKE_ZOHO_SEED {path}: {module} records must be objects").into(),
                );
            }
            fake.insert(&module, record);
        }
    }
    Ok(())
}

/// Two published entries of the `resources` collection: a PDF price list from the media
/// library and a link to a partner training course.
fn seed_strapi(strapi: &fake_zoho::FakeStrapi) {
    let pdf =
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let file = strapi.upload("price-list-2027.pdf", "application/pdf", pdf.to_vec());
    strapi.publish(
        "resources",
        None,
        serde_json::json!({
            "title": "Price list 2027 (from the CMS)",
            "description": "Installer prices for the 2027 range.",
            "type": "price_list",
            "category": "pricing",
            "tags": ["2027", "installers"],
            "min_tier": "silver",
            "file": file,
        }),
    );
    strapi.publish(
        "resources",
        None,
        serde_json::json!({
            "title": "Selling storage: the partner course (from the CMS)",
            "description": "Forty minutes on batteries, backup and the questions customers ask.",
            "type": "training_video",
            "category": "training",
            "tags": ["storage"],
            "url": "https://learn.example.com/courses/selling-storage",
        }),
    );
}
