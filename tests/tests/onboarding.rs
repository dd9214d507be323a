#![recursion_limit = "256"]
//! Partner onboarding end to end: profile, KYC uploads through real presigned URLs, the
//! upload verifier, submission, and operations' review and decisions.

use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use shared::app::Context;
use std::collections::HashMap;

const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

/// Requests an upload of `declared_type`/`declared_size`, PUTs `bytes` to the presigned URL
/// like a browser, and runs the verifier on the object as the bucket event would.
async fn upload(
    p: &Portal,
    token: &str,
    document_type: &str,
    declared_type: &str,
    declared_size: usize,
    bytes: &[u8],
) -> (Value, Value) {
    let body = json!({"document_type": document_type, "file_name": format!("{document_type}.pdf"),
                      "content_type": declared_type, "size": declared_size});
    let (status, granted) = as_user(
        with_json(http_fixture("kyc-request-upload", "id-document-pdf"), &body),
        token,
        |r| kyc_request_upload::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 201, "{granted}");
    let upload = &granted["upload"];
    let key = p.put_upload(upload, bytes).await;
    p.verify_object(&key).await;
    (granted["document"].clone(), upload.clone())
}

#[tokio::test]
async fn a_file_replaced_after_verification_is_rejected_and_removed() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (doc, granted) = upload(&p, &token, "id_document", "application/pdf", PDF.len(), PDF).await;
    let key = format!("kyc/{partner_id}/{}", doc["id"].as_str().unwrap());
    assert_eq!(
        documents(&p, &token).await[0]["verification_status"],
        "pending"
    );

    // Same URL, same length, different bytes, within the URL's lifetime.
    let mut other = PDF.to_vec();
    other[10] = b'X';
    let mut put = reqwest::Client::new()
        .put(granted["url"].as_str().unwrap())
        .body(other);
    put = put.header("content-type", "application/pdf");
    assert!(put.send().await.unwrap().status().is_success());
    p.verify_object(&key).await;

    let listed = documents(&p, &token).await;
    assert_eq!(listed[0]["verification_status"], "rejected", "{listed:?}");
    assert!(
        listed[0]["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("replaced")
    );
    let docs_store = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);
    assert_eq!(docs_store.info(&key).await.unwrap(), None);
}

async fn documents(p: &Portal, token: &str) -> Vec<Value> {
    let (status, page) = as_user(http_fixture("kyc-list", "first-page"), token, |r| {
        kyc_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Uploads (and verifies) a PDF of each document a company must provide.
async fn upload_required_documents(p: &Portal, token: &str) {
    for kind in [
        "id_document",
        "proof_of_address",
        "bank_statement",
        "business_registration",
    ] {
        let (doc, _) = upload(p, token, kind, "application/pdf", PDF.len(), PDF).await;
        assert_eq!(doc["verification_status"], "uploading");
    }
}

async fn partner(p: &Portal, token: &str) -> (Value, String) {
    let response = shared::http::respond(
        with_bearer(http_fixture("partner-get", "get"), Some(token)),
        |r| partner_get::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    (body_json(&response), etag)
}

fn on(ctx: &Context) -> &Context {
    ctx
}

#[tokio::test]
async fn a_partner_goes_from_registration_to_approved_through_real_uploads_and_review() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    upload_required_documents(&p, &token).await;
    let docs = documents(&p, &token).await;
    assert_eq!(docs.len(), 4);
    assert!(
        docs.iter().all(|d| d["verification_status"] == "pending"),
        "{docs:?}"
    );
    assert_eq!(
        partner(&p, &token).await.0["kyc_status"],
        "submitted",
        "every required type is in"
    );

    let (status, submitted) = as_user(http_fixture("kyc-submit", "submit"), &token, |r| {
        kyc_submit::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["status"], "under_review");

    let admin = p.admin_token().await;
    // Approval before KYC is verified is refused.
    let decide = |decision: Value| {
        with_path_param(
            with_json(http_fixture("admin-partner-decision", "approve"), &decision),
            "partner_id",
            &partner_id,
        )
    };
    let (status, body) = as_user(decide(json!({"decision": "approve"})), &admin, |r| {
        admin_partner_decision::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("kyc_not_verified"))
    );

    for d in &docs {
        let req = with_path_param(
            with_json(
                http_fixture("admin-kyc-review", "approve"),
                &json!({"partner_id": partner_id, "decision": "approve"}),
            ),
            "document_id",
            d["id"].as_str().unwrap(),
        );
        let (status, reviewed) =
            as_user(req, &admin, |r| admin_kyc_review::handle(r, &p.ctx)).await;
        assert_eq!(status, 200, "{reviewed}");
        assert_eq!(reviewed["verification_status"], "approved");
    }
    assert_eq!(partner(&p, &token).await.0["kyc_status"], "verified");

    let (status, approved) = as_user(decide(json!({"decision": "approve"})), &admin, |r| {
        admin_partner_decision::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let (_, me) = p.me(&token).await;
    assert_eq!(me["partner"]["status"], "approved");

    let emails: Vec<String> = p
        .deliver_emails(&owner)
        .await
        .into_iter()
        .filter(|e| !e.contains("/verify-email"))
        .collect();
    assert_eq!(
        emails.len(),
        5,
        "four document reviews and the decision: {emails:?}"
    );
    assert!(
        emails
            .iter()
            .any(|e| e.contains("was approved") && e.contains("partner account")),
        "{emails:?}"
    );

    // The record shows it all, and approved documents can no longer be deleted.
    let req = with_path_param(
        http_fixture("admin-partner-get", "get"),
        "partner_id",
        &partner_id,
    );
    let (status, record) = as_user(req, &admin, |r| admin_partner_get::handle(r, &p.ctx)).await;
    assert_eq!(status, 200);
    assert_eq!(record["documents"].as_array().unwrap().len(), 4);
    assert!(
        record["activity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "partner.decision")
    );
    let req = with_path_param(
        http_fixture("kyc-delete", "delete"),
        "document_id",
        docs[0]["id"].as_str().unwrap(),
    );
    assert_eq!(
        as_user(req, &token, |r| kyc_delete::handle(r, &p.ctx))
            .await
            .0,
        409
    );
}

#[tokio::test]
async fn a_png_declared_as_pdf_and_a_file_larger_than_declared_are_rejected_and_removed() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let docs_store = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);

    let (doc, granted) = upload(&p, &token, "id_document", "application/pdf", PNG.len(), PNG).await;
    // What the URL signs (the emulator does not enforce signatures, AWS does).
    let url = url::Url::parse(granted["url"].as_str().unwrap()).unwrap();
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert!(q["X-Amz-Expires"].parse::<u64>().unwrap() <= 900);
    let signed: Vec<&str> = q["X-Amz-SignedHeaders"].split(';').collect();
    assert!(
        signed.contains(&"content-type") && signed.contains(&"content-length"),
        "{signed:?}"
    );
    let key = format!("kyc/{partner_id}/{}", doc["id"].as_str().unwrap());
    assert!(url.path().ends_with(&key), "{url}");

    let (bigger, _) = upload(&p, &token, "proof_of_address", "application/pdf", 20, PDF).await;
    let docs = documents(&p, &token).await;
    for d in [&doc, &bigger] {
        let listed = docs.iter().find(|x| x["id"] == d["id"]).unwrap();
        assert_eq!(listed["verification_status"], "rejected", "{listed}");
        assert!(listed["rejection_reason"].as_str().unwrap().len() > 10);
        let key = format!("kyc/{partner_id}/{}", d["id"].as_str().unwrap());
        assert_eq!(
            docs_store.info(&key).await.unwrap(),
            None,
            "nothing left in the bucket"
        );
    }
    assert!(
        docs.iter().find(|x| x["id"] == doc["id"]).unwrap()["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("not application/pdf")
    );

    // A redelivered event changes nothing.
    p.verify_object(&key).await;
    assert_eq!(
        documents(&p, &token)
            .await
            .iter()
            .find(|x| x["id"] == doc["id"])
            .unwrap()["verification_status"],
        "rejected"
    );
}

#[tokio::test]
async fn another_partners_documents_are_not_found_and_sales_or_finance_cannot_upload() {
    let p = Portal::new().await;
    let (_, owner_a) = p.register_approved().await;
    let (_, owner_b) = p.register_approved().await;
    let a = p.token(&owner_a).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let b = p.token(&owner_b).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (doc, _) = upload(&p, &a, "id_document", "application/pdf", PDF.len(), PDF).await;
    let id = doc["id"].as_str().unwrap();

    assert!(documents(&p, &b).await.is_empty());
    let req = with_path_param(http_fixture("kyc-download", "get"), "document_id", id);
    assert_eq!(
        as_user(req, &b, |r| kyc_download::handle(r, &p.ctx))
            .await
            .0,
        404
    );
    let req = with_path_param(http_fixture("kyc-delete", "delete"), "document_id", id);
    assert_eq!(
        as_user(req, &b, |r| kyc_delete::handle(r, &p.ctx)).await.0,
        404
    );

    // The owner can download (short-lived link) and the document is still there.
    let req = with_path_param(http_fixture("kyc-download", "get"), "document_id", id);
    let (status, link) = as_user(req, &a, |r| kyc_download::handle(r, &p.ctx)).await;
    assert_eq!(status, 200);
    let q: HashMap<String, String> = url::Url::parse(link["url"].as_str().unwrap())
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(q["X-Amz-Expires"].parse::<u64>().unwrap() <= 300);
    assert_eq!(
        reqwest::get(link["url"].as_str().unwrap())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        PDF
    );

    for role in ["sales", "finance"] {
        let member = p.member(&a, role).await;
        let req = with_bearer(
            http_fixture("kyc-request-upload", "id-document-pdf"),
            member["access_token"].as_str(),
        );
        let (status, body) = call(req, |r| kyc_request_upload::handle(r, &p.ctx)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{role}"
        );
    }
}

#[tokio::test]
async fn concurrent_edits_with_one_etag_let_exactly_one_win() {
    let p = std::sync::Arc::new(Portal::new().await);
    let (_, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, etag) = partner(&p, &token).await;
    let tasks: Vec<_> = (0..2)
        .map(|i| {
            let (p, token, etag) = (p.clone(), token.clone(), etag.clone());
            tokio::spawn(async move {
                let req = with_header(
                    with_json(
                        http_fixture("partner-update", "edit-profile"),
                        &json!({"description": format!("edit {i}")}),
                    ),
                    "if-match",
                    &etag,
                );
                as_user(req, &token, |r| partner_update::handle(r, on(&p.ctx)))
                    .await
                    .0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 412]);
}

#[tokio::test]
async fn read_only_fields_are_named_and_banking_is_owner_only_encrypted_and_masked() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register_approved().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, etag) = partner(&p, &token).await;

    let req = with_header(
        http_fixture("partner-update", "read-only-fields"),
        "if-match",
        &etag,
    );
    let (status, body) = as_user(req, &token, |r| partner_update::handle(r, &p.ctx)).await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["/commission_rate_bps", "/status", "/tier"]);

    let manager = p.member(&token, "manager").await;
    let req = with_header(http_fixture("partner-update", "banking"), "if-match", &etag);
    assert_eq!(
        call(with_bearer(req, manager["access_token"].as_str()), |r| {
            partner_update::handle(r, &p.ctx)
        })
        .await
        .0,
        403
    );

    let req = with_header(http_fixture("partner-update", "banking"), "if-match", &etag);
    let (status, updated) = as_user(req, &token, |r| partner_update::handle(r, &p.ctx)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["banking"]["account_number"], "••••4567");
    assert!(!updated.to_string().contains("62001234567"));

    let raw = p
        .stack
        .raw_item(&format!("PARTNER#{partner_id}"), "PROFILE")
        .await;
    let stored = format!("{raw:?}");
    assert!(
        !stored.contains("62001234567") && !stored.contains("250655"),
        "banking stored in clear"
    );
    let sealed = raw["banking_encrypted"].as_s().unwrap();
    let plain = p
        .ctx
        .cipher()
        .unwrap()
        .decrypt(sealed, &partner_id)
        .unwrap();
    assert!(plain.contains("62001234567"));
}

#[tokio::test]
async fn decisions_follow_the_lifecycle_and_need_reasons() {
    let p = Portal::new().await;
    let (partner_id, _) = p.register().await;
    let admin = p.admin_token().await;
    let decide = |body: Value| {
        with_path_param(
            with_json(http_fixture("admin-partner-decision", "approve"), &body),
            "partner_id",
            &partner_id,
        )
    };
    let (status, body) = as_user(decide(json!({"decision": "reject"})), &admin, |r| {
        admin_partner_decision::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("/reason"))
    );
    let (status, body) = as_user(
        decide(json!({"decision": "suspend", "reason": "x"})),
        &admin,
        |r| admin_partner_decision::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    let (status, body) = as_user(
        decide(json!({"decision": "reject", "reason": "Incomplete trading history"})),
        &admin,
        |r| admin_partner_decision::handle(r, &p.ctx),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("rejected")));
    assert_eq!(body["status_reason"], "Incomplete trading history");
    // A partner cannot call admin routes.
    let (_, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        as_user(decide(json!({"decision": "approve"})), &token, |r| {
            admin_partner_decision::handle(r, &p.ctx)
        })
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn bulk_status_answers_per_partner() {
    let p = Portal::new().await;
    let (a, _) = p.register().await;
    let (b, _) = p.register().await;
    let admin = p.admin_token().await;
    let body = json!({"partner_ids": [a, "01JNOSUCHPARTNER0000000000", b], "status": "rejected", "reason": "Duplicate application"});
    let (status, out) = as_user(
        with_json(http_fixture("admin-partners-bulk-status", "suspend"), &body),
        &admin,
        |r| admin_partners_bulk_status::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let results = out["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .map(|r| r["ok"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        vec![true, false, true]
    );
    assert_eq!(results[1]["problem"]["status"], 404);
}

#[tokio::test]
async fn the_directory_is_one_index_query_with_maintained_metrics() {
    let p = Portal::new().await;
    let name = unique("Zeta Traders ");
    let mut body = Portal::registration(&format!("{}@acme.example", unique("z-").to_lowercase()));
    body["business_name"] = json!(name);
    body["province"] = json!("gauteng");
    let (partner_id, _) = p.register_as(&body).await;
    let admin = p.admin_token().await;

    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let list = |query: &[(&str, &str)]| {
        let q: HashMap<String, String> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        use lambda_http::RequestExt;
        with_bearer(
            http_fixture("admin-partners-list", "under-review"),
            Some(&admin),
        )
        .with_query_string_parameters(q)
    };
    let (status, page) = call(
        list(&[
            ("status", "pending"),
            ("q", &name.to_lowercase()),
            ("limit", "100"),
        ]),
        |r| admin_partners_list::handle(r, &ctx),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        counter.calls(),
        vec!["BatchGetItem", "Query"],
        "the access check with the metrics, then one index query"
    );
    // The filter runs on each page read, so the match may sit on a later page: follow the
    // cursor (bounded) until it shows up.
    let lowered = name.to_lowercase();
    let mut found = false;
    let mut current = page.clone();
    for _ in 0..200 {
        found |= current["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == partner_id.as_str());
        let Some(cursor) = current["next_cursor"].as_str().map(str::to_string) else {
            break;
        };
        if found {
            break;
        }
        let query = [
            ("status", "pending"),
            ("q", lowered.as_str()),
            ("limit", "100"),
            ("cursor", cursor.as_str()),
        ];
        let (status, next) = call(list(&query), |r| admin_partners_list::handle(r, &ctx)).await;
        assert_eq!(status, 200, "{next}");
        current = next;
    }
    assert!(
        found,
        "the new pending partner is in the filtered directory"
    );
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["business_name"] == name.as_str()),
        "q filters by name: {page}"
    );
    assert!(page["metrics"]["active_partners"].is_i64());
    assert_eq!(page["metrics"]["pipeline_value"]["currency"], "ZAR");

    let (status, page) = call(
        list(&[("status", "approved"), ("q", &name.to_lowercase())]),
        |r| admin_partners_list::handle(r, &ctx),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != partner_id.as_str())
    );
    let (status, _) = call(list(&[("status", "nonsense")]), |r| {
        admin_partners_list::handle(r, &ctx)
    })
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn partner_reads_stay_within_budget() {
    let p = Portal::new().await;
    let (_, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    assert_eq!(
        as_user(http_fixture("partner-get", "get"), &token, |r| {
            partner_get::handle(r, &ctx)
        })
        .await
        .0,
        200
    );
    // The access check reads the user and the partner in one round trip; the profile is
    // the partner it read.
    assert_eq!(counter.calls(), vec!["BatchGetItem"]);
    counter.reset();
    assert_eq!(
        as_user(http_fixture("kyc-list", "first-page"), &token, |r| {
            kyc_list::handle(r, &ctx)
        })
        .await
        .0,
        200
    );
    assert_eq!(counter.calls(), vec!["BatchGetItem", "Query"]);
    let (status, options) = as_user(http_fixture("partner-field-options", "get"), &token, |r| {
        partner_field_options::handle(r, &ctx)
    })
    .await;
    assert_eq!(status, 200);
    assert!(
        options["document_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["value"] == "bank_statement")
    );
}

/// An admin decision on a partner, through the real function.
async fn decide(p: &Portal, admin: &str, partner_id: &str, body: Value) -> (u16, Value) {
    let req = with_path_param(
        with_json(http_fixture("admin-partner-decision", "approve"), &body),
        "partner_id",
        partner_id,
    );
    as_user(req, admin, |r| admin_partner_decision::handle(r, &p.ctx)).await
}

#[tokio::test]
async fn a_suspended_partners_owner_cannot_log_in_refresh_or_write() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register_approved().await;
    let pair = p.token(&owner).await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    let admin = p.admin_token().await;
    let (status, body) = decide(
        &p,
        &admin,
        &partner_id,
        json!({"decision": "suspend", "reason": "bank details under investigation"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (status, problem) = p.login(&owner, PASSWORD).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("partner_suspended")),
        "{problem}"
    );
    assert_eq!(
        p.refresh(pair["refresh_token"].as_str().unwrap()).await.0,
        401
    );
    // Every route refuses the token issued before the suspension, reads included.
    let backdoor = format!("{}@acme.example", unique("backdoor-").to_lowercase());
    assert_eq!(p.invite(&access, &backdoor, "owner").await.0, 401);
    let (status, _) = as_user(http_fixture("leads-list", "open-overdue"), &access, |r| {
        leads_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 401);
    let (status, _) = as_user(
        with_header(
            with_json(
                http_fixture("partner-update", "edit-profile"),
                &json!({"contact_person": "Someone Else"}),
            ),
            "if-match",
            "\"v1\"",
        ),
        &access,
        |r| partner_update::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(p.me(&access).await.0, 401);
}

#[tokio::test]
async fn a_pending_partner_works_on_its_application_but_cannot_invite_or_register_leads() {
    let p = Portal::new().await;
    let (_, owner) = p.register().await;
    let access = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = as_user(http_fixture("kyc-list", "first-page"), &access, |r| {
        kyc_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 200);
    assert_eq!(partner(&p, &access).await.0["status"], "pending");
    let colleague = format!("{}@acme.example", unique("c-").to_lowercase());
    let (status, problem) = p.invite(&access, &colleague, "sales").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("partner_not_active")),
        "{problem}"
    );
    let (status, problem) = as_user(http_fixture("leads-list", "open-overdue"), &access, |r| {
        leads_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(
        (status, problem["partner_status"].as_str()),
        (403, Some("pending"))
    );
}

#[tokio::test]
async fn a_rejected_applicant_signs_in_to_read_the_reason_and_nothing_else() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register().await;
    let admin = p.admin_token().await;
    let before = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = decide(
        &p,
        &admin,
        &partner_id,
        json!({"decision": "reject", "reason": "documents unreadable"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        p.me(&before).await.0,
        401,
        "sessions end with the rejection"
    );
    let access = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (profile, _) = partner(&p, &access).await;
    assert_eq!(profile["status"], "rejected");
    let (status, _) = as_user(http_fixture("kyc-list", "first-page"), &access, |r| {
        kyc_list::handle(r, &p.ctx)
    })
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_unfiltered_directory_lists_every_partner() {
    let p = Portal::new().await;
    let (newest, _) = p.register().await;
    let admin = p.admin_token().await;
    // Newest first: follow the cursor (bounded) until the partner shows up.
    let mut cursor: Option<String> = None;
    let mut found = false;
    for _ in 0..200 {
        use lambda_http::RequestExt;
        let mut q = HashMap::from([("limit".to_string(), "100".to_string())]);
        if let Some(c) = &cursor {
            q.insert("cursor".into(), c.clone());
        }
        let req = with_bearer(
            http_fixture("admin-partners-list", "under-review"),
            Some(&admin),
        )
        .with_query_string_parameters(q);
        let (status, page) = call(req, |r| admin_partners_list::handle(r, &p.ctx)).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(
            !items.is_empty(),
            "the unfiltered directory is never empty here"
        );
        if items.iter().any(|i| i["id"] == newest.as_str()) {
            found = true;
            break;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(found, "the new partner is listed without a status filter");
}

#[tokio::test]
async fn the_partner_record_reads_a_bounded_amount_whatever_the_partition_holds() {
    let p = Portal::new().await;
    let (partner_id, owner) = p.register_approved().await;
    let access = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Leads, their history and audit entries share the partner's partition.
    for n in 0..5 {
        let body = json!({"first_name": "Lerato", "last_name": format!("M{n}"),
                          "email": format!("rec{n}.{}@gmail.com", unique("").to_lowercase())});
        let (status, _) = as_user(
            with_json(http_fixture("leads-create", "new-lead"), &body),
            &access,
            |r| leads_create::handle(r, &p.ctx),
        )
        .await;
        assert_eq!(status, 201);
    }
    let admin = p.admin_token().await;
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let req = with_path_param(
        with_bearer(http_fixture("admin-partner-get", "get"), Some(&admin)),
        "partner_id",
        &partner_id,
    );
    let (status, record) = call(req, |r| admin_partner_get::handle(r, &ctx)).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["users"].as_array().unwrap().len(), 1);
    assert!(!record["activity"].as_array().unwrap().is_empty());
    let mut calls = counter.calls();
    calls.sort();
    // The access check, the profile, and three prefix queries (users, documents, latest
    // activity), each at most 100 items: never the leads.
    assert_eq!(
        calls,
        vec!["BatchGetItem", "GetItem", "Query", "Query", "Query"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reviews_of_the_last_documents_leave_the_partner_verified() {
    let p = std::sync::Arc::new(Portal::new().await);
    let (partner_id, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    upload_required_documents(&p, &token).await;
    let docs = documents(&p, &token).await;
    let admin = p.admin_token().await;
    let review = |document_id: String| {
        let (p, admin, partner_id) = (p.clone(), admin.clone(), partner_id.clone());
        async move {
            let req = with_path_param(
                with_json(
                    http_fixture("admin-kyc-review", "approve"),
                    &json!({"partner_id": partner_id, "decision": "approve"}),
                ),
                "document_id",
                &document_id,
            );
            as_user(req, &admin, |r| admin_kyc_review::handle(r, &p.ctx))
                .await
                .0
        }
    };
    let ids: Vec<String> = docs
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids[..2] {
        assert_eq!(review(id.clone()).await, 200);
    }
    // The last two at once: each review sees the other document still pending.
    let (a, b) = tokio::join!(
        tokio::spawn(review(ids[2].clone())),
        tokio::spawn(review(ids[3].clone()))
    );
    assert_eq!((a.unwrap(), b.unwrap()), (200, 200));
    assert_eq!(partner(&p, &token).await.0["kyc_status"], "verified");
}

#[tokio::test]
async fn tax_numbers_are_sealed_with_a_key_id_masked_for_partners_and_clear_for_operations() {
    let p = Portal::new().await;
    let email = format!("{}@acme.example", unique("tax-").to_lowercase());
    let mut body = Portal::registration(&email);
    body["vat_number"] = json!("4123456789");
    let (partner_id, _) = p.register_as(&body).await;
    p.verify_email(&email).await;

    let raw = p
        .stack
        .raw_item(&format!("PARTNER#{partner_id}"), "PROFILE")
        .await;
    let stored = format!("{raw:?}");
    assert!(
        !stored.contains("4123456789") && !stored.contains("2019/123456/07"),
        "tax numbers stored in clear: {stored}"
    );
    let sealed = raw["tax_numbers"].as_m().unwrap()["vat_number"]
        .as_m()
        .unwrap()["encrypted"]
        .as_s()
        .unwrap()
        .clone();
    let key_id = p.ctx.cipher().unwrap().active_key_id().to_string();
    assert_eq!(
        shared::crypto::FieldCipher::key_id_of(&sealed),
        Some(key_id.as_str())
    );

    let token = p.token(&email).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (profile, _) = partner(&p, &token).await;
    assert_eq!(profile["vat_number"], "••••6789");
    assert_eq!(profile["registration_number"], "••••6/07");

    let admin = p.admin_token().await;
    let req = with_path_param(
        http_fixture("admin-partner-get", "get"),
        "partner_id",
        &partner_id,
    );
    let (status, record) = as_user(req, &admin, |r| admin_partner_get::handle(r, &p.ctx)).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(
        record["tax_numbers"],
        json!({"registration_number": "2019/123456/07", "vat_number": "4123456789"})
    );
}

/// A PNG header declaring `w`×`h` pixels (all the verifier reads), padded to `len` bytes.
fn png_of(w: u32, h: u32, len: usize) -> Vec<u8> {
    let mut b = PNG.to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    b.resize(len, 0);
    b
}

/// Asks for a logo upload, PUTs `bytes` to its URL like a browser and runs the verifier;
/// returns the URL (valid for its lifetime).
async fn put_logo(p: &Portal, token: &str, bytes: &[u8]) -> String {
    let req = with_json(
        http_fixture("partner-logo", "png"),
        &json!({"content_type": "image/png", "size": bytes.len()}),
    );
    let (status, granted) = as_user(req, token, |r| partner_logo::handle(r, &p.ctx)).await;
    assert_eq!(status, 201, "{granted}");
    let url = granted["upload"]["url"].as_str().unwrap().to_string();
    put_and_verify(p, &url, bytes).await;
    url
}

async fn put_and_verify(p: &Portal, url: &str, bytes: &[u8]) {
    let put = reqwest::Client::new()
        .put(url)
        .header("content-type", "image/png")
        .body(bytes.to_vec());
    assert!(put.send().await.unwrap().status().is_success());
    p.verify_object(&p.object_key(url)).await;
}

#[tokio::test]
async fn a_logo_shows_only_after_its_type_size_and_dimensions_are_verified() {
    let p = Portal::new().await;
    let (_, owner) = p.register_approved().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let good = png_of(256, 128, 600);
    let url = put_logo(&p, &token, &good).await;
    let (profile, _) = partner(&p, &token).await;
    assert_eq!(profile["has_logo"], true, "{profile}");
    let link = profile["logo_url"].as_str().unwrap();
    let fetched = reqwest::get(link).await.unwrap();
    assert!(fetched.status().is_success());
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), good);

    // Too large a picture: refused with the reason; the verified logo stays.
    put_logo(&p, &token, &png_of(20_000, 100, 600)).await;
    let (profile, _) = partner(&p, &token).await;
    assert_eq!(profile["has_logo"], true);
    assert_eq!(profile["logo_upload"]["status"], "rejected", "{profile}");
    assert!(
        profile["logo_upload"]["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("20000×100")
    );

    // Not a picture at all, declared as one.
    put_logo(&p, &token, &PDF.repeat(4)).await;
    let (profile, _) = partner(&p, &token).await;
    assert_eq!(profile["logo_upload"]["status"], "rejected");

    // The verified logo's URL used again with other bytes: the logo is removed.
    put_and_verify(&p, &url, &png_of(64, 64, 600)).await;
    let (profile, _) = partner(&p, &token).await;
    assert_eq!(profile["has_logo"], false, "{profile}");
    assert!(profile.get("logo_url").is_none());
}

#[tokio::test]
async fn upload_requests_spend_a_daily_count_and_byte_allowance() {
    let p = Portal::new().await;
    within_one_window(24 * 3600, 10).await;
    let (_, owner) = p.register().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ctx = counted_context(&CallCounter::default(), &p.stack).await;
    ctx.identity.limits = shared::limits::Limits {
        uploads_per_partner: 10,
        upload_bytes_per_partner: 5 * 1024 * 1024,
        ..Default::default()
    };
    let request = |size: usize| {
        with_json(
            http_fixture("kyc-request-upload", "id-document-pdf"),
            &json!({"document_type": "id_document", "file_name": "id.pdf",
                    "content_type": "application/pdf", "size": size}),
        )
    };
    let mut statuses = Vec::new();
    for size in [3 * 1024 * 1024, 3 * 1024 * 1024, 1024 * 1024] {
        let (status, body) = as_user(request(size), &token, |r| {
            kyc_request_upload::handle(r, &ctx)
        })
        .await;
        if status == 429 {
            assert_eq!(body["code"], "too_many_requests", "{body}");
        }
        statuses.push(status);
    }
    // 3 MiB fits, another 3 MiB would pass the 5 MiB of the day, 1 MiB more still fits.
    assert_eq!(statuses, vec![201, 429, 201]);
}
