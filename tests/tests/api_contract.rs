//! Behaviour infra/openapi.yaml promises at the HTTP edge, through the real handlers:
//! `If-Match` (RFC 9110 §13.1.1: `*` matches any current version; empty is no version at
//! all) and query parameters sent without a value.

use lambda_http::RequestExt;
use portal_tests::portal::*;
use portal_tests::*;
use serde_json::{Value, json};
use std::collections::HashMap;

async fn approved_owner(p: &Portal) -> (String, String) {
    let (partner_id, owner) = p.register_approved().await;
    let token = p.token(&owner).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    (partner_id, token)
}

async fn create_lead(p: &Portal, token: &str) -> Value {
    let email = format!("{}@gmail.com", unique("contract").to_lowercase());
    let (status, lead) = as_user(
        with_json(
            http_fixture("leads-create", "new-lead"),
            &json!({"first_name": "Lerato", "last_name": "Mokoena", "email": email}),
        ),
        token,
        |r| leads_create::handle(r, &p.ctx),
    )
    .await;
    assert_eq!(status, 201, "{lead}");
    lead
}

async fn update_lead(
    p: &Portal,
    token: &str,
    id: &str,
    if_match: &str,
    body: Value,
) -> (u16, Value) {
    let req = with_path_param(
        with_header(
            with_json(http_fixture("leads-update", "mark-contacted"), &body),
            "if-match",
            if_match,
        ),
        "lead_id",
        id,
    );
    as_user(req, token, |r| leads_update::handle(r, &p.ctx)).await
}

async fn update_partner(p: &Portal, token: &str, if_match: &str, body: Value) -> (u16, Value) {
    let req = with_header(
        with_json(http_fixture("partner-update", "edit-profile"), &body),
        "if-match",
        if_match,
    );
    as_user(req, token, |r| partner_update::handle(r, &p.ctx)).await
}

#[tokio::test]
async fn if_match_star_matches_any_version() {
    let p = Portal::new().await;
    let (_, token) = approved_owner(&p).await;
    let lead = create_lead(&p, &token).await;
    let id = lead["id"].as_str().unwrap();

    // Another change first: the version read at creation is stale now, `*` is not.
    let (status, body) = update_lead(&p, &token, id, "\"v1\"", json!({"stage": "quote"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        update_lead(&p, &token, id, "\"v1\"", json!({"stage": "site visit"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (412, Some("stale_version"))
    );
    let (status, body) = update_lead(&p, &token, id, "*", json!({"stage": "site visit"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["stage"].as_str(), body["version"].as_u64()),
        (Some("site visit"), Some(3))
    );
    // `*` needs a current representation: a lead that does not exist is still a 404.
    let (status, _) = update_lead(&p, &token, "01J00000000000000000000000", "*", json!({})).await;
    assert_eq!(status, 404);

    // The partner profile and a user take `*` the same way.
    let (status, body) =
        update_partner(&p, &token, "*", json!({"description": "any version"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["description"], "any version");
    let (status, body) =
        update_partner(&p, &token, "W/\"v1\"", json!({"description": "stale"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (412, Some("stale_version"))
    );

    let member = p.member(&token, "sales").await;
    let member_id = member["user"]["id"].as_str().unwrap();
    let req = with_header(
        with_path_param(
            with_json(
                with_bearer(http_fixture("users-update", "deactivate"), Some(&token)),
                &json!({"role": "manager"}),
            ),
            "user_id",
            member_id,
        ),
        "if-match",
        "*",
    );
    let (status, body) = as_user(req, &token, |r| users_update::handle(r, &p.verifier)).await;
    assert_eq!(
        (status, body["role"].as_str()),
        (200, Some("manager")),
        "{body}"
    );
}

#[tokio::test]
async fn an_empty_if_match_is_428() {
    let p = Portal::new().await;
    let (_, token) = approved_owner(&p).await;
    let lead = create_lead(&p, &token).await;
    let id = lead["id"].as_str().unwrap();
    for empty in ["", "   "] {
        let (status, body) = update_lead(&p, &token, id, empty, json!({"stage": "x"})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (428, Some("if_match_required")),
            "{empty:?}: {body}"
        );
        let (status, body) = update_partner(&p, &token, empty, json!({"description": "x"})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (428, Some("if_match_required"))
        );
    }
}

async fn list_leads(p: &Portal, token: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let req = http_fixture("leads-list", "open-overdue").with_query_string_parameters(
        query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
    );
    as_user(req, token, |r| leads_list::handle(r, &p.ctx)).await
}

#[tokio::test]
async fn an_empty_query_value_is_a_400_naming_the_parameter() {
    let p = Portal::new().await;
    let (_, token) = approved_owner(&p).await;
    for name in [
        "created_to",
        "created_from",
        "status",
        "stage",
        "follow_up",
        "assigned_to",
        "q",
        "limit",
        "cursor",
    ] {
        let (status, body) = list_leads(&p, &token, &[(name, "")]).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["errors"][0]["field"], name, "{body}");
    }
    // A time must be one; times in any offset are compared in UTC.
    let (status, body) = list_leads(&p, &token, &[("created_to", "yesterday")]).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("created_to"))
    );
    create_lead(&p, &token).await;
    let (status, body) =
        list_leads(&p, &token, &[("created_from", "2000-01-01T02:00:00+02:00")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
}
