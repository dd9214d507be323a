//! The commission ledger through its routes and services, against the emulator: the status
//! machine, idempotent creation, the O(1) summary, payouts under concurrency, totals under
//! hundreds of random operations, tenancy and roles, and operations' partner terms.

// Deeply nested futures (handlers inside test helpers).
#![recursion_limit = "256"]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::Utc;
use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use shared::commissions::{CommissionLine, LineStatus, ledger, payouts};
use shared::money::{Currency, Money};
use shared::store::{Query, keys};

fn access(pair: &Value) -> &str {
    pair["access_token"].as_str().unwrap()
}

async fn create_line(p: &Portal, admin: &str, key: &str, body: Value) -> (u16, Value) {
    let req = with_header(
        with_json(
            api_request("POST /v1/admin/commissions", "/v1/admin/commissions", &[]),
            &body,
        ),
        "idempotency-key",
        key,
    );
    as_user(req, admin, |r| admin_commissions_create::handle(r, &p.ctx)).await
}

fn earning(partner_id: &str, amount_minor: i64, currency: &str) -> Value {
    json!({"partner_id": partner_id, "kind": "earning", "description": "Installation at Mokoena",
           "amount": {"amount_minor": amount_minor, "currency": currency}})
}

async fn new_line(p: &Portal, admin: &str, partner_id: &str, amount_minor: i64) -> Value {
    let (status, line) = create_line(
        p,
        admin,
        &unique("key-"),
        earning(partner_id, amount_minor, "ZAR"),
    )
    .await;
    assert_eq!(status, 201, "{line}");
    line
}

async fn move_line(
    p: &Portal,
    admin: &str,
    id: &str,
    if_match: Option<String>,
    body: Value,
) -> (u16, Value) {
    let route = "POST /v1/admin/commissions/{commission_id}/status";
    let mut req = with_json(
        api_request(route, &format!("/v1/admin/commissions/{id}/status"), &[]),
        &body,
    );
    if let Some(tag) = if_match {
        req = with_header(req, "if-match", &tag);
    }
    as_user(req, admin, |r| admin_commission_status::handle(r, &p.ctx)).await
}

fn etag(line: &Value) -> Option<String> {
    Some(format!("\"v{}\"", line["version"].as_u64().unwrap()))
}

async fn approved(p: &Portal, admin: &str, partner_id: &str, amount_minor: i64) -> Value {
    let line = new_line(p, admin, partner_id, amount_minor).await;
    let (status, line) = move_line(
        p,
        admin,
        line["id"].as_str().unwrap(),
        etag(&line),
        json!({"action": "approve"}),
    )
    .await;
    assert_eq!(status, 200, "{line}");
    line
}

async fn summary(p: &Portal, token: &str) -> (u16, Value) {
    as_user(
        api_request(
            "GET /v1/commissions/summary",
            "/v1/commissions/summary",
            &[],
        ),
        token,
        |r| commissions_summary::handle(r, &p.ctx),
    )
    .await
}

fn currency_totals<'a>(summary: &'a Value, code: &str) -> &'a Value {
    summary["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == code)
        .unwrap_or(&Value::Null)
}

async fn create_payout(p: &Portal, admin: &str, key: &str, body: Value) -> (u16, Value) {
    let req = with_header(
        with_json(
            api_request("POST /v1/admin/payouts", "/v1/admin/payouts", &[]),
            &body,
        ),
        "idempotency-key",
        key,
    );
    as_user(req, admin, |r| admin_payouts_create::handle(r, &p.ctx)).await
}

async fn settle_payout(p: &Portal, admin: &str, id: &str, body: Value) -> (u16, Value) {
    let req = with_json(
        api_request(
            "POST /v1/admin/payouts/{payout_id}/status",
            &format!("/v1/admin/payouts/{id}/status"),
            &[],
        ),
        &body,
    );
    as_user(req, admin, |r| admin_payout_status::handle(r, &p.ctx)).await
}

async fn lines_of(p: &Portal, partner_id: &str) -> Vec<CommissionLine> {
    let q = Query::partition(None, keys::partner_partition(partner_id), 100_000)
        .prefix(keys::COMMISSION_PREFIX);
    p.ctx.store().query_up_to(&q).await.unwrap()
}

#[tokio::test]
async fn the_ledger_moves_along_its_status_machine_and_refuses_the_rest() {
    let p = Portal::new().await;
    let partner = p.approved_partner().await;
    let admin = p.admin_token().await;
    let line = new_line(&p, &admin, &partner.id, 150_000).await;
    let id = line["id"].as_str().unwrap().to_string();
    assert_eq!(line["status"], "pending");
    assert_eq!(line["source"], "admin");

    let approve = json!({"action": "approve"});
    assert_eq!(
        move_line(&p, &admin, &id, None, approve.clone()).await.0,
        428,
        "a move needs If-Match"
    );
    let (status, body) = move_line(&p, &admin, &id, Some("\"v9\"".into()), approve.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (412, Some("stale_version"))
    );
    let (status, body) = move_line(&p, &admin, &id, etag(&line), json!({"action": "hold"})).await;
    assert_eq!(status, 400, "holding needs a reason: {body}");
    assert_eq!(body["errors"][0]["field"], "/reason");

    let (status, held) = move_line(
        &p,
        &admin,
        &id,
        etag(&line),
        json!({"action": "hold", "reason": "Customer has not paid the deposit"}),
    )
    .await;
    assert_eq!(status, 200, "{held}");
    assert_eq!(
        (held["status"].as_str(), held["hold_reason"].as_str()),
        (Some("held"), Some("Customer has not paid the deposit"))
    );
    assert_eq!(
        held["amount"]["amount_minor"], 150_000,
        "a hold keeps the amount"
    );
    let (_, released) = move_line(&p, &admin, &id, etag(&held), json!({"action": "release"})).await;
    assert_eq!(
        released["status"], "pending",
        "back to where it was held from"
    );
    let (_, ok) = move_line(&p, &admin, &id, etag(&released), approve.clone()).await;
    assert_eq!(ok["status"], "approved");
    assert!(ok["approved_at"].is_string());
    let (status, refused) = move_line(&p, &admin, &id, etag(&ok), approve.clone()).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["allowed"], json!(["hold", "cancel"]));
    let (status, cancelled) = move_line(
        &p,
        &admin,
        &id,
        etag(&ok),
        json!({"action": "cancel", "reason": "Deal reversed"}),
    )
    .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    for action in ["approve", "hold", "release", "cancel"] {
        let (status, body) = move_line(
            &p,
            &admin,
            &id,
            etag(&cancelled),
            json!({"action": action, "reason": "x"}),
        )
        .await;
        assert_eq!(status, 409, "cancelled is final: {action} {body}");
        assert_eq!(body["allowed"], json!([]));
    }

    // The partner reads the line with every step of its history.
    let (status, seen) = as_user(
        api_request(
            "GET /v1/commissions/{commission_id}",
            &format!("/v1/commissions/{id}"),
            &[],
        ),
        partner.token(),
        |r| commissions_get::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    let steps: Vec<(Value, Value)> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["from"].clone(), s["to"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("pending")),
            (json!("pending"), json!("held")),
            (json!("held"), json!("pending")),
            (json!("pending"), json!("approved")),
            (json!("approved"), json!("cancelled")),
        ]
    );
    assert!(
        seen["crm_sync"].get("crm_id").is_none(),
        "no Zoho internals for partners"
    );
    let mails = p.deliver_emails(&partner.email).await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("was held") && m.contains("deposit")),
        "the hold and its reason are emailed: {mails:?}"
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("was approved") && m.contains("1500.00 ZAR"))
    );
    let (_, s) = summary(&p, partner.token()).await;
    let zar = currency_totals(&s, "ZAR");
    assert_eq!(zar["cancelled"]["amount_minor"], 150_000);
    assert_eq!(zar["approved"]["amount_minor"], 0);
    assert_eq!(zar["earned"]["amount_minor"], 0);
}

#[tokio::test]
async fn creating_a_line_is_idempotent_and_bad_input_writes_nothing() {
    let p = Portal::new().await;
    let partner = p.approved_partner().await;
    let admin = p.admin_token().await;
    let key = unique("key-");
    let body = json!({"partner_id": partner.id, "kind": "earning", "description": "Deal 77",
                      "deal_value": {"amount_minor": 1_234_500, "currency": "ZAR"}, "rate_bps": 1250});
    let (status, first) = create_line(&p, &admin, &key, body.clone()).await;
    assert_eq!(status, 201, "{first}");
    // R 12,345.00 at 12.5 % = R 1,543.125: half to even → R 1,543.12.
    assert_eq!(
        first["amount"],
        json!({"amount_minor": 154_312, "currency": "ZAR"})
    );
    let (status, again) = create_line(&p, &admin, &key, body.clone()).await;
    assert_eq!(
        (status, &again["id"]),
        (201, &first["id"]),
        "the same key and body: the same line"
    );
    let mut other = body.clone();
    other["rate_bps"] = json!(1300);
    let (status, problem) = create_line(&p, &admin, &key, other).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );

    let bad = [
        earning(&partner.id, -500, "ZAR"),
        earning(&partner.id, 0, "ZAR"),
        earning(&partner.id, 500, "XXX"),
        earning(&partner.id, 500, "zar"),
        json!({"partner_id": partner.id, "kind": "earning", "description": "x",
               "deal_value": {"amount_minor": 100, "currency": "ZAR"}, "rate_bps": 10_001}),
        json!({"partner_id": partner.id, "kind": "earning", "description": "x",
               "amount": {"amount_minor": 100, "currency": "ZAR"}, "rate_bps": 100}),
        json!({"partner_id": partner.id, "kind": "clawback", "description": "x",
               "amount": {"amount_minor": -100, "currency": "ZAR"}}),
        json!({"partner_id": partner.id, "kind": "clawback", "description": "x",
               "amount": {"amount_minor": 100, "currency": "ZAR"}, "corrects": first["id"]}),
        json!({"partner_id": partner.id, "kind": "adjustment", "description": "x",
               "amount": {"amount_minor": -100, "currency": "USD"}, "corrects": first["id"]}),
        json!({"partner_id": partner.id, "kind": "earning", "description": " ",
               "amount": {"amount_minor": 100, "currency": "ZAR"}}),
        json!({"partner_id": partner.id, "kind": "earning", "description": "x", "lead_id": "nope",
               "amount": {"amount_minor": 100, "currency": "ZAR"}}),
        json!({"partner_id": partner.id, "kind": "bonus", "description": "x",
               "amount": {"amount_minor": 100, "currency": "ZAR"}}),
    ];
    for body in bad {
        let (status, problem) = create_line(&p, &admin, &unique("key-"), body.clone()).await;
        assert_eq!(status, 400, "{body} → {problem}");
    }
    let (status, _) = create_line(&p, &admin, &unique("k-"), earning("nobody", 100, "ZAR")).await;
    assert_eq!(status, 404, "an unknown partner");
    let req = with_json(
        api_request("POST /v1/admin/commissions", "/v1/admin/commissions", &[]),
        &earning(&partner.id, 100, "ZAR"),
    );
    let (status, problem) =
        as_user(req, &admin, |r| admin_commissions_create::handle(r, &p.ctx)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("idempotency_key_required"))
    );

    // A valid correction is its own signed line naming the line it corrects.
    let (status, claw) = create_line(
        &p,
        &admin,
        &unique("key-"),
        json!({"partner_id": partner.id, "kind": "clawback", "description": "Refund",
               "amount": {"amount_minor": -4_312, "currency": "ZAR"}, "corrects": first["id"]}),
    )
    .await;
    assert_eq!((status, &claw["corrects"]), (201, &first["id"]));
    let lines = lines_of(&p, &partner.id).await;
    assert_eq!(lines.len(), 2, "only the two good lines were written");
    let (_, s) = summary(&p, partner.token()).await;
    let zar = currency_totals(&s, "ZAR");
    assert_eq!(zar["pending"]["amount_minor"], 150_000);
    assert_eq!(
        zar["balance"]["amount_minor"], -4_312,
        "approved 0, less the open clawback"
    );
}

#[tokio::test]
async fn summary_reads_one_item_for_ten_lines_and_for_ten_thousand() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let small = p.approved_partner().await;
    for i in 0..10 {
        new_line(&p, &admin, &small.id, 1_000 + i).await;
    }
    // Ten thousand lines written the way the ledger writes them, in batches.
    let large = p.approved_partner().await;
    let client = p.stack.dynamodb();
    let table = env("TABLE_NAME");
    let zar = Currency::parse("ZAR").unwrap();
    let at = shared::validate::rfc3339(Utc::now());
    let mut total = 0i64;
    let mut requests = Vec::new();
    for i in 0..10_000i64 {
        let line = ledger::new_line(
            &large.id,
            shared::commissions::LineKind::Earning,
            shared::commissions::LineSource::Admin,
            Money::new(100 + i, zar),
            format!("Line {i}"),
            at.clone(),
            "ops",
            &at,
        );
        total += 100 + i;
        requests.push(
            aws_sdk_dynamodb::types::WriteRequest::builder()
                .put_request(
                    aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(shared::store::to_item(&line).unwrap()))
                        .build()
                        .unwrap(),
                )
                .build(),
        );
    }
    let mut writes = Vec::new();
    for chunk in requests.chunks(25) {
        let client = client.clone();
        let table = table.clone();
        let chunk = chunk.to_vec();
        writes.push(tokio::spawn(async move {
            client
                .batch_write_item()
                .request_items(table, chunk)
                .send()
                .await
                .unwrap()
        }));
    }
    for w in writes {
        let out = w.await.unwrap();
        assert!(
            out.unprocessed_items().is_none_or(|u| u.is_empty()),
            "every line written"
        );
    }
    p.ctx
        .store()
        .commit(
            p.ctx
                .store()
                .tx()
                .add(
                    &keys::commission_totals(&large.id),
                    "commission_totals",
                    &[("ZAR_pending", total)],
                )
                .build(),
        )
        .await
        .unwrap();
    assert_eq!(lines_of(&p, &large.id).await.len(), 10_000);

    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    for (partner, expected) in [(&small, 10_045), (&large, total)] {
        counter.reset();
        let (status, s) = as_user(
            api_request(
                "GET /v1/commissions/summary",
                "/v1/commissions/summary",
                &[],
            ),
            partner.token(),
            |r| commissions_summary::handle(r, &ctx),
        )
        .await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(
            currency_totals(&s, "ZAR")["pending"]["amount_minor"],
            expected
        );
        assert!(s["next_payout_date"].is_string());
        assert_eq!(
            counter.calls(),
            vec!["BatchGetItem"],
            "the summary is read with the access check, one round trip"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_payouts_never_pay_a_line_twice() {
    let p = Arc::new(Portal::new().await);
    let partner = p.approved_partner().await;
    let admins = [p.admin_token().await, p.admin_token().await];
    let mut ids = Vec::new();
    for amount in [10_000, 20_000, 30_000, 40_000, 55_055] {
        ids.push(approved(&p, &admins[0], &partner.id, amount).await["id"].clone());
    }
    let pending = new_line(&p, &admins[0], &partner.id, 777).await;
    // Refused payouts: a line not approved; a line of another currency; nothing to pay.
    let (status, body) = create_payout(
        &p,
        &admins[0],
        &unique("k-"),
        json!({"partner_id": partner.id, "currency": "ZAR", "commission_ids": [ids[0], pending["id"]]}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("pending"));
    let (status, _) = create_payout(
        &p,
        &admins[0],
        &unique("k-"),
        json!({"partner_id": partner.id, "currency": "USD", "commission_ids": [ids[0]]}),
    )
    .await;
    assert_eq!(status, 409, "a ZAR line in a USD payout");
    let (status, _) = create_payout(
        &p,
        &admins[0],
        &unique("k-"),
        json!({"partner_id": partner.id, "currency": "EUR"}),
    )
    .await;
    assert_eq!(status, 409, "no approved EUR lines");

    let mut attempts = Vec::new();
    for i in 0..10 {
        let p = p.clone();
        let admin = admins[i % 2].clone();
        let body = if i % 3 == 0 {
            json!({"partner_id": partner.id, "currency": "ZAR"})
        } else {
            json!({"partner_id": partner.id, "currency": "ZAR", "commission_ids": ids})
        };
        attempts.push(tokio::spawn(async move {
            create_payout(&p, &admin, &unique("k-"), body).await
        }));
    }
    let mut created = Vec::new();
    for a in attempts {
        let (status, body) = a.await.unwrap();
        match status {
            201 => created.push(body),
            409 => {}
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(created.len(), 1, "one payout takes the lines: {created:?}");
    let payout = &created[0];
    assert_eq!(payout["amount"]["amount_minor"], 155_055);
    assert_eq!(payout["line_count"], 5);
    let lines = lines_of(&p, &partner.id).await;
    for l in lines.iter().filter(|l| l.status == LineStatus::Approved) {
        assert_eq!(
            l.payout_id.as_deref(),
            payout["id"].as_str(),
            "every line in that payout"
        );
    }
    // A line locked to a processing payout cannot be held or cancelled.
    let locked = lines.iter().find(|l| l.payout_id.is_some()).unwrap();
    let (status, body) = move_line(
        &p,
        &admins[1],
        &locked.id,
        Some(format!("\"v{}\"", locked.version)),
        json!({"action": "cancel", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("line_in_payout"))
    );

    let id = payout["id"].as_str().unwrap();
    let paid_body = json!({"status": "paid", "reference": "EFT-2026-11-001"});
    let (status, paid) = settle_payout(&p, &admins[1], id, paid_body.clone()).await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (200, Some("paid")),
        "{paid}"
    );
    let (status, again) = settle_payout(&p, &admins[0], id, paid_body).await;
    assert_eq!(
        (status, &again["version"]),
        (200, &paid["version"]),
        "paying twice changes nothing"
    );
    let (status, _) = settle_payout(
        &p,
        &admins[0],
        id,
        json!({"status": "failed", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 409, "a paid payout cannot fail");
    for l in lines_of(&p, &partner.id).await {
        if l.id == pending["id"] {
            assert_eq!(l.status, LineStatus::Pending);
        } else {
            assert_eq!(
                (l.status, l.payout_id.as_deref()),
                (LineStatus::Paid, Some(id))
            );
            assert!(l.paid_at.is_some());
        }
    }
    let (_, s) = summary(&p, partner.token()).await;
    let zar = currency_totals(&s, "ZAR");
    assert_eq!(zar["paid"]["amount_minor"], 155_055);
    assert_eq!(zar["approved"]["amount_minor"], 0);
    assert_eq!(zar["balance"]["amount_minor"], 0);
    let mails = p.deliver_emails(&partner.email).await;
    assert!(
        mails.iter().any(|m| m.contains("1550.55 ZAR")
            && m.contains("EFT-2026-11-001")
            && m.contains("550.55 ZAR")),
        "the statement lists the payout and its lines: {mails:?}"
    );
    // The partner sees the payout with its lines.
    let (status, seen) = as_user(
        api_request(
            "GET /v1/payouts/{payout_id}",
            &format!("/v1/payouts/{id}"),
            &[],
        ),
        partner.token(),
        |r| payouts_get::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(
        (status, seen["lines"].as_array().map(Vec::len)),
        (200, Some(5)),
        "{seen}"
    );
    let (_, list) = as_user(
        api_request("GET /v1/payouts", "/v1/payouts", &[]),
        partner.token(),
        |r| payouts_list::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(list["items"][0]["id"], id);
}

#[tokio::test]
async fn a_failed_payout_releases_its_lines_for_the_next_one() {
    let p = Portal::new().await;
    let partner = p.approved_partner().await;
    let admin = p.admin_token().await;
    approved(&p, &admin, &partner.id, 9_000).await;
    let key = unique("k-");
    let body = json!({"partner_id": partner.id, "currency": "ZAR"});
    let (status, payout) = create_payout(&p, &admin, &key, body.clone()).await;
    assert_eq!(status, 201, "{payout}");
    let (status, same) = create_payout(&p, &admin, &key, body).await;
    assert_eq!((status, &same["id"]), (201, &payout["id"]), "idempotent");
    let (status, failed) = settle_payout(
        &p,
        &admin,
        payout["id"].as_str().unwrap(),
        json!({"status": "failed", "reason": "Bank rejected the account number"}),
    )
    .await;
    assert_eq!((status, failed["status"].as_str()), (200, Some("failed")));
    let lines = lines_of(&p, &partner.id).await;
    assert_eq!(
        (lines[0].status, lines[0].payout_id.as_deref()),
        (LineStatus::Approved, None)
    );
    let (status, next) = create_payout(
        &p,
        &admin,
        &unique("k-"),
        json!({"partner_id": partner.id, "currency": "ZAR"}),
    )
    .await;
    assert_eq!(
        (status, next["amount"]["amount_minor"].as_i64()),
        (201, Some(9_000))
    );
}

#[tokio::test]
async fn another_partners_line_and_payout_are_not_found_and_sales_sees_no_money() {
    let p = Portal::new().await;
    let a = p.approved_partner().await;
    let b = p.approved_partner().await;
    let admin = p.admin_token().await;
    let b_line = approved(&p, &admin, &b.id, 5_000).await;
    let (_, b_payout) = create_payout(
        &p,
        &admin,
        &unique("k-"),
        json!({"partner_id": b.id, "currency": "ZAR"}),
    )
    .await;
    let line_id = b_line["id"].as_str().unwrap();
    let payout_id = b_payout["id"].as_str().unwrap();
    let get_line = || {
        api_request(
            "GET /v1/commissions/{commission_id}",
            &format!("/v1/commissions/{line_id}"),
            &[],
        )
    };
    let get_payout = || {
        api_request(
            "GET /v1/payouts/{payout_id}",
            &format!("/v1/payouts/{payout_id}"),
            &[],
        )
    };
    assert_eq!(
        as_user(get_line(), a.token(), |r| commissions_get::handle(
            r, &p.ctx
        ))
        .await
        .0,
        404
    );
    assert_eq!(
        as_user(get_payout(), a.token(), |r| payouts_get::handle(r, &p.ctx))
            .await
            .0,
        404
    );
    assert_eq!(
        as_user(get_line(), b.token(), |r| commissions_get::handle(
            r, &p.ctx
        ))
        .await
        .0,
        200
    );
    let (_, list) = as_user(
        api_request("GET /v1/commissions", "/v1/commissions", &[]),
        a.token(),
        |r| commissions_list::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(
        list["items"],
        json!([]),
        "a's ledger holds none of b's lines"
    );

    let sales = p.member(a.token(), "sales").await;
    let manager = p.member(a.token(), "manager").await;
    let finance = p.member(a.token(), "finance").await;
    let routes = [
        ("list", "GET /v1/commissions", "/v1/commissions"),
        (
            "summary",
            "GET /v1/commissions/summary",
            "/v1/commissions/summary",
        ),
        ("payouts", "GET /v1/payouts", "/v1/payouts"),
    ];
    for (name, route, path) in routes {
        let run = |token: String| {
            let req = api_request(route, path, &[]);
            let ctx = &p.ctx;
            async move {
                as_user(req, &token, |r| async move {
                    match name {
                        "list" => commissions_list::handle(r, ctx).await,
                        "summary" => commissions_summary::handle(r, ctx).await,
                        _ => payouts_list::handle(r, ctx).await,
                    }
                })
                .await
                .0
            }
        };
        assert_eq!(run(access(&sales).to_string()).await, 403, "sales: {name}");
        assert_eq!(
            run(access(&finance).to_string()).await,
            200,
            "finance: {name}"
        );
        let manager_status = run(access(&manager).to_string()).await;
        assert_eq!(
            manager_status,
            if name == "payouts" { 403 } else { 200 },
            "manager: {name}"
        );
    }
    // Partners cannot use operations' routes.
    let (status, _) = create_line(&p, a.token(), &unique("k-"), earning(&a.id, 100, "ZAR")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn operations_set_tier_rate_and_terms_with_if_match_and_bounds() {
    let p = Portal::new().await;
    let partner = p.approved_partner().await;
    let admin = p.admin_token().await;
    let patch = |if_match: &str, body: Value| {
        with_header(
            with_json(
                api_request(
                    "PATCH /v1/admin/partners/{partner_id}",
                    &format!("/v1/admin/partners/{}", partner.id),
                    &[],
                ),
                &body,
            ),
            "if-match",
            if_match,
        )
    };
    let current: shared::partners::Partner = p
        .ctx
        .store()
        .get(&keys::partner(&partner.id))
        .await
        .unwrap()
        .unwrap();
    let tag = format!("\"v{}\"", current.version);
    for bad in [
        json!({"commission_rate_bps": 10_001}),
        json!({"tier": "bronze"}),
        json!({"owner_admin_id": "not-an-admin"}),
        json!({"tags": [""]}),
        json!({"status": "approved"}),
    ] {
        let (status, body) = as_user(patch(&tag, bad.clone()), &admin, |r| {
            admin_partner_update::handle(r, &p.ctx)
        })
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) = as_user(patch("\"v999\"", json!({"tier": "gold"})), &admin, |r| {
        admin_partner_update::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 412);
    let (status, body) = as_user(
        patch(&tag, json!({"tier": "gold", "tags": ["Solar", "solar", "KZN"], "business_name": "Acme Solar Group"})),
        &admin,
        |r| admin_partner_update::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partner"]["tier"], "gold");
    assert_eq!(body["tags"], json!(["solar", "kzn"]));
    assert_eq!(
        body["effective_commission_rate_bps"], 1000,
        "gold's default rate"
    );
    let tag = format!("\"v{}\"", body["version"]);
    let (_, body) = as_user(
        patch(&tag, json!({"commission_rate_bps": 1500})),
        &admin,
        |r| admin_partner_update::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(body["effective_commission_rate_bps"], 1500);
    let tag = format!("\"v{}\"", body["version"]);
    let (_, body) = as_user(
        patch(&tag, json!({"commission_rate_bps": null})),
        &admin,
        |r| admin_partner_update::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(
        (
            body["partner"]["commission_rate_bps"].clone(),
            body["effective_commission_rate_bps"].clone()
        ),
        (Value::Null, json!(1000)),
        "null returns the partner to its tier's rate"
    );
    let (status, _) = as_user(
        patch("*", json!({"tier": "silver"})),
        partner.token(),
        |r| admin_partner_update::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 403, "partners cannot set their own terms");
    let audit: Vec<Value> = p
        .ctx
        .store()
        .query_up_to(
            &Query::partition(None, keys::partner_partition(&partner.id), 100)
                .prefix(keys::AUDIT_PREFIX),
        )
        .await
        .unwrap();
    let terms: Vec<&Value> = audit
        .iter()
        .filter(|a| a["action"] == "partner.terms_updated")
        .collect();
    assert_eq!(terms.len(), 3, "every change audited");
    assert_eq!(
        terms
            .iter()
            .filter(|a| a["after"]["tier"] == "gold")
            .count(),
        3
    );
}

/// Hundreds of random ledger operations (creations, every status move, payouts created,
/// paid and failed), six at a time, on two partners' lines in two currencies no other
/// test uses: each partner's totals equal a recount of its lines, and the portal-wide
/// owed and paid counters moved by exactly the recounted amounts.
#[tokio::test(flavor = "multi_thread")]
async fn totals_equal_a_recount_after_hundreds_of_random_ledger_operations() {
    let p = Arc::new(Portal::new().await);
    let partners = [p.approved_partner().await, p.approved_partner().await];
    let currencies = [
        Currency::parse("CHF").unwrap(),
        Currency::parse("NZD").unwrap(),
    ];
    let portal = |p: Arc<Portal>| async move {
        let v: BTreeMap<String, Value> = p
            .ctx
            .store()
            .get(&keys::directory_counters())
            .await
            .unwrap()
            .unwrap_or_default();
        let get = |k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0);
        [
            get("commission_owed_CHF_minor"),
            get("commission_owed_NZD_minor"),
            get("commission_paid_CHF_minor"),
            get("commission_paid_NZD_minor"),
        ]
    };
    let before = portal(p.clone()).await;
    let seed = Utc::now().timestamp_nanos_opt().unwrap_or(11) as u64;
    let rng = Arc::new(std::sync::Mutex::new(seed | 1));
    let next = {
        let rng = rng.clone();
        move |n: u64| {
            let mut s = rng.lock().unwrap();
            *s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*s >> 33) % n
        }
    };
    let mut ops = 0;
    let mut expected_failures = 0;
    while ops < 360 {
        let mut batch = Vec::new();
        for _ in 0..6 {
            let who = next(2) as usize;
            let partner_id = partners[who].id.clone();
            let currency = currencies[next(2) as usize];
            let pick = next(100);
            let amount = 1 + next(500_000) as i64;
            let p = p.clone();
            let existing = lines_of(&p, &partner_id).await;
            let target = (!existing.is_empty())
                .then(|| existing[next(existing.len() as u64) as usize].clone());
            batch.push(tokio::spawn(async move {
                let store = p.ctx.store();
                let now = Utc::now();
                let result: Result<(), shared::commissions::CommissionError> = match (pick, target) {
                    (0..=29, _) | (_, None) => {
                        let req: ledger::NewLine = serde_json::from_value(json!({
                            "partner_id": partner_id, "kind": "earning", "description": "r",
                            "amount": {"amount_minor": amount, "currency": currency.code()}
                        }))
                        .unwrap();
                        ledger::create(store, "ops", &unique("k"), req, now).await.map(|_| ())
                    }
                    (30..=37, Some(t)) => {
                        let req: ledger::NewLine = serde_json::from_value(json!({
                            "partner_id": partner_id, "kind": "clawback", "description": "c",
                            "amount": {"amount_minor": -(amount / 3).max(1), "currency": t.amount.currency.code()},
                            "corrects": t.id
                        }))
                        .unwrap();
                        ledger::create(store, "ops", &unique("k"), req, now).await.map(|_| ())
                    }
                    (38..=79, Some(t)) => {
                        let action = ["approve", "approve", "hold", "release", "cancel"][(pick % 5) as usize];
                        let req: ledger::StatusChange =
                            serde_json::from_value(json!({"action": action, "reason": "r"})).unwrap();
                        ledger::change_status(store, "ops", &t.id, None, Some(t.version), req, now)
                            .await
                            .map(|_| ())
                    }
                    (80..=91, Some(t)) => {
                        let req: payouts::NewPayout = serde_json::from_value(json!({
                            "partner_id": partner_id, "currency": t.amount.currency.code()
                        }))
                        .unwrap();
                        payouts::create(store, "ops", &unique("k"), req, now).await.map(|_| ())
                    }
                    (_, Some(t)) => match &t.payout_id {
                        Some(id) => {
                            let status = if pick % 2 == 0 { "paid" } else { "failed" };
                            let req: payouts::PayoutUpdate =
                                serde_json::from_value(json!({"status": status})).unwrap();
                            payouts::settle(store, "ops", id, None, req, now).await.map(|_| ())
                        }
                        None => Ok(()),
                    },
                };
                result
            }));
        }
        for t in batch {
            if let Err(e) = t.await.unwrap() {
                use shared::fault::{Fault, Kind};
                assert!(
                    matches!(e.kind(), Kind::Conflict | Kind::Stale),
                    "seed {seed}: unexpected failure {e:?}"
                );
                expected_failures += 1;
            }
            ops += 1;
        }
    }
    let mut owed = [0i64; 2];
    let mut paid = [0i64; 2];
    let mut statuses = std::collections::HashSet::new();
    for partner in &partners {
        let lines = lines_of(&p, &partner.id).await;
        let mut recount: BTreeMap<String, i64> = BTreeMap::new();
        for l in &lines {
            statuses.insert(l.status);
            let code = l.amount.currency.code();
            *recount
                .entry(format!("{code}_{}", l.status.as_str()))
                .or_default() += l.amount.amount_minor;
            if l.amount.amount_minor < 0
                && matches!(l.status, LineStatus::Pending | LineStatus::Held)
            {
                *recount.entry(format!("{code}_open_clawback")).or_default() +=
                    l.amount.amount_minor;
            }
            let i = if code == "CHF" { 0 } else { 1 };
            if l.status.is_owed() {
                owed[i] += l.amount.amount_minor;
            } else if l.status == LineStatus::Paid {
                paid[i] += l.amount.amount_minor;
            }
            if let Some(id) = &l.payout_id {
                let payout: shared::commissions::Payout = p
                    .ctx
                    .store()
                    .get(&keys::payout(&partner.id, id))
                    .await
                    .unwrap()
                    .unwrap();
                assert!(payout.line_ids.contains(&l.id), "a line's payout holds it");
            }
        }
        recount.retain(|_, v| *v != 0);
        let stored: BTreeMap<String, Value> = p
            .ctx
            .store()
            .get(&keys::commission_totals(&partner.id))
            .await
            .unwrap()
            .unwrap_or_default();
        let maintained: BTreeMap<String, i64> = stored
            .iter()
            .filter(|(k, _)| k.starts_with("CHF_") || k.starts_with("NZD_"))
            .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
            .filter(|(_, v)| *v != 0)
            .collect();
        assert_eq!(
            maintained,
            recount,
            "seed {seed}: totals differ from a recount of {} lines",
            lines.len()
        );
    }
    let after = portal(p.clone()).await;
    assert_eq!(
        [
            after[0] - before[0],
            after[1] - before[1],
            after[2] - before[2],
            after[3] - before[3]
        ],
        [owed[0], owed[1], paid[0], paid[1]],
        "seed {seed}: the portal-wide owed and paid counters"
    );
    assert!(ops >= 360, "{ops} operations");
    assert!(
        statuses.len() >= 4,
        "seed {seed}: the run reached most statuses: {statuses:?} ({expected_failures} refused)"
    );
}

#[tokio::test]
async fn status_moves_payouts_and_settlements_read_in_bounded_round_trips_and_write_once() {
    let p = Portal::new().await;
    let partner = p.approved_partner().await;
    let admin = p.admin_token().await;
    let line = new_line(&p, &admin, &partner.id, 12_000).await;
    let id = line["id"].as_str().unwrap();
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let req = with_header(
        with_json(
            api_request(
                "POST /v1/admin/commissions/{commission_id}/status",
                &format!("/v1/admin/commissions/{id}/status"),
                &[],
            ),
            &json!({"action": "approve"}),
        ),
        "if-match",
        &etag(&line).unwrap(),
    );
    let (status, _) = as_user(req, &admin, |r| admin_commission_status::handle(r, &ctx)).await;
    assert_eq!(status, 200);
    assert_eq!(
        counter.calls(),
        vec!["BatchGetItem", "BatchGetItem", "TransactWriteItems"],
        "the access check with the locator, the line with its partner, one transaction"
    );
    counter.reset();
    let req = with_header(
        with_json(
            api_request("POST /v1/admin/payouts", "/v1/admin/payouts", &[]),
            &json!({"partner_id": partner.id, "currency": "ZAR"}),
        ),
        "idempotency-key",
        &unique("k-"),
    );
    let (status, payout) = as_user(req, &admin, |r| admin_payouts_create::handle(r, &ctx)).await;
    assert_eq!(status, 201, "{payout}");
    let mut calls = counter.calls();
    calls[1..3].sort();
    assert_eq!(
        calls,
        vec![
            "BatchGetItem",
            "BatchGetItem",
            "Query",
            "TransactWriteItems"
        ],
        "access; the key and partner with the payable list queried alongside; one transaction"
    );
    counter.reset();
    let req = with_json(
        api_request(
            "POST /v1/admin/payouts/{payout_id}/status",
            &format!(
                "/v1/admin/payouts/{}/status",
                payout["id"].as_str().unwrap()
            ),
            &[],
        ),
        &json!({"status": "paid"}),
    );
    let (status, _) = as_user(req, &admin, |r| admin_payout_status::handle(r, &ctx)).await;
    assert_eq!(status, 200);
    assert_eq!(
        counter.calls(),
        vec![
            "BatchGetItem",
            "BatchGetItem",
            "BatchGetItem",
            "TransactWriteItems"
        ],
        "access with the locator, the payout with its partner, its lines, one transaction"
    );
}

async fn list_payouts_with(
    ctx: &shared::app::Context,
    token: &str,
    query: &[(&str, &str)],
) -> (u16, Value) {
    as_user(
        api_request("GET /v1/admin/payouts", "/v1/admin/payouts", query),
        token,
        |r| admin_payouts_list::handle(r, ctx),
    )
    .await
}

/// Operations' payout list under `query`, newest first, followed page by page until it
/// reaches payouts created before `since` (other tests add payouts to the same table).
async fn payouts_since(p: &Portal, admin: &str, query: &[(&str, &str)], since: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let mut q = query.to_vec();
        q.push(("limit", "100"));
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        let (status, page) = list_payouts_with(&p.ctx, admin, &q).await;
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            if item["created_at"].as_str().unwrap() < since {
                return out;
            }
            out.push(item.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("the payout list did not reach {since} in 50 pages");
}

fn ids(items: &[Value], of: &[&Value]) -> Vec<String> {
    let wanted: Vec<&str> = of.iter().map(|p| p["id"].as_str().unwrap()).collect();
    items
        .iter()
        .filter_map(|i| i["id"].as_str())
        .filter(|id| wanted.contains(id))
        .map(str::to_string)
        .collect()
}

fn id_list(of: &[&Value]) -> Vec<String> {
    of.iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn operations_list_payouts_across_partners_by_status_and_partner() {
    let p = Portal::new().await;
    let a = p.approved_partner().await;
    let b = p.approved_partner().await;
    let admin = p.admin_token().await;
    let mut payouts = Vec::new();
    for (partner, amount) in [(&a, 4_000), (&b, 6_000), (&a, 2_500)] {
        approved(&p, &admin, &partner.id, amount).await;
        let (status, payout) = create_payout(
            &p,
            &admin,
            &unique("k-"),
            json!({"partner_id": partner.id, "currency": "ZAR"}),
        )
        .await;
        assert_eq!(status, 201, "{payout}");
        payouts.push(payout);
    }
    let [a1, b1, a2] = [&payouts[0], &payouts[1], &payouts[2]];
    let since = a1["created_at"].as_str().unwrap().to_string();

    // Every payout, newest first, each as the partner's listing shows it plus its partner.
    let all = payouts_since(&p, &admin, &[], &since).await;
    assert_eq!(ids(&all, &[a1, b1, a2]), id_list(&[a2, b1, a1]));
    let shown = all.iter().find(|i| i["id"] == a2["id"]).unwrap();
    let fields: BTreeSet<&str> = shown
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "id",
        "amount",
        "currency",
        "line_count",
        "status",
        "reference",
        "failure_reason",
        "created_at",
        "paid_at",
        "version",
        "partner_id",
    ]
    .into();
    assert_eq!(fields, expected);
    assert_eq!(
        (&shown["partner_id"], &shown["amount"]["amount_minor"]),
        (&json!(a.id), &json!(2_500))
    );
    let (_, own) = as_user(
        api_request("GET /v1/payouts", "/v1/payouts", &[]),
        a.token(),
        |r| payouts_list::handle(r, &p.ctx),
    )
    .await;
    let mut partner_view = shown.clone();
    partner_view.as_object_mut().unwrap().remove("partner_id");
    assert_eq!(
        own["items"][0], partner_view,
        "the partner's own listing of it"
    );

    // By status, across partners.
    let processing = payouts_since(&p, &admin, &[("status", "processing")], &since).await;
    assert_eq!(ids(&processing, &[a1, b1, a2]), id_list(&[a2, b1, a1]));
    assert!(processing.iter().all(|i| i["status"] == "processing"));

    // By partner: exactly that partner's payouts, from its own partition.
    let (status, of_a) = list_payouts_with(&p.ctx, &admin, &[("partner_id", &a.id)]).await;
    assert_eq!(status, 200, "{of_a}");
    assert_eq!(
        ids(of_a["items"].as_array().unwrap(), &[a1, b1, a2]),
        id_list(&[a2, a1])
    );
    assert_eq!(of_a["items"].as_array().unwrap().len(), 2);

    // Settling moves a payout between the status lists.
    let (status, paid) = settle_payout(
        &p,
        &admin,
        a1["id"].as_str().unwrap(),
        json!({"status": "paid", "reference": "EFT-2026-0042"}),
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    let (status, failed) = settle_payout(
        &p,
        &admin,
        b1["id"].as_str().unwrap(),
        json!({"status": "failed", "reason": "Bank rejected the account number"}),
    )
    .await;
    assert_eq!(status, 200, "{failed}");
    let processing = payouts_since(&p, &admin, &[("status", "processing")], &since).await;
    assert_eq!(ids(&processing, &[a1, b1, a2]), id_list(&[a2]));
    let paid = payouts_since(&p, &admin, &[("status", "paid")], &since).await;
    assert_eq!(ids(&paid, &[a1, b1, a2]), id_list(&[a1]));
    let listed = paid.iter().find(|i| i["id"] == a1["id"]).unwrap();
    assert_eq!(
        (&listed["reference"], &listed["version"]),
        (&json!("EFT-2026-0042"), &json!(2))
    );
    let failed = payouts_since(&p, &admin, &[("status", "failed")], &since).await;
    assert_eq!(ids(&failed, &[a1, b1, a2]), id_list(&[b1]));
    assert!(failed.iter().all(|i| i["status"] == "failed"));
    let all = payouts_since(&p, &admin, &[], &since).await;
    assert_eq!(
        ids(&all, &[a1, b1, a2]),
        id_list(&[a2, b1, a1]),
        "still listed once each"
    );
    for (status, expected) in [("paid", vec![a1]), ("processing", vec![a2])] {
        let (code, page) =
            list_payouts_with(&p.ctx, &admin, &[("partner_id", &a.id), ("status", status)]).await;
        assert_eq!(code, 200, "{page}");
        assert_eq!(
            ids(page["items"].as_array().unwrap(), &[a1, b1, a2]),
            id_list(&expected),
            "{status} of partner a"
        );
        assert!(page["items"].as_array().unwrap().len() <= expected.len());
    }

    // One round trip for the access check, one Query per page, whatever the filter.
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let a_id = a.id.clone();
    let queries: [&[(&str, &str)]; 4] = [
        &[],
        &[("status", "paid")],
        &[("partner_id", &a_id)],
        &[("partner_id", &a_id), ("status", "processing")],
    ];
    for query in queries {
        counter.reset();
        let (status, page) = list_payouts_with(&ctx, &admin, query).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            counter.calls(),
            vec!["BatchGetItem", "Query"],
            "{query:?}: the access check, then one Query"
        );
    }

    // A page's cursor pages that list only; a bad status is a 400 naming it.
    let (_, first) = list_payouts_with(&p.ctx, &admin, &[("limit", "1")]).await;
    let cursor = first["next_cursor"].as_str().expect("more than one payout");
    let (status, _) = list_payouts_with(
        &p.ctx,
        &admin,
        &[("status", "paid"), ("limit", "1"), ("cursor", cursor)],
    )
    .await;
    assert_eq!(
        status, 400,
        "a cursor of the whole list does not page the paid one"
    );
    let (status, problem) = list_payouts_with(&p.ctx, &admin, &[("status", "approved")]).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (400, Some("status")),
        "{problem}"
    );

    // Partners cannot use it, not even for their own payouts.
    let finance = p.member(a.token(), "finance").await;
    for token in [a.token(), access(&finance)] {
        let (status, _) = list_payouts_with(&p.ctx, token, &[("partner_id", &a.id)]).await;
        assert_eq!(status, 403);
    }
}
