//! The fake Zoho CRM as a standalone server for local development.
//!
//! Environment:
//! - `FAKE_ZOHO_ADDR`: where to listen (default `127.0.0.1:9400`);
//! - `FAKE_ZOHO_SEED`: a JSON file `{"Vendors": [{fields…}], "Leads": […]}` of records to
//!   create at start (Vendors first, so other records can refer to them);
//! - `FAKE_ZOHO_WEBHOOK_URL` and `FAKE_ZOHO_WEBHOOK_SECRET`: where changes made through
//!   `POST /__fake/records/{module}[/{id}]` are announced, as Zoho's webhook would.
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
