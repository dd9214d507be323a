// The handler futures nest deeper than the default limit.
#![recursion_limit = "256"]
//! Performance insight against the emulator: the dashboard reads a fixed set of items in
//! one round trip however many leads a partner has, and shows the score's components.

use chrono::Utc;
use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use shared::leads::{self, LeadSource, NewLead};

fn new_lead(n: usize) -> NewLead {
    serde_json::from_value(json!({
        "first_name": "Dash", "last_name": format!("Board {n}"),
        "email": format!("dash.{}@gmail.com", unique("").to_lowercase()),
    }))
    .unwrap()
}

async fn dashboard_of(
    p: &Portal,
    ctx: &shared::app::Context,
    counter: &CallCounter,
    token: &str,
) -> Value {
    counter.reset();
    let (status, body) = as_user(
        api_request("GET /v1/dashboard", "/v1/dashboard", &[]),
        token,
        |r| dashboard::handle(r, ctx),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let _ = p;
    body
}

#[tokio::test]
async fn the_dashboard_reads_the_same_items_for_ten_leads_and_for_ten_thousand() {
    let p = Portal::new().await;
    let (small_id, small_email) = p.register_approved().await;
    let (big_id, big_email) = p.register_approved().await;
    let now = Utc::now();
    for (partner, n) in [(&small_id, 10), (&big_id, 1)] {
        for i in 0..n {
            leads::create(
                p.ctx.store(),
                partner,
                "tests",
                new_lead(i),
                LeadSource::Portal,
                &p.ctx.leads,
                now,
            )
            .await
            .unwrap();
        }
    }
    // Ten thousand more leads for the big partner, written directly (fast), with the
    // counters they would have added.
    let store = p.ctx.store();
    let template: leads::Lead = leads::pool(
        store,
        &leads::PoolQuery {
            partner_id: Some(big_id.clone()),
            ..Default::default()
        }
        .filters()
        .unwrap(),
        1,
        None,
    )
    .await
    .unwrap()
    .items
    .remove(0);
    let mut tx = store.tx();
    let mut in_tx = 0;
    let mut written = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let lead = leads::Lead {
            id: ulid::Ulid::new().to_string(),
            ..template.clone()
        };
        tx = tx.put(&lead);
        written.push(shared::store::Entity::key(&lead));
        in_tx += 1;
        if in_tx == 100 {
            store.commit(tx.build()).await.unwrap();
            tx = store.tx();
            in_tx = 0;
        }
    }
    store.commit(tx.build()).await.unwrap();
    store
        .apply(
            shared::store::Patch::new(&shared::store::keys::partner_counters(&big_id))
                .add("leads_total", 10_000)
                .add("leads_open", 10_000)
                .add("status_new", 10_000),
        )
        .await
        .unwrap();

    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let small_token = p.token(&small_email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let big_token = p.token(&big_email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let small = dashboard_of(&p, &ctx, &counter, &small_token).await;
    let small_calls = counter.calls();
    let big = dashboard_of(&p, &ctx, &counter, &big_token).await;
    let big_calls = counter.calls();
    assert_eq!(small_calls, vec!["BatchGetItem"], "one round trip");
    assert_eq!(big_calls, small_calls, "the same reads for 10,001 leads");
    assert_eq!(small["leads"]["total"], 10);
    assert_eq!(big["leads"]["total"], 10_001);
    let quarter = leads::quarter_of(&shared::validate::rfc3339(now)).unwrap();
    assert_eq!(small["quarters"][0]["quarter"], quarter);
    assert_eq!(small["quarters"][0]["leads_created"], 10);
    assert_eq!(small["quarters"].as_array().unwrap().len(), 4);
    // The score, with its five documented components adding up to it.
    let score = &small["score"];
    let components = score["components"].as_array().unwrap();
    assert_eq!(components.len(), 5);
    let sum: f64 = components
        .iter()
        .map(|c| c["contribution"].as_f64().unwrap())
        .sum();
    assert!(
        (sum - score["value"].as_f64().unwrap()).abs() <= 0.5,
        "{score}"
    );
    let weights: u64 = components
        .iter()
        .map(|c| c["weight"].as_u64().unwrap())
        .sum();
    assert_eq!(weights, 100);
    // Not yet verified: KYC is the first thing to do.
    assert_eq!(small["next_actions"][0]["code"], "complete_kyc");

    // The emulator answers index queries by reading the whole table: the ten thousand go,
    // so the test binaries after this one run at their usual speed.
    for chunk in written.chunks(100) {
        let mut tx = store.tx();
        for key in chunk {
            tx = tx.delete(key, shared::store::Failure::Missing { what: "lead" });
        }
        store.commit(tx.build()).await.unwrap();
    }
}
