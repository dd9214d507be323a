//! The resource library against the emulator: tiers gate visibility, uploads are verified
//! (an Office file disguised as a PDF is rejected and deleted), downloads count once per
//! partner per day under concurrency, training completion, bad input, round trips.

use std::sync::Arc;

use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use shared::resources::strapi::{self, Budget, Importer, StrapiConfig};
use shared::store::keys;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
const DOCX_AS_BYTES: &[u8] =
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml....word/document.xml......";

struct Partner {
    token: String,
}

async fn partner_of_tier(p: &Portal, tier: &str) -> Partner {
    let (id, email) = p.register_approved().await;
    p.ctx
        .store()
        .apply(shared::store::Patch::new(&keys::partner(&id)).set("tier", tier))
        .await
        .unwrap();
    Partner {
        token: p.token(&email).await["access_token"]
            .as_str()
            .unwrap()
            .to_string(),
    }
}

async fn create(p: &Portal, admin: &str, body: Value) -> (u16, Value) {
    as_user(
        with_json(
            api_request("POST /v1/admin/resources", "/v1/admin/resources", &[]),
            &body,
        ),
        admin,
        |r| admin_resources_create::handle(r, &p.ctx),
    )
    .await
}

async fn patch(p: &Portal, admin: &str, id: &str, if_match: &str, body: Value) -> (u16, Value) {
    as_user(
        with_header(
            with_json(
                api_request(
                    "PATCH /v1/admin/resources/{resource_id}",
                    &format!("/v1/admin/resources/{id}"),
                    &[],
                ),
                &body,
            ),
            "if-match",
            if_match,
        ),
        admin,
        |r| admin_resource_update::handle(r, &p.ctx),
    )
    .await
}

fn tag(v: &Value) -> String {
    format!("\"v{}\"", v["version"])
}

/// A published link resource.
async fn published_link(
    p: &Portal,
    admin: &str,
    title: &str,
    min_tier: &str,
    extra: Value,
) -> Value {
    let mut body = json!({"title": title, "type": "brochure", "category": "Solar",
                          "tags": ["residential"], "min_tier": min_tier,
                          "url": "https://cdn.example.com/brochure.pdf"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, created) = create(p, admin, body).await;
    assert_eq!(status, 201, "{created}");
    let (status, published) = patch(
        p,
        admin,
        created["id"].as_str().unwrap(),
        &tag(&created),
        json!({"status": "published"}),
    )
    .await;
    assert_eq!(status, 200, "{published}");
    published
}

async fn list(p: &Portal, token: &str, query: &[(&str, &str)]) -> Value {
    let (status, body) = as_user(
        api_request("GET /v1/resources", "/v1/resources", query),
        token,
        |r| resources_list::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn get(p: &Portal, token: &str, id: &str) -> u16 {
    as_user(
        api_request(
            "GET /v1/resources/{resource_id}",
            &format!("/v1/resources/{id}"),
            &[],
        ),
        token,
        |r| resources_get::handle(r, &p.ctx),
    )
    .await
    .0
}

async fn download(p: &Portal, token: &str, id: &str) -> (u16, Value) {
    as_user(
        api_request(
            "GET /v1/resources/{resource_id}/download",
            &format!("/v1/resources/{id}/download"),
            &[],
        ),
        token,
        |r| resources_download::handle(r, &p.ctx),
    )
    .await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_gold_resource_is_invisible_to_a_silver_partner_and_visible_to_gold() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let category = unique("cat-").to_lowercase();
    let gold = published_link(
        &p,
        &admin,
        "Gold price list",
        "gold",
        json!({"category": category, "tags": ["gold-only"]}),
    )
    .await;
    let open = published_link(
        &p,
        &admin,
        "Starter brochure",
        "registered",
        json!({"category": category}),
    )
    .await;
    let id = gold["id"].as_str().unwrap();
    let silver_partner = partner_of_tier(&p, "silver").await;
    let gold_partner = partner_of_tier(&p, "gold").await;

    let seen = ids(&list(&p, &silver_partner.token, &[("category", &category)]).await);
    assert_eq!(
        seen,
        vec![open["id"].as_str().unwrap().to_string()],
        "silver sees only the open one"
    );
    assert_eq!(
        get(&p, &silver_partner.token, id).await,
        404,
        "above the tier: not found, not forbidden"
    );
    assert_eq!(download(&p, &silver_partner.token, id).await.0, 404);
    let seen = ids(&list(&p, &gold_partner.token, &[("category", &category)]).await);
    assert_eq!(seen.len(), 2, "gold sees both");
    assert_eq!(get(&p, &gold_partner.token, id).await, 200);
    let (status, d) = download(&p, &gold_partner.token, id).await;
    assert_eq!(
        (status, d["url"].as_str()),
        (200, Some("https://cdn.example.com/brochure.pdf"))
    );

    // Category and tag counts follow the tier.
    let facets = |token: String| {
        let p = &p;
        async move {
            as_user(
                api_request(
                    "GET /v1/resources/categories",
                    "/v1/resources/categories",
                    &[],
                ),
                &token,
                |r| resources_categories::handle(r, &p.ctx),
            )
            .await
            .1
        }
    };
    let count = |f: &Value, kind: &str, name: &str| {
        f[kind]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["count"].as_i64().unwrap())
            .unwrap_or(0)
    };
    let silver_facets = facets(silver_partner.token.clone()).await;
    let gold_facets = facets(gold_partner.token.clone()).await;
    assert_eq!(count(&silver_facets, "categories", &category), 1);
    assert_eq!(count(&gold_facets, "categories", &category), 2);
    assert_eq!(count(&silver_facets, "tags", "gold-only"), 0);
    assert_eq!(count(&gold_facets, "tags", "gold-only"), 1);

    // Archived: gone from lists, downloads and counts.
    let (_, archived) = patch(&p, &admin, id, &tag(&gold), json!({"status": "archived"})).await;
    assert_eq!(archived["status"], "archived");
    assert_eq!(download(&p, &gold_partner.token, id).await.0, 404);
    assert_eq!(
        count(
            &facets(gold_partner.token.clone()).await,
            "categories",
            &category
        ),
        1
    );
}

/// Uploads `bytes` to a presigned upload and runs the bucket's verifier on it.
async fn upload_and_verify(p: &Portal, upload: &Value, bytes: &[u8]) -> String {
    let key = p.put_upload(upload, bytes).await;
    p.verify_object(&key).await;
    key
}

#[tokio::test]
async fn an_office_file_disguised_as_pdf_is_rejected_and_deleted() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let (status, created) = create(
        &p,
        &admin,
        json!({"title": "Installer handbook", "type": "product_sheet", "category": "Guides",
               "file": {"content_type": "application/pdf", "size": DOCX_AS_BYTES.len()}}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["upload"]["status"], "uploading");
    let key = upload_and_verify(&p, &created["upload_url"], DOCX_AS_BYTES).await;
    let docs = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);
    assert!(
        docs.info(&key).await.unwrap().is_none(),
        "the disguised file is deleted"
    );
    let stored: shared::resources::Resource = p
        .ctx
        .store()
        .get(&keys::resource(&id))
        .await
        .unwrap()
        .unwrap();
    let upload = stored.upload.clone().unwrap();
    assert_eq!(upload.status, shared::uploads::VerificationStatus::Rejected);
    assert!(
        upload
            .rejection_reason
            .unwrap()
            .contains("not a application/pdf")
    );
    assert!(stored.file.is_none());
    let etag = format!("\"v{}\"", stored.version);
    let (status, body) = patch(&p, &admin, &id, &etag, json!({"status": "published"})).await;
    assert_eq!(status, 400, "nothing to publish yet: {body}");

    // A real PDF as the next version is verified and published.
    let (status, replaced) = patch(
        &p,
        &admin,
        &id,
        &etag,
        json!({"file": {"content_type": "application/pdf", "size": PDF.len()}}),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    let key = upload_and_verify(&p, &replaced["upload_url"], PDF).await;
    assert!(key.ends_with("/2"), "{key}");
    let stored: shared::resources::Resource = p
        .ctx
        .store()
        .get(&keys::resource(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.file.as_ref().map(|f| f.version), Some(2));
    let (status, published) = patch(
        &p,
        &admin,
        &id,
        &format!("\"v{}\"", stored.version),
        json!({"status": "published"}),
    )
    .await;
    assert_eq!(
        (status, published["status"].as_str()),
        (200, Some("published"))
    );
    let reader = partner_of_tier(&p, "registered").await;
    let (status, d) = download(&p, &reader.token, &id).await;
    assert_eq!(status, 200, "{d}");
    let fetched = reqwest::get(d["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        &fetched[..],
        PDF,
        "the presigned GET serves the verified file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_count_once_per_partner_per_day_under_concurrency() {
    let p = Arc::new(Portal::new().await);
    let admin = p.admin_token().await;
    let r = published_link(
        &p,
        &admin,
        "Case study",
        "registered",
        json!({"type": "case_study"}),
    )
    .await;
    let id = r["id"].as_str().unwrap().to_string();
    let first = partner_of_tier(&p, "registered").await;
    let mut runs = Vec::new();
    for _ in 0..20 {
        let p = p.clone();
        let token = first.token.clone();
        let id = id.clone();
        runs.push(tokio::spawn(async move { download(&p, &token, &id).await }));
    }
    let mut counted = 0;
    for run in runs {
        let (status, d) = run.await.unwrap();
        assert_eq!(status, 200, "{d}");
        counted += i32::from(d["counted"] == true);
    }
    assert_eq!(counted, 1, "one of twenty parallel downloads counts");
    let second = partner_of_tier(&p, "registered").await;
    assert_eq!(download(&p, &second.token, &id).await.1["counted"], true);
    let stored: shared::resources::Resource = p
        .ctx
        .store()
        .get(&keys::resource(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.download_count, stored.unique_partners), (2, 2));
    let (_, all) = as_user(
        api_request(
            "GET /v1/admin/resources",
            "/v1/admin/resources",
            &[("status", "published")],
        ),
        &admin,
        |r| admin_resources_list::handle(r, &p.ctx),
    )
    .await;
    let listed = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .cloned();
    assert_eq!(listed.map(|i| i["download_count"].clone()), Some(json!(2)));
}

#[tokio::test]
async fn list_is_one_query_and_download_one_read_and_one_transaction() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let r = published_link(&p, &admin, "Counted", "registered", json!({})).await;
    let partner = partner_of_tier(&p, "registered").await;
    let counter = CallCounter::default();
    let ctx = counted_context(&counter, &p.stack).await;
    let (status, _) = as_user(
        api_request("GET /v1/resources", "/v1/resources", &[("q", "counted")]),
        &partner.token,
        |req| resources_list::handle(req, &ctx),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(counter.calls(), vec!["BatchGetItem", "Query"]);
    counter.reset();
    let id = r["id"].as_str().unwrap();
    let (status, _) = as_user(
        api_request(
            "GET /v1/resources/{resource_id}/download",
            &format!("/v1/resources/{id}/download"),
            &[],
        ),
        &partner.token,
        |req| resources_download::handle(req, &ctx),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(counter.calls(), vec!["BatchGetItem", "TransactWriteItems"]);
}

#[tokio::test]
async fn training_is_completed_once_and_filters_the_list() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let category = unique("train-").to_lowercase();
    let video = published_link(
        &p,
        &admin,
        "Sales training",
        "registered",
        json!({"type": "training_video", "category": category}),
    )
    .await;
    let brochure = published_link(
        &p,
        &admin,
        "Brochure",
        "registered",
        json!({"category": category}),
    )
    .await;
    let partner = partner_of_tier(&p, "registered").await;
    let complete = |id: String| {
        let p = &p;
        let token = partner.token.clone();
        async move {
            as_user(
                api_request(
                    "POST /v1/resources/{resource_id}/complete",
                    &format!("/v1/resources/{id}/complete"),
                    &[],
                ),
                &token,
                |r| resources_complete::handle(r, &p.ctx),
            )
            .await
        }
    };
    let video_id = video["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (status, done) = complete(video_id.clone()).await;
        assert_eq!(
            (status, done["completed"].as_bool()),
            (200, Some(true)),
            "idempotent"
        );
    }
    let (status, _) = complete(brochure["id"].as_str().unwrap().to_string()).await;
    assert_eq!(status, 409, "only training can be completed");
    assert_eq!(
        ids(&list(
            &p,
            &partner.token,
            &[("category", &category), ("completed", "true")]
        )
        .await),
        vec![video_id.clone()]
    );
    assert_eq!(
        ids(&list(
            &p,
            &partner.token,
            &[("category", &category), ("completed", "false")]
        )
        .await),
        vec![brochure["id"].as_str().unwrap().to_string()]
    );
}

#[tokio::test]
async fn bad_resource_input_is_refused_and_writes_nothing() {
    let p = Portal::new().await;
    let admin = p.admin_token().await;
    let base = json!({"title": "T", "type": "brochure", "category": "c"});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    for bad in [
        with(json!({"type": "poster", "url": "https://example.com/a"})),
        with(json!({"file": {"content_type": "application/pdf", "size": 26 * 1024 * 1024}})),
        with(json!({"file": {"content_type": "text/html", "size": 10}})),
        with(json!({"url": "http://example.com/a.pdf"})),
        with(json!({"url": "https://10.0.0.8/a.pdf"})),
        with(json!({"url": "https://localhost/a.pdf"})),
        with(json!({"url": "https://example.com/a", "min_tier": "diamond"})),
        with(json!({"url": "https://example.com/a", "colour": "red"})),
        with(
            json!({"url": "https://example.com/a", "file": {"content_type": "application/pdf", "size": 10}}),
        ),
        base.clone(),
    ] {
        let (status, body) = create(&p, &admin, bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body}");
    }
    let r = published_link(&p, &admin, "Stale", "registered", json!({})).await;
    let (status, _) = patch(
        &p,
        &admin,
        r["id"].as_str().unwrap(),
        "\"v1\"",
        json!({"title": "New"}),
    )
    .await;
    assert_eq!(status, 412);
    let partner = partner_of_tier(&p, "registered").await;
    let (status, _) = create(
        &p,
        &partner.token,
        with(json!({"url": "https://example.com/a"})),
    )
    .await;
    assert_eq!(status, 403, "partners cannot publish");
}

/// An importer of `collection` on the fake Strapi, its token in a secret of its own.
async fn importer(p: &Portal, strapi: &fake_zoho::FakeStrapi, collection: &str) -> Importer {
    importer_with_token(p, strapi, collection, &strapi.token).await
}

async fn importer_with_token(
    p: &Portal,
    strapi: &fake_zoho::FakeStrapi,
    collection: &str,
    token: &str,
) -> Importer {
    let secret = unique("strapi-token-");
    p.stack
        .secrets_manager()
        .create_secret()
        .name(&secret)
        .secret_string(json!({"token": token}).to_string())
        .send()
        .await
        .unwrap();
    Importer::new(
        p.ctx.store().clone(),
        shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket),
        shared::secrets::Secrets::new(p.stack.secrets_manager()),
        Some(StrapiConfig {
            base_url: strapi.base_url.clone(),
            collection: collection.to_string(),
            token_secret_id: secret,
            page_size: 2,
        }),
    )
}

async fn imported(p: &Portal, collection: &str, document_id: &str) -> Option<Value> {
    p.ctx
        .store()
        .get(&keys::resource(&strapi::resource_id(
            collection,
            document_id,
        )))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_strapi_import_is_idempotent_and_archives_unpublished_entries() {
    let p = Portal::new().await;
    let strapi = fake_zoho::FakeStrapi::listen("127.0.0.1:0", "cms-token").unwrap();
    let collection = unique("res").to_lowercase();
    let import = importer(&p, &strapi, &collection).await;
    let pdf = strapi.upload("price-list.pdf", "application/pdf", PDF.to_vec());
    // Declared a Word file, but the bytes are a PDF: the verifier refuses it.
    let fake_docx = strapi.upload(
        "guide.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        PDF.to_vec(),
    );
    let file_doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Price list", "type": "price_list", "category": "Pricing",
               "tags": "2027, installers", "min_tier": "silver", "file": pdf}),
    );
    let link_doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Storage course", "type": "training_video", "category": "training",
               "url": "https://learn.example.com/storage"}),
    );
    let edited_doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Case study", "type": "case_study", "category": "stories",
               "tags": [{"name": "farm"}], "url": "https://docs.example.com/farm.pdf"}),
    );
    let bad_doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Poster", "type": "poster", "category": "print",
               "url": "https://docs.example.com/poster.pdf"}),
    );
    let internal_doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Intranet page", "type": "other", "category": "misc",
               "url": "https://10.0.0.8/page"}),
    );
    let disguised_doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Install guide", "type": "template", "category": "guides",
               "file": fake_docx}),
    );

    // A run stopped after one page (two entries) leaves a checkpoint; the next continues.
    let first = import
        .run(
            chrono::Utc::now(),
            Budget {
                max_pages: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (first.pages, first.created, first.complete),
        (1, 2, false),
        "{first:?} {:?}",
        p.ctx
            .store()
            .get::<Value>(&keys::resource_import("strapi", &collection))
            .await
            .unwrap()
    );
    let rest = import
        .run(chrono::Utc::now(), Budget::default())
        .await
        .unwrap();
    assert!(rest.complete, "{rest:?}");
    assert_eq!(
        (
            first.created + rest.created,
            rest.skipped,
            first.files_verified + rest.files_verified,
            rest.files_rejected
        ),
        (4, 2, 1, 1),
        "four imported (none twice), the unknown type and the internal link skipped, \
         one file verified and one refused: {first:?} {rest:?}"
    );
    let state: Value = p
        .ctx
        .store()
        .get(&keys::resource_import("strapi", &collection))
        .await
        .unwrap()
        .unwrap();
    let skipped: Vec<&str> = state["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.contains(&bad_doc.as_str()) && skipped.contains(&internal_doc.as_str()));

    let file = imported(&p, &collection, &file_doc).await.unwrap();
    assert_eq!(
        file["status"], "published",
        "published once its file was verified"
    );
    assert_eq!(file["file"]["content_type"], "application/pdf");
    assert_eq!(file["file"]["size"], PDF.len());
    assert_eq!(file["tags"], json!(["2027", "installers"]));
    assert_eq!(file["category"], "pricing");
    let disguised = imported(&p, &collection, &disguised_doc).await.unwrap();
    assert_eq!(disguised["status"], "draft", "never published: {disguised}");
    assert_eq!(disguised["upload"]["status"], "rejected");
    let docs = shared::storage::Documents::new(p.stack.s3(), &p.stack.bucket);
    assert!(
        docs.info(disguised["upload"]["key"].as_str().unwrap())
            .await
            .unwrap()
            .is_none(),
        "the refused file is deleted"
    );
    assert!(imported(&p, &collection, &bad_doc).await.is_none());

    // Partners see the imported material by tier and download the copied file.
    let silver = partner_of_tier(&p, "silver").await;
    let registered = partner_of_tier(&p, "registered").await;
    let file_id = file["id"].as_str().unwrap();
    assert_eq!(get(&p, &silver.token, file_id).await, 200);
    assert_eq!(get(&p, &registered.token, file_id).await, 404);
    let (status, d) = download(&p, &silver.token, file_id).await;
    assert_eq!(status, 200, "{d}");
    let bytes = reqwest::get(d["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], PDF);

    // Nothing changed: nothing written.
    let versions = |doc: String| {
        let (p, collection) = (&p, &collection);
        async move { imported(p, collection, &doc).await.unwrap()["version"].clone() }
    };
    let before = (
        versions(file_doc.clone()).await,
        versions(link_doc.clone()).await,
    );
    let again = import
        .run(chrono::Utc::now(), Budget::default())
        .await
        .unwrap();
    assert_eq!(
        (
            again.created,
            again.updated,
            again.archived,
            again.files_verified
        ),
        (0, 0, 0, 0),
        "{again:?}"
    );
    assert_eq!(
        before,
        (
            versions(file_doc.clone()).await,
            versions(link_doc.clone()).await
        )
    );

    // Unpublished in Strapi: archived here; edited: updated; republished: back.
    strapi.unpublish(&collection, &link_doc);
    strapi.publish(
        &collection,
        Some(&edited_doc),
        json!({"title": "Case study: the dairy farm", "type": "case_study",
               "category": "stories", "url": "https://docs.example.com/farm.pdf"}),
    );
    let changed = import
        .run(chrono::Utc::now(), Budget::default())
        .await
        .unwrap();
    assert_eq!((changed.updated, changed.archived), (1, 1), "{changed:?}");
    let link = imported(&p, &collection, &link_doc).await.unwrap();
    assert_eq!(link["status"], "archived");
    assert_eq!(
        get(&p, &silver.token, link["id"].as_str().unwrap()).await,
        404
    );
    assert_eq!(
        imported(&p, &collection, &edited_doc).await.unwrap()["title"],
        "Case study: the dairy farm"
    );
    strapi.publish(
        &collection,
        Some(&link_doc),
        json!({"title": "Storage course", "type": "training_video", "category": "training",
               "url": "https://learn.example.com/storage"}),
    );
    import
        .run(chrono::Utc::now(), Budget::default())
        .await
        .unwrap();
    assert_eq!(
        imported(&p, &collection, &link_doc).await.unwrap()["status"],
        "published"
    );

    // Imported material is edited in the CMS, not here.
    let admin = p.admin_token().await;
    let (status, body) = patch(&p, &admin, file_id, &tag(&file), json!({"title": "x"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("managed_by_cms"))
    );
}

#[tokio::test]
async fn a_strapi_that_refuses_the_token_fails_the_run_and_moves_nothing() {
    let p = Portal::new().await;
    let strapi = fake_zoho::FakeStrapi::listen("127.0.0.1:0", "cms-token").unwrap();
    let collection = unique("res").to_lowercase();
    let doc = strapi.publish(
        &collection,
        None,
        json!({"title": "Brochure", "type": "brochure", "category": "solar",
               "url": "https://docs.example.com/b.pdf"}),
    );
    let wrong = importer_with_token(&p, &strapi, &collection, "another-token").await;
    let err = wrong
        .run(chrono::Utc::now(), Budget::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    strapi.fail_next(503);
    let import = importer(&p, &strapi, &collection).await;
    assert!(
        import
            .run(chrono::Utc::now(), Budget::default())
            .await
            .is_err()
    );
    assert!(imported(&p, &collection, &doc).await.is_none());
    let ok = import
        .run(chrono::Utc::now(), Budget::default())
        .await
        .unwrap();
    assert_eq!((ok.created, ok.complete), (1, true));
}
