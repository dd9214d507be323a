//! Zoho CRM synchronisation against a fake Zoho speaking REST v8: the inbound worker
//! (idempotent, order-safe, poison isolated), the outbound worker under faults, the shared
//! token, auto-provisioning, and a seeded convergence run with a reconcile at the end.

use aws_lambda_events::sqs::SqsEvent;
use chrono::{Duration, Utc};
use portal_tests::crm::*;
use portal_tests::zoho::Fault;
use portal_tests::*;
use serde_json::{Value, json};
use shared::crm::inbound;
use shared::crm::reconcile;
use shared::leads::{LeadStatus, NewActivity};
use shared::store::{Patch, Query, keys};

fn sqs_event(messages: &[(String, String, String)]) -> SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, group, body)| {
            json!({
                "messageId": id, "receiptHandle": "r", "body": body,
                "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:crm-webhook.fifo",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn lambda_event<T>(payload: T) -> lambda_runtime::LambdaEvent<T> {
    lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default())
}

async fn history(world: &CrmWorld, lead: &shared::leads::Lead) -> Vec<Value> {
    world
        .store
        .query_up_to(
            &Query::partition(None, keys::partner_partition(&lead.partner_id), 100)
                .prefix(keys::lead_history_prefix(&lead.id)),
        )
        .await
        .unwrap()
}

/// A lead created in the portal and pushed to the fake Zoho; returns it and its Zoho id.
async fn synced_lead(
    world: &CrmWorld,
    owner: &shared::auth::Principal,
) -> (shared::leads::Lead, String) {
    let lead = world.lead(owner, "Lerato").await;
    world.drain().await;
    let lead = world.get_lead(&lead.id).await;
    assert_eq!(
        lead.crm_sync.state,
        shared::outbox::SyncState::Synced,
        "{:?}",
        lead.crm_sync
    );
    let crm_id = lead.crm_sync.crm_id.clone().unwrap();
    (lead, crm_id)
}

#[tokio::test]
async fn the_same_event_delivered_five_times_has_one_effect() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    let counters_before = world.counters(&lead.partner_id).await;
    let record = world
        .zoho
        .update("Leads", &crm_id, json!({"Lead_Status": "Contacted"}));
    let event = world.webhook_event("Leads", &record);

    let mut outcomes = Vec::new();
    let mut counters_after_first = Value::Null;
    for i in 0..5 {
        outcomes.push(
            inbound::handle(&world.crm, &event, Utc::now())
                .await
                .unwrap(),
        );
        if i == 0 {
            counters_after_first = world.counters(&lead.partner_id).await;
        }
    }
    assert_eq!(
        outcomes,
        [
            "lead_status_changed",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );
    assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Contacted);
    let from_crm: Vec<Value> = history(&world, &lead)
        .await
        .into_iter()
        .filter(|h| h["source"] == "crm")
        .collect();
    assert_eq!(from_crm.len(), 1, "{from_crm:?}");
    assert_eq!(from_crm[0]["to"], "contacted");
    assert_eq!(counters_after_first["status_contacted"], 1);
    assert_eq!(counters_after_first["status_new"], 0);
    assert_ne!(counters_before, counters_after_first);
    assert_eq!(world.counters(&lead.partner_id).await, counters_after_first);
}

#[tokio::test]
async fn status_events_delivered_newest_first_end_in_the_newest_state() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    let mut events = Vec::new();
    for status in ["Contacted", "Qualified", "Proposal Sent"] {
        let record = world
            .zoho
            .update("Leads", &crm_id, json!({"Lead_Status": status}));
        events.push(world.webhook_event("Leads", &record));
    }
    events.reverse();
    for event in &events {
        inbound::handle(&world.crm, event, Utc::now())
            .await
            .unwrap();
    }
    let after = world.get_lead(&lead.id).await;
    assert_eq!(after.status, LeadStatus::Proposal);
    let zoho_time = world.zoho.record("Leads", &crm_id).unwrap()["Modified_Time"].clone();
    assert_eq!(
        after.crm_sync.crm_modified_time.as_deref(),
        zoho_time.as_str()
    );

    // An event carrying an older record (a stale read) changes nothing.
    let mut stale = world.zoho.record("Leads", &crm_id).unwrap();
    stale["Modified_Time"] = json!("2020-01-01T00:00:00+00:00");
    stale["Lead_Status"] = json!("Not Contacted");
    let outcome = inbound::apply_record(&world.crm, "Leads", &stale, "stale-read", Utc::now())
        .await
        .unwrap();
    assert_eq!(outcome, "stale");
    assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Proposal);
}

/// `n` synced leads of a new partner moved to Qualified in Zoho, with the queued webhook
/// message of each (id `m<i>`, group `Leads:<crm id>`).
async fn qualified_in_zoho(
    world: &CrmWorld,
    n: usize,
) -> (Vec<(String, String, String)>, Vec<shared::leads::Lead>) {
    let (_, owner) = world.approved_partner().await;
    let mut messages = Vec::new();
    let mut leads = Vec::new();
    for i in 0..n {
        let (lead, crm_id) = synced_lead(world, &owner).await;
        let record = world
            .zoho
            .update("Leads", &crm_id, json!({"Lead_Status": "Qualified"}));
        let event = world.webhook_event("Leads", &record);
        messages.push((
            format!("m{i}"),
            format!("Leads:{crm_id}"),
            serde_json::to_string(&event).unwrap(),
        ));
        leads.push(lead);
    }
    (messages, leads)
}

#[tokio::test]
async fn one_poison_message_in_a_batch_of_ten_fails_alone() {
    let world = CrmWorld::new().await;
    let (mut messages, leads) = qualified_in_zoho(&world, 9).await;
    messages.insert(4, ("poison".into(), "Leads:999".into(), "{not json".into()));
    let response = crm_inbound::handle(lambda_event(sqs_event(&messages)), &world.crm)
        .await
        .unwrap();
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, ["poison"]);
    for lead in &leads {
        assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Qualified);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zoho_brownout_fails_only_the_messages_that_do_not_fit_before_the_deadline() {
    let world = CrmWorld::new().await;
    let (messages, leads) = qualified_in_zoho(&world, 10).await;
    // Zoho answers every read slowly; the invocation has 9 s (3 s of them kept free).
    for _ in 0..40 {
        world
            .zoho
            .inject(Fault::Delay(std::time::Duration::from_millis(1_500)));
    }
    let mut context = lambda_runtime::Context::default();
    context.deadline = (Utc::now().timestamp_millis() + 9_000) as u64;
    let event = lambda_runtime::LambdaEvent::new(sqs_event(&messages), context);
    let response = crm_inbound::handle(event, &world.crm).await.unwrap();
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    // The messages handled are a prefix of the batch; the rest are reported unprocessed
    // (the queue redelivers them), instead of a timeout failing all ten.
    let handled = 10 - failed.len();
    assert!(handled >= 1 && failed.len() >= 3, "{failed:?}");
    let expected: Vec<String> = (handled..10).map(|i| format!("m{i}")).collect();
    assert_eq!(failed, expected);
    for lead in &leads[..handled] {
        assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Qualified);
    }
    for lead in &leads[handled..] {
        assert_ne!(world.get_lead(&lead.id).await.status, LeadStatus::Qualified);
    }
}

/// The template's redrive count for the webhook queue.
fn configured_receives() -> i64 {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let queue = text
        .split("\n  CrmWebhookQueue:\n")
        .nth(1)
        .expect("CrmWebhookQueue");
    let line = queue
        .lines()
        .find(|l| l.trim_start().starts_with("maxReceiveCount:"))
        .expect("a redrive policy");
    line.split(':').nth(1).unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn a_poison_message_reaches_the_dead_letter_queue_after_the_configured_receives() {
    let world = CrmWorld::new().await;
    let sqs = world.stack.sqs();
    let dlq = world.stack.fifo_queue("crm-dlq-", &[]).await;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let receives = configured_receives();
    let queue = world
        .stack
        .fifo_queue(
            "crm-in-",
            &[(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": receives}).to_string(),
            )],
        )
        .await;
    let poison = json!({"kind": "lead", "module": "Potentials", "record_id": "1", "payload": {}, "received_at": "x"});
    sqs.send_message()
        .queue_url(&queue)
        .message_body(poison.to_string())
        .message_group_id("Potentials:1")
        .message_deduplication_id("poison-1")
        .send()
        .await
        .unwrap();
    let mut handled = 0;
    for _ in 0..receives + 2 {
        let got = sqs
            .receive_message()
            .queue_url(&queue)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        for m in got {
            handled += 1;
            let event = sqs_event(&[(
                m.message_id().unwrap().to_string(),
                "Potentials:1".into(),
                m.body().unwrap().to_string(),
            )]);
            let response = crm_inbound::handle(lambda_event(event), &world.crm)
                .await
                .unwrap();
            assert_eq!(response.batch_item_failures.len(), 1);
        }
    }
    assert_eq!(handled, receives, "received exactly maxReceiveCount times");
    let dead = world.stack.receive(&dlq).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(
        serde_json::from_str::<Value>(dead[0].body().unwrap()).unwrap(),
        poison
    );
}

#[tokio::test]
async fn a_push_survives_429_and_500_and_creates_exactly_one_zoho_record() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await; // the partner's own push
    world.zoho.inject(Fault::Status(429));
    world.zoho.inject(Fault::Status(500));
    let lead = world.lead(&owner, "Sipho").await;
    assert_eq!(world.drain().await, ["synced"]);
    let stored = world.get_lead(&lead.id).await;
    assert_eq!(stored.crm_sync.state, shared::outbox::SyncState::Synced);
    let records = world.zoho_records_for("Leads", &lead.id);
    assert_eq!(records.len(), 1);
    assert_eq!(stored.crm_sync.crm_id.as_deref(), records[0]["id"].as_str());
    assert_eq!(records[0]["Lead_Status"], "Not Contacted");
    assert!(records[0]["Partner"]["id"].as_str().is_some());

    // Pushing the same lead again (a retry, a later change) updates the same record.
    world
        .update_lead(&owner, &lead.id, json!({"notes": "Wants a quote"}))
        .await
        .unwrap();
    world.drain().await;
    let records = world.zoho_records_for("Leads", &lead.id);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["Description"], "Wants a quote");
    assert!(world.outbox().await.is_empty());
}

#[tokio::test]
async fn a_slow_zoho_answer_times_out_and_the_call_is_retried() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    let mut impatient = world.instance();
    impatient.zoho = shared::crm::Zoho::new(
        world.store.clone(),
        shared::secrets::Secrets::new(world.stack.secrets_manager()),
        &world.secret_id,
        shared::crm::settings::Retry {
            timeout_ms: 300,
            ..fast_retry()
        },
    );
    world
        .zoho
        .inject(Fault::Delay(std::time::Duration::from_millis(1_500)));
    let lead = world.lead(&owner, "Palesa").await;
    let item = world.outbox().await.pop().unwrap();
    let outcome = shared::crm::outbound::process(&impatient, &item.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(outcome, "synced");
    assert_eq!(world.zoho_records_for("Leads", &lead.id).len(), 1);
}

#[tokio::test]
async fn zoho_unavailable_past_the_retries_leaves_the_item_for_the_reconciler() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    for _ in 0..fast_retry().attempts {
        world.zoho.inject(Fault::Status(503));
    }
    let lead = world.lead(&owner, "Naledi").await;
    assert_eq!(world.drain().await, ["will_retry"]);
    let item = world.outbox().await.pop().unwrap();
    assert_eq!(
        (item.state, item.attempts),
        (shared::outbox::OutboxState::Failed, 1)
    );
    let pending = world.get_lead(&lead.id).await.crm_sync;
    assert_eq!(pending.state, shared::outbox::SyncState::Pending);
    assert!(pending.last_error.unwrap().contains("will retry"));

    let report = reconcile::run(&world.crm, Utc::now(), Duration::zero())
        .await
        .unwrap();
    assert_eq!((report.repushed, report.push_failures), (1, 0));
    assert_eq!(
        world.get_lead(&lead.id).await.crm_sync.state,
        shared::outbox::SyncState::Synced
    );
    assert_eq!(world.zoho_records_for("Leads", &lead.id).len(), 1);
    assert!(world.outbox().await.is_empty());
}

#[tokio::test]
async fn duplicate_data_in_zoho_marks_the_lead_conflict_with_the_zoho_id() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    world.zoho.set_unique("Leads", "Email");
    let lead = world.lead(&owner, "Ayanda").await;
    let existing = world.zoho.insert(
        "Leads",
        json!({"Last_Name": "Already", "Email": lead.email.clone().unwrap()}),
    );
    assert_eq!(world.drain().await, ["conflict"]);
    let sync = world.get_lead(&lead.id).await.crm_sync;
    assert_eq!(sync.state, shared::outbox::SyncState::Conflict);
    assert_eq!(sync.conflict_id.as_deref(), existing["id"].as_str());
    assert_eq!(sync.error_field.as_deref(), Some("Email"));
    assert!(world.zoho_records_for("Leads", &lead.id).is_empty());
    // Kept (refused, not lost) for an admin to replay once resolved.
    assert_eq!(
        world.outbox().await[0].state,
        shared::outbox::OutboxState::Rejected
    );
}

#[tokio::test]
async fn invalid_data_marks_the_lead_failed_with_the_field_and_reason() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    world.zoho.inject(Fault::RecordError {
        code: "INVALID_DATA".into(),
        api_name: "Phone".into(),
    });
    let lead = world.lead(&owner, "Bongani").await;
    assert_eq!(world.drain().await, ["failed"]);
    let stored = world.get_lead(&lead.id).await;
    assert_eq!(stored.crm_sync.state, shared::outbox::SyncState::Failed);
    assert_eq!(stored.crm_sync.error_field.as_deref(), Some("Phone"));
    assert!(
        stored
            .crm_sync
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("INVALID_DATA")
    );
    // The API shows it on the lead: what to fix, not Zoho's error text or ids.
    let view = shared::leads::view(&stored);
    assert_eq!(view["crm_sync"]["state"], "failed");
    assert_eq!(view["crm_sync"]["error_field"], "Phone");
    assert!(view["crm_sync"]["message"].is_string());
    for internal in ["last_error", "crm_id", "conflict_id", "crm_status"] {
        assert!(
            view["crm_sync"].get(internal).is_none(),
            "{internal} is shown"
        );
    }
}

#[tokio::test]
async fn the_shared_zoho_token_is_stored_encrypted_and_still_shared() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    assert_eq!(world.zoho.refresh_count(), 1);
    let stored: Value = world.store.get(&keys::crm_token()).await.unwrap().unwrap();
    let sealed = stored["access_token"].as_str().unwrap();
    assert!(sealed.starts_with("v2:"), "stored sealed: {sealed}");
    // Another instance (a cold start) uses the stored token instead of refreshing.
    let other = world.instance();
    world.lead(&owner, "Naledi").await;
    let item = world.outbox().await.pop().unwrap();
    assert_eq!(
        shared::crm::outbound::process(&other, &item.id, Utc::now())
            .await
            .unwrap(),
        "synced"
    );
    assert_eq!(world.zoho.refresh_count(), 1);
}

#[tokio::test]
async fn a_cold_start_takes_the_stored_zoho_token_before_its_first_event() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    assert_eq!(world.zoho.refresh_count(), 1);
    // A new execution environment prepares at cold start (the CRM workers' `Deps`)...
    let prepared = world.instance();
    prepared.zoho.prepare().await;
    let unprepared = world.instance();
    // ...so when the stored token is gone by its first event, it still has the token and
    // does not refresh; one that did not prepare has to.
    let forget = || Patch::new(&keys::crm_token()).remove("access_token");
    world.store.apply(forget()).await.unwrap();
    for (crm, refreshes) in [(&prepared, 1), (&unprepared, 2)] {
        world.lead(&owner, "Ayanda").await;
        let item = world.outbox().await.pop().unwrap();
        assert_eq!(
            shared::crm::outbound::process(crm, &item.id, Utc::now())
                .await
                .unwrap(),
            "synced"
        );
        assert_eq!(world.zoho.refresh_count(), refreshes);
    }
    // Preparing never calls Zoho, even with no token stored.
    world.store.apply(forget()).await.unwrap();
    world.instance().zoho.prepare().await;
    assert_eq!(world.zoho.refresh_count(), 2);
}

#[tokio::test]
async fn twenty_concurrent_pushes_with_an_expired_token_refresh_it_once() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    assert_eq!(world.zoho.refresh_count(), 1);
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(world.lead(&owner, "Thabo").await.id);
    }
    world.zoho.expire_tokens();
    let items = world.outbox().await;
    assert_eq!(items.len(), 20);
    // Twenty execution environments, each with its own client and token cache, whose
    // shared token has just been refused.
    let instances: Vec<shared::crm::Crm> = (0..20).map(|_| world.instance()).collect();
    let pushes = items
        .iter()
        .zip(&instances)
        .map(|(item, crm)| shared::crm::outbound::process(crm, &item.id, Utc::now()));
    let outcomes = futures_join_all(pushes).await;
    assert!(
        outcomes.iter().all(|o| o.as_ref().unwrap() == &"synced"),
        "{outcomes:?}"
    );
    // The first push's refresh plus at most one for the twenty.
    assert!(
        world.zoho.refresh_count() <= 2,
        "refreshes: {}",
        world.zoho.refresh_count()
    );
    for id in ids {
        assert_eq!(world.zoho_records_for("Leads", &id).len(), 1);
    }
}

async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::new();
    // Poll them concurrently on this task.
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().map(Option::unwrap));
    out
}

#[tokio::test]
async fn a_partner_approved_in_zoho_is_provisioned_and_invited() {
    let world = CrmWorld::new().await;
    let email = format!("{}@newpartner.example", unique("ops").to_lowercase());
    let record = world.zoho.insert(
        "Vendors",
        json!({"Vendor_Name": "Karoo Solar", "Email": email, "Phone": "+27 21 555 0101",
               "City": "Cape Town", "Partner_Status": "Approved"}),
    );
    let event = world.webhook_event("Vendors", &record);
    assert_eq!(
        inbound::handle(&world.crm, &event, Utc::now())
            .await
            .unwrap(),
        "partner_provisioned"
    );
    assert_eq!(
        inbound::handle(&world.crm, &event, Utc::now())
            .await
            .unwrap(),
        "duplicate"
    );

    let items = world.all_items().await;
    let partners: Vec<&Value> = items.iter().filter(|i| i["kind"] == "partner").collect();
    assert_eq!(partners.len(), 1);
    let partner = partners[0];
    assert_eq!(partner["status"], "approved");
    assert_eq!(partner["email"], email.as_str());
    let user = items.iter().find(|i| i["kind"] == "user").unwrap();
    assert_eq!(
        (user["role"].as_str(), user["status"].as_str()),
        (Some("owner"), Some("invited"))
    );
    let mail = items
        .iter()
        .find(|i| i["kind"] == "email_outbox" && i["template"] == "invitation")
        .expect("an invitation email is queued");
    assert_eq!(mail["to"], email.as_str());

    // The portal id is written back onto the Zoho record.
    world.drain().await;
    let zoho = world
        .zoho
        .record("Vendors", record["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(zoho["Portal_Id"], partner["id"]);
    assert_eq!(world.zoho.records("Vendors").len(), 1);

    // Suspended in Zoho, with a reason.
    let record = world.zoho.update(
        "Vendors",
        record["id"].as_str().unwrap(),
        json!({"Partner_Status": "Suspended", "Status_Reason": "Expired insurance"}),
    );
    let outcome = inbound::handle(
        &world.crm,
        &world.webhook_event("Vendors", &record),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, "partner_status_changed");
    let stored: shared::partners::Partner = world
        .store
        .get(&keys::partner(partner["id"].as_str().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, shared::partners::PartnerStatus::Suspended);
    assert_eq!(stored.status_reason.as_deref(), Some("Expired insurance"));
}

#[tokio::test]
async fn a_lead_assigned_to_a_partner_in_zoho_is_created_for_that_partner() {
    let world = CrmWorld::new().await;
    let (partner, _) = world.approved_partner().await;
    world.drain().await;
    let partner_crm = world.zoho_records_for("Vendors", &partner.id)[0]["id"].clone();
    let record = world.zoho.insert(
        "Leads",
        json!({"First_Name": "Zanele", "Last_Name": "Dube", "Email": "zanele.dube@gmail.com",
               "Lead_Status": "Contacted", "Partner": {"id": partner_crm}}),
    );
    let outcome = inbound::handle(
        &world.crm,
        &world.webhook_event("Leads", &record),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, "lead_created");
    let items = world.all_items().await;
    let lead = items.iter().find(|i| i["kind"] == "lead").unwrap();
    assert_eq!(lead["partner_id"], partner.id.as_str());
    assert_eq!(
        (lead["status"].as_str(), lead["source"].as_str()),
        (Some("contacted"), Some("crm"))
    );
    assert_eq!(world.counters(&partner.id).await["status_contacted"], 1);
    world.drain().await;
    let zoho = world
        .zoho
        .record("Leads", record["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(zoho["Portal_Id"], lead["id"]);
    assert_eq!(world.zoho.records("Leads").len(), 1);
}

#[tokio::test]
async fn a_lead_given_to_another_partner_in_zoho_moves_to_that_partner() {
    let world = CrmWorld::new().await;
    let (first, owner) = world.approved_partner().await;
    let (second, _) = world.approved_partner().await;
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    world.drain().await;
    let second_crm = world.zoho_records_for("Vendors", &second.id)[0]["id"].clone();
    let record = world
        .zoho
        .update("Leads", &crm_id, json!({"Partner": {"id": second_crm}}));
    inbound::handle(
        &world.crm,
        &world.webhook_event("Leads", &record),
        Utc::now(),
    )
    .await
    .unwrap();
    let moved = world.get_lead(&lead.id).await;
    assert_eq!(moved.partner_id, second.id);
    assert_eq!(world.counters(&first.id).await["leads_total"], 0);
    assert_eq!(world.counters(&second.id).await["leads_total"], 1);
    world.drain().await;
    assert_eq!(world.zoho_records_for("Leads", &lead.id).len(), 1);
    assert_eq!(
        world.zoho.record("Leads", &crm_id).unwrap()["Partner"]["id"],
        second_crm
    );
}

/// The ledger line a Zoho commission record became (by its link).
async fn line_of(world: &CrmWorld, crm_id: &str) -> shared::commissions::CommissionLine {
    let link: shared::crm::CrmLink = world
        .store
        .get(&keys::crm_link("Commissions", crm_id))
        .await
        .unwrap()
        .expect("the Zoho record is linked to a line");
    world
        .store
        .get(&keys::commission_line(&link.partner_id, &link.entity_id))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_commission_paid_in_zoho_is_stored_as_a_ledger_line_and_commission_owed_follows_it() {
    let world = CrmWorld::new().await;
    let (partner, _) = world.approved_partner().await;
    world.drain().await;
    let partner_crm = world.zoho_records_for("Vendors", &partner.id)[0]["id"].clone();
    let record = world.zoho.insert(
        "Commissions",
        json!({"Name": "Deal 2041", "Partner": {"id": partner_crm}, "Amount": 1250.5,
               "Currency": "ZAR", "Commission_Status": "Approved", "Deal_Ref": "D-2041"}),
    );
    let id = record["id"].as_str().unwrap().to_string();
    // The directory's commission_owed moves with the line (no other test of this binary
    // writes ZAR commission lines, so the shared counter moves by this line alone).
    let owed = || async {
        world
            .store
            .get::<shared::admin::DirectoryCounters>(&keys::directory_counters())
            .await
            .unwrap()
            .unwrap_or_default()
            .commission_owed_minor
    };
    let before = owed().await;
    let event = world.webhook_event("Commissions", &record);
    assert_eq!(
        inbound::handle(&world.crm, &event, Utc::now())
            .await
            .unwrap(),
        "commission_stored"
    );
    assert_eq!(owed().await - before, 125050, "an approved line is owed");
    let line = line_of(&world, &id).await;
    assert_eq!(
        (line.status.as_str(), line.source, line.deal_ref.as_deref()),
        (
            "approved",
            shared::commissions::LineSource::Crm,
            Some("D-2041")
        )
    );
    // An unknown Zoho status leaves the line as it is.
    let odd = world
        .zoho
        .update("Commissions", &id, json!({"Commission_Status": "Disputed"}));
    inbound::handle(
        &world.crm,
        &world.webhook_event("Commissions", &odd),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(line_of(&world, &id).await.status.as_str(), "approved");
    let paid = world.zoho.update(
        "Commissions",
        &id,
        json!({"Commission_Status": "Paid", "Paid_At": "2026-11-30"}),
    );
    let event = world.webhook_event("Commissions", &paid);
    assert_eq!(
        inbound::handle(&world.crm, &event, Utc::now())
            .await
            .unwrap(),
        "commission_updated"
    );
    let line = line_of(&world, &id).await;
    assert_eq!(
        (
            line.status.as_str(),
            line.amount.amount_minor,
            line.amount.currency.code()
        ),
        ("paid", 125050, "ZAR")
    );
    assert_eq!(line.paid_at.as_deref(), Some("2026-11-30"));
    assert_eq!(owed().await, before, "a paid line is no longer owed");
    // Paid is final: Zoho cannot move it back.
    let back = world
        .zoho
        .update("Commissions", &id, json!({"Commission_Status": "Pending"}));
    inbound::handle(
        &world.crm,
        &world.webhook_event("Commissions", &back),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(line_of(&world, &id).await.status.as_str(), "paid");
}

/// The commission lines a lead accrued (or clawed back), oldest first.
async fn lines_for_lead(
    world: &CrmWorld,
    partner_id: &str,
    lead_id: &str,
) -> Vec<shared::commissions::CommissionLine> {
    let q = Query::partition(None, keys::partner_partition(partner_id), 1000)
        .prefix(keys::COMMISSION_PREFIX);
    world
        .store
        .query_up_to::<shared::commissions::CommissionLine>(&q)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.lead_id.as_deref() == Some(lead_id))
        .collect()
}

#[tokio::test]
async fn an_accrual_happens_once_per_won_lead_under_redelivery_and_flips() {
    let world = CrmWorld::new().await;
    let (partner, owner) = world.approved_partner().await;
    world
        .store
        .apply(Patch::new(&keys::partner(&partner.id)).set("commission_rate_bps", 1250))
        .await
        .unwrap();
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    // Won in Zoho with a deal of EUR 12,345.67 (a currency no other test here uses, so the
    // shared ZAR owed counter is untouched): 12.5 % is 1,543.20875 → 1,543.21.
    let won = world.zoho.update(
        "Leads",
        &crm_id,
        json!({"Lead_Status": "Closed Won", "Amount": "12345.67", "Currency": "EUR"}),
    );
    let event = world.webhook_event("Leads", &won);
    for _ in 0..3 {
        inbound::handle(&world.crm, &event, Utc::now())
            .await
            .unwrap();
    }
    // Zoho sends the won record again (another edit, same status).
    world
        .zoho_edit("Leads", &crm_id, json!({"Description": "signed"}))
        .await;
    let lines = lines_for_lead(&world, &partner.id, &lead.id).await;
    assert_eq!(lines.len(), 1, "one accrual: {lines:?}");
    let accrual = &lines[0];
    assert_eq!(
        (
            accrual.source,
            accrual.kind,
            accrual.status,
            accrual.amount.amount_minor,
            accrual.rate_bps
        ),
        (
            shared::commissions::LineSource::Accrual,
            shared::commissions::LineKind::Earning,
            shared::commissions::LineStatus::Pending,
            154_321,
            Some(1250)
        )
    );
    assert_eq!(accrual.deal_value.map(|m| m.amount_minor), Some(1_234_567));

    // Lost after being won: a clawback reverses it; won again: one new accrual.
    // Each status is delivered, then read again with another field edited.
    let set_twice = |status: &'static str| {
        let world = &world;
        let crm_id = crm_id.clone();
        async move {
            for (i, extra) in ["", "edited"].iter().enumerate() {
                let mut fields = json!({"Lead_Status": status});
                if i > 0 {
                    fields["Description"] = json!(extra);
                }
                world.zoho_edit("Leads", &crm_id, fields).await;
            }
        }
    };
    set_twice("Lost Lead").await;
    let lines = lines_for_lead(&world, &partner.id, &lead.id).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    let claw = lines
        .iter()
        .find(|l| l.kind == shared::commissions::LineKind::Clawback)
        .unwrap();
    assert_eq!(
        (claw.amount.amount_minor, claw.corrects.as_deref()),
        (-154_321, Some(accrual.id.as_str()))
    );
    set_twice("Closed Won").await;
    let lines = lines_for_lead(&world, &partner.id, &lead.id).await;
    assert_eq!(lines.len(), 3, "accrue, claw back, accrue: {lines:?}");
    let net: i64 = lines.iter().map(|l| l.amount.amount_minor).sum();
    assert_eq!(net, 154_321, "won → lost → won nets one commission");
    let totals: std::collections::BTreeMap<String, Value> = world
        .store
        .get(&keys::commission_totals(&partner.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(totals["EUR_pending"], 154_321);
    assert_eq!(totals["EUR_open_clawback"], -154_321);
    // The accruals reach Zoho's Commissions module, keyed on their portal ids.
    world.drain().await;
    for l in &lines {
        let zoho = world.zoho_records_for("Commissions", &l.id);
        assert_eq!(zoho.len(), 1, "{l:?}");
        assert_eq!(zoho[0]["Commission_Status"], "Pending");
    }
}

#[tokio::test]
async fn a_zoho_commission_approved_in_the_portal_and_paid_in_a_payout_reaches_zoho_as_paid() {
    let world = CrmWorld::new().await;
    let (partner, _) = world.approved_partner().await;
    world.drain().await;
    let partner_crm = world.zoho_records_for("Vendors", &partner.id)[0]["id"].clone();
    let record = world.zoho.insert(
        "Commissions",
        json!({"Name": "Referral 88", "Partner": {"id": partner_crm}, "Amount": "880.00",
               "Currency": "USD", "Commission_Status": "Pending"}),
    );
    let crm_id = record["id"].as_str().unwrap().to_string();
    inbound::handle(
        &world.crm,
        &world.webhook_event("Commissions", &record),
        Utc::now(),
    )
    .await
    .unwrap();
    let line = line_of(&world, &crm_id).await;
    assert_eq!(
        (line.status.as_str(), line.amount.amount_minor),
        ("pending", 88_000)
    );
    let approve: shared::commissions::ledger::StatusChange =
        serde_json::from_value(json!({"action": "approve"})).unwrap();
    shared::commissions::ledger::change_status(
        &world.store,
        "ops",
        &line.id,
        None,
        Some(line.version),
        approve,
        Utc::now(),
    )
    .await
    .unwrap();
    world.drain().await;
    let zoho = world.zoho.record("Commissions", &crm_id).unwrap();
    assert_eq!(
        (
            zoho["Commission_Status"].as_str(),
            zoho["Portal_Id"].as_str()
        ),
        (Some("Approved"), Some(line.id.as_str()))
    );
    assert_eq!(
        world
            .zoho
            .records("Commissions")
            .iter()
            .filter(|r| r["Portal_Id"] == line.id.as_str())
            .count(),
        1,
        "updated, not duplicated"
    );
    // Zoho's echo of the portal's own push moves nothing: same status, same history.
    let approved = line_of(&world, &crm_id).await;
    let echo = world.zoho.record("Commissions", &crm_id).unwrap();
    inbound::handle(
        &world.crm,
        &world.webhook_event("Commissions", &echo),
        Utc::now(),
    )
    .await
    .unwrap();
    let after_echo = line_of(&world, &crm_id).await;
    assert_eq!(
        (after_echo.status, after_echo.history.len()),
        (approved.status, approved.history.len())
    );
    let new_payout: shared::commissions::payouts::NewPayout =
        serde_json::from_value(json!({"partner_id": partner.id, "currency": "USD"})).unwrap();
    let payout = shared::commissions::payouts::create(
        &world.store,
        "ops",
        &unique("k"),
        new_payout,
        Utc::now(),
    )
    .await
    .unwrap();
    let paid: shared::commissions::payouts::PayoutUpdate = serde_json::from_value(
        json!({"status": "paid", "reference": "SWIFT-1", "paid_at": "2026-11-28T09:00:00Z"}),
    )
    .unwrap();
    shared::commissions::payouts::settle(&world.store, "ops", &payout.id, None, paid, Utc::now())
        .await
        .unwrap();
    world.drain().await;
    let zoho = world.zoho.record("Commissions", &crm_id).unwrap();
    assert_eq!(zoho["Commission_Status"], "Paid");
    assert_eq!(zoho["Paid_At"], "2026-11-28T09:00:00.000Z");
    assert_eq!(zoho["Amount"], "880.00");
    assert_eq!(
        line_of(&world, &crm_id).await.crm_sync.state,
        shared::outbox::SyncState::Synced
    );
}

#[tokio::test]
async fn a_missed_webhook_is_repaired_by_the_reconciler() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    world
        .zoho
        .update("Leads", &crm_id, json!({"Lead_Status": "Closed Won"}));
    let report = reconcile::run(&world.crm, Utc::now(), Duration::zero())
        .await
        .unwrap();
    assert!(report.applied >= 1, "{report:?}");
    let after = world.get_lead(&lead.id).await;
    assert_eq!(after.status, LeadStatus::Won);
    let won_mail = world
        .all_items()
        .await
        .into_iter()
        .any(|i| i["kind"] == "email_outbox" && i["template"] == "lead_closed");
    assert!(won_mail, "the partner is told the lead was won");
    // The watermark moved: a second run reads only what changed since.
    let second = reconcile::run(&world.crm, Utc::now(), Duration::zero())
        .await
        .unwrap();
    assert_eq!(second.applied, 0);
}

#[tokio::test]
async fn a_portal_status_change_waiting_to_be_pushed_survives_a_zoho_edit_of_other_fields() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    world
        .update_lead(&owner, &lead.id, json!({"status": "qualified"}))
        .await
        .unwrap();
    // Someone edits another field in Zoho before the status push; its webhook arrives.
    let record = world
        .zoho
        .update("Leads", &crm_id, json!({"Description": "Met at the expo"}));
    let outcome = inbound::handle(
        &world.crm,
        &world.webhook_event("Leads", &record),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(outcome, "lead_linked");
    assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Qualified);
    world.drain().await;
    assert_eq!(
        world.zoho.record("Leads", &crm_id).unwrap()["Lead_Status"],
        "Qualified"
    );

    // A status set in Zoho afterwards wins over the portal's older one.
    let record = world
        .zoho
        .update("Leads", &crm_id, json!({"Lead_Status": "Lost Lead"}));
    inbound::handle(
        &world.crm,
        &world.webhook_event("Leads", &record),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Lost);
}

#[tokio::test]
async fn an_approval_is_not_reverted_by_a_zoho_read_before_its_push_lands() {
    use shared::partners::PartnerStatus;
    use shared::partners::decisions::{DecisionRequest, decide};
    let world = CrmWorld::new().await;
    let (partner, _) = world.registered_partner().await;
    world.drain().await;
    let crm_id = world.zoho_records_for("Vendors", &partner.id)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Operations verify and approve in the portal; the push of the approval is queued.
    world
        .store
        .apply(Patch::new(&keys::partner(&partner.id)).set("kyc_status", "verified"))
        .await
        .unwrap();
    let req: DecisionRequest = serde_json::from_value(json!({"decision": "approve"})).unwrap();
    decide(&world.store, &staff(), &partner.id, req, Utc::now())
        .await
        .unwrap();
    // Before that push lands, someone edits another field of the Vendors record in Zoho;
    // its webhook makes the portal read the record, still "Pending".
    let outcome = world
        .zoho_edit("Vendors", &crm_id, json!({"Phone": "+27215550199"}))
        .await;
    assert_eq!(outcome, "partner_linked");
    let stored: shared::partners::Partner = world
        .store
        .get(&keys::partner(&partner.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, PartnerStatus::Approved);
    let decisions: Vec<Value> = world
        .all_items()
        .await
        .into_iter()
        .filter(|i| {
            i["kind"] == "email_outbox"
                && i["template"] == "partner_decision"
                && i["to"] == partner.email.as_str()
        })
        .map(|i| i["decision"].clone())
        .collect();
    assert_eq!(
        decisions,
        vec![json!("approved")],
        "told of the approval, never of a reset"
    );
    // The push lands; a status later set in Zoho is a real Zoho change and applies.
    world.drain().await;
    assert_eq!(
        world.zoho.record("Vendors", &crm_id).unwrap()["Partner_Status"],
        "Approved"
    );
    world
        .zoho_edit(
            "Vendors",
            &crm_id,
            json!({"Partner_Status": "Suspended", "Status_Reason": "Expired insurance"}),
        )
        .await;
    let stored: shared::partners::Partner = world
        .store
        .get(&keys::partner(&partner.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, PartnerStatus::Suspended);
}

#[tokio::test]
async fn replay_requeues_failed_pushes_and_refuses_unknown_modules() {
    let world = CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    world.drain().await;
    world.zoho.inject(Fault::RecordError {
        code: "MANDATORY_NOT_FOUND".into(),
        api_name: "Last_Name".into(),
    });
    world.lead(&owner, "Kagiso").await;
    assert_eq!(world.drain().await, ["failed"]);
    let sqs = world.stack.sqs();
    let queue_url = world.stack.fifo_queue("replay-", &[]).await;
    let queue = shared::queue::Queue::new(sqs.clone(), &queue_url);
    let settings = shared::crm::CrmSettings::default();
    let bad =
        serde_json::from_value(json!({"records": [{"module": "Potentials", "id": "1"}]})).unwrap();
    let refused = reconcile::replay(&world.store, &queue, &settings, bad, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(shared::http::Problem::from(refused).status(), 400);
    let req = serde_json::from_value(
        json!({"records": [{"module": "Leads", "id": "4876876000000624001"}], "failed": true}),
    )
    .unwrap();
    let result = reconcile::replay(&world.store, &queue, &settings, req, Utc::now())
        .await
        .unwrap();
    assert_eq!((result.requeued_records, result.repushed), (1, 1));
    assert_eq!(
        world.outbox().await[0].state,
        shared::outbox::OutboxState::Queued
    );
    assert_eq!(world.drain().await, ["synced"]);
    let queued = world.stack.receive(&queue_url).await;
    assert_eq!(queued.len(), 1);
}

#[tokio::test]
async fn replay_is_for_admins_only() {
    let p = portal::Portal::new().await;
    let (_, owner_email) = p.register().await;
    let owner = p.token(&owner_email).await;
    let deps = admin_crm_replay::Deps {
        ctx: Box::leak(Box::new(
            shared::app::context(
                &shared::config::ProcessEnv,
                &p.stack.sdk,
                admin_crm_replay::NEEDS,
            )
            .await
            .unwrap(),
        )),
        queue: shared::queue::Queue::new(p.stack.sqs(), env("CRM_WEBHOOK_QUEUE_URL")),
        settings: shared::crm::CrmSettings::default(),
    };
    let body = json!({"records": [{"module": "Nope", "id": "1"}]});
    let req = || with_json(http_fixture("admin-crm-replay", "replay"), &body);
    let (status, _) = portal::as_user(req(), owner["access_token"].as_str().unwrap(), |r| {
        admin_crm_replay::handle(r, &deps)
    })
    .await;
    assert_eq!(status, 403);
    let (status, _) = portal::call(req(), |r| admin_crm_replay::handle(r, &deps)).await;
    assert_eq!(status, 401);
    let admin = p.admin_token().await;
    let (status, problem) =
        portal::as_user(req(), &admin, |r| admin_crm_replay::handle(r, &deps)).await;
    assert_eq!(status, 400, "{problem}");
}

// ------------------------------------------------------------------ convergence

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Default, Debug)]
struct Counts {
    portal_creates: usize,
    portal_updates: usize,
    portal_status_moves: usize,
    portal_activities: usize,
    zoho_status_changes: usize,
    zoho_creates: usize,
    partner_decisions: usize,
    vendor_edits: usize,
    webhooks_sent: usize,
    webhooks_dropped: usize,
    webhooks_duplicated: usize,
    deliveries: usize,
    commission_zoho_creates: usize,
    commission_zoho_statuses: usize,
    commission_portal_moves: usize,
    payouts: usize,
}

#[tokio::test]
async fn portal_and_zoho_converge_after_dropped_duplicated_reordered_webhooks_and_faults() {
    let seed: u64 = std::env::var("CRM_CONVERGENCE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_121);
    let mut rng = Rng(seed | 1);
    // Commission steps draw from their own sequence, so the lead steps stay as they were.
    let mut money_rng = Rng((seed ^ 0x5eed_c0de) | 1);
    let world = CrmWorld::new().await;
    let mut owners = Vec::new();
    for _ in 0..3 {
        owners.push(world.approved_partner().await.1);
    }
    // A fourth partner, without leads, whose status operations keep changing.
    let subject = world.approved_partner().await.1;
    world.drain().await;
    let subject_id = subject.partner_id.clone().unwrap();
    world
        .store
        .apply(Patch::new(&keys::partner(&subject_id)).set("kyc_status", "verified"))
        .await
        .unwrap();
    let subject_crm = world.zoho_records_for("Vendors", &subject_id)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let partner_crm: Vec<String> = owners
        .iter()
        .map(|o| {
            world.zoho_records_for("Vendors", o.partner_id.as_deref().unwrap())[0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    world.zoho.set_fault_rate(0.08, seed);
    use shared::partners::PartnerStatus;
    use shared::partners::decisions::{DecisionRequest, decide};
    let staff = staff();
    let mut expected = PartnerStatus::Approved;

    let zoho_statuses = [
        "Not Contacted",
        "Contacted",
        "Contact in Future",
        "Qualified",
        "Proposal Sent",
        "Closed Won",
        "Lost Lead",
        "Converted",
    ];
    let mut counts = Counts::default();
    let mut leads: Vec<(String, usize)> = Vec::new(); // (lead id, owner index)
    let mut in_flight: Vec<shared::crm::webhook::QueuedEvent> = Vec::new();
    let steps = 300;
    for _ in 0..steps {
        let roll = rng.below(100);
        match roll {
            0..=21 => {
                let o = rng.below(owners.len());
                let lead = world.lead(&owners[o], "Portal").await;
                leads.push((lead.id, o));
                counts.portal_creates += 1;
            }
            22..=39 if !leads.is_empty() => {
                let (id, o) = leads[rng.below(leads.len())].clone();
                if world.update_lead(&owners[o], &id, json!({"notes": format!("note {}", rng.next() % 1000), "first_name": format!("Name{}", rng.next() % 100)})).await
                .is_ok()
                {
                    counts.portal_updates += 1;
                }
            }
            40..=54 if !leads.is_empty() => {
                let (id, o) = leads[rng.below(leads.len())].clone();
                let lead = world.get_lead(&id).await;
                let moves = lead.status.partner_moves();
                if !moves.is_empty() {
                    let to = moves[rng.below(moves.len())];
                    if world
                        .update_lead(&owners[o], &id, json!({"status": to}))
                        .await
                        .is_ok()
                    {
                        counts.portal_status_moves += 1;
                    }
                }
            }
            55..=59 if !leads.is_empty() => {
                let (id, o) = leads[rng.below(leads.len())].clone();
                let activity: NewActivity =
                    serde_json::from_value(json!({"type": "call", "subject": "Intro call"}))
                        .unwrap();
                if shared::leads::add_activity(&world.store, &owners[o], &id, activity, Utc::now())
                    .await
                    .is_ok()
                {
                    counts.portal_activities += 1;
                }
            }
            60..=81 => {
                let zoho_leads = world.zoho.records("Leads");
                if zoho_leads.is_empty() {
                    continue;
                }
                let target = &zoho_leads[rng.below(zoho_leads.len())];
                let status = zoho_statuses[rng.below(zoho_statuses.len())];
                let record = world.zoho.update(
                    "Leads",
                    target["id"].as_str().unwrap(),
                    json!({"Lead_Status": status}),
                );
                counts.zoho_status_changes += 1;
                queue_webhook(&world, &mut rng, &mut counts, &mut in_flight, &record);
            }
            82..=89 => {
                let o = rng.below(owners.len());
                let record = world.zoho.insert(
                    "Leads",
                    json!({"First_Name": "Zoho", "Last_Name": format!("Lead{}", rng.next() % 10_000),
                           "Email": format!("{}@gmail.com", unique("z").to_lowercase()),
                           "Lead_Status": "Not Contacted", "Partner": {"id": partner_crm[o]}}),
                );
                counts.zoho_creates += 1;
                queue_webhook(&world, &mut rng, &mut counts, &mut in_flight, &record);
            }
            // Operations suspend or reinstate a partner in the portal; its push to Zoho
            // may land before or after Zoho's reads of the record (below).
            90..=92 => {
                let decision = if expected == PartnerStatus::Approved {
                    json!({"decision": "suspend", "reason": "paperwork"})
                } else {
                    json!({"decision": "reinstate"})
                };
                let req: DecisionRequest = serde_json::from_value(decision).unwrap();
                if let Ok(p) = decide(&world.store, &staff, &subject_id, req, Utc::now()).await {
                    expected = p.status;
                    counts.partner_decisions += 1;
                }
            }
            // Someone edits another field of that partner's Vendors record in Zoho: its
            // webhook makes the portal read the record, older status and all.
            93..=95 => {
                let record = world.zoho.update(
                    "Vendors",
                    &subject_crm,
                    json!({"Phone": format!("+2721555{:04}", rng.next() % 10_000)}),
                );
                counts.vendor_edits += 1;
                queue_webhook(&world, &mut rng, &mut counts, &mut in_flight, &record);
            }
            _ => {
                deliver(&world, &mut rng, &mut counts, &mut in_flight).await;
            }
        }
        if money_rng.chance(30) {
            commission_step(
                &world,
                &mut money_rng,
                &mut counts,
                &mut in_flight,
                &owners,
                &partner_crm,
            )
            .await;
        }
        if rng.chance(50) {
            world.drain().await; // the table stream, running as it does
        }
    }
    deliver(&world, &mut rng, &mut counts, &mut in_flight).await;
    world.drain().await;
    // Zoho calms down; one reconciliation run repairs the rest, and the table stream
    // pushes what the reconciliation queued.
    world.zoho.set_fault_rate(0.0, seed);
    let report = reconcile::run(&world.crm, Utc::now(), Duration::zero())
        .await
        .unwrap();
    world.drain().await;

    let items = world.all_items().await;
    let portal: Vec<shared::leads::Lead> = items
        .iter()
        .filter(|i| i["kind"] == "lead")
        .map(|i| serde_json::from_value(i.clone()).unwrap())
        .collect();
    let zoho = world.zoho.records("Leads");
    let settings = shared::crm::CrmSettings::default();
    for lead in &portal {
        let mine = world.zoho_records_for("Leads", &lead.id);
        assert_eq!(
            mine.len(),
            1,
            "lead {} has {} Zoho records",
            lead.id,
            mine.len()
        );
        let z = &mine[0];
        assert_eq!(
            z["First_Name"].as_str(),
            Some(lead.first_name.as_str()),
            "{}",
            lead.id
        );
        assert_eq!(z["Last_Name"].as_str(), Some(lead.last_name.as_str()));
        assert_eq!(z["Email"].as_str(), lead.email.as_deref());
        assert_eq!(
            settings.lead_status(z["Lead_Status"].as_str().unwrap()),
            Some(lead.status),
            "lead {}: portal {:?}, Zoho {}",
            lead.id,
            lead.status,
            z["Lead_Status"]
        );
        assert_eq!(lead.crm_sync.crm_id.as_deref(), z["id"].as_str());
    }
    for z in &zoho {
        let portal_id = z["Portal_Id"].as_str().unwrap_or_default();
        assert!(
            portal.iter().any(|l| l.id == portal_id),
            "Zoho lead {} was lost by the portal",
            z["id"]
        );
    }
    assert_eq!(zoho.len(), portal.len());
    assert_eq!(portal.len(), counts.portal_creates + counts.zoho_creates);
    // Every portal decision stands, in the portal and in Zoho, whatever Zoho reads came
    // between it and its push.
    let stored: shared::partners::Partner = world
        .store
        .get(&keys::partner(&subject_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, expected, "the portal's last decision stands");
    let z = world.zoho.record("Vendors", &subject_crm).unwrap();
    assert_eq!(
        z["Partner_Status"].as_str(),
        settings
            .partner_status_out
            .get(&expected)
            .map(String::as_str),
        "and Zoho shows it"
    );
    assert!(
        counts.partner_decisions > 0 && counts.vendor_edits > 0,
        "{counts:?}"
    );
    let ops = counts.portal_creates
        + counts.portal_updates
        + counts.portal_status_moves
        + counts.portal_activities
        + counts.zoho_status_changes
        + counts.zoho_creates;
    assert!(ops >= 200, "only {ops} changes: {counts:?}");
    // Commission lines: every Zoho record is one portal line and every line of these
    // partners one Zoho record, with the same status and amount.
    let owner_ids: Vec<String> = owners.iter().filter_map(|o| o.partner_id.clone()).collect();
    let lines: Vec<shared::commissions::CommissionLine> = items
        .iter()
        .filter(|i| i["kind"] == "commission_line")
        .map(|i| serde_json::from_value(i.clone()).unwrap())
        .filter(|l: &shared::commissions::CommissionLine| owner_ids.contains(&l.partner_id))
        .collect();
    let zoho_lines = world.zoho.records("Commissions");
    for z in &zoho_lines {
        let crm_id = z["id"].as_str().unwrap();
        let line = lines
            .iter()
            .find(|l| l.crm_sync.crm_id.as_deref() == Some(crm_id))
            .unwrap_or_else(|| panic!("Zoho commission {crm_id} was lost by the portal"));
        assert_eq!(
            shared::commissions::LineStatus::from_crm(z["Commission_Status"].as_str().unwrap()),
            Some(line.status),
            "line {}: portal {:?}, Zoho {}",
            line.id,
            line.status,
            z["Commission_Status"]
        );
        assert_eq!(z["Amount"].as_str(), Some(line.amount.decimal().as_str()));
    }
    assert_eq!(lines.len(), zoho_lines.len(), "one Zoho record per line");
    assert!(
        counts.commission_zoho_creates > 5
            && counts.commission_zoho_statuses > 5
            && counts.commission_portal_moves > 2,
        "{counts:?}"
    );
    println!(
        "convergence: seed {seed}, {ops} changes {counts:?}; {} leads on both sides; Zoho API calls {} (fault rate 8%), token refreshes {}; reconcile {report:?}",
        portal.len(),
        world.zoho.api_calls(),
        world.zoho.refresh_count()
    );
}

fn queue_webhook(
    world: &CrmWorld,
    rng: &mut Rng,
    counts: &mut Counts,
    in_flight: &mut Vec<shared::crm::webhook::QueuedEvent>,
    record: &Value,
) {
    counts.webhooks_sent += 1;
    if rng.chance(25) {
        counts.webhooks_dropped += 1;
        return;
    }
    let module = if record.get("Vendor_Name").is_some() {
        "Vendors"
    } else if record.get("Commission_Status").is_some() {
        "Commissions"
    } else {
        "Leads"
    };
    let event = world.webhook_event(module, record);
    if rng.chance(20) {
        counts.webhooks_duplicated += 1;
        in_flight.push(event.clone());
    }
    in_flight.push(event);
}

/// One commission change: Zoho creates a record or changes a record's status (its
/// webhook may be dropped, duplicated or reordered like the others), or operations move a
/// line, or pay (or fail) a payout in the portal.
async fn commission_step(
    world: &CrmWorld,
    rng: &mut Rng,
    counts: &mut Counts,
    in_flight: &mut Vec<shared::crm::webhook::QueuedEvent>,
    owners: &[shared::auth::Principal],
    partner_crm: &[String],
) {
    use shared::commissions::{ledger, payouts};
    let o = rng.below(owners.len());
    let partner_id = owners[o].partner_id.clone().unwrap();
    match rng.below(100) {
        0..=29 => {
            let record = world.zoho.insert(
                "Commissions",
                json!({"Name": format!("Deal {}", rng.next() % 10_000), "Partner": {"id": partner_crm[o]},
                       "Amount": format!("{}.{:02}", 100 + rng.next() % 5_000, rng.next() % 100),
                       "Currency": "GBP", "Commission_Status": "Pending"}),
            );
            counts.commission_zoho_creates += 1;
            queue_webhook(world, rng, counts, in_flight, &record);
        }
        30..=54 => {
            let records = world.zoho.records("Commissions");
            if records.is_empty() {
                return;
            }
            let target = &records[rng.below(records.len())];
            let status = ["Pending", "Approved", "On Hold", "Cancelled", "Paid"][rng.below(5)];
            let record = world.zoho.update(
                "Commissions",
                target["id"].as_str().unwrap(),
                json!({"Commission_Status": status, "Hold_Reason": "checking the invoice"}),
            );
            counts.commission_zoho_statuses += 1;
            queue_webhook(world, rng, counts, in_flight, &record);
        }
        55..=84 => {
            let q = Query::partition(None, keys::partner_partition(&partner_id), 1000)
                .prefix(keys::COMMISSION_PREFIX);
            let lines: Vec<shared::commissions::CommissionLine> =
                world.store.query_up_to(&q).await.unwrap();
            if lines.is_empty() {
                return;
            }
            let line = &lines[rng.below(lines.len())];
            let action = ["approve", "approve", "hold", "release", "cancel"][rng.below(5)];
            let req: ledger::StatusChange =
                serde_json::from_value(json!({"action": action, "reason": "ops"})).unwrap();
            if ledger::change_status(
                &world.store,
                "ops",
                &line.id,
                Some(line.partner_id.clone()),
                Some(line.version),
                req,
                Utc::now(),
            )
            .await
            .is_ok()
            {
                counts.commission_portal_moves += 1;
            }
        }
        _ => {
            let req: payouts::NewPayout =
                serde_json::from_value(json!({"partner_id": partner_id, "currency": "GBP"}))
                    .unwrap();
            if let Ok(p) = payouts::create(&world.store, "ops", &unique("k"), req, Utc::now()).await
            {
                let outcome = if rng.chance(75) { "paid" } else { "failed" };
                let req: payouts::PayoutUpdate =
                    serde_json::from_value(json!({"status": outcome})).unwrap();
                payouts::settle(&world.store, "ops", &p.id, None, req, Utc::now())
                    .await
                    .unwrap();
                counts.payouts += 1;
            }
        }
    }
}

/// Delivers what is in flight in a shuffled order; an event that fails now (Zoho faults)
/// is dropped here (SQS would retry it; the reconciler must cope without).
async fn deliver(
    world: &CrmWorld,
    rng: &mut Rng,
    counts: &mut Counts,
    in_flight: &mut Vec<shared::crm::webhook::QueuedEvent>,
) {
    let mut batch = std::mem::take(in_flight);
    for i in (1..batch.len()).rev() {
        batch.swap(i, rng.below(i + 1));
    }
    for event in batch {
        counts.deliveries += 1;
        let _ = inbound::handle(&world.crm, &event, Utc::now()).await;
    }
}

/// The survey emails in the outbox for `to`.
async fn survey_links(world: &CrmWorld, to: &str) -> Vec<String> {
    world
        .all_items()
        .await
        .into_iter()
        .filter(|i| i["kind"] == "email_outbox" && i["template"] == "survey" && i["to"] == to)
        .map(|i| i["link"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_survey_link_works_once_and_a_forged_one_never() {
    use shared::feedback::{self, Answer, FeedbackError};
    let world = CrmWorld::new().await;
    let (partner, owner) = world.approved_partner().await;
    let (lead, crm_id) = synced_lead(&world, &owner).await;
    let email = lead.email.clone().unwrap();
    assert!(
        survey_links(&world, &email).await.is_empty(),
        "not before the win"
    );

    // Won in Zoho: the contact is sent one survey link.
    world
        .zoho_edit("Leads", &crm_id, json!({"Lead_Status": "Closed Won"}))
        .await;
    let links = survey_links(&world, &email).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert!(links[0].starts_with("https://portal.example.test/feedback/"));
    let token = links[0].rsplit('/').next().unwrap().to_string();
    assert!(world.get_lead(&lead.id).await.survey_sent_at.is_some());

    let answer = |score: i64, comment: Option<&str>| Answer {
        score,
        comment: comment.map(str::to_string),
    };
    let limit = shared::limits::Limit::per_hour(100);
    let source = "203.0.113.7";
    let try_answer = |token: String, a: Answer| {
        let store = &world.store;
        async move { feedback::answer(store, &token, a, source, limit, Utc::now()).await }
    };
    // Bad answers write nothing and leave the link usable.
    for bad in [
        answer(11, None),
        answer(-1, None),
        answer(5, Some(&"x".repeat(2001))),
    ] {
        let e = try_answer(token.clone(), bad).await.unwrap_err();
        assert!(matches!(e, FeedbackError::Invalid(_)), "{e:?}");
    }
    let stored = try_answer(token.clone(), answer(9, Some("Quick and friendly")))
        .await
        .unwrap();
    assert_eq!(
        (stored.score, stored.partner_id.as_str()),
        (9, partner.id.as_str())
    );
    assert_eq!(stored.lead_id, lead.id);
    // Used once; a second answer is refused and counted nowhere.
    let again = try_answer(token.clone(), answer(0, None))
        .await
        .unwrap_err();
    assert!(matches!(again, FeedbackError::Answered), "{again:?}");
    let counters = world.counters(&partner.id).await;
    assert_eq!(counters["feedback_promoters"], 1, "{counters}");
    assert!(counters.get("feedback_detractors").is_none_or(|v| v == 0));
    // A forged link (and one with a token's first character changed) is unknown.
    let mut altered = token.clone();
    altered.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    for forged in [shared::crypto::random_token(), altered] {
        let e = try_answer(forged.clone(), answer(10, None))
            .await
            .unwrap_err();
        assert!(matches!(e, FeedbackError::UnknownSurvey), "{e:?}");
    }
    // An expired link is refused.
    let expired_token = shared::crypto::random_token();
    let expired = feedback::Survey {
        token_hash: shared::crypto::token_hash(&expired_token),
        lead_id: lead.id.clone(),
        partner_id: partner.id.clone(),
        sent_at: "2026-01-01T00:00:00.000Z".into(),
        expires_at: Utc::now().timestamp() - 1,
        answered_at: None,
    };
    world
        .store
        .commit(world.store.tx().insert(&expired).build())
        .await
        .unwrap();
    let e = try_answer(expired_token.clone(), answer(10, None))
        .await
        .unwrap_err();
    assert!(matches!(e, FeedbackError::Expired), "{e:?}");
    // Attempts from one source are limited (forged ones included).
    let tight = shared::limits::Limit::per_hour(2);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let e = feedback::answer(
            &world.store,
            &shared::crypto::random_token(),
            answer(10, None),
            "198.51.100.4",
            tight,
            Utc::now(),
        )
        .await
        .unwrap_err();
        outcomes.push(shared::fault::Fault::kind(&e));
    }
    assert_eq!(outcomes[2], shared::fault::Kind::Throttled, "{outcomes:?}");

    // Once per lead: lost and won again in Zoho sends no second survey.
    world
        .zoho_edit("Leads", &crm_id, json!({"Lead_Status": "Lost Lead"}))
        .await;
    world
        .zoho_edit("Leads", &crm_id, json!({"Lead_Status": "Closed Won"}))
        .await;
    assert_eq!(world.get_lead(&lead.id).await.status, LeadStatus::Won);
    assert_eq!(survey_links(&world, &email).await.len(), 1);
}
