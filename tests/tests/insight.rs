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

/// `n` leads registered in the portal for `partner` (the real create path).
async fn leads_for(
    store: &shared::store::Store,
    settings: &shared::leads::LeadSettings,
    partner: &str,
    n: usize,
) -> Vec<leads::Lead> {
    let mut made = Vec::with_capacity(n);
    for i in 0..n {
        made.push(
            leads::create(
                store,
                partner,
                "tests",
                new_lead(i),
                LeadSource::Portal,
                settings,
                Utc::now(),
            )
            .await
            .unwrap(),
        );
    }
    made
}

/// The owner of `partner` as the access check would name them.
fn owner_of(partner: &str) -> shared::auth::Principal {
    shared::auth::Principal {
        user_id: "tests".into(),
        partner_id: Some(partner.to_string()),
        role: shared::auth::Role::Owner,
        session_id: "tests".into(),
    }
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
    leads_for(p.ctx.store(), &p.ctx.leads, &small_id, 10).await;
    let template = leads_for(p.ctx.store(), &p.ctx.leads, &big_id, 1)
        .await
        .remove(0);
    // Ten thousand more leads for the big partner, written directly (fast), with the
    // counters they would have added.
    let store = p.ctx.store();
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

// ------------------------------------------------------------------ the nightly job

use chrono::{Days, NaiveDate};
use shared::insight::nightly::{Nightly, PartnerScore, Phase, Snapshot};
use shared::store::{Index, Query, keys};

/// A day of its own for one test's nightly runs (runs are per day).
fn own_day() -> NaiveDate {
    let r = ulid::Ulid::new().random() as u64;
    NaiveDate::from_ymd_opt(2040, 1, 1).unwrap() + Days::new(r % 20_000)
}

/// Sets a partner's counters and its quarter's first-contact counts for `day`.
async fn shape(
    store: &shared::store::Store,
    partner: &str,
    day: NaiveDate,
    won: i64,
    lost: i64,
    fast: i64,
    slow: i64,
) {
    let quarter = leads::quarter_of(&format!("{day}T12:00:00Z")).unwrap();
    let tx = store
        .tx()
        .add(
            &keys::partner_counters(partner),
            "partner_counters",
            &[
                ("leads_total", won + lost),
                ("status_won", won),
                ("status_lost", lost),
            ],
        )
        .add(
            &keys::partner_quarter(partner, &quarter),
            "partner_quarter",
            &[("first_contact_1h", fast), ("first_contact_later", slow)],
        );
    store.commit(tx.build()).await.unwrap();
}

async fn score_of(store: &shared::store::Store, partner: &str) -> PartnerScore {
    store
        .get(&keys::partner_score(partner))
        .await
        .unwrap()
        .expect("scored")
}

/// Every snapshot of `day` is ranked: best first, equal scores share a rank, a rank is
/// one more than the number of better scores, and `of` counts them all.
async fn assert_ranked(store: &shared::store::Store, day: NaiveDate) -> Vec<Snapshot> {
    let all: Vec<Snapshot> = store
        .query_up_to(&Query::partition(
            Some(Index::ByState),
            keys::scores_of_day(&day.to_string()),
            100_000,
        ))
        .await
        .unwrap();
    assert!(!all.is_empty());
    for (i, s) in all.iter().enumerate() {
        let better = all.iter().filter(|o| o.value > s.value).count() as u64;
        assert_eq!(s.rank, Some(better + 1), "{s:?}");
        assert_eq!(s.of, Some(all.len() as u64));
        if i > 0 {
            let prev = &all[i - 1];
            assert!(
                prev.value > s.value || (prev.value == s.value && prev.partner_id < s.partner_id)
            );
        }
    }
    all
}

#[tokio::test]
async fn the_nightly_job_is_idempotent_and_ranks_partners_consistently() {
    let p = Portal::new().await;
    let store = p.ctx.store().clone();
    let day = own_day();
    let next_day = day + Days::new(1);
    let mut ids = Vec::new();
    let mut emails = Vec::new();
    for _ in 0..7 {
        let (id, email) = p.register_approved().await;
        ids.push(id);
        emails.push(email);
    }
    // a: converts and answers fast; b and c: the same middling figures (a tie), slow;
    // d: loses everything; e, f, g: fast, so the typical first contact is fast.
    shape(&store, &ids[0], day, 10, 0, 10, 0).await;
    shape(&store, &ids[1], day, 2, 2, 0, 10).await;
    shape(&store, &ids[2], day, 2, 2, 0, 10).await;
    shape(&store, &ids[3], day, 0, 10, 0, 0).await;
    for id in &ids[4..] {
        shape(&store, id, day, 1, 1, 10, 0).await;
    }
    // a's score 30 days before each run day.
    for d in [day - Days::new(30), next_day - Days::new(30)] {
        let before = Snapshot {
            partner_id: ids[0].clone(),
            business_name: "A".into(),
            date: d.to_string(),
            value: 60.0,
            components: vec![],
            metrics: Default::default(),
            value_30d_ago: None,
            rank: None,
            of: None,
            computed_at: format!("{d}T00:30:00Z"),
        };
        store.commit(store.tx().put(&before).build()).await.unwrap();
    }

    let job = Nightly {
        store: store.clone(),
        page: 3,
    };
    let now = Utc::now();
    let first = job.run(day, now, None).await.unwrap();
    assert_eq!(first.phase, Phase::Done);
    assert!(!first.already_done);
    assert!(first.scored >= 7, "{first:?}");
    let ranked = assert_ranked(&store, day).await;
    let scores: Vec<PartnerScore> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(score_of(&store, id).await);
        }
        v
    };
    let (a, b, c, d) = (&scores[0], &scores[1], &scores[2], &scores[3]);
    assert!(a.value > b.value && b.value > d.value, "{a:?} {b:?} {d:?}");
    assert_eq!(b.value, c.value, "the same figures, the same score");
    assert_eq!(b.rank, c.rank, "a tie shares its rank");
    assert!(a.rank < b.rank && c.rank < d.rank);
    assert_eq!(a.of, ranked.len() as u64);
    assert_eq!(a.delta_30d, Some(((a.value - 60.0) * 10.0).round() / 10.0));
    assert_eq!(a.trend.as_deref(), Some("up"));
    assert_eq!(b.trend, None, "no snapshot 30 days back: no trend");
    assert_eq!(a.components.len(), 5);

    // The same day again: nothing is redone, nothing changes.
    let second = job.run(day, Utc::now(), None).await.unwrap();
    assert!(second.already_done);
    for (id, before) in ids.iter().zip(&scores) {
        assert_eq!(&score_of(&store, id).await, before);
    }

    // A run out of time stops before its first page and leaves its progress; the next
    // invocation finishes the day, ranking the same figures the same way.
    let stopped = job
        .run(next_day, Utc::now(), Some(std::time::Instant::now()))
        .await
        .unwrap();
    assert_eq!((stopped.phase, stopped.scored), (Phase::Scoring, 0));
    let resumed = job.run(next_day, Utc::now(), None).await.unwrap();
    assert_eq!(resumed.phase, Phase::Done);
    assert_ranked(&store, next_day).await;
    let again: Vec<PartnerScore> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(score_of(&store, id).await);
        }
        v
    };
    for (x, y) in again.iter().zip(&scores) {
        assert_eq!(x.value, y.value);
    }
    assert_eq!(again[1].rank, again[2].rank);
    assert!(again[0].rank < again[1].rank && again[2].rank < again[3].rank);

    // What the partner reads: history, benchmarks, the dashboard's rank and trend, and
    // the insight that its first contacts are far slower than most.
    let portal = &p;
    let token = |email: String| async move {
        portal.token(&email).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let a_token = token(emails[0].clone()).await;
    let from = (day - Days::new(30)).to_string();
    let to = next_day.to_string();
    let (status, history) = as_user(
        api_request(
            "GET /v1/analytics/score/history",
            "/v1/analytics/score/history",
            &[("from", &from), ("to", &to)],
        ),
        &a_token,
        |r| analytics_score_history::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{history}");
    let days: Vec<&str> = history["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    let expected = [
        (day - Days::new(30)).to_string(),
        (next_day - Days::new(30)).to_string(),
        day.to_string(),
        next_day.to_string(),
    ];
    assert_eq!(
        days,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(history["snapshots"][2]["rank"], json!(a.rank));

    let (status, bench) = as_user(
        api_request(
            "GET /v1/analytics/benchmarks",
            "/v1/analytics/benchmarks",
            &[],
        ),
        &a_token,
        |r| analytics_benchmarks::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{bench}");
    let metric = |name: &str| {
        bench["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(metric("score")["value"], json!(a.value));
    assert!(
        metric("score")["percentile"].as_f64().unwrap() >= 50.0,
        "{bench}"
    );
    assert_eq!(metric("median_response_hours")["better"], "lower");

    let (status, dash) = as_user(
        api_request("GET /v1/dashboard", "/v1/dashboard", &[]),
        &a_token,
        |r| dashboard::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{dash}");
    assert_eq!(dash["score"]["rank"], json!(again[0].rank));
    assert_eq!(dash["score"]["of"], json!(again[0].of));
    assert_eq!(dash["score"]["trend"], "up");

    let insight_codes = |body: &Value| -> Vec<String> {
        body["insights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    let b_token = token(emails[1].clone()).await;
    let (status, slow) = as_user(
        api_request("GET /v1/insights", "/v1/insights", &[]),
        &b_token,
        |r| insights::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{slow}");
    assert!(
        insight_codes(&slow).contains(&"slow_responses".to_string()),
        "{slow}"
    );
    let (_, fast) = as_user(
        api_request("GET /v1/insights", "/v1/insights", &[]),
        &a_token,
        |r| insights::handle(r, &p.ctx),
    )
    .await;
    assert!(
        !insight_codes(&fast).contains(&"slow_responses".to_string()),
        "{fast}"
    );

    // The portal-wide figures of the day.
    let admin = p.admin_token().await;
    let (status, portal) = as_user(
        api_request("GET /v1/admin/analytics", "/v1/admin/analytics", &[]),
        &admin,
        |r| admin_analytics::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{portal}");
    assert!(
        portal["partners"]["by_status"]["approved"]
            .as_u64()
            .unwrap()
            >= 7
    );
    assert!(portal["leads"]["won"].as_i64().unwrap() >= 17, "{portal}");
    assert!(!portal["top_partners"].as_array().unwrap().is_empty());
    // A partner cannot read them.
    let (status, _) = as_user(
        api_request("GET /v1/admin/analytics", "/v1/admin/analytics", &[]),
        &a_token,
        |r| admin_analytics::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn analytics_refuse_bad_ranges_and_read_a_bounded_set_of_items() {
    let p = Portal::new().await;
    let (_, email) = p.register_approved().await;
    let token = p.token(&email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    for q in ["0", "13", "x"] {
        let (status, body) = as_user(
            api_request(
                "GET /v1/analytics/quarterly",
                "/v1/analytics/quarterly",
                &[("quarters", q)],
            ),
            &token,
            |r| analytics_quarterly::handle(r, &p.ctx),
        )
        .await;
        assert_eq!(status, 400, "{q}: {body}");
        assert_eq!(body["errors"][0]["field"], "quarters", "{body}");
    }
    for (from, to) in [
        ("2025-01-01", "2026-06-01"),
        ("2026-02-01", "2026-01-01"),
        ("yesterday", "2026-01-01"),
    ] {
        let (status, body) = as_user(
            api_request(
                "GET /v1/analytics/score/history",
                "/v1/analytics/score/history",
                &[("from", from), ("to", to)],
            ),
            &token,
            |r| analytics_score_history::handle(r, &p.ctx),
        )
        .await;
        assert_eq!(status, 400, "{from}..{to}: {body}");
    }
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let (status, body) = as_user(
        api_request(
            "GET /v1/analytics/quarterly",
            "/v1/analytics/quarterly",
            &[("quarters", "12")],
        ),
        &token,
        |r| analytics_quarterly::handle(r, &ctx),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counter.calls(), vec!["BatchGetItem"], "one round trip");
    let quarters = body["quarters"].as_array().unwrap();
    assert_eq!(quarters.len(), 12);
    assert_eq!(
        quarters[0]["quarter"],
        leads::quarter_of(&shared::validate::rfc3339(Utc::now())).unwrap()
    );
    assert_eq!(quarters[0]["score"], Value::Null, "not scored yet");
    counter.reset();
    let (status, body) = as_user(
        api_request(
            "GET /v1/analytics/benchmarks",
            "/v1/analytics/benchmarks",
            &[],
        ),
        &token,
        |r| analytics_benchmarks::handle(r, &ctx),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counter.calls(), vec!["BatchGetItem"], "one round trip");
}

// ------------------------------------------------------------------ insights

async fn insights_of(p: &Portal, email: &str) -> Vec<Value> {
    let token = p.token(email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = as_user(
        api_request("GET /v1/insights", "/v1/insights", &[]),
        &token,
        |r| insights::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["insights"].as_array().unwrap().clone()
}

fn named(insight: &Value) -> Vec<String> {
    insight["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_insight_fires_on_its_case_and_stays_silent_otherwise() {
    let p = Portal::new().await;
    let store = p.ctx.store().clone();
    let now = Utc::now();

    // A partner with a fresh lead and nothing wrong: no insight at all.
    let (healthy, healthy_email) = p.register_approved().await;
    leads_for(&store, &p.ctx.leads, &healthy, 1).await;
    assert_eq!(insights_of(&p, &healthy_email).await, Vec::<Value>::new());

    // A partner without a lead this quarter: that, and nothing else.
    let (_, idle_email) = p.register_approved().await;
    let only = insights_of(&p, &idle_email).await;
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(only[0]["code"], "no_leads_this_quarter");
    assert_eq!(only[0]["severity"], "info");

    // A partner with an overdue follow-up, a lead untouched for three weeks, a KYC
    // document expiring in ten days (and one valid for long), and commission on hold.
    let (x, x_email) = p.register_approved().await;
    let made = leads_for(&store, &p.ctx.leads, &x, 3).await;
    let overdue = leads::Lead {
        next_follow_up_at: Some(shared::validate::rfc3339(now - chrono::Duration::days(2))),
        version: made[0].version + 1,
        ..made[0].clone()
    };
    let untouched = leads::Lead {
        updated_at: shared::validate::rfc3339(now - chrono::Duration::days(21)),
        version: made[1].version + 1,
        ..made[1].clone()
    };
    store
        .commit(
            store
                .tx()
                .replace(&overdue, made[0].version)
                .replace(&untouched, made[1].version)
                .build(),
        )
        .await
        .unwrap();
    let today = now.date_naive();
    let mut docs = Vec::new();
    for days in [10, 400] {
        let id = ulid::Ulid::new().to_string();
        let doc: shared::kyc::KycDocument = serde_json::from_value(json!({
            "id": id, "partner_id": x, "document_type": "tax_certificate",
            "file_name": "tax.pdf", "content_type": "application/pdf", "size": 1000,
            "verification_status": "approved", "object_key": format!("kyc/{x}/{id}"),
            "expires_on": (today + Days::new(days)).to_string(),
            "created_at": shared::validate::rfc3339(now), "updated_at": shared::validate::rfc3339(now),
            "version": 1
        }))
        .unwrap();
        store.commit(store.tx().insert(&doc).build()).await.unwrap();
        docs.push(id);
    }
    let line_req: shared::commissions::ledger::NewLine = serde_json::from_value(json!({
        "partner_id": x, "kind": "earning", "description": "Deal",
        "amount": {"amount_minor": 150_000, "currency": "ZAR"}
    }))
    .unwrap();
    let line = shared::commissions::ledger::create(&store, "ops", &unique("k"), line_req, now)
        .await
        .unwrap();
    let hold: shared::commissions::ledger::StatusChange =
        serde_json::from_value(json!({"action": "hold", "reason": "Deposit not paid"})).unwrap();
    shared::commissions::ledger::change_status(
        &store,
        "ops",
        &line.id,
        None,
        Some(line.version),
        hold,
        now,
    )
    .await
    .unwrap();

    let found = insights_of(&p, &x_email).await;
    let by_code = |code: &str| found.iter().find(|i| i["code"] == code).cloned();
    let codes: std::collections::BTreeSet<String> = found
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "held_commissions",
            "kyc_document_expiring",
            "overdue_follow_ups",
            "untouched_leads"
        ]
        .map(String::from)
        .into(),
        "{found:?}"
    );
    assert_eq!(
        named(&by_code("overdue_follow_ups").unwrap()),
        vec![made[0].id.clone()]
    );
    assert_eq!(
        named(&by_code("untouched_leads").unwrap()),
        vec![made[1].id.clone()]
    );
    assert_eq!(
        named(&by_code("kyc_document_expiring").unwrap()),
        vec![docs[0].clone()]
    );
    assert_eq!(
        named(&by_code("held_commissions").unwrap()),
        vec![line.id.clone()]
    );
    assert!(
        by_code("held_commissions").unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("Deposit not paid")
    );

    // An activity touches the untouched lead: that insight goes.
    let activity: leads::NewActivity =
        serde_json::from_value(json!({"type": "call", "subject": "Checked in"})).unwrap();
    let principal = owner_of(&x);
    leads::add_activity(&store, &principal, &made[1].id, activity, Utc::now())
        .await
        .unwrap();
    let after = insights_of(&p, &x_email).await;
    assert!(
        after.iter().all(|i| i["code"] != "untouched_leads"),
        "{after:?}"
    );
}

// ------------------------------------------------------------------ customer feedback

/// A survey for one of `partner`'s leads with a known token (as a won lead gets one).
async fn survey_for(store: &shared::store::Store, partner: &str) -> String {
    let token = shared::crypto::random_token();
    let survey = shared::feedback::Survey {
        token_hash: shared::crypto::token_hash(&token),
        lead_id: ulid::Ulid::new().to_string(),
        partner_id: partner.to_string(),
        sent_at: shared::validate::rfc3339(Utc::now()),
        expires_at: Utc::now().timestamp() + 3600,
        answered_at: None,
    };
    store
        .commit(store.tx().insert(&survey).build())
        .await
        .unwrap();
    token
}

async fn answer_survey(p: &Portal, token: &str, body: Value) -> (u16, Value) {
    let req = with_path_param(
        with_json(
            api_request(
                "POST /v1/public/feedback/{token}",
                &format!("/v1/public/feedback/{token}"),
                &[],
            ),
            &body,
        ),
        "token",
        token,
    );
    call(with_source_ip(req, &p.source_ip), |r| {
        public_feedback::handle(r, &p.ctx)
    })
    .await
}

#[tokio::test]
async fn customers_answer_once_partners_see_nps_and_reply_and_bad_answers_write_nothing() {
    let p = Portal::new().await;
    let store = p.ctx.store().clone();
    let (partner, email) = p.register_approved().await;
    let token = p.token(&email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let survey = survey_for(&store, &partner).await;
    for bad in [
        json!({"score": 11}),
        json!({"score": -1}),
        json!({"score": "nine"}),
        json!({"score": 9, "comment": "x".repeat(2001)}),
        json!({"score": 9, "stars": 5}),
        json!({}),
    ] {
        let (status, body) = answer_survey(&p, &survey, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) =
        answer_survey(&p, &shared::crypto::random_token(), json!({"score": 10})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("survey_not_found"))
    );
    let (status, body) = answer_survey(
        &p,
        &survey,
        json!({"score": 3, "comment": "Slow to call back"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = answer_survey(&p, &survey, json!({"score": 10})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("survey_answered")),
        "{body}"
    );
    let second = survey_for(&store, &partner).await;
    assert_eq!(
        answer_survey(&p, &second, json!({"score": 10})).await.0,
        204
    );

    let (status, list) = as_user(
        api_request("GET /v1/feedback", "/v1/feedback", &[]),
        &token,
        |r| feedback_list::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "only the answered ones: {list}");
    assert_eq!(items[0]["score"], 10, "newest first");
    assert_eq!(items[1]["comment"], "Slow to call back");
    assert_eq!(
        (list["promoters"].as_u64(), list["detractors"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(list["nps"], json!(0.0));

    let reply = |id: String, body: Value, bearer: String| {
        let p = &p;
        async move {
            let req = with_path_param(
                with_json(
                    api_request(
                        "POST /v1/feedback/{feedback_id}/reply",
                        &format!("/v1/feedback/{id}/reply"),
                        &[],
                    ),
                    &body,
                ),
                "feedback_id",
                &id,
            );
            as_user(req, &bearer, |r| feedback_reply::handle(r, &p.ctx)).await
        }
    };
    let slow_id = items[1]["id"].as_str().unwrap().to_string();
    let (status, _) = reply(slow_id.clone(), json!({"reply": ""}), token.clone()).await;
    assert_eq!(status, 400);
    let (status, replied) = reply(
        slow_id.clone(),
        json!({"reply": "Sorry about that — we now call within the hour."}),
        token.clone(),
    )
    .await;
    assert_eq!(status, 200, "{replied}");
    assert_eq!(
        replied["reply"],
        "Sorry about that — we now call within the hour."
    );
    // Another partner's feedback is not found.
    let (_, other_email) = p.register_approved().await;
    let other = p.token(&other_email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = reply(slow_id, json!({"reply": "Not mine"}), other).await;
    assert_eq!(status, 404);

    // The dashboard's feedback figures come from the same counters.
    let (_, dash) = as_user(
        api_request("GET /v1/dashboard", "/v1/dashboard", &[]),
        &token,
        |r| dashboard::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(dash["feedback"], json!({"nps": 0.0, "responses": 2}));
}

#[tokio::test]
async fn a_suppressed_contact_gets_no_survey_but_still_gets_transactional_email() {
    let p = Portal::new().await;
    let store = p.ctx.store().clone();
    let (partner, _) = p.register_approved().await;
    let to = format!("{}@gmail.com", unique("bounced").to_lowercase());
    shared::notifications::suppress(&store, &to, "bounced", Utc::now())
        .await
        .unwrap();
    let now = Utc::now();
    let tx = shared::feedback::issue(
        store.tx(),
        &shared::feedback::SurveyTarget {
            lead_id: "01KB0000000000000000000000",
            partner_id: &partner,
            email: &to,
            first_name: "Thandi",
            business_name: "Acme",
        },
        "https://portal.example.test",
        now,
    );
    store.commit(tx.build()).await.unwrap();
    assert!(
        p.deliver_emails(&to).await.is_empty(),
        "no survey to a suppressed address"
    );
    // A password reset is transactional: it is sent all the same.
    let reset = shared::notifications::OutboxEmail::new(
        &to,
        shared::notifications::EmailKind::PasswordReset {
            link: "https://portal.example.test/reset?token=abc".into(),
        },
        &shared::validate::rfc3339(now),
    );
    store
        .commit(store.tx().insert(&reset).build())
        .await
        .unwrap();
    let sent = p.deliver_emails(&to).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    // And an address not on the list gets its survey.
    let fine = format!("{}@gmail.com", unique("fine").to_lowercase());
    let tx = shared::feedback::issue(
        store.tx(),
        &shared::feedback::SurveyTarget {
            lead_id: "01KB0000000000000000000001",
            partner_id: &partner,
            email: &fine,
            first_name: "Sipho",
            business_name: "Acme",
        },
        "https://portal.example.test",
        now,
    );
    store.commit(tx.build()).await.unwrap();
    let sent = p.deliver_emails(&fine).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("/feedback/"), "{sent:?}");
}

// ------------------------------------------------------------------ backfill

/// A new table with the stack table's schema, and an approved partner (registered through
/// the stack table, not yet in the new one) for jobs that walk a whole table.
async fn own_table_and_partner(
    p: &Portal,
    prefix: &str,
) -> (shared::store::Store, shared::partners::Partner) {
    let (pid, _) = p.register_approved().await;
    let table = unique(prefix);
    portal_tests::crm::copy_table_schema(&p.stack, &table).await;
    let partner = p
        .ctx
        .store()
        .get(&keys::partner(&pid))
        .await
        .unwrap()
        .unwrap();
    (
        shared::store::Store::new(p.stack.dynamodb(), &table),
        partner,
    )
}

#[tokio::test]
async fn the_backfill_rebuilds_the_quarter_counters_the_writes_keep_and_reruns_the_same() {
    use shared::insight::backfill::{LEAD_ATTRS, backfill};
    use shared::insight::figures::{Item, number};
    let p = Portal::new().await;
    // A table of its own: the backfill walks every partner of its table.
    let (store, partner) = own_table_and_partner(&p, "backfill-").await;
    let pid = partner.id.clone();
    store
        .commit(store.tx().put(&partner).build())
        .await
        .unwrap();
    let now = Utc::now();
    let made = leads_for(&store, &p.ctx.leads, &pid, 6).await;
    let owner = owner_of(&pid);
    for lead in &made[..2] {
        let call: leads::NewActivity = serde_json::from_value(json!({"type": "call"})).unwrap();
        leads::add_activity(&store, &owner, &lead.id, call, Utc::now())
            .await
            .unwrap();
    }
    let quarter = leads::quarter_of(&shared::validate::rfc3339(now)).unwrap();
    let key = keys::partner_quarter(&pid, &quarter);
    let attrs: Vec<&str> = LEAD_ATTRS
        .iter()
        .copied()
        .chain(leads::FIRST_CONTACT_BUCKETS.iter().map(|(_, a)| *a))
        .collect();
    let figures = |item: &Item| attrs.iter().map(|a| number(item, a)).collect::<Vec<_>>();
    let kept: Item = store.get(&key).await.unwrap().unwrap();
    assert_eq!(number(&kept, "leads_created"), 6);
    assert_eq!(number(&kept, "first_contact_1h"), 2);

    // Counters that drifted, and a lead missing from the idle index (as items written
    // before either existed are).
    store
        .apply(
            shared::store::Patch::new(&key)
                .set("leads_created", 999)
                .set("leads_won", 3),
        )
        .await
        .unwrap();
    let lead_key = shared::store::Entity::key(&made[5]);
    p.stack
        .dynamodb()
        .update_item()
        .table_name(store.table())
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(lead_key.pk),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S(lead_key.sk),
        )
        .update_expression("REMOVE GSI3PK, GSI3SK")
        .send()
        .await
        .unwrap();
    let idle = || async {
        store
            .count(&Query::partition(
                Some(Index::Due),
                keys::idle_leads(&pid),
                100,
            ))
            .await
            .unwrap()
    };
    assert_eq!(idle().await, 5);

    let run = backfill(&store, true, None).await.unwrap();
    assert!(run.done);
    assert_eq!((run.partners, run.leads), (1, 6));
    let rebuilt: Item = store.get(&key).await.unwrap().unwrap();
    assert_eq!(
        figures(&rebuilt),
        figures(&kept),
        "the recount is what the writes kept"
    );
    assert_eq!(
        idle().await,
        6,
        "every open lead without a follow-up is indexed"
    );
    // A rerun changes nothing; a finished run is not redone unless restarted.
    let again = backfill(&store, true, None).await.unwrap();
    assert_eq!((again.partners, again.leads), (1, 6));
    let rerun: Item = store.get(&key).await.unwrap().unwrap();
    assert_eq!(figures(&rerun), figures(&kept));
    let resumed = backfill(&store, false, None).await.unwrap();
    assert!(resumed.done);
    assert_eq!(resumed, again, "done: nothing more to do");
}

// ------------------------------------------------------------------ measurement

/// Not part of `make test` (it measures, it asserts no time): the nightly job over
/// `NIGHTLY_PARTNERS` (default 10,000) approved partners with figures, in a table of its
/// own, printing the time per 1,000 partners. Run with
/// `infra/test.sh -p portal-tests --test insight nightly_job_time -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn nightly_job_time_per_thousand_partners() {
    let n: usize = std::env::var("NIGHTLY_PARTNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let p = Portal::new().await;
    let (store, template) = own_table_and_partner(&p, "nightly-").await;
    let day = own_day();
    let quarter = leads::quarter_of(&format!("{day}T12:00:00Z")).unwrap();
    let seeding = std::time::Instant::now();
    portal_tests::portal::seed_scored_partners(&store, &template, &quarter, n).await;
    eprintln!("seeded {n} partners in {:?}", seeding.elapsed());
    let job = Nightly::new(store.clone());
    let started = std::time::Instant::now();
    let report = job.run(day, Utc::now(), None).await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.phase, Phase::Done);
    assert_eq!(report.scored as usize, n);
    eprintln!(
        "nightly job: {n} partners in {took:?} on the emulator = {:?} per 1,000",
        took.mul_f64(1000.0 / n as f64)
    );
}

#[tokio::test]
async fn a_contact_who_unsubscribes_in_one_click_gets_no_more_surveys() {
    let p = Portal::new().await;
    let store = p.ctx.store().clone();
    let (partner, _) = p.register_approved().await;
    let to = format!("{}@gmail.com", unique("customer").to_lowercase());
    let survey = |lead: &'static str| {
        let store = &store;
        let partner = &partner;
        let to = &to;
        async move {
            let tx = shared::feedback::issue(
                store.tx(),
                &shared::feedback::SurveyTarget {
                    lead_id: lead,
                    partner_id: partner,
                    email: to,
                    first_name: "Naledi",
                    business_name: "Acme",
                },
                "https://portal.example.test",
                Utc::now(),
            );
            store.commit(tx.build()).await.unwrap();
        }
    };
    survey("01KB0000000000000000000002").await;
    let sent = p.deliver_emails(&to).await;
    assert_eq!(sent.len(), 1, "the first survey is sent");
    let token = unsubscribe_token(&sent[0]);

    let (status, body) = p.unsubscribe(&shared::crypto::random_token()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unsubscribe_not_found"))
    );
    let (status, body) = p.unsubscribe(&token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"unsubscribed": "surveys"}));
    // Again (a mail app retrying) is the same answer.
    assert_eq!(p.unsubscribe(&token).await.0, 200);

    survey("01KB0000000000000000000003").await;
    assert_eq!(
        p.deliver_emails(&to).await.len(),
        1,
        "no second survey after the unsubscribe"
    );
}
