// The handlers' futures, matched in one place, nest deeper than the default limit.
#![recursion_limit = "256"]
//! The operations workspace against the emulator: a reassigned lead takes its history,
//! activities and attachments along; the partner timeline pages through every kind of
//! event; tasks, internal documents and notes; the KYC download for review is audited;
//! staff roles (support reads, changes nothing; never the last admin); the directory's
//! combined filters cost one Query.

use chrono::Utc;
use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use shared::store::keys;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

/// Every operations handler these tests call, by route (the CRM replay has its own
/// dependencies, built once).
async fn dispatch(
    p: &Portal,
    route: &str,
    r: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, shared::http::Problem> {
    static REPLAY: tokio::sync::OnceCell<admin_crm_replay::Deps> =
        tokio::sync::OnceCell::const_new();
    let ctx = &p.ctx;
    Box::pin(async move {
        match route {
            "GET /v1/admin/activity" => admin_activity::handle(r, ctx).await,
            "GET /v1/admin/partners/{partner_id}/timeline" => {
                admin_partner_timeline::handle(r, ctx).await
            }
            "POST /v1/admin/partners/{partner_id}/notes" => {
                admin_partner_note::handle(r, ctx).await
            }
            "GET /v1/admin/partners/{partner_id}/tasks" => {
                admin_partner_tasks_list::handle(r, ctx).await
            }
            "POST /v1/admin/partners/{partner_id}/tasks" => {
                admin_partner_tasks_create::handle(r, ctx).await
            }
            "GET /v1/admin/tasks" => admin_tasks_list::handle(r, ctx).await,
            "PATCH /v1/admin/tasks/{task_id}" => admin_task_update::handle(r, ctx).await,
            "DELETE /v1/admin/tasks/{task_id}" => admin_task_delete::handle(r, ctx).await,
            "GET /v1/admin/partners/{partner_id}/documents" => {
                admin_partner_documents_list::handle(r, ctx).await
            }
            "POST /v1/admin/partners/{partner_id}/documents" => {
                admin_partner_documents_create::handle(r, ctx).await
            }
            "DELETE /v1/admin/documents/{document_id}" => {
                admin_document_delete::handle(r, ctx).await
            }
            "GET /v1/admin/kyc/documents/{document_id}/download" => {
                admin_kyc_download::handle(r, ctx).await
            }
            "GET /v1/admin/leads" => admin_leads_list::handle(r, ctx).await,
            "GET /v1/admin/analytics" => admin_analytics::handle(r, ctx).await,
            "POST /v1/admin/feedback/surveys" => admin_feedback_survey::handle(r, ctx).await,
            "GET /v1/admin/staff" => admin_staff_list::handle(r, ctx).await,
            "POST /v1/admin/staff" => admin_staff_invite::handle(r, ctx).await,
            "PATCH /v1/admin/staff/{user_id}" => admin_staff_update::handle(r, ctx).await,
            "GET /v1/admin/partners" => admin_partners_list::handle(r, ctx).await,
            "POST /v1/admin/leads/{lead_id}/assign" => admin_lead_assign::handle(r, ctx).await,
            "POST /v1/admin/partners/{partner_id}/decision" => {
                admin_partner_decision::handle(r, ctx).await
            }
            "POST /v1/admin/partners/bulk-status" => {
                admin_partners_bulk_status::handle(r, ctx).await
            }
            "POST /v1/admin/kyc/documents/{document_id}/review" => {
                admin_kyc_review::handle(r, ctx).await
            }
            "POST /v1/admin/crm/replay" => {
                let deps = REPLAY
                    .get_or_init(|| async {
                        admin_crm_replay::Deps {
                            ctx: Box::leak(Box::new(
                                shared::app::context(
                                    &shared::config::ProcessEnv,
                                    &p.stack.sdk,
                                    admin_crm_replay::NEEDS,
                                )
                                .await
                                .unwrap(),
                            )),
                            queue: shared::queue::Queue::new(
                                p.stack.sqs(),
                                env("CRM_WEBHOOK_QUEUE_URL"),
                            ),
                            settings: shared::crm::CrmSettings::default(),
                        }
                    })
                    .await;
                admin_crm_replay::handle(r, deps).await
            }
            "POST /v1/admin/commissions" => admin_commissions_create::handle(r, ctx).await,
            "POST /v1/admin/commissions/{commission_id}/status" => {
                admin_commission_status::handle(r, ctx).await
            }
            "POST /v1/admin/payouts" => admin_payouts_create::handle(r, ctx).await,
            "POST /v1/admin/payouts/{payout_id}/status" => {
                admin_payout_status::handle(r, ctx).await
            }
            "PATCH /v1/admin/partners/{partner_id}" => admin_partner_update::handle(r, ctx).await,
            "POST /v1/admin/resources" => admin_resources_create::handle(r, ctx).await,
            "PATCH /v1/admin/resources/{resource_id}" => {
                admin_resource_update::handle(r, ctx).await
            }
            other => panic!("{other}: no handler in these tests"),
        }
    })
    .await
}

async fn request(
    p: &Portal,
    token: &str,
    route: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = api_request(route, path, query);
    if let Some(b) = &body {
        req = with_json(req, b);
    }
    as_user(req, token, |r| dispatch(p, route, r)).await
}

/// A PATCH with `If-Match`.
async fn patch(
    p: &Portal,
    token: &str,
    route: &str,
    path: &str,
    version: &Value,
    body: Value,
) -> (u16, Value) {
    let req = with_header(
        with_json(api_request(route, path, &[]), &body),
        "if-match",
        &format!("\"v{version}\""),
    );
    as_user(req, token, |r| dispatch(p, route, r)).await
}

/// A colleague invited by `admin` as `role`, who accepted; their access token.
async fn staff_member(p: &Portal, admin: &str, role: &str) -> (String, Value) {
    let email = format!("{}@ops.example", unique(&format!("{role}-")).to_lowercase());
    let (status, user) = request(
        p,
        admin,
        "POST /v1/admin/staff",
        "/v1/admin/staff",
        &[],
        Some(json!({"email": email, "role": role, "first_name": "Thandi"})),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let token = token_from_link(&p.deliver_emails(&email).await[0]);
    let (status, pair) = call(
        with_json(
            http_fixture("auth-invitation-accept", "accept"),
            &json!({"token": token, "password": "a long staff passphrase"}),
        ),
        |r| auth_invitation_accept::handle(r, &p.signer),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    (pair["access_token"].as_str().unwrap().to_string(), user)
}

struct Partner {
    id: String,
    token: String,
}

async fn approved(p: &Portal) -> Partner {
    let (id, email) = p.register_approved().await;
    Partner {
        id,
        token: p.token(&email).await["access_token"]
            .as_str()
            .unwrap()
            .to_string(),
    }
}

fn contact() -> (String, String) {
    let n = ulid::Ulid::new().random() % 10_000_000;
    (
        format!("ws.{}@gmail.com", unique("").to_lowercase()),
        format!("083{n:07}"),
    )
}

async fn new_lead(p: &Portal, token: &str) -> Value {
    let (email, phone) = contact();
    let (status, lead) = as_user(
        with_json(
            http_fixture("leads-create", "new-lead"),
            &json!({"first_name": "Sipho", "last_name": "Dube", "email": email, "phone": phone}),
        ),
        token,
        |r| leads_create::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 201, "{lead}");
    lead
}

async fn log_call(p: &Portal, token: &str, lead_id: &str, n: usize) {
    let (status, body) = as_user(
        with_json(
            api_request(
                "POST /v1/leads/{lead_id}/activities",
                &format!("/v1/leads/{lead_id}/activities"),
                &[],
            ),
            &json!({"type": "call", "subject": format!("call {n}")}),
        ),
        token,
        |r| leads_activities_create::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn lead_items(p: &Portal, token: &str, lead_id: &str) -> (u16, usize, usize) {
    let get = |route: &'static str, suffix: &'static str| {
        let path = format!("/v1/leads/{lead_id}{suffix}");
        async move {
            let r = api_request(route, &path, &[]);
            as_user(r, token, |r| async {
                match route {
                    "GET /v1/leads/{lead_id}/history" => leads_history::handle(r, &p.ctx).await,
                    "GET /v1/leads/{lead_id}/activities" => {
                        leads_activities_list::handle(r, &p.ctx).await
                    }
                    _ => leads_get::handle(r, &p.ctx).await,
                }
            })
            .await
        }
    };
    let (status, _) = get("GET /v1/leads/{lead_id}", "").await;
    let (_, history) = get("GET /v1/leads/{lead_id}/history", "/history").await;
    let (_, activities) = get("GET /v1/leads/{lead_id}/activities", "/activities").await;
    let count = |v: &Value| v["items"].as_array().map_or(0, Vec::len);
    (status, count(&history), count(&activities))
}

#[tokio::test]
async fn a_reassigned_lead_keeps_its_history_activities_and_attachments() {
    let p = Portal::new().await;
    let a = approved(&p).await;
    let b = approved(&p).await;
    let admin = p.admin_token().await;
    let lead = new_lead(&p, &a.token).await;
    let id = lead["id"].as_str().unwrap().to_string();
    for n in 0..3 {
        log_call(&p, &a.token, &id, n).await;
    }
    let docx = b"PK\x03\x04\x14\x00\x06\x00word/document.xml".to_vec();
    let (status, granted) = as_user(
        with_json(
            api_request(
                "POST /v1/leads/{lead_id}/attachments",
                &format!("/v1/leads/{id}/attachments"),
                &[],
            ),
            &json!({"file_name": "quote.docx", "content_type": shared::uploads::DOCX, "size": docx.len()}),
        ),
        &a.token,
        |r| leads_attachment_upload::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 201, "{granted}");
    let key = p.put_upload(&granted["upload"], &docx).await;
    let (_, history_before, activities_before) = lead_items(&p, &a.token, &id).await;
    assert!(history_before >= 1 && activities_before == 3);

    let (status, moved) = request(
        &p,
        &admin,
        "POST /v1/admin/leads/{lead_id}/assign",
        &format!("/v1/admin/leads/{id}/assign"),
        &[],
        Some(json!({"partner_id": b.id})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    // The verifier's event arrives after the move: the attachment is found where it went.
    p.verify_object(&key).await;

    let (status, history, activities) = lead_items(&p, &b.token, &id).await;
    assert_eq!(status, 200);
    assert_eq!(activities, 3, "the activities moved");
    assert_eq!(
        history,
        history_before + 1,
        "the history moved, plus the move"
    );
    let attachment: Option<Value> = p
        .ctx
        .store()
        .get(&keys::lead_attachment(
            &b.id,
            &id,
            granted["attachment"]["id"].as_str().unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(
        attachment.unwrap()["status"],
        "pending",
        "the attachment moved and was verified there"
    );
    // The old partner sees none of it, and nothing is left in its partition.
    assert_eq!(lead_items(&p, &a.token, &id).await.0, 404);
    let left: Vec<Value> = p
        .ctx
        .store()
        .query_up_to(
            &shared::store::Query::partition(None, keys::partner_partition(&a.id), 1000)
                .prefix("LEAD"),
        )
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_lead_with_more_items_than_one_transaction_moves_in_batches() {
    let p = Portal::new().await;
    let a = approved(&p).await;
    let b = approved(&p).await;
    let admin = p.admin_token().await;
    let lead = new_lead(&p, &a.token).await;
    let id = lead["id"].as_str().unwrap().to_string();
    // More activities than one transaction carries, written directly (fast).
    let many = shared::leads::MOVE_IN_ONE + 25;
    let store = p.ctx.store();
    let mut tx = store.tx();
    let mut in_tx = 0;
    for n in 0..many {
        let at = shared::validate::rfc3339(Utc::now());
        let activity: shared::leads::Activity = serde_json::from_value(json!({
            "id": ulid::Ulid::new().to_string(), "partner_id": a.id, "lead_id": id,
            "type": "note", "subject": format!("note {n}"), "by": "tests", "at": at,
        }))
        .unwrap();
        tx = tx.insert(&activity);
        in_tx += 1;
        if in_tx == 50 {
            store.commit(tx.build()).await.unwrap();
            tx = store.tx();
            in_tx = 0;
        }
    }
    store.commit(tx.build()).await.unwrap();
    let (status, moved) = request(
        &p,
        &admin,
        "POST /v1/admin/leads/{lead_id}/assign",
        &format!("/v1/admin/leads/{id}/assign"),
        &[],
        Some(json!({"partner_id": b.id})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert!(moved.get("moving_from").is_none(), "{moved}");
    let moved_items: Vec<Value> = store
        .query_up_to(
            &shared::store::Query::partition(None, keys::partner_partition(&b.id), 1000)
                .prefix(keys::lead_activity_prefix(&id)),
        )
        .await
        .unwrap();
    assert_eq!(moved_items.len(), many);
    let left: Vec<Value> = store
        .query_up_to(
            &shared::store::Query::partition(None, keys::partner_partition(&a.id), 1000)
                .prefix(keys::lead_activity_prefix(&id)),
        )
        .await
        .unwrap();
    assert!(left.is_empty());
}

#[tokio::test]
async fn the_timeline_pages_through_every_kind_of_event_newest_first() {
    let p = Portal::new().await;
    let a = approved(&p).await;
    let b = approved(&p).await;
    let admin = p.admin_token().await;
    // Leads and a status change, a login, a lead moved in, a task, a document, a note.
    let lead = new_lead(&p, &a.token).await;
    let id = lead["id"].as_str().unwrap();
    let (status, _) = as_user(
        with_header(
            with_json(
                api_request("PATCH /v1/leads/{lead_id}", &format!("/v1/leads/{id}"), &[]),
                &json!({"status": "contacted"}),
            ),
            "if-match",
            "\"v1\"",
        ),
        &a.token,
        |r| leads_update::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200);
    let other = new_lead(&p, &b.token).await;
    request(
        &p,
        &admin,
        "POST /v1/admin/leads/{lead_id}/assign",
        &format!("/v1/admin/leads/{}/assign", other["id"].as_str().unwrap()),
        &[],
        Some(json!({"partner_id": a.id})),
    )
    .await;
    let partner_path = |s: &str| format!("/v1/admin/partners/{}/{s}", a.id);
    let (status, task) = request(
        &p,
        &admin,
        "POST /v1/admin/partners/{partner_id}/tasks",
        &partner_path("tasks"),
        &[],
        Some(json!({"title": "Call about the Q3 pipeline", "due_date": "2026-12-01"})),
    )
    .await;
    assert_eq!(status, 201, "{task}");
    let (status, doc) = request(
        &p,
        &admin,
        "POST /v1/admin/partners/{partner_id}/documents",
        &partner_path("documents"),
        &[],
        Some(json!({"title": "Account plan", "document_type": "plan",
                    "url": "https://www.notion.so/acme/account-plan"})),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let (status, note) = request(
        &p,
        &admin,
        "POST /v1/admin/partners/{partner_id}/notes",
        &partner_path("notes"),
        &[],
        Some(json!({"text": "Prefers email; busy on Mondays."})),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    // A note over the cap, or about nobody: refused, nothing written.
    let long = "x".repeat(shared::workspace::activity::NOTE_MAX_CHARS + 1);
    for (path, body, expected) in [
        (partner_path("notes"), json!({"text": long}), 400),
        (
            partner_path("notes"),
            json!({"text": "hi", "pinned": true}),
            400,
        ),
        (
            "/v1/admin/partners/01JNOSUCHPARTNER0000000000/notes".to_string(),
            json!({"text": "hi"}),
            404,
        ),
    ] {
        let (status, problem) = request(
            &p,
            &admin,
            "POST /v1/admin/partners/{partner_id}/notes",
            &path,
            &[],
            Some(body),
        )
        .await;
        assert_eq!(status, expected, "{problem}");
    }

    // Pages of three, newest first, until the end.
    let mut actions = Vec::new();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "3")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let (status, page) = request(
            &p,
            &admin,
            "GET /v1/admin/partners/{partner_id}/timeline",
            &partner_path("timeline"),
            &query,
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        for e in page["items"].as_array().unwrap() {
            actions.push(e["action"].as_str().unwrap().to_string());
            ids.push(e["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted = ids.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(ids, sorted, "newest first");
    for kind in [
        "partner.registered",
        "user.email_verified",
        "user.login",
        "lead.created",
        "lead.updated",
        "lead.assigned",
        "task.created",
        "document.added",
        "note.added",
    ] {
        assert!(actions.iter().any(|a| a == kind), "{kind} in {actions:?}");
    }
    assert_eq!(actions[0], "note.added");

    // The feed across partners: filters by partner, action prefix and time.
    let (_, feed) = request(
        &p,
        &admin,
        "GET /v1/admin/activity",
        "/v1/admin/activity",
        &[("partner_id", &a.id), ("action", "task.*"), ("limit", "50")],
        None,
    )
    .await;
    let feed_actions: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(feed_actions, vec!["task.created"]);
    let since = shared::validate::rfc3339(Utc::now() + chrono::Duration::minutes(1));
    let (_, later) = request(
        &p,
        &admin,
        "GET /v1/admin/activity",
        "/v1/admin/activity",
        &[("from", &since)],
        None,
    )
    .await;
    assert!(later["items"].as_array().unwrap().is_empty());
    let (status, bad) = request(
        &p,
        &admin,
        "GET /v1/admin/activity",
        "/v1/admin/activity",
        &[("from", "yesterday")],
        None,
    )
    .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (400, Some("validation_failed"))
    );
    // Partners never see notes or the timeline.
    assert_eq!(
        request(
            &p,
            &a.token,
            "GET /v1/admin/partners/{partner_id}/timeline",
            &partner_path("timeline"),
            &[],
            None,
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn tasks_are_listed_by_assignee_state_and_due_date() {
    let p = Portal::new().await;
    let a = approved(&p).await;
    let admin = p.admin_token().await;
    let (assignee_token, assignee) = staff_member(&p, &admin, "admin").await;
    let assignee_id = assignee["id"].as_str().unwrap();
    let path = format!("/v1/admin/partners/{}/tasks", a.id);
    let today = Utc::now().date_naive();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let mut created = Vec::new();
    for (title, due) in [
        ("overdue", Some(day(-2))),
        ("today", Some(day(0))),
        ("this week", Some(day(5))),
        ("later", Some(day(30))),
        ("whenever", None),
    ] {
        let (status, t) = request(
            &p,
            &admin,
            "POST /v1/admin/partners/{partner_id}/tasks",
            &path,
            &[],
            Some(
                json!({"title": title, "due_date": due, "assignee_id": assignee_id,
                        "priority": "high"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{t}");
        created.push(t);
    }
    let mine = |due: Option<&'static str>| {
        let (p, token) = (&p, assignee_token.clone());
        async move {
            let mut q = vec![("assignee", "me")];
            if let Some(d) = due {
                q.push(("due", d));
            }
            let (status, page) = request(
                p,
                &token,
                "GET /v1/admin/tasks",
                "/v1/admin/tasks",
                &q,
                None,
            )
            .await;
            assert_eq!(status, 200, "{page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        mine(None).await,
        vec!["overdue", "today", "this week", "later", "whenever"],
        "soonest due first, undated last"
    );
    assert_eq!(mine(Some("overdue")).await, vec!["overdue"]);
    assert_eq!(mine(Some("today")).await, vec!["today"]);
    assert_eq!(mine(Some("week")).await, vec!["today", "this week"]);

    // Done: out of the open list, into the done one; the timeline has it.
    let first = &created[0];
    let (status, done) = patch(
        &p,
        &admin,
        "PATCH /v1/admin/tasks/{task_id}",
        &format!("/v1/admin/tasks/{}", first["id"].as_str().unwrap()),
        &first["version"],
        json!({"status": "done"}),
    )
    .await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("done")),
        "{done}"
    );
    assert!(done["completed_at"].is_string());
    assert!(!mine(None).await.contains(&"overdue".to_string()));
    // A stale version is refused.
    let (status, _) = patch(
        &p,
        &admin,
        "PATCH /v1/admin/tasks/{task_id}",
        &format!("/v1/admin/tasks/{}", first["id"].as_str().unwrap()),
        &first["version"],
        json!({"title": "again"}),
    )
    .await;
    assert_eq!(status, 412);
    // Bad input: unknown partner, bad date, a partner user as assignee, unknown fields.
    let (status, _) = request(
        &p,
        &admin,
        "POST /v1/admin/partners/{partner_id}/tasks",
        "/v1/admin/partners/01JNOSUCHPARTNER0000000000/tasks",
        &[],
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    for body in [
        json!({"title": "x", "due_date": "next tuesday"}),
        json!({"title": "x", "assignee_id": "01JNOSUCHUSER000000000000A"}),
        json!({"title": "x", "colour": "red"}),
        json!({"title": ""}),
    ] {
        let (status, problem) = request(
            &p,
            &admin,
            "POST /v1/admin/partners/{partner_id}/tasks",
            &path,
            &[],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body} → {problem}");
    }
    let (_, listed) = request(
        &p,
        &admin,
        "GET /v1/admin/partners/{partner_id}/tasks",
        &path,
        &[],
        None,
    )
    .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        5,
        "nothing else written"
    );
    let (status, _) = request(
        &p,
        &admin,
        "DELETE /v1/admin/tasks/{task_id}",
        &format!("/v1/admin/tasks/{}", created[4]["id"].as_str().unwrap()),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(mine(None).await.len(), 3);
}

#[tokio::test]
async fn internal_documents_are_links_or_verified_files_and_deletable() {
    let p = Portal::new().await;
    let a = approved(&p).await;
    let admin = p.admin_token().await;
    let path = format!("/v1/admin/partners/{}/documents", a.id);
    let create = |body: Value| {
        let (p, admin, path) = (&p, admin.clone(), path.clone());
        async move {
            request(
                p,
                &admin,
                "POST /v1/admin/partners/{partner_id}/documents",
                &path,
                &[],
                Some(body),
            )
            .await
        }
    };
    for bad in [
        json!({"title": "x", "document_type": "plan", "url": "http://www.notion.so/x"}),
        json!({"title": "x", "document_type": "plan", "url": "https://192.168.1.10/x"}),
        json!({"title": "x", "document_type": "plan", "url": "https://localhost/x"}),
        json!({"title": "x", "document_type": "plan",
               "file": {"content_type": "text/html", "size": 10}}),
        json!({"title": "x", "document_type": "plan"}),
    ] {
        assert_eq!(create(bad.clone()).await.0, 400, "{bad}");
    }
    let (status, file) = create(json!({"title": "Signed agreement", "document_type": "contract",
                                       "tags": ["signed"],
                                       "file": {"content_type": "application/pdf", "size": PDF.len()}}))
    .await;
    assert_eq!(status, 201, "{file}");
    let key = p.put_upload(&file["upload"], PDF).await;
    assert!(key.starts_with(&format!("internal/{}/", a.id)));
    p.verify_object(&key).await;
    let (status, disguised) = create(json!({"title": "Numbers", "document_type": "report",
                                            "file": {"content_type": shared::uploads::XLSX, "size": PDF.len()}}))
    .await;
    assert_eq!(status, 201);
    let bad_key = p.put_upload(&disguised["upload"], PDF).await;
    p.verify_object(&bad_key).await;
    let (_, listed) = request(
        &p,
        &admin,
        "GET /v1/admin/partners/{partner_id}/documents",
        &path,
        &[],
        None,
    )
    .await;
    let items = listed["items"].as_array().unwrap();
    let by_title = |t: &str| items.iter().find(|d| d["title"] == t).unwrap().clone();
    assert_eq!(by_title("Signed agreement")["file"]["status"], "verified");
    assert!(by_title("Signed agreement")["download_url"].is_string());
    assert_eq!(by_title("Numbers")["file"]["status"], "rejected");
    let docs = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);
    assert!(docs.info(&bad_key).await.unwrap().is_none());
    let (status, _) = request(
        &p,
        &admin,
        "DELETE /v1/admin/documents/{document_id}",
        &format!("/v1/admin/documents/{}", file["id"].as_str().unwrap()),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        docs.info(&key).await.unwrap().is_none(),
        "the file went too"
    );
    // Partners have no route to them.
    assert_eq!(
        request(
            &p,
            &a.token,
            "GET /v1/admin/partners/{partner_id}/documents",
            &path,
            &[],
            None
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn an_admin_can_download_the_kyc_file_they_review_and_the_download_is_audited() {
    let p = Portal::new().await;
    let (partner_id, email) = p.register().await;
    let token = p.token(&email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, granted) = as_user(
        with_json(
            http_fixture("kyc-request-upload", "id-document-pdf"),
            &json!({"document_type": "id_document", "file_name": "id.pdf",
                    "content_type": "application/pdf", "size": PDF.len()}),
        ),
        &token,
        |r| kyc_request_upload::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 201, "{granted}");
    let key = p.put_upload(&granted["upload"], PDF).await;
    p.verify_object(&key).await;
    let doc_id = granted["document"]["id"].as_str().unwrap();
    let admin = p.admin_token().await;
    let path = format!("/v1/admin/kyc/documents/{doc_id}/download");
    let route = "GET /v1/admin/kyc/documents/{document_id}/download";
    let (status, link) = request(
        &p,
        &admin,
        route,
        &path,
        &[("partner_id", &partner_id)],
        None,
    )
    .await;
    assert_eq!(status, 200, "{link}");
    let bytes = reqwest::get(link["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], PDF, "the reviewer opens the file itself");
    let expires =
        chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires <= Utc::now() + chrono::Duration::minutes(5) + chrono::Duration::seconds(5));
    let (_, timeline) = request(
        &p,
        &admin,
        "GET /v1/admin/partners/{partner_id}/timeline",
        &format!("/v1/admin/partners/{partner_id}/timeline"),
        &[("action", "kyc.document_downloaded")],
        None,
    )
    .await;
    let entry = &timeline["items"][0];
    assert_eq!(entry["target"], format!("kyc_document:{doc_id}"));
    assert_eq!(
        entry["actor"],
        p.me(&admin).await.1["user"]["id"],
        "who opened it"
    );
    // Another partner's id, no partner id, a partner user: 404, 400, 403.
    let (other, _) = p.register().await;
    assert_eq!(
        request(&p, &admin, route, &path, &[("partner_id", &other)], None)
            .await
            .0,
        404
    );
    assert_eq!(request(&p, &admin, route, &path, &[], None).await.0, 400);
    assert_eq!(
        request(
            &p,
            &token,
            route,
            &path,
            &[("partner_id", &partner_id)],
            None
        )
        .await
        .0,
        403
    );
}

/// An operations write as `token` (every non-GET operations route in the permission
/// matrix must have a handler in [`dispatch`]: the test fails for a new one that has not).
async fn write_as(p: &Portal, token: &str, route: &str) -> u16 {
    let path = route
        .split_once(' ')
        .unwrap()
        .1
        .replace("{partner_id}", "01JPARTNER0000000000000000")
        .replace("{lead_id}", "01JLEAD00000000000000000000")
        .replace("{task_id}", "01JTASK00000000000000000000")
        .replace("{document_id}", "01JDOCUMENT0000000000000000")
        .replace("{commission_id}", "01JCOMMISSION00000000000000")
        .replace("{payout_id}", "01JPAYOUT000000000000000000")
        .replace("{resource_id}", "01JRESOURCE0000000000000000")
        .replace("{user_id}", "01JUSER00000000000000000000");
    let req = with_header(
        with_header(
            with_json(api_request(route, &path, &[]), &json!({})),
            "if-match",
            "\"v1\"",
        ),
        "idempotency-key",
        "support-test",
    );
    as_user(req, token, |r| dispatch(p, route, r)).await.0
}

#[tokio::test]
async fn support_can_read_everything_and_change_nothing() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let (support, _) = staff_member(&p, &admin, "support").await;
    let routes = shared::auth::permissions::ROUTES;
    let mut writes = 0;
    for (route, _) in routes.iter().filter(|(r, _)| r.contains(" /v1/admin/")) {
        if route.starts_with("GET ") {
            // Every operations read lets support through the access check.
            let path = route.split_once(' ').unwrap().1;
            let req = with_bearer(api_request(route, path, &[]), Some(&support));
            assert!(
                p.ctx.require(&req, route).await.is_ok(),
                "support may read {route}"
            );
        } else {
            writes += 1;
            assert_eq!(write_as(&p, &support, route).await, 403, "{route}");
        }
    }
    assert!(writes >= 20, "{writes} operations writes");
    // And the directory answers support for real.
    let (status, _) = request(
        &p,
        &support,
        "GET /v1/admin/partners",
        "/v1/admin/partners",
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn staff_roles_change_at_once() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let (colleague_token, colleague) = staff_member(&p, &admin, "admin").await;
    let id = colleague["id"].as_str().unwrap();
    let (_, listed) = request(
        &p,
        &admin,
        "GET /v1/admin/staff",
        "/v1/admin/staff",
        &[("limit", "100")],
        None,
    )
    .await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id)
    );
    // Demoted to support: their token stops working at once.
    let current: Value = p
        .ctx
        .store()
        .get(&keys::user(None, id))
        .await
        .unwrap()
        .unwrap();
    let (status, demoted) = patch(
        &p,
        &admin,
        "PATCH /v1/admin/staff/{user_id}",
        &format!("/v1/admin/staff/{id}"),
        &current["version"],
        json!({"role": "support"}),
    )
    .await;
    assert_eq!(
        (status, demoted["role"].as_str()),
        (200, Some("support")),
        "{demoted}"
    );
    assert_eq!(
        request(
            &p,
            &colleague_token,
            "GET /v1/admin/staff",
            "/v1/admin/staff",
            &[],
            None
        )
        .await
        .0,
        401
    );
    // A partner role is refused, to a colleague or an invitation; oneself cannot be changed.
    let now: Value = p
        .ctx
        .store()
        .get(&keys::user(None, id))
        .await
        .unwrap()
        .unwrap();
    let (status, _) = patch(
        &p,
        &admin,
        "PATCH /v1/admin/staff/{user_id}",
        &format!("/v1/admin/staff/{id}"),
        &now["version"],
        json!({"role": "owner"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = request(
        &p,
        &admin,
        "POST /v1/admin/staff",
        "/v1/admin/staff",
        &[],
        Some(json!({"email": "someone@ops.example", "role": "sales"})),
    )
    .await;
    assert_eq!(status, 400);
    let me = p.me(&admin).await.1["user"].clone();
    let mine: Value = p
        .ctx
        .store()
        .get(&keys::user(None, me["id"].as_str().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let (status, problem) = patch(
        &p,
        &admin,
        "PATCH /v1/admin/staff/{user_id}",
        &format!("/v1/admin/staff/{}", me["id"].as_str().unwrap()),
        &mine["version"],
        json!({"is_active": false}),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_active_admin_can_be_neither_deactivated_nor_demoted() {
    use shared::identity::service::{self, BootstrapAdminRequest, UpdateUserRequest};
    let p = Portal::new().await;
    // A portal of its own (a table of its own): exactly two admins.
    let table = unique("staff-").to_lowercase();
    portal_tests::crm::copy_table_schema(&p.stack, &table).await;
    let id = shared::identity::service::Identity {
        store: shared::store::Store::new(p.stack.dynamodb(), &table),
        auth: None,
        portal_url: "https://portal.example".into(),
        default_country_code: "27".into(),
        limits: p.open.limits,
    };
    let mut admins = Vec::new();
    for n in 0..2 {
        let req: BootstrapAdminRequest = serde_json::from_value(json!({
            "email": format!("admin{n}@ops.example"), "password": "a long admin passphrase"
        }))
        .unwrap();
        admins.push(
            service::bootstrap_admin(&id, req, Utc::now())
                .await
                .unwrap()
                .user_id,
        );
    }
    let user = |uid: String| {
        let id = &id;
        async move {
            id.store
                .get::<shared::identity::model::User>(&keys::user(None, &uid))
                .await
                .unwrap()
        }
    };
    let principal = |uid: &str| shared::auth::Principal {
        user_id: uid.to_string(),
        partner_id: None,
        role: shared::auth::Role::Admin,
        session_id: "tests".into(),
    };
    let change = |body: Value| serde_json::from_value::<UpdateUserRequest>(body).unwrap();
    // Each deactivates the other at once: exactly one succeeds.
    let (zero, one) = (principal(&admins[0]), principal(&admins[1]));
    let (first, second) = tokio::join!(
        service::update_staff(
            &id,
            &zero,
            &admins[1],
            user(admins[1].clone()).await,
            None,
            change(json!({"is_active": false})),
            Utc::now(),
        ),
        service::update_staff(
            &id,
            &one,
            &admins[0],
            user(admins[0].clone()).await,
            None,
            change(json!({"is_active": false})),
            Utc::now(),
        ),
    );
    assert_eq!(
        [first.is_ok(), second.is_ok()]
            .iter()
            .filter(|ok| **ok)
            .count(),
        1,
        "{first:?} {second:?}"
    );
    let last = if first.is_ok() {
        &admins[0]
    } else {
        &admins[1]
    };
    let gone = if first.is_ok() {
        &admins[1]
    } else {
        &admins[0]
    };
    for body in [json!({"is_active": false}), json!({"role": "support"})] {
        let err = service::update_staff(
            &id,
            &principal(gone),
            last,
            user(last.clone()).await,
            None,
            change(body.clone()),
            Utc::now(),
        )
        .await
        .unwrap_err();
        let problem = shared::http::Problem::from(err);
        assert_eq!(problem.status().as_u16(), 409, "{body}");
        assert_eq!(problem.code(), "last_admin");
    }
    let still = user(last.clone()).await.unwrap();
    assert_eq!(
        (still.role, still.status),
        (
            shared::auth::Role::Admin,
            shared::identity::model::UserStatus::Active
        )
    );
}

#[tokio::test]
async fn directory_filters_combine_without_a_scan() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let (admin_me, _) = {
        let (_, me) = p.me(&admin).await;
        (me["user"]["id"].as_str().unwrap().to_string(), ())
    };
    let a = approved(&p).await;
    let region = unique("region-").to_lowercase();
    // Written as the entity, so its index keys (the directory by status) follow.
    let store = p.ctx.store();
    let mut partner: shared::partners::Partner =
        store.get(&keys::partner(&a.id)).await.unwrap().unwrap();
    let version = partner.version;
    partner.status = shared::partners::PartnerStatus::Approved;
    partner.tier = shared::partners::Tier::Gold;
    partner.owner_admin_id = Some(admin_me.clone());
    partner.regions = vec![region.clone()];
    partner.version += 1;
    store
        .commit(store.tx().replace(&partner, version).build())
        .await
        .unwrap();
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = vec![
            ("status", "approved"),
            ("kyc_status", "incomplete"),
            ("tier", "gold"),
            ("region", region.as_str()),
            ("owner", "me"),
            ("q", "acme"),
            ("limit", "100"),
        ];
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        counter.reset();
        let (status, page) = as_user(
            api_request("GET /v1/admin/partners", "/v1/admin/partners", &q),
            &admin,
            |r| admin_partners_list::handle(r, &ctx),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            counter.calls(),
            vec!["BatchGetItem", "Query"],
            "the access check with the hero metrics, then one Query per page"
        );
        found.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) if pages < 50 => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    assert_eq!(found, vec![a.id.clone()], "all six filters apply together");
}

#[tokio::test]
async fn the_lead_pool_lists_leads_across_partners_with_combined_filters() {
    let p = Portal::new().await;
    let a = approved(&p).await;
    let b = approved(&p).await;
    let admin = p.admin_token().await;
    let since = shared::validate::rfc3339(Utc::now() - chrono::Duration::seconds(1));
    let la = new_lead(&p, &a.token).await;
    let lb = new_lead(&p, &b.token).await;
    let pool = |query: Vec<(&'static str, String)>| {
        let (p, admin) = (&p, admin.clone());
        async move {
            let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, page) = request(
                p,
                &admin,
                "GET /v1/admin/leads",
                "/v1/admin/leads",
                &q,
                None,
            )
            .await;
            assert_eq!(status, 200, "{page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let ids = |l: &Value| l["id"].as_str().unwrap().to_string();
    // Across partners, newest first, within the time range.
    let both = pool(vec![
        ("created_from", since.clone()),
        ("limit", "100".into()),
    ])
    .await;
    let pos = |id: &str| both.iter().position(|x| x == id);
    assert!(
        pos(&ids(&lb)).unwrap() < pos(&ids(&la)).unwrap(),
        "{both:?}"
    );
    // One partner (its status index), unassigned, a search.
    assert_eq!(
        pool(vec![
            ("partner_id", a.id.clone()),
            ("status", "new".into()),
            ("unassigned", "true".into()),
            ("q", "sipho".into()),
        ])
        .await,
        vec![ids(&la)]
    );
    assert_eq!(
        pool(vec![("partner_id", b.id.clone())]).await,
        vec![ids(&lb)]
    );
    assert!(
        pool(vec![("partner_id", a.id.clone()), ("status", "won".into())])
            .await
            .is_empty()
    );
    // Bad filters: 400, never a DynamoDB error.
    for (k, v) in [
        ("status", "maybe"),
        ("unassigned", "yes"),
        ("created_from", "lastweek"),
        ("partner_id", "not.an.id"),
    ] {
        let (status, _) = request(
            &p,
            &admin,
            "GET /v1/admin/leads",
            "/v1/admin/leads",
            &[(k, v)],
            None,
        )
        .await;
        assert_eq!(status, 400, "{k}={v}");
    }
    let (status, _) = request(
        &p,
        &admin,
        "GET /v1/admin/leads",
        "/v1/admin/leads",
        &[("created_from", "2026-02-01"), ("created_to", "2026-01-01")],
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, only_to) = request(
        &p,
        &admin,
        "GET /v1/admin/leads",
        "/v1/admin/leads",
        &[("created_to", "2020-01-01")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{only_to}");
    assert!(only_to["items"].as_array().unwrap().is_empty());
}
