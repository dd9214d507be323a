//! Leads end to end: conflict protection across partners, the pipeline, aggregates that
//! equal a recount, tenancy, budgets, the public form and operations' assignment.

use chrono::{Duration, Utc};
use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use shared::auth::{Principal, Role};
use shared::leads::{self, Lead, LeadSource, LeadUpdate, NewLead};
use shared::store::{Query, keys};
use std::collections::{BTreeMap, HashMap};

/// A registered partner, approved (KYC review is covered by the onboarding tests).
struct Partner {
    id: String,
    owner: Value,
}

impl Partner {
    fn token(&self) -> &str {
        self.owner["access_token"].as_str().unwrap()
    }

    fn principal(&self) -> Principal {
        Principal {
            user_id: self.owner["user"]["id"].as_str().unwrap().to_string(),
            partner_id: Some(self.id.clone()),
            role: Role::Owner,
            session_id: "test".into(),
        }
    }
}

async fn approved_partner(p: &Portal) -> Partner {
    let (id, owner) = p.register_approved().await;
    Partner {
        id,
        owner: p.token(&owner).await,
    }
}

/// A unique contact: a free-mail address (so no company-domain reservation) and a mobile
/// number from a per-process sequence.
fn contact(tag: &str) -> (String, String) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: std::sync::OnceLock<AtomicU64> = std::sync::OnceLock::new();
    let next =
        NEXT.get_or_init(|| AtomicU64::new(Utc::now().timestamp_subsec_nanos() as u64 % 5_000_000));
    let n = next.fetch_add(1, Ordering::Relaxed) % 10_000_000;
    (
        format!("{tag}.{}@gmail.com", unique("").to_lowercase()),
        format!("082{n:07}"),
    )
}

async fn create(p: &Portal, token: &str, body: Value) -> (u16, Value) {
    as_user(
        with_json(http_fixture("leads-create", "new-lead"), &body),
        token,
        |r| leads_create::handle(r, &p.ctx),
    )
    .await
}

fn lead_body(email: &str, phone: &str) -> Value {
    json!({"first_name": "Lerato", "last_name": "Mokoena", "email": email, "phone": phone})
}

async fn update(p: &Portal, token: &str, id: &str, version: u64, body: Value) -> (u16, Value) {
    let req = with_path_param(
        with_header(
            with_json(http_fixture("leads-update", "mark-contacted"), &body),
            "if-match",
            &format!("\"v{version}\""),
        ),
        "lead_id",
        id,
    );
    as_user(req, token, |r| leads_update::handle(r, &p.ctx)).await
}

#[tokio::test]
async fn another_partners_protected_contact_is_a_conflict_that_names_nobody_until_it_is_lost() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let b = approved_partner(&p).await;
    let domain = format!("{}.co.za", unique("acme").to_lowercase());
    let email = format!("lerato@{domain}");
    let (status, lead) = create(&p, a.token(), json!({"first_name": "Lerato", "last_name": "Mokoena", "email": email, "phone": "082 555 0101"})).await;
    assert_eq!(status, 201, "{lead}");
    assert_eq!(
        (lead["status"].as_str(), lead["crm_sync"]["state"].as_str()),
        (Some("new"), Some("pending"))
    );
    assert!(lead["protection_expires_at"].as_str().unwrap() > Utc::now().to_rfc3339().as_str());

    for (case, body) in [
        (
            "same email",
            json!({"first_name": "L", "last_name": "M", "email": email.to_uppercase()}),
        ),
        (
            "same phone, other format",
            json!({"first_name": "L", "last_name": "M", "phone": "+27 (82) 555-0101"}),
        ),
        (
            "same company domain",
            json!({"first_name": "T", "last_name": "N", "email": format!("thabo@mail.{domain}")}),
        ),
        (
            "same company website",
            json!({"first_name": "T", "last_name": "N", "phone": "083 000 1111", "website": format!("https://www.{domain}/about")}),
        ),
    ] {
        let (status, body) = create(&p, b.token(), body).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("lead_conflict")),
            "{case}: {body}"
        );
        let text = body.to_string();
        assert!(
            !text.contains(&a.id) && !text.contains("Acme Solar"),
            "{case} reveals the other partner: {text}"
        );
    }
    // Free-mail domains never conflict by domain.
    let (status, _) = create(&p, b.token(), json!({"first_name": "X", "last_name": "Y", "email": format!("{}@gmail.com", unique("x").to_lowercase())})).await;
    assert_eq!(status, 201);

    // The same partner again: a duplicate pointing at its own lead.
    let (status, body) = create(
        &p,
        a.token(),
        json!({"first_name": "L", "last_name": "M", "email": email}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str(), body["existing_id"].as_str()),
        (409, Some("duplicate_lead"), lead["id"].as_str())
    );

    let (status, lost) = update(
        &p,
        a.token(),
        lead["id"].as_str().unwrap(),
        1,
        json!({"status": "lost"}),
    )
    .await;
    assert_eq!(
        (status, lost["status"].as_str()),
        (200, Some("lost")),
        "{lost}"
    );
    let (status, body) = create(
        &p,
        b.token(),
        json!({"first_name": "L", "last_name": "M", "email": email}),
    )
    .await;
    assert_eq!(status, 201, "a lost lead is free to register: {body}");
}

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_contact_by_two_partners_make_one_lead() {
    let p = std::sync::Arc::new(Portal::new().await);
    let a = approved_partner(&p).await;
    let b = approved_partner(&p).await;
    let (email, phone) = contact("race");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let p = p.clone();
            let token = if i % 2 == 0 {
                a.token().to_string()
            } else {
                b.token().to_string()
            };
            let body = lead_body(&email, &phone);
            tokio::spawn(async move { create(&p, &token, body).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let mut total = 0;
    for partner in [&a, &b] {
        let q = Query::partition(None, keys::partner_partition(&partner.id), 10_000)
            .prefix(keys::LEAD_PREFIX);
        total += p.ctx.store().query_up_to::<Lead>(&q).await.unwrap().len();
    }
    assert_eq!(total, 1);
}

/// A tiny deterministic generator, so a failing sequence can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn aggregates_equal_a_recount_after_hundreds_of_random_changes() {
    let p = std::sync::Arc::new(Portal::new().await);
    let partner = approved_partner(&p).await;
    let principal = partner.principal();
    let seed = Utc::now().timestamp_nanos_opt().unwrap_or(7) as u64;
    let mut rng = Lcg(seed);
    let stages = ["site visit", "quote", "negotiation"];
    let mut ids: Vec<String> = Vec::new();
    let mut ops = 0;
    while ops < 520 {
        // Batches of up to 6 operations run concurrently, on distinct leads.
        let mut batch = Vec::new();
        let mut touched = std::collections::HashSet::new();
        for _ in 0..6 {
            let create_new = ids.is_empty() || rng.next(3) == 0;
            let target = if create_new {
                None
            } else {
                Some(ids[rng.next(ids.len() as u64) as usize].clone())
            };
            if let Some(t) = &target
                && !touched.insert(t.clone())
            {
                continue;
            }
            let pick = rng.next(100);
            let p = p.clone();
            let principal = principal.clone();
            let stage = stages[rng.next(3) as usize].to_string();
            let days = rng.next(10) as i64 - 5;
            batch.push(tokio::spawn(async move {
                let now = Utc::now();
                match target {
                    None => {
                        let (email, phone) = contact("agg");
                        let req = NewLead {
                            first_name: "R".into(),
                            last_name: "L".into(),
                            email: Some(email),
                            phone: Some(phone),
                            company: None,
                            website: None,
                            address: None,
                            service_interest: None,
                            estimated_value: None,
                            notes: None,
                            stage: pick.is_multiple_of(2).then_some(stage),
                            next_follow_up_at: pick
                                .is_multiple_of(3)
                                .then(|| (now + Duration::days(days)).to_rfc3339()),
                        };
                        leads::create(
                            p.ctx.store(),
                            principal.partner_id.as_deref().unwrap(),
                            &principal.user_id,
                            req,
                            LeadSource::Portal,
                            &p.ctx.leads,
                            now,
                        )
                        .await
                        .map(|l| Some(l.id))
                    }
                    Some(id) => {
                        let lead = leads::get(p.ctx.store(), &principal, &id).await.unwrap();
                        let moves = lead.status.partner_moves();
                        let mut change: LeadUpdate = serde_json::from_value(json!({})).unwrap();
                        match pick % 4 {
                            0 if !moves.is_empty() => {
                                change.status = Some(moves[(pick as usize / 4) % moves.len()])
                            }
                            1 => {
                                change.stage = Some(if pick.is_multiple_of(3) {
                                    String::new()
                                } else {
                                    stage
                                })
                            }
                            2 => {
                                change.next_follow_up_at = Some(if pick.is_multiple_of(5) {
                                    String::new()
                                } else {
                                    (now + Duration::days(days)).to_rfc3339()
                                })
                            }
                            _ => change.notes = Some(format!("note {pick}")),
                        }
                        leads::update(
                            p.ctx.store(),
                            &principal,
                            &id,
                            lead.version,
                            change,
                            &p.ctx.leads,
                            now,
                        )
                        .await
                        .map(|_| None)
                    }
                }
            }));
        }
        for t in batch {
            match t.await.unwrap() {
                Ok(Some(id)) => ids.push(id),
                Ok(None) => {}
                Err(problem) => panic!("seed {seed}: operation failed: {:?}", problem),
            }
            ops += 1;
        }
    }

    let q = Query::partition(None, keys::partner_partition(&partner.id), 10_000)
        .prefix(keys::LEAD_PREFIX);
    let all: Vec<Lead> = p.ctx.store().query_up_to(&q).await.unwrap();
    let mut recount: BTreeMap<String, i64> = BTreeMap::new();
    for lead in &all {
        for (k, v) in leads::contributions(lead) {
            *recount.entry(k).or_default() += v;
        }
    }
    let stored: HashMap<String, Value> = p
        .ctx
        .store()
        .get(&keys::partner_counters(&partner.id))
        .await
        .unwrap()
        .unwrap();
    let maintained: BTreeMap<String, i64> = stored
        .iter()
        .filter(|(k, _)| {
            ["leads_", "status_", "stage_", "due_"]
                .iter()
                .any(|pre| k.starts_with(pre))
        })
        .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
        .filter(|(_, v)| *v != 0)
        .collect();
    assert!(
        ops >= 500 && all.len() > 50,
        "{ops} operations, {} leads",
        all.len()
    );
    assert_eq!(
        maintained,
        recount,
        "seed {seed}: counters differ from a recount of {} leads",
        all.len()
    );
}

/// The quarter counters of `partner_id` as stored (non-zero ones).
async fn stored_quarters(p: &Portal, partner_id: &str) -> BTreeMap<(String, String), i64> {
    let q = Query::partition(None, keys::partner_partition(partner_id), 100).prefix("QUARTER#");
    let items: Vec<HashMap<String, Value>> = p.ctx.store().query_up_to(&q).await.unwrap();
    let mut out = BTreeMap::new();
    for item in items {
        let quarter = item["SK"]
            .as_str()
            .unwrap()
            .trim_start_matches("QUARTER#")
            .to_string();
        for (k, v) in &item {
            if (k.starts_with("leads_") || k.starts_with("first_contact_"))
                && let Some(n) = v.as_i64().filter(|n| *n != 0)
            {
                out.insert((quarter.clone(), k.clone()), n);
            }
        }
    }
    out
}

#[tokio::test]
async fn quarterly_counters_equal_a_recount_after_random_changes_across_quarter_boundaries() {
    let p = Portal::new().await;
    let partners = [approved_partner(&p).await, approved_partner(&p).await];
    let seed = Utc::now().timestamp_nanos_opt().unwrap_or(11) as u64;
    let mut rng = Lcg(seed);
    // A clock that walks through 2026 and into 2027: every quarter boundary is crossed.
    let mut now = chrono::DateTime::parse_from_rfc3339("2026-01-01T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut ids: Vec<String> = Vec::new();
    // Where each lead is (a read by key; the emulator answers index queries by reading the
    // whole table).
    let mut owner_of: HashMap<String, usize> = HashMap::new();
    for op in 0..300 {
        now += Duration::hours(20 + rng.next(20) as i64);
        let pick = rng.next(100);
        if ids.is_empty() || pick < 30 {
            let which = rng.next(2) as usize;
            let owner = &partners[which];
            let (email, phone) = contact("quarter");
            let req = NewLead {
                first_name: "Q".into(),
                last_name: "R".into(),
                email: Some(email),
                phone: Some(phone),
                company: None,
                website: None,
                address: None,
                service_interest: None,
                estimated_value: None,
                notes: None,
                stage: None,
                next_follow_up_at: None,
            };
            let lead = leads::create(
                p.ctx.store(),
                &owner.id,
                &owner.principal().user_id,
                req,
                LeadSource::Portal,
                &p.ctx.leads,
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("seed {seed} op {op}: {e:?}"));
            owner_of.insert(lead.id.clone(), which);
            ids.push(lead.id);
            continue;
        }
        let id = ids[rng.next(ids.len() as u64) as usize].clone();
        let owner = &partners[owner_of[&id]];
        let lead: Lead = p
            .ctx
            .store()
            .get(&keys::lead(&owner.id, &id))
            .await
            .unwrap()
            .unwrap();
        if pick < 55 {
            let moves = lead.status.partner_moves();
            if moves.is_empty() {
                continue;
            }
            let mut change: LeadUpdate = serde_json::from_value(json!({})).unwrap();
            change.status = Some(moves[rng.next(moves.len() as u64) as usize]);
            leads::update(
                p.ctx.store(),
                &owner.principal(),
                &id,
                lead.version,
                change,
                &p.ctx.leads,
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("seed {seed} op {op}: {e:?}"));
        } else if pick < 85 {
            let kind = ["call", "email", "meeting", "note"][rng.next(4) as usize];
            let req: leads::NewActivity = serde_json::from_value(json!({"type": kind})).unwrap();
            leads::add_activity(p.ctx.store(), &owner.principal(), &id, req, now)
                .await
                .unwrap_or_else(|e| panic!("seed {seed} op {op}: {e:?}"));
        } else {
            // Operations move it to the other partner.
            let other = &partners[1 - owner_of[&id]];
            owner_of.insert(id.clone(), 1 - owner_of[&id]);
            leads::assign(
                p.ctx.store(),
                "ops",
                &id,
                leads::AssignRequest {
                    partner_id: other.id.clone(),
                },
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("seed {seed} op {op}: {e:?}"));
        }
    }
    let mut quarters_seen = std::collections::BTreeSet::new();
    for partner in &partners {
        let q = Query::partition(None, keys::partner_partition(&partner.id), 10_000)
            .prefix(keys::LEAD_PREFIX);
        let all: Vec<Lead> = p.ctx.store().query_up_to(&q).await.unwrap();
        let mut recount: BTreeMap<(String, String), i64> = BTreeMap::new();
        for lead in &all {
            for (quarter, attr) in leads::quarter_contributions(lead) {
                quarters_seen.insert(quarter.clone());
                *recount.entry((quarter, attr.to_string())).or_default() += 1;
            }
        }
        assert_eq!(
            stored_quarters(&p, &partner.id).await,
            recount,
            "seed {seed}: quarter counters differ from a recount of {} leads",
            all.len()
        );
    }
    assert!(quarters_seen.len() >= 4, "seed {seed}: {quarters_seen:?}");
}

#[tokio::test]
async fn every_lead_route_answers_404_for_another_partners_lead_and_sales_sees_only_its_own() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let b = approved_partner(&p).await;
    let (email, phone) = contact("b");
    let (_, b_lead) = create(&p, b.token(), lead_body(&email, &phone)).await;
    let id = b_lead["id"].as_str().unwrap();
    let t = a.token();
    let with_id = |fn_: &str, case: &str| with_path_param(http_fixture(fn_, case), "lead_id", id);
    assert_eq!(
        as_user(with_id("leads-get", "get"), t, |r| leads_get::handle(
            r, &p.ctx
        ))
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(with_id("leads-update", "mark-contacted"), t, |r| {
            leads_update::handle(r, &p.ctx)
        })
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(with_id("leads-history", "get"), t, |r| {
            leads_history::handle(r, &p.ctx)
        })
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(with_id("leads-activities-list", "get"), t, |r| {
            leads_activities_list::handle(r, &p.ctx)
        })
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(with_id("leads-activities-create", "call"), t, |r| {
            leads_activities_create::handle(r, &p.ctx)
        })
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(with_id("leads-attachment-upload", "site-photo"), t, |r| {
            leads_attachment_upload::handle(r, &p.ctx)
        })
        .await
        .0,
        404
    );
    let (_, list) = as_user(http_fixture("leads-stats", "get"), t, |r| {
        leads_stats::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(list["total"], 0);

    // Two sales colleagues at A: each sees only their own lead.
    let s1 = p.member(t, "sales").await;
    let s2 = p.member(t, "sales").await;
    let (e1, p1) = contact("s1");
    let (status, mine) = create(
        &p,
        s1["access_token"].as_str().unwrap(),
        lead_body(&e1, &p1),
    )
    .await;
    assert_eq!(status, 201);
    let req = with_path_param(
        http_fixture("leads-get", "get"),
        "lead_id",
        mine["id"].as_str().unwrap(),
    );
    assert_eq!(
        as_user(req, s2["access_token"].as_str().unwrap(), |r| {
            leads_get::handle(r, &p.ctx)
        })
        .await
        .0,
        404
    );
    let mut list_req = http_fixture("leads-list", "open-overdue");
    {
        use lambda_http::RequestExt;
        list_req = list_req.with_query_string_parameters(HashMap::<String, String>::new());
    }
    let (_, s2_list) = as_user(list_req, s2["access_token"].as_str().unwrap(), |r| {
        leads_list::handle(r, &p.ctx)
    })
    .await;
    assert!(s2_list["items"].as_array().unwrap().is_empty(), "{s2_list}");
    let req = with_path_param(
        http_fixture("leads-get", "get"),
        "lead_id",
        mine["id"].as_str().unwrap(),
    );
    assert_eq!(
        as_user(req, t, |r| leads_get::handle(r, &p.ctx)).await.0,
        200,
        "the owner sees every lead"
    );
    // Finance reads but cannot write.
    let fin = p.member(t, "finance").await;
    let (e2, p2) = contact("f");
    assert_eq!(
        create(
            &p,
            fin["access_token"].as_str().unwrap(),
            lead_body(&e2, &p2)
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn the_status_machine_refuses_moves_partners_may_not_make() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let (email, phone) = contact("sm");
    let (_, lead) = create(&p, a.token(), lead_body(&email, &phone)).await;
    let id = lead["id"].as_str().unwrap();
    let (status, body) = update(&p, a.token(), id, 1, json!({"status": "won"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_status_transition"))
    );
    assert_eq!(
        body["allowed"],
        json!(["contacted", "qualified", "proposal", "lost"])
    );
    let (status, q) = update(
        &p,
        a.token(),
        id,
        1,
        json!({"status": "qualified", "stage": "demo booked"}),
    )
    .await;
    assert_eq!(status, 200, "{q}");
    let (status, _) = update(&p, a.token(), id, 2, json!({"status": "contacted"})).await;
    assert_eq!(status, 409, "no going back");
    assert_eq!(
        update(&p, a.token(), id, 1, json!({"notes": "stale"}))
            .await
            .0,
        412
    );
    let (_, history) = as_user(
        with_path_param(http_fixture("leads-history", "get"), "lead_id", id),
        a.token(),
        |r| leads_history::handle(r, &p.ctx),
    )
    .await;
    let moves: Vec<(Value, Value)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (Value::Null, json!("new")),
            (json!("new"), json!("qualified"))
        ]
    );
}

#[tokio::test]
async fn activities_stamp_last_contact_and_stats_count_overdue_follow_ups() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let (email, phone) = contact("act");
    let mut body = lead_body(&email, &phone);
    body["next_follow_up_at"] = json!((Utc::now() - Duration::days(2)).to_rfc3339());
    body["stage"] = json!("site visit");
    let (_, lead) = create(&p, a.token(), body).await;
    let id = lead["id"].as_str().unwrap();
    let req = with_path_param(
        http_fixture("leads-activities-create", "call"),
        "lead_id",
        id,
    );
    let (status, activity) = as_user(req, a.token(), |r| {
        leads_activities_create::handle(r, &p.ctx)
    })
    .await;
    assert_eq!((status, activity["type"].as_str()), (201, Some("call")));
    let (_, got) = as_user(
        with_path_param(http_fixture("leads-get", "get"), "lead_id", id),
        a.token(),
        |r| leads_get::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(got["last_contact_at"], activity["at"]);
    let (_, acts) = as_user(
        with_path_param(http_fixture("leads-activities-list", "get"), "lead_id", id),
        a.token(),
        |r| leads_activities_list::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(acts["items"].as_array().unwrap().len(), 1);

    let (_, stats) = as_user(http_fixture("leads-stats", "get"), a.token(), |r| {
        leads_stats::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(
        (
            stats["total"].as_i64(),
            stats["open"].as_i64(),
            stats["overdue_follow_ups"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(stats["by_stage"]["site visit"], 1);
    let (status, overdue) = as_user(http_fixture("leads-list", "open-overdue"), a.token(), |r| {
        leads_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 200);
    assert_eq!(overdue["items"][0]["id"], lead["id"]);
}

#[tokio::test]
async fn lead_reads_and_writes_stay_within_their_round_trip_budgets() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let (email, phone) = contact("budget");
    let (status, lead) = as_user(
        with_json(
            http_fixture("leads-create", "new-lead"),
            &lead_body(&email, &phone),
        ),
        a.token(),
        |r| leads_create::handle(r, &ctx),
    )
    .await;
    assert_eq!(status, 201, "{lead}");
    // The access check (user and partner), the contact guards, then one transaction.
    assert_eq!(
        counter.calls(),
        vec!["BatchGetItem", "BatchGetItem", "TransactWriteItems"]
    );
    for (req, expected) in [
        (
            with_path_param(
                http_fixture("leads-get", "get"),
                "lead_id",
                lead["id"].as_str().unwrap(),
            ),
            // The lead is read with the access check, in the same round trip.
            vec!["BatchGetItem"],
        ),
        (
            http_fixture("leads-list", "open-overdue"),
            vec!["BatchGetItem", "Query"],
        ),
        (http_fixture("leads-stats", "get"), vec!["BatchGetItem"]),
    ] {
        counter.reset();
        let response = shared::http::respond(with_bearer(req, Some(a.token())), |r| async {
            match r.uri().path() {
                p if p.ends_with("/stats") => leads_stats::handle(r, &ctx).await,
                "/v1/leads" => leads_list::handle(r, &ctx).await,
                _ => leads_get::handle(r, &ctx).await,
            }
        })
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(counter.calls(), expected);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_read_one_item_for_ten_leads_and_for_two_thousand() {
    // Every lead goes through the real create path (transaction, guards, counters).
    let p = std::sync::Arc::new(Portal::new().await);
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    // Seeding, not the daily limit, is what this loop does: it runs without the limit.
    let seeding = shared::leads::LeadSettings {
        portal_daily_limit: None,
        ..p.ctx.leads.clone()
    };
    let seeding = std::sync::Arc::new(seeding);
    for n in [10usize, 2000] {
        let partner = approved_partner(&p).await;
        let principal = partner.principal();
        let mut handles = Vec::new();
        for chunk in (0..n).collect::<Vec<_>>().chunks(n.div_ceil(8)) {
            let (p, principal, len) = (p.clone(), principal.clone(), chunk.len());
            let seeding = seeding.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..len {
                    let (email, phone) = contact("bulk");
                    let req: NewLead = serde_json::from_value(lead_body(&email, &phone)).unwrap();
                    leads::create(
                        p.ctx.store(),
                        principal.partner_id.as_deref().unwrap(),
                        &principal.user_id,
                        req,
                        LeadSource::Portal,
                        &seeding,
                        Utc::now(),
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        counter.reset();
        let (status, stats) = as_user(http_fixture("leads-stats", "get"), partner.token(), |r| {
            leads_stats::handle(r, &ctx)
        })
        .await;
        assert_eq!(status, 200);
        assert_eq!(stats["total"].as_i64(), Some(n as i64));
        assert_eq!(counter.calls(), vec!["BatchGetItem"], "{n} leads");
    }
}

#[tokio::test]
async fn the_public_form_needs_consent_ignores_bots_throttles_and_always_answers_202() {
    let p = Portal::new().await;
    within_one_window(900, 10).await;
    let a = approved_partner(&p).await;
    let (_, me) = p.me(a.token()).await;
    let slug = me["partner"]["slug"].as_str().unwrap().to_string();
    let submit = |body: Value, ip: &str| {
        with_source_ip(
            with_path_param(
                with_json(http_fixture("public-lead-submit", "form"), &body),
                "slug",
                &slug,
            ),
            ip,
        )
    };
    let ip = format!("198.51.100.{}", Utc::now().timestamp_subsec_micros() % 250);
    let (e1, p1) = contact("pub");
    let form = |email: &str, phone: &str| json!({"first_name": "Sam", "last_name": "Naidoo", "email": email, "phone": phone, "consent": true, "website_url": ""});

    let mut extra = form(&e1, &p1);
    extra["status"] = json!("won");
    assert_eq!(
        call(submit(extra, &ip), |r| public_lead_submit::handle(
            r, &p.ctx
        ))
        .await
        .0,
        400,
        "unknown fields are refused"
    );
    let mut no_consent = form(&e1, &p1);
    no_consent["consent"] = json!(false);
    assert_eq!(
        call(submit(no_consent, &ip), |r| public_lead_submit::handle(
            r, &p.ctx
        ))
        .await
        .0,
        400
    );

    let (status, _) = call(submit(form(&e1, &p1), &ip), |r| {
        public_lead_submit::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 202);
    let mut bot = form(&contact("bot").0, &contact("bot").1);
    bot["website_url"] = json!("http://spam.example");
    assert_eq!(
        call(submit(bot, &ip), |r| public_lead_submit::handle(r, &p.ctx))
            .await
            .0,
        202
    );
    // A duplicate is still 202 for the submitter.
    assert_eq!(
        call(submit(form(&e1, &p1), &ip), |r| public_lead_submit::handle(
            r, &p.ctx
        ))
        .await
        .0,
        202
    );

    let q = Query::partition(None, keys::partner_partition(&a.id), 100).prefix(keys::LEAD_PREFIX);
    let stored: Vec<Lead> = p.ctx.store().query_up_to(&q).await.unwrap();
    assert_eq!(stored.len(), 1, "the bot and the duplicate created nothing");
    assert_eq!(stored[0].source, LeadSource::PublicForm);

    let mut throttled = false;
    for _ in 0..12 {
        let (e, ph) = contact("flood");
        if call(submit(form(&e, &ph), &ip), |r| {
            public_lead_submit::handle(r, &p.ctx)
        })
        .await
        .0 == 429
        {
            throttled = true;
            break;
        }
    }
    assert!(
        throttled,
        "one address is throttled after {} submissions",
        shared::leads::PUBLIC_PER_SOURCE
    );
    let unknown = with_path_param(
        with_json(http_fixture("public-lead-submit", "form"), &form(&e1, &p1)),
        "slug",
        "no-such-partner",
    );
    assert_eq!(
        call(unknown, |r| public_lead_submit::handle(r, &p.ctx))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn operations_can_assign_a_lead_to_another_partner_who_is_emailed() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let b = approved_partner(&p).await;
    let (email, phone) = contact("assign");
    let (_, lead) = create(&p, a.token(), lead_body(&email, &phone)).await;
    let id = lead["id"].as_str().unwrap();
    let admin = p.admin_token().await;
    let req = with_path_param(
        with_json(
            http_fixture("admin-lead-assign", "assign"),
            &json!({"partner_id": b.id}),
        ),
        "lead_id",
        id,
    );
    let (status, moved) = as_user(req, &admin, |r| admin_lead_assign::handle(r, &p.ctx)).await;
    assert_eq!(
        (status, moved["partner_id"].as_str()),
        (200, Some(b.id.as_str())),
        "{moved}"
    );
    assert_eq!(
        as_user(
            with_path_param(http_fixture("leads-get", "get"), "lead_id", id),
            a.token(),
            |r| leads_get::handle(r, &p.ctx)
        )
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(
            with_path_param(http_fixture("leads-get", "get"), "lead_id", id),
            b.token(),
            |r| leads_get::handle(r, &p.ctx)
        )
        .await
        .0,
        200
    );
    let (_, a_stats) = as_user(http_fixture("leads-stats", "get"), a.token(), |r| {
        leads_stats::handle(r, &p.ctx)
    })
    .await;
    let (_, b_stats) = as_user(http_fixture("leads-stats", "get"), b.token(), |r| {
        leads_stats::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(
        (a_stats["total"].as_i64(), b_stats["total"].as_i64()),
        (Some(0), Some(1))
    );
    let owner_b = b.owner["user"]["email"].as_str().unwrap();
    assert!(
        p.deliver_emails(owner_b)
            .await
            .iter()
            .any(|e| e.contains("assigned the lead"))
    );
    // The contact now belongs to B: A cannot register it again.
    assert_eq!(
        create(&p, a.token(), lead_body(&email, &phone)).await.1["code"],
        "lead_conflict"
    );
}

const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A new lead of `a` with an attachment upload granted for a small .docx; returns the lead,
/// the grant and the file.
async fn docx_attachment(p: &Portal, a: &Partner) -> (Value, Value, Vec<u8>) {
    let (email, phone) = contact("att");
    let (_, lead) = create(p, a.token(), lead_body(&email, &phone)).await;
    let docx = b"PK\x03\x04\x14\x00\x06\x00word/document.xml".to_vec();
    let body = json!({"file_name": "quote.docx", "content_type": DOCX_TYPE, "size": docx.len()});
    let req = with_path_param(
        with_json(http_fixture("leads-attachment-upload", "site-photo"), &body),
        "lead_id",
        lead["id"].as_str().unwrap(),
    );
    let (status, granted) = as_user(req, a.token(), |r| {
        leads_attachment_upload::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 201, "{granted}");
    (lead, granted, docx)
}

/// A browser's PUT of `bytes` to a presigned upload URL.
async fn put_docx(url: &str, bytes: Vec<u8>) {
    let response = reqwest::Client::new()
        .put(url)
        .header("content-type", DOCX_TYPE)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[tokio::test]
async fn a_lead_attachment_is_verified_like_a_kyc_document() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let (lead, granted, docx) = docx_attachment(&p, &a).await;
    let key = granted["attachment"]["object_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(key.starts_with(&format!("leads/{}/{}/", a.id, lead["id"].as_str().unwrap())));
    put_docx(granted["upload"]["url"].as_str().unwrap(), docx).await;
    let docs = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);
    let etag = docs.info(&key).await.unwrap().unwrap().etag;
    assert!(
        leads::verify_attachment(p.ctx.store(), &docs, &key, etag.as_deref())
            .await
            .unwrap()
    );
    assert!(docs.info(&key).await.unwrap().is_some());
}

#[tokio::test]
async fn a_replaced_attachment_is_rejected() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let (lead, granted, docx) = docx_attachment(&p, &a).await;
    let key = granted["attachment"]["object_key"]
        .as_str()
        .unwrap()
        .to_string();
    let url = granted["upload"]["url"].as_str().unwrap().to_string();
    put_docx(&url, docx.clone()).await;
    let docs = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);
    let verified = docs.info(&key).await.unwrap().unwrap().etag;
    assert!(
        leads::verify_attachment(p.ctx.store(), &docs, &key, verified.as_deref())
            .await
            .unwrap()
    );
    // Same length and type, other content, through the still-valid URL.
    let mut other = docx.clone();
    let last = other.len() - 1;
    other[last] = b'!';
    put_docx(&url, other).await;
    let replaced = docs.info(&key).await.unwrap().unwrap().etag;
    assert_ne!(replaced, verified);
    assert!(
        !leads::verify_attachment(p.ctx.store(), &docs, &key, replaced.as_deref())
            .await
            .unwrap()
    );
    assert!(
        docs.info(&key).await.unwrap().is_none(),
        "the replacement is removed"
    );
    let stored = keys::lead_attachment(
        &a.id,
        lead["id"].as_str().unwrap(),
        granted["attachment"]["id"].as_str().unwrap(),
    );
    let stored = p.stack.raw_item(&stored.pk, &stored.sk).await;
    assert_eq!(stored["status"].as_s().unwrap(), "rejected");
}

#[tokio::test]
async fn overdue_follow_ups_page_past_the_first_page() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let mut ids = Vec::new();
    for days in [3, 2] {
        let (email, phone) = contact("overdue");
        let mut body = lead_body(&email, &phone);
        body["next_follow_up_at"] = json!((Utc::now() - Duration::days(days)).to_rfc3339());
        let (status, lead) = create(&p, a.token(), body).await;
        assert_eq!(status, 201, "{lead}");
        ids.push(lead["id"].as_str().unwrap().to_string());
    }
    let page = |cursor: Option<&str>| {
        use lambda_http::RequestExt;
        let mut q = std::collections::HashMap::from([
            ("follow_up".to_string(), "overdue".to_string()),
            ("limit".to_string(), "1".to_string()),
        ]);
        if let Some(c) = cursor {
            q.insert("cursor".into(), c.to_string());
        }
        http_fixture("leads-list", "open-overdue").with_query_string_parameters(q)
    };
    let (status, first) = as_user(page(None), a.token(), |r| leads_list::handle(r, &p.ctx)).await;
    assert_eq!(status, 200, "{first}");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    // The second request runs at a later "now" than the first: its cursor still holds.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, second) = as_user(page(Some(&cursor)), a.token(), |r| {
        leads_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 200, "{second}");
    let seen: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(seen.contains(&id.as_str()), "{id} missing from {seen:?}");
    }
}

#[tokio::test]
async fn the_counters_item_cannot_grow_without_bound() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let (email, phone) = contact("cap");
    let (_, lead) = create(&p, a.token(), lead_body(&email, &phone)).await;
    let id = lead["id"].as_str().unwrap().to_string();
    let mut version = 1;
    for n in 0..leads::MAX_STAGES {
        let (status, body) = update(
            &p,
            a.token(),
            &id,
            version,
            json!({"stage": format!("s-{n}")}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        version += 1;
    }
    let (status, problem) = update(
        &p,
        a.token(),
        &id,
        version,
        json!({"stage": "one too many"}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("too_many_stages")),
        "{problem}"
    );
    let (status, _) = update(&p, a.token(), &id, version, json!({"stage": "s-3"})).await;
    assert_eq!(status, 200, "a label in use can still be set");
    version += 1;
    let far = (Utc::now() + Duration::days(3650)).to_rfc3339();
    let (status, problem) = update(
        &p,
        a.token(),
        &id,
        version,
        json!({"next_follow_up_at": far}),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "/next_follow_up_at");
}

#[tokio::test]
async fn the_pipeline_value_follows_open_leads_estimates() {
    let p = Portal::new().await;
    let a = approved_partner(&p).await;
    let pipeline = || async {
        let item: Option<Value> = p
            .ctx
            .store()
            .get(&keys::directory_counters())
            .await
            .unwrap();
        item.and_then(|i| i["pipeline_value_minor"].as_i64())
            .unwrap_or(0)
    };
    let before = pipeline().await;
    let (email, phone) = contact("pipe");
    let mut body = lead_body(&email, &phone);
    // An odd amount no other test uses, so parallel tests cannot blur the difference.
    body["estimated_value"] = json!({"amount_minor": 7_654_321, "currency": "ZAR"});
    let (status, lead) = create(&p, a.token(), body).await;
    assert_eq!(status, 201, "{lead}");
    assert_eq!(pipeline().await - before, 7_654_321);
    // A lead in another currency is not added to a ZAR figure.
    let (email, phone) = contact("pipe");
    let mut usd = lead_body(&email, &phone);
    usd["estimated_value"] = json!({"amount_minor": 1_000, "currency": "USD"});
    assert_eq!(create(&p, a.token(), usd).await.0, 201);
    assert_eq!(pipeline().await - before, 7_654_321);
    // Lost: no longer in the pipeline.
    let (status, body) = update(
        &p,
        a.token(),
        lead["id"].as_str().unwrap(),
        1,
        json!({"status": "lost"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(pipeline().await, before);
}
