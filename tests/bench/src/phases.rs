//! The measured sections. Each seeds what it needs through the real handlers (or, for bulk
//! scale data, copies of one real item), measures, and adds rows to the report.

use crate::meter::{Counts, Meter};
use crate::report::{Report, median, ms, quantile, ratio};
use crate::stub::Function;
use chrono::Utc;
use portal_tests::portal::{ApprovedPartner, Portal, as_user};
use portal_tests::*;
use serde_json::{Value, json};
use shared::app::Keys;
use shared::auth::{Principal, Role};
use shared::store::{Query, keys};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Starts per function for the cold-start figures (the issue asks for at least 15).
const STARTS: usize = 15;
/// Warm invocations per function for the overhead figures.
const WARM: usize = 200;
const CONCURRENCY: usize = 20;
/// The functions whose cold start is measured: the API's common reads and writes, the CRM
/// webhook and workers, the email sender.
const COLD_SET: [&str; 8] = [
    "health",
    "me",
    "leads-get",
    "leads-create",
    "dashboard",
    "crm-inbound",
    "email-sender",
    "crm-webhook",
];

// ------------------------------------------------------------------ events

/// An API Gateway HTTP API event (JSON) with the caller's token and a JSON body.
fn api_event(route: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Value {
    let mut event = portal_tests::api_event(route, path, &[]);
    if let Some(t) = token {
        event["headers"]["authorization"] = json!(format!("Bearer {t}"));
    }
    if let Some(b) = body {
        event["headers"]["content-type"] = json!("application/json");
        event["body"] = json!(b.to_string());
    }
    event
}

fn fixture(function: &str, case: &str) -> Value {
    serde_json::from_str(&fixture_json(function, case)).unwrap()
}

fn lead_body(i: usize) -> Value {
    json!({"first_name": "Lerato", "last_name": format!("Bench {i}"),
           "email": format!("bench.{}@gmail.com", unique("").to_lowercase())})
}

/// The status code of an API answer (the function's JSON response), or 0 for a non-API one.
fn status_of(answer: &[u8]) -> u16 {
    serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|v| v["statusCode"].as_u64())
        .unwrap_or(0) as u16
}

/// The session id an access token names (its `sid` claim).
fn session_id(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sid"].as_str().expect("a sid claim").to_string()
}

fn principal(a: &ApprovedPartner) -> Principal {
    Principal {
        user_id: a.owner["user"]["id"].as_str().unwrap().to_string(),
        partner_id: Some(a.id.clone()),
        role: Role::Owner,
        session_id: "bench".into(),
    }
}

async fn create_lead(p: &Portal, token: &str, i: usize) -> Value {
    let req = with_json(
        api_request("POST /v1/leads", "/v1/leads", &[]),
        &lead_body(i),
    );
    let (status, lead) = as_user(req, token, |r| leads_create::handle(r, &p.ctx)).await;
    assert_eq!(status, 201, "{lead}");
    lead
}

// ------------------------------------------------------------------ processes

struct Bins {
    dir: PathBuf,
    functions: Value,
    env: Vec<(String, String)>,
}

impl Bins {
    fn new() -> Self {
        let out =
            PathBuf::from(std::env::var("BENCH_OUT").unwrap_or_else(|_| "target/bench".into()));
        let functions = std::fs::read_to_string(out.join("functions.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Self {
            dir: PathBuf::from(env("BENCH_BIN_DIR")),
            functions,
            // The stack's environment, as the functions get it (logs at the template's level).
            env: std::env::vars()
                .filter(|(k, _)| !k.starts_with("BENCH_") && !k.starts_with("CARGO"))
                .collect(),
        }
    }

    fn memory(&self, function: &str) -> u32 {
        self.functions[function]["memory"].as_u64().unwrap_or(128) as u32
    }

    async fn start(&self, function: &str) -> Function {
        self.start_with(function, &[]).await
    }

    async fn start_with(&self, function: &str, extra: &[(&str, String)]) -> Function {
        Function::start(
            &self.dir.join(function),
            function,
            self.memory(function),
            &self.env,
            extra,
        )
        .await
    }
}

/// Cold init, first and warm invocations of function binaries under the Runtime API stub;
/// then warm handlers against the bare SDK read of the same items.
pub async fn processes(report: &mut Report, p: &Portal, cold: bool, overhead: bool) {
    let bins = Bins::new();
    let a = p.approved_partner().await;
    let token = a.token().to_string();
    let mut lead_ids = Vec::new();
    for i in 0..30 {
        lead_ids.push(
            create_lead(p, &token, i).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let lead = lead_ids[0].clone();
    let webhook_secret = p.stack.webhook_secret().await;
    let counter = std::sync::atomic::AtomicUsize::new(1000);
    let event = |function: &str| -> Value {
        match function {
            "bench-hello" => json!({"hello": "world"}),
            "health" => api_event("GET /v1/health", "/v1/health", None, None),
            "me" => api_event("GET /v1/me", "/v1/me", Some(&token), None),
            "dashboard" => api_event("GET /v1/dashboard", "/v1/dashboard", Some(&token), None),
            "leads-get" => api_event(
                "GET /v1/leads/{lead_id}",
                &format!("/v1/leads/{lead}"),
                Some(&token),
                None,
            ),
            "leads-list" => api_event("GET /v1/leads", "/v1/leads", Some(&token), None),
            "leads-create" => {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                api_event(
                    "POST /v1/leads",
                    "/v1/leads",
                    Some(&token),
                    Some(&lead_body(i)),
                )
            }
            "crm-inbound" => {
                // A new Zoho record each time, so no invocation is a repeat the worker skips.
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut e = fixture("crm-inbound", "lead-updated");
                let record = format!("48768760{i:011}");
                let mut body: Value =
                    serde_json::from_str(e["Records"][0]["body"].as_str().unwrap()).unwrap();
                body["record_id"] = json!(record);
                body["payload"]["id"] = json!(record);
                body["payload"]["modified_time"] = json!(shared::validate::rfc3339(Utc::now()));
                e["Records"][0]["body"] = json!(body.to_string());
                e["Records"][0]["messageId"] = json!(ulid::Ulid::new().to_string());
                e["Records"][0]["attributes"]["MessageGroupId"] = json!(format!("Leads:{record}"));
                e
            }
            "email-sender" => fixture("email-sender", "invitation-inserted"),
            "crm-webhook" => {
                // A Zoho change not seen before, with the webhook secret.
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut e = fixture("crm-webhook", "lead-updated");
                let mut body: Value = serde_json::from_str(e["body"].as_str().unwrap()).unwrap();
                body["id"] = json!(format!("48768760{i:011}"));
                body["modified_time"] = json!(shared::validate::rfc3339(Utc::now()));
                e["body"] = json!(body.to_string());
                e["headers"]["x-portal-webhook-secret"] = json!(webhook_secret);
                e
            }
            other => panic!("no event for {other}"),
        }
    };

    if cold {
        // `BENCH_COLD_SET` (comma-separated) measures fewer, e.g. binaries built another way;
        // the hello-world baseline always comes first.
        let chosen = std::env::var("BENCH_COLD_SET").unwrap_or_default();
        let mut set: Vec<&str> = if chosen.is_empty() {
            COLD_SET.to_vec()
        } else {
            chosen.split(',').filter(|f| *f != "bench-hello").collect()
        };
        set.insert(0, "bench-hello");
        let mut init: Vec<Vec<Duration>> = vec![Vec::new(); set.len()];
        let mut first: Vec<Vec<Duration>> = vec![Vec::new(); set.len()];
        let mut warm: Vec<Vec<Duration>> = vec![Vec::new(); set.len()];
        let mut statuses: Vec<std::collections::BTreeMap<u16, usize>> =
            vec![Default::default(); set.len()];
        // Round-robin, so a noisy moment of the machine spreads over every function.
        for _ in 0..STARTS {
            for (i, function) in set.iter().enumerate() {
                let mut f = bins.start(function).await;
                init[i].push(f.init().await);
                let answer = f.invoke(event(function)).await;
                first[i].push(answer.duration);
                *statuses[i]
                    .entry(if answer.error {
                        1
                    } else {
                        status_of(&answer.body)
                    })
                    .or_default() += 1;
                for _ in 0..3 {
                    let answer = f.invoke(event(function)).await;
                    warm[i].push(answer.duration);
                    *statuses[i]
                        .entry(if answer.error {
                            1
                        } else {
                            status_of(&answer.body)
                        })
                        .or_default() += 1;
                }
                f.stop().await;
            }
        }
        let hello_init = median(&init[0]);
        for (i, function) in set.iter().enumerate() {
            let (ini, fst, wrm) = (median(&init[i]), median(&first[i]), median(&warm[i]));
            report.put(&["cold", function], json!({
                "starts": STARTS, "init_ms_median": ms(ini), "first_ms_median": ms(fst), "warm_ms_median": ms(wrm),
                "init_ms_max": ms(quantile(&init[i], 1.0)), "first_ms_max": ms(quantile(&first[i], 1.0)),
                "answers": statuses[i].iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            }));
            if i == 0 {
                report.row(
                    "cold",
                    format!("hello-world init / first / warm (median of {STARTS})"),
                    format!("{:.1} / {:.2} / {:.2} ms", ms(ini), ms(fst), ms(wrm)),
                    "the baseline",
                );
                continue;
            }
            let answers: Vec<String> = statuses[i]
                .iter()
                .map(|(k, v)| {
                    if *k == 1 {
                        format!("{v}× error")
                    } else if *k == 0 {
                        format!("{v}× event")
                    } else {
                        format!("{v}× {k}")
                    }
                })
                .collect();
            report.row(
                "cold",
                format!("{function}: init ÷ hello init; first ÷ warm"),
                format!(
                    "{:.2}× ({:.1} ms); {:.2}× ({:.1}/{:.1} ms)",
                    ratio(ini, hello_init),
                    ms(ini),
                    ratio(fst, wrm),
                    ms(fst),
                    ms(wrm)
                ),
                format!("≤ 1.5×; ≤ 3× [{}]", answers.join(", ")),
            );
            report.put(&["warm_ms", function], json!(ms(wrm)));
        }
    }

    if overhead {
        // The bare function reads exactly the items the handler reads: the caller's user,
        // session and partner (the access check), and the route's own items.
        let session = session_id(&token);
        let user = keys::user(Some(&a.id), a.owner["user"]["id"].as_str().unwrap());
        let caller = vec![
            json!([user.pk, user.sk]),
            json!([keys::session(&session).pk, keys::session(&session).sk]),
            json!([keys::partner(&a.id).pk, keys::partner(&a.id).sk]),
        ];
        let with = |extra: Vec<shared::store::Key>| -> Value {
            let mut k = caller.clone();
            k.extend(extra.iter().map(|k| json!([k.pk, k.sk])));
            json!({"op": "batch", "keys": k})
        };
        let page = json!({"op": "query", "pk": keys::partner_partition(&a.id), "prefix": keys::LEAD_PREFIX, "limit": 25});
        let list = json!({"op": "seq", "ops": Value::Array(vec![with(vec![]), page])});
        let cases: [(&str, Value); 4] = [
            ("leads-get", with(vec![keys::lead(&a.id, &lead)])),
            ("leads-list", list),
            ("me", with(vec![])),
            (
                "dashboard",
                with(shared::insight::dashboard_keys(&principal(&a), Utc::now())),
            ),
        ];
        let mut bare = bins.start("bench-bare").await;
        bare.init().await;
        for (function, baseline) in cases {
            let mut f = bins.start(function).await;
            f.init().await;
            // Warm both up, then alternate: handler, bare, handler, bare …
            for _ in 0..5 {
                f.invoke(event(function)).await;
                bare.invoke(baseline.clone()).await;
            }
            let (mut h, mut b) = (Vec::new(), Vec::new());
            let mut bad = 0;
            for _ in 0..WARM {
                let answer = f.invoke(event(function)).await;
                if answer.error || status_of(&answer.body) != 200 {
                    bad += 1;
                }
                h.push(answer.duration);
                let answer = bare.invoke(baseline.clone()).await;
                assert!(
                    !answer.error,
                    "the bare read failed: {}",
                    String::from_utf8_lossy(&answer.body)
                );
                b.push(answer.duration);
            }
            f.stop().await;
            let (h50, h99, b50, b99) = (
                quantile(&h, 0.5),
                quantile(&h, 0.99),
                quantile(&b, 0.5),
                quantile(&b, 0.99),
            );
            report.put(
                &["overhead", function],
                json!({
                    "invocations": WARM, "handler_p50_ms": ms(h50), "handler_p99_ms": ms(h99),
                    "bare_p50_ms": ms(b50), "bare_p99_ms": ms(b99), "not_200": bad,
                }),
            );
            report.put(&["warm_ms", function], json!(ms(h50)));
            report.row(
                "overhead",
                format!("{function}: warm handler ÷ bare read of its items, p50; p99 ({WARM})"),
                format!(
                    "{:.2}× ({:.2}/{:.2} ms); {:.2}×",
                    ratio(h50, b50),
                    ms(h50),
                    ms(b50),
                    ratio(h99, b99)
                ),
                format!(
                    "≤ 1.5×{}",
                    if bad > 0 {
                        format!(" [{bad} answers not 200]")
                    } else {
                        String::new()
                    }
                ),
            );
        }
        bare.stop().await;
    }
}

// ------------------------------------------------------------------ webhook ingestion

const WEBHOOKS: usize = 1_000;
const RECORDS: usize = 50;

pub async fn ingest(report: &mut Report) {
    use shared::crm::webhook::QueuedEvent;
    let world = portal_tests::crm::CrmWorld::new().await;
    let (_, owner) = world.approved_partner().await;
    let mut records = Vec::new();
    for i in 0..RECORDS {
        let lead = world.lead(&owner, &format!("Bench{i}")).await;
        records.push(lead.id);
    }
    world.drain().await;
    let records: Vec<(String, String)> = records
        .iter()
        .map(|portal_id| {
            let r = world.zoho_records_for("Leads", portal_id);
            (portal_id.clone(), r[0]["id"].as_str().unwrap().to_string())
        })
        .collect();
    // Each webhook is a real change in the fake Zoho (its Modified_Time moves on).
    let mut bodies = Vec::with_capacity(WEBHOOKS);
    for i in 0..WEBHOOKS {
        let (_, crm_id) = &records[i % RECORDS];
        let record = world.zoho.update(
            "Leads",
            crm_id,
            json!({"Description": format!("bench change {i}")}),
        );
        bodies.push(portal_tests::zoho::webhook_body(
            "lead.updated",
            "Leads",
            &record,
        ));
    }
    let stack = &world.stack;
    let secret = stack.webhook_secret().await;
    let sqs = stack.sqs();
    let queue_url = stack.fifo_queue("bench-webhooks-", &[]).await;
    let raw_url = stack.fifo_queue("bench-raw-", &[]).await;
    // Twenty execution environments of each: the real crm-webhook binary writing to this
    // run's queue, and the bare function sending the same bodies with the same SDK client.
    let bins = Bins::new();
    let mut webhook = Vec::new();
    let mut bare = Vec::new();
    for _ in 0..CONCURRENCY {
        let mut f = bins
            .start_with(
                "crm-webhook",
                &[("CRM_WEBHOOK_QUEUE_URL", queue_url.clone())],
            )
            .await;
        f.init().await;
        webhook.push(f);
        let mut b = bins.start("bench-bare").await;
        b.init().await;
        bare.push(b);
    }
    let template = fixture("crm-webhook", "lead-updated");
    let (mut acks, mut raws) = (Vec::new(), Vec::new());
    let mut refused = 0;
    // Blocks of 100, the handler and the raw send in turn, so drift hits both alike; each
    // block spread over the twenty environments.
    for (b, block) in bodies.chunks(100).enumerate() {
        let events: Vec<Value> = block
            .iter()
            .map(|body| {
                let mut e = template.clone();
                e["headers"]["x-portal-webhook-secret"] = json!(secret);
                e["body"] = json!(body.to_string());
                e
            })
            .collect();
        for (took, status) in spread(&mut webhook, events).await {
            acks.push(took);
            if status != 200 {
                refused += 1;
            }
        }
        let sends: Vec<Value> = block
            .iter()
            .enumerate()
            .map(|(n, body)| {
                let id = body["id"].as_str().unwrap_or_default();
                json!({"op": "send", "queue": raw_url, "body": body.to_string(), "group": format!("Leads:{id}"),
                       "dedup": format!("{b}-{n}-{id}")})
            })
            .collect();
        raws.extend(spread(&mut bare, sends).await.into_iter().map(|(t, _)| t));
    }
    drop(webhook);
    drop(bare);
    // Drain through the inbound worker, message by message in each group's order.
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    let (mut received, mut empty) = (0usize, 0);
    while empty < 3 {
        let out = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            empty += 1;
            continue;
        }
        empty = 0;
        for m in messages {
            received += 1;
            let queued: QueuedEvent = serde_json::from_str(m.body().unwrap()).unwrap();
            let outcome = match shared::crm::inbound::handle(&world.crm, &queued, Utc::now()).await
            {
                Ok(o) => o.to_string(),
                Err(e) => format!("error: {}", shared::fault::Fault::code(&e)),
            };
            *outcomes.entry(outcome).or_default() += 1;
            sqs.delete_message()
                .queue_url(&queue_url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let errors: usize = outcomes
        .iter()
        .filter(|(k, _)| k.starts_with("error"))
        .map(|(_, v)| v)
        .sum();
    // The queue de-duplicates by content (`webhook::event_id`): two changes of one record
    // within Zoho's one-second Modified_Time resolution can carry the same body. Every
    // distinct body sent must come out of the queue exactly once and be applied.
    let distinct = bodies
        .iter()
        .map(|b| b.to_string())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let deduplicated = WEBHOOKS - distinct;
    let lost = distinct as i64 - received as i64 + errors as i64;
    let (a50, a99, r50, r99) = (
        quantile(&acks, 0.5),
        quantile(&acks, 0.99),
        quantile(&raws, 0.5),
        quantile(&raws, 0.99),
    );
    report.put(&["ingest"], json!({
        "webhooks": WEBHOOKS, "records": RECORDS, "concurrency": CONCURRENCY,
        "ack_p50_ms": ms(a50), "ack_p99_ms": ms(a99), "raw_send_p50_ms": ms(r50), "raw_send_p99_ms": ms(r99),
        "refused": refused, "distinct_events": distinct, "queued_messages_received": received, "same_content_deduplicated": deduplicated,
        "outcomes": outcomes, "lost": lost,
    }));
    report.row(
        "ingest",
        format!(
            "{WEBHOOKS} webhooks at concurrency {CONCURRENCY}: ack ÷ raw SendMessage, p50; p99"
        ),
        format!(
            "{:.2}× ({:.2}/{:.2} ms); {:.2}×",
            ratio(a50, r50),
            ms(a50),
            ms(r50),
            ratio(a99, r99)
        ),
        "",
    );
    let listed: Vec<String> = outcomes.iter().map(|(k, v)| format!("{v} {k}")).collect();
    report.row(
        "ingest",
        "drained by the inbound worker",
        format!(
            "{distinct} distinct events sent, {received} received ({}); {deduplicated} repeats of the same content",
            listed.join(", ")
        ),
        format!(
            "0 lost: {}",
            if lost == 0 && refused == 0 && errors == 0 && received == distinct {
                "met".to_string()
            } else {
                format!("{lost} lost, {refused} refused, {errors} errors, {} delivered twice", received.saturating_sub(distinct))
            }
        ),
    );
}

/// Invokes `events` over the functions, each taking the next event as it finishes one;
/// returns each invocation's duration and answer status.
async fn spread(functions: &mut [Function], events: Vec<Value>) -> Vec<(Duration, u16)> {
    let work = Arc::new(std::sync::Mutex::new(events.into_iter()));
    let mut tasks = Vec::new();
    for f in functions.iter_mut() {
        let work = work.clone();
        tasks.push(async move {
            let mut out = Vec::new();
            loop {
                let next = work.lock().unwrap().next();
                let Some(event) = next else { break };
                let answer = f.invoke(event).await;
                out.push((
                    answer.duration,
                    if answer.error {
                        1
                    } else {
                        status_of(&answer.body).max(200)
                    },
                ));
            }
            out
        });
    }
    futures_join_all(tasks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn futures_join_all<F: std::future::Future>(tasks: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = tasks.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, t) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match t.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

// ------------------------------------------------------------------ write concurrency

/// "3.0 calls a create, 0 SDK retries, 0 conflicts" for `n` writes.
fn calls_note(counts: &Counts, n: usize, what: &str) -> String {
    format!(
        "{:.1} calls a {what}, {} SDK retries, {} conflicts",
        counts.executions as f64 / n as f64,
        counts.retries(),
        counts.conflicts
    )
}

fn none_lost(ok: bool) -> String {
    format!("0 lost: {}", if ok { "met" } else { "NOT met" })
}

pub async fn writes(report: &mut Report, mut p: Portal) {
    let meter = Meter::default();
    p.ctx.identity =
        portal_tests::identity_with(meter.client(&p.stack.sdk), &p.stack, Keys::Verify, true).await;
    // Benchmark data, not portal traffic: no daily limit.
    p.ctx.leads.portal_daily_limit = None;
    let p = Arc::new(p);
    let a = p.approved_partner().await;
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    meter.take();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..200 {
        let (p, gate, token) = (p.clone(), gate.clone(), a.token().to_string());
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let req = with_json(
                api_request("POST /v1/leads", "/v1/leads", &[]),
                &lead_body(i),
            );
            as_user(req, &token, |r| leads_create::handle(r, &p.ctx))
                .await
                .0
        });
    }
    let mut created = 0;
    while let Some(status) = set.join_next().await {
        created += usize::from(status.unwrap() == 201);
    }
    let took = started.elapsed();
    let counts = meter.take();
    let store = p.ctx.store();
    let recount = store
        .count(
            &Query::partition(None, keys::partner_partition(&a.id), 1000).prefix(keys::LEAD_PREFIX),
        )
        .await
        .unwrap();
    let req = api_request("GET /v1/leads/stats", "/v1/leads/stats", &[]);
    let (_, stats) = as_user(req, a.token(), |r| leads_stats::handle(r, &p.ctx)).await;
    let counted = stats["total"].as_u64().unwrap_or(0);
    report.put(&["writes", "leads"], json!({
        "creates": 200, "created": created, "recount": recount, "counter_total": counted,
        "executions": counts.executions, "attempts": counts.attempts, "retries": counts.retries(), "conflicts": counts.conflicts, "seconds": took.as_secs_f64(),
    }));
    report.row(
        "writes",
        format!("200 lead creates, one partner, concurrency {CONCURRENCY}"),
        format!(
            "{created} created; counter {counted} {} recount {recount}; {}",
            if counted == recount { "=" } else { "≠" },
            calls_note(&counts, 200, "create")
        ),
        none_lost(counted == recount && created == 200),
    );

    // 200 commission lines moved pending → approved at once; the totals against a recount.
    let admin = p.admin_token().await;
    let mut ids = Vec::new();
    for i in 0..200 {
        let body = json!({"partner_id": a.id, "kind": "earning", "description": format!("Bench line {i}"),
                          "amount": {"amount_minor": 1_000 + i as i64, "currency": "ZAR"}});
        let req = with_header(
            with_json(
                api_request("POST /v1/admin/commissions", "/v1/admin/commissions", &[]),
                &body,
            ),
            "idempotency-key",
            &unique("bench-"),
        );
        let (status, line) =
            as_user(req, &admin, |r| admin_commissions_create::handle(r, &p.ctx)).await;
        assert_eq!(status, 201, "{line}");
        ids.push((
            line["id"].as_str().unwrap().to_string(),
            line["version"].as_u64().unwrap(),
        ));
    }
    meter.take();
    let mut set = tokio::task::JoinSet::new();
    for (id, version) in ids {
        let (p, gate, admin) = (p.clone(), gate.clone(), admin.clone());
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let route = "POST /v1/admin/commissions/{commission_id}/status";
            let req = with_header(
                with_json(
                    api_request(route, &format!("/v1/admin/commissions/{id}/status"), &[]),
                    &json!({"action": "approve"}),
                ),
                "if-match",
                &format!("\"v{version}\""),
            );
            let (status, body) =
                as_user(req, &admin, |r| admin_commission_status::handle(r, &p.ctx)).await;
            if status != 200 {
                eprintln!("  a commission move answered {status}: {body}");
            }
            status
        });
    }
    let mut moved = 0;
    while let Some(status) = set.join_next().await {
        moved += usize::from(status.unwrap() == 200);
    }
    assert!(
        moved > 0,
        "no commission line moved: see the handler's answers"
    );
    let counts = meter.take();
    let expected: i64 = (0..200).map(|i| 1_000 + i as i64).sum();
    let req = api_request(
        "GET /v1/commissions/summary",
        "/v1/commissions/summary",
        &[],
    );
    let (_, summary) = as_user(req, a.token(), |r| commissions_summary::handle(r, &p.ctx)).await;
    let zar = summary["currencies"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["currency"] == "ZAR").cloned())
        .or_else(|| summary.get("ZAR").cloned())
        .unwrap_or(Value::Null);
    let approved = zar["approved"]["amount_minor"]
        .as_i64()
        .or_else(|| zar["approved"].as_i64())
        .unwrap_or(-1);
    let pending = zar["pending"]["amount_minor"]
        .as_i64()
        .or_else(|| zar["pending"].as_i64())
        .unwrap_or(-1);
    report.put(&["writes", "commissions"], json!({
        "moves": 200, "moved": moved, "approved_total": approved, "pending_total": pending, "expected_approved": expected,
        "executions": counts.executions, "attempts": counts.attempts, "retries": counts.retries(), "conflicts": counts.conflicts, "summary": summary,
    }));
    report.row(
        "writes",
        format!("200 commission moves pending → approved, concurrency {CONCURRENCY}"),
        format!(
            "{moved} moved; approved {approved} {} sum {expected}, pending {pending}; {}",
            if approved == expected { "=" } else { "≠" },
            calls_note(&counts, 200, "move")
        ),
        none_lost(approved == expected && pending == 0 && moved == 200),
    );
}

// ------------------------------------------------------------------ scale laws

/// Read cost (round trips, items read) of one handler call through a metered context.
async fn read_cost<F, Fut>(
    meter: &Meter,
    token: &str,
    route: &str,
    path: &str,
    handler: F,
) -> (Counts, u16)
where
    F: FnOnce(lambda_http::Request) -> Fut,
    Fut: std::future::Future<
            Output = Result<lambda_http::Response<lambda_http::Body>, shared::http::Problem>,
        >,
{
    meter.take();
    let (status, _) = as_user(api_request(route, path, &[]), token, handler).await;
    (meter.take(), status)
}

pub async fn scale(report: &mut Report) {
    let mut p = Portal::new().await;
    let meter = Meter::default();
    p.ctx.identity =
        portal_tests::identity_with(meter.client(&p.stack.sdk), &p.stack, Keys::Verify, true).await;
    p.ctx.leads.portal_daily_limit = None;
    let a = p.approved_partner().await;
    let admin = p.admin_token().await;
    let store = p.ctx.store().clone();
    // One real lead, line and partner; the rest are copies of them written directly.
    let first = create_lead(&p, a.token(), 0).await;
    let lead: shared::leads::Lead = store
        .get(&keys::lead(&a.id, first["id"].as_str().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let body = json!({"partner_id": a.id, "kind": "earning", "description": "Bench line",
                      "amount": {"amount_minor": 1_000, "currency": "ZAR"}});
    let req = with_header(
        with_json(
            api_request("POST /v1/admin/commissions", "/v1/admin/commissions", &[]),
            &body,
        ),
        "idempotency-key",
        &unique("bench-"),
    );
    let (_, line) = as_user(req, &admin, |r| admin_commissions_create::handle(r, &p.ctx)).await;
    let line: shared::commissions::CommissionLine = store
        .get(&keys::commission_line(&a.id, line["id"].as_str().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let partner: shared::partners::Partner =
        store.get(&keys::partner(&a.id)).await.unwrap().unwrap();
    let (mut leads, mut lines, mut partners) = (1usize, 1usize, 1usize);
    let mut rows = Vec::new();
    let mut export_times = Vec::new();
    for size in [10usize, 1_000, 10_000] {
        let seeding = Instant::now();
        while leads < size || lines < size || partners < size {
            let mut tx = store.tx();
            for _ in 0..33 {
                if leads < size {
                    let mut l = lead.clone();
                    l.id = ulid::Ulid::new().to_string();
                    l.email = Some(format!("copy.{leads}@gmail.com"));
                    tx = tx.insert(&l);
                    leads += 1;
                }
                if lines < size {
                    let mut c = line.clone();
                    c.id = ulid::Ulid::new().to_string();
                    tx = tx.insert(&c);
                    lines += 1;
                }
                if partners < size {
                    let mut q = partner.clone();
                    q.id = ulid::Ulid::new().to_string();
                    tx = tx.insert(&q);
                    partners += 1;
                }
            }
            store.commit(tx.build()).await.unwrap();
        }
        eprintln!(
            "  scale: {size} leads, lines and partners in place ({:.0} s to write)",
            seeding.elapsed().as_secs_f64()
        );
        let token = a.token().to_string();
        let measures = [
            (
                "lead stats",
                read_cost(
                    &meter,
                    &token,
                    "GET /v1/leads/stats",
                    "/v1/leads/stats",
                    |r| leads_stats::handle(r, &p.ctx),
                )
                .await,
            ),
            (
                "dashboard",
                read_cost(&meter, &token, "GET /v1/dashboard", "/v1/dashboard", |r| {
                    dashboard::handle(r, &p.ctx)
                })
                .await,
            ),
            (
                "commission summary",
                read_cost(
                    &meter,
                    &token,
                    "GET /v1/commissions/summary",
                    "/v1/commissions/summary",
                    |r| commissions_summary::handle(r, &p.ctx),
                )
                .await,
            ),
            (
                "directory",
                read_cost(
                    &meter,
                    &admin,
                    "GET /v1/admin/partners",
                    "/v1/admin/partners",
                    |r| admin_partners_list::handle(r, &p.ctx),
                )
                .await,
            ),
        ];
        for (name, (counts, status)) in measures {
            rows.push((name, size, counts.round_trips(), counts.items_read, status));
            report.put(&["scale", name, &size.to_string()], json!({"round_trips": counts.round_trips(), "items_read": counts.items_read, "operations": counts.operations, "status": status}));
            let key = match name {
                "lead stats" => "leads-stats",
                "dashboard" => "dashboard",
                "commission summary" => "commissions-summary",
                _ => "admin-partners-list",
            };
            report.put(
                &["capacity", key],
                json!({"read_units": counts.items_read, "write_units": counts.write_units}),
            );
        }
        if size == 10 {
            capacity(report, &p, &meter, &a, first["id"].as_str().unwrap()).await;
        }
        if size >= 1_000 {
            meter.take();
            let took = export_time(&p, &a).await;
            export_times.push((size, took, meter.take()));
        }
    }
    for name in ["lead stats", "dashboard", "commission summary", "directory"] {
        let of: Vec<_> = rows.iter().filter(|r| r.0 == name).collect();
        let cells: Vec<String> = of.iter().map(|r| format!("{}/{}", r.2, r.3)).collect();
        // Flat: the same round trips at every size, and the same items read once a page
        // (25) is full, i.e. from 1,000 records to 10,000.
        let flat = of.windows(2).all(|w| w[0].2 == w[1].2) && of.len() == 3 && of[1].3 == of[2].3;
        let ok = of.iter().all(|r| r.4 == 200);
        report.row(
            "scale",
            format!("{name}: round trips/items read at 10, 1k, 10k records"),
            cells.join(", "),
            format!(
                "flat: {}{}",
                if flat { "met" } else { "NOT met" },
                if ok { "" } else { " [not 200]" }
            ),
        );
    }
    let per_k: Vec<String> = export_times
        .iter()
        .map(|(n, t, c)| {
            let k = *n as f64 / 1000.0;
            format!(
                "{:.2} s, {:.1} calls, {:.0} items at {}k",
                t.as_secs_f64() / k,
                c.round_trips() as f64 / k,
                c.items_read as f64 / k,
                n / 1000
            )
        })
        .collect();
    report.put(&["scale", "export"], json!(export_times.iter().map(|(n, t, c)| json!({"rows": n, "seconds": t.as_secs_f64(), "calls": c.round_trips(), "items_read": c.items_read})).collect::<Vec<_>>()));
    report.row(
        "scale",
        "leads CSV export, per 1,000 rows: time, DynamoDB calls, items read",
        per_k.join("; "),
        "linear: equal per 1,000",
    );
    nightly(report, &p, &meter).await;
}

/// Request units on paper of the other measured API calls (items read; items written,
/// doubled in transactions).
async fn capacity(report: &mut Report, p: &Portal, meter: &Meter, a: &ApprovedPartner, lead: &str) {
    let token = a.token();
    let path = format!("/v1/leads/{lead}");
    let calls = [
        (
            "leads-get",
            read_cost(meter, token, "GET /v1/leads/{lead_id}", &path, |r| {
                leads_get::handle(r, &p.ctx)
            })
            .await
            .0,
        ),
        (
            "leads-list",
            read_cost(meter, token, "GET /v1/leads", "/v1/leads", |r| {
                leads_list::handle(r, &p.ctx)
            })
            .await
            .0,
        ),
        (
            "me",
            read_cost(meter, token, "GET /v1/me", "/v1/me", |r| {
                me::handle(r, &p.ctx.identity)
            })
            .await
            .0,
        ),
        ("leads-create", {
            meter.take();
            create_lead(p, token, 7).await;
            meter.take()
        }),
    ];
    for (function, counts) in calls {
        report.put(&["capacity", function], json!({"read_units": counts.items_read, "write_units": counts.write_units, "operations": counts.operations}));
    }
}

/// The export worker building a CSV of every lead of the partner, in-process.
async fn export_time(p: &Portal, a: &ApprovedPartner) -> Duration {
    use shared::reports::exports::{Built, ExportJob, Exporter};
    let req = with_json(
        api_request("POST /v1/exports", "/v1/exports", &[]),
        &json!({"kind": "leads", "format": "csv"}),
    );
    let (status, queued) = as_user(req, a.token(), |r| exports_create::handle(r, &p.ctx)).await;
    assert_eq!(status, 202, "{queued}");
    let job = ExportJob {
        export_id: queued["export_id"].as_str().unwrap().to_string(),
        partner_id: a.id.clone(),
    };
    let exporter = Exporter {
        store: p.ctx.store(),
        documents: p.ctx.documents().unwrap(),
        queue: p.ctx.export_queue().unwrap(),
        temp_dir: std::env::temp_dir(),
        part_bytes: shared::reports::exports::PART_BYTES,
    };
    let started = Instant::now();
    let built = exporter.build(&job, 1, None, Utc::now()).await.unwrap();
    assert_eq!(built, Built::Done);
    started.elapsed()
}

/// The nightly score job over 200 and then 1,000 approved partners in a table of their own.
async fn nightly(report: &mut Report, p: &Portal, meter: &Meter) {
    use shared::insight::nightly::{Nightly, Phase};
    let (pid, _) = p.register_approved().await;
    let template: shared::partners::Partner = p
        .ctx
        .store()
        .get(&keys::partner(&pid))
        .await
        .unwrap()
        .unwrap();
    let mut per_k = Vec::new();
    for n in [200usize, 1_000] {
        let table = unique("bench-nightly-");
        portal_tests::crm::copy_table_schema(&p.stack, &table).await;
        let store = shared::store::Store::new(meter.client(&p.stack.sdk), &table);
        let day = Utc::now().date_naive();
        let quarter = shared::leads::quarter_of(&format!("{day}T12:00:00Z")).unwrap();
        portal_tests::portal::seed_scored_partners(&store, &template, &quarter, n).await;
        meter.take();
        let started = Instant::now();
        let run = Nightly::new(store.clone())
            .run(day, Utc::now(), None)
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(run.phase, Phase::Done);
        per_k.push((n, took, meter.take()));
    }
    report.put(&["scale", "nightly"], json!(per_k.iter().map(|(n, t, c)| json!({"partners": n, "seconds": t.as_secs_f64(), "calls": c.round_trips(), "items_read": c.items_read, "write_units": c.write_units})).collect::<Vec<_>>()));
    let cells: Vec<String> = per_k
        .iter()
        .map(|(n, t, c)| {
            let k = *n as f64 / 1000.0;
            format!(
                "{:.2} s, {:.0} calls, {:.0} items at {n}",
                t.as_secs_f64() / k,
                c.round_trips() as f64 / k,
                c.items_read as f64 / k
            )
        })
        .collect();
    report.row(
        "scale",
        "nightly score, per 1,000 partners: time, DynamoDB calls, items read",
        cells.join("; "),
        "linear: equal per 1,000",
    );
}
