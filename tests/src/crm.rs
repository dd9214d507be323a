//! A CRM test world: a private table (same schema as the stack's, copied from it), a fake
//! Zoho, its credentials in Secrets Manager, and the CRM workers' context. Each test gets
//! its own, so the shared token, watermarks and outbox of one test never meet another's.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, Projection,
    ProjectionType,
};
use chrono::Utc;
use serde_json::{Value, json};
use shared::auth::{Principal, Role};
use shared::crm::settings::Retry;
use shared::crm::webhook::{EventKind, QueuedEvent};
use shared::crm::{Crm, CrmSettings, Zoho};
use shared::leads::{Lead, LeadSettings, LeadSource, NewLead};
use shared::outbox::CrmOutbox;
use shared::partners::Partner;
use shared::secrets::Secrets;
use shared::store::{Index, Patch, Query, Store, keys};

use crate::Stack;
use crate::zoho::FakeZoho;

pub struct CrmWorld {
    pub stack: Stack,
    pub store: Store,
    pub zoho: FakeZoho,
    pub secret_id: String,
    pub crm: Crm,
    pub table: String,
}

pub fn lead_settings() -> LeadSettings {
    LeadSettings {
        protection_days: 90,
        default_country_code: "27".into(),
        portal_daily_limit: None,
        portal_url: "https://portal.example.test".into(),
    }
}

/// Fast retries: the behaviour under test, not the waiting.
pub fn fast_retry() -> Retry {
    Retry {
        attempts: 5,
        base_ms: 2,
        cap_ms: 20,
        timeout_ms: 5_000,
    }
}

impl CrmWorld {
    pub async fn new() -> Self {
        let stack = Stack::connect().await;
        let table = crate::unique("crm-test-");
        copy_table_schema(&stack, &table).await;
        let store = Store::new(stack.dynamodb(), &table);
        let zoho = FakeZoho::start().await;
        let secret_id = stack
            .secrets_manager()
            .create_secret()
            .name(crate::unique("zoho-credentials-"))
            .secret_string(zoho.credentials().to_string())
            .send()
            .await
            .unwrap()
            .arn
            .unwrap();
        let crm = Self::instance_for(&stack, &store, &secret_id);
        Self {
            stack,
            store,
            zoho,
            secret_id,
            crm,
            table,
        }
    }

    fn instance_for(stack: &Stack, store: &Store, secret_id: &str) -> Crm {
        Crm {
            store: store.clone(),
            zoho: Zoho::new(
                store.clone(),
                Secrets::new(stack.secrets_manager()),
                secret_id,
                fast_retry(),
            ),
            settings: CrmSettings::default(),
            portal_url: "https://portal.example.test".into(),
            leads: lead_settings(),
            commissions: Default::default(),
        }
    }

    /// Another execution environment: its own Zoho client and token cache, same table.
    pub fn instance(&self) -> Crm {
        Self::instance_for(&self.stack, &self.store, &self.secret_id)
    }

    /// Changes a record in the fake Zoho and delivers the webhook it sends; returns what the
    /// inbound worker made of it.
    pub async fn zoho_edit(&self, module: &str, id: &str, fields: Value) -> &'static str {
        let record = self.zoho.update(module, id, fields);
        shared::crm::inbound::handle(&self.crm, &self.webhook_event(module, &record), Utc::now())
            .await
            .unwrap()
    }

    /// A registered, approved partner in this world's table; returns it with its owner.
    pub async fn approved_partner(&self) -> (Partner, Principal) {
        let (partner, owner) = self.registered_partner().await;
        self.store
            .apply(Patch::new(&keys::partner(&partner.id)).set("status", "approved"))
            .await
            .unwrap();
        let partner: Partner = self
            .store
            .get(&keys::partner(&partner.id))
            .await
            .unwrap()
            .unwrap();
        (partner, owner)
    }

    /// A partner that applied through the portal (`pending`), with its owner.
    pub async fn registered_partner(&self) -> (Partner, Principal) {
        let identity = shared::identity::service::Identity {
            store: self.store.clone(),
            auth: None,
            portal_url: "https://portal.example.test".into(),
            default_country_code: "27".into(),
            limits: Default::default(),
        };
        let email = format!("{}@acme-crm.example", crate::unique("owner").to_lowercase());
        let req = serde_json::from_value(crate::portal::Portal::registration(&email)).unwrap();
        let cipher =
            shared::crypto::FieldCipher::new(b"a field key for partners the CRM tests register")
                .unwrap();
        let registered = shared::identity::service::register(
            &identity,
            &cipher,
            req,
            &crate::portal::unique_source_ip(),
            Utc::now(),
        )
        .await
        .unwrap();
        let partner: Partner = self
            .store
            .get(&keys::partner(&registered.partner_id))
            .await
            .unwrap()
            .unwrap();
        let owner = Principal {
            user_id: registered.user_id,
            partner_id: Some(partner.id.clone()),
            role: Role::Owner,
            session_id: "test".into(),
        };
        (partner, owner)
    }

    /// A lead registered in the portal by `owner`.
    pub async fn lead(&self, owner: &Principal, first_name: &str) -> Lead {
        let email = format!("{}@gmail.com", crate::unique("lead").to_lowercase());
        let req: NewLead = serde_json::from_value(
            json!({"first_name": first_name, "last_name": "Mokoena", "email": email}),
        )
        .unwrap();
        shared::leads::create(
            &self.store,
            owner.partner_id.as_deref().unwrap(),
            &owner.user_id,
            req,
            LeadSource::Portal,
            &lead_settings(),
            Utc::now(),
        )
        .await
        .unwrap()
    }

    /// A partner's `PATCH` of a lead (at its current version).
    pub async fn update_lead(
        &self,
        owner: &Principal,
        id: &str,
        body: Value,
    ) -> Result<Lead, shared::leads::LeadError> {
        let current = self.get_lead(id).await;
        let update = serde_json::from_value(body).unwrap();
        shared::leads::update(
            &self.store,
            owner,
            id,
            current.version,
            update,
            &lead_settings(),
            Utc::now(),
        )
        .await
    }

    pub async fn get_lead(&self, id: &str) -> Lead {
        shared::crm::inbound::find_lead(&self.crm, id)
            .await
            .unwrap()
            .expect("lead exists")
    }

    /// Outbox items (any state).
    pub async fn outbox(&self) -> Vec<CrmOutbox> {
        self.store
            .query_up_to(&Query::partition(Some(Index::Due), keys::PENDING_CRM, 200))
            .await
            .unwrap()
    }

    /// What the table stream does: hands every queued outbox item to the outbound worker.
    /// Returns the outcomes.
    pub async fn drain(&self) -> Vec<&'static str> {
        let mut outcomes = Vec::new();
        for item in self.outbox().await {
            if item.state == shared::outbox::OutboxState::Queued {
                outcomes.push(
                    shared::crm::outbound::process(&self.crm, &item.id, Utc::now())
                        .await
                        .unwrap(),
                );
            }
        }
        outcomes
    }

    /// The Zoho records of `module` carrying this portal id.
    pub fn zoho_records_for(&self, module: &str, portal_id: &str) -> Vec<Value> {
        self.zoho
            .records(module)
            .into_iter()
            .filter(|r| r["Portal_Id"].as_str() == Some(portal_id))
            .collect()
    }

    /// The queued event a Zoho webhook for this record produces (what `crm-webhook` queues).
    pub fn webhook_event(&self, module: &str, record: &Value) -> QueuedEvent {
        let (kind, event) = match module {
            "Leads" => (EventKind::Lead, "lead.updated"),
            "Vendors" => (EventKind::Partner, "partner.updated"),
            _ => (EventKind::Commission, "commission.updated"),
        };
        QueuedEvent {
            kind,
            module: module.to_string(),
            record_id: record["id"].as_str().unwrap().to_string(),
            payload: crate::zoho::webhook_body(event, module, record),
            received_at: shared::validate::rfc3339(Utc::now()),
        }
    }

    /// Every item of this world's table (test inspection only).
    pub async fn all_items(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .stack
                .dynamodb()
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in page.items.unwrap_or_default() {
                out.push(serde_dynamo::from_item(item).unwrap());
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        out
    }

    /// A partner's counters item.
    pub async fn counters(&self, partner_id: &str) -> Value {
        self.store
            .get::<Value>(&keys::partner_counters(partner_id))
            .await
            .unwrap()
            .unwrap_or(Value::Null)
    }
}

/// Creates `table` with the stack table's keys and indexes (read from the emulator, so it
/// always matches what template.yaml provisioned).
pub async fn copy_table_schema(stack: &Stack, table: &str) {
    let ddb = stack.dynamodb();
    let source = ddb
        .describe_table()
        .table_name(&stack.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let attributes: Vec<AttributeDefinition> = source.attribute_definitions().to_vec();
    let key_schema: Vec<KeySchemaElement> = source.key_schema().to_vec();
    let indexes: Vec<GlobalSecondaryIndex> = source
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            GlobalSecondaryIndex::builder()
                .index_name(g.index_name().unwrap())
                .set_key_schema(Some(g.key_schema().to_vec()))
                .projection(g.projection().cloned().unwrap_or_else(|| {
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build()
                }))
                .build()
                .unwrap()
        })
        .collect();
    assert_eq!(indexes.len(), Index::ALL.len());
    ddb.create_table()
        .table_name(table)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema))
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

/// An operations user, as the admin functions see one.
pub fn staff() -> Principal {
    Principal {
        user_id: "ops".into(),
        partner_id: None,
        role: Role::Admin,
        session_id: "test".into(),
    }
}
