//! The fake's own behaviour, through its HTTP interface.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{CLIENT_ID, CLIENT_SECRET, FakeZoho, Fault, REFRESH_TOKEN};

fn fake() -> FakeZoho {
    FakeZoho::listen("127.0.0.1:0").unwrap()
}

/// Any request: status and JSON body (`Null` when empty).
fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = agent.run(request.body(body).unwrap()).unwrap();
    let status = response.status().as_u16();
    let bytes = response.body_mut().read_to_vec().unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}

fn token(fake: &FakeZoho) -> String {
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", REFRESH_TOKEN),
        ])
        .finish();
    let (status, answer) = send(
        "POST",
        &format!("{}/oauth/v2/token", fake.base_url),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.into_bytes(),
    );
    assert_eq!(status, 200);
    answer["access_token"].as_str().unwrap().to_string()
}

/// An API call: status and JSON body (`Null` when empty).
fn call(
    fake: &FakeZoho,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let auth = format!("Zoho-oauthtoken {token}");
    let mut all = vec![("Authorization", auth.as_str())];
    all.extend_from_slice(headers);
    let body = match body {
        Some(body) => {
            all.push(("Content-Type", "application/json"));
            serde_json::to_vec(&body).unwrap()
        }
        None => Vec::new(),
    };
    send(
        method,
        &format!("{}/crm/v8/{path}", fake.base_url),
        &all,
        body,
    )
}

fn get(fake: &FakeZoho, token: &str, path: &str) -> (u16, Value) {
    call(fake, token, "GET", path, None, &[])
}

fn post(fake: &FakeZoho, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(fake, token, "POST", path, Some(body), &[])
}

#[test]
fn refreshed_tokens_work_until_expired_and_wrong_credentials_are_refused() {
    let fake = fake();
    let refused = send(
        "POST",
        &format!(
            "{}/oauth/v2/token?grant_type=refresh_token&client_id={CLIENT_ID}&client_secret=nope&refresh_token={REFRESH_TOKEN}",
            fake.base_url
        ),
        &[],
        Vec::new(),
    )
    .1;
    assert_eq!(refused, json!({"error": "invalid_client"}));
    assert_eq!(fake.refresh_count(), 0);

    let lead = fake.insert("Leads", json!({"Last_Name": "Ng"}));
    let id = lead["id"].as_str().unwrap();
    let first = token(&fake);
    assert!(first.starts_with("1000."));
    let (status, body) = get(&fake, &first, &format!("Leads/{id}"));
    assert_eq!((status, &body["data"][0]["Last_Name"]), (200, &json!("Ng")));

    fake.expire_tokens();
    let (status, body) = get(&fake, &first, &format!("Leads/{id}"));
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_TOKEN"))
    );

    let second = token(&fake);
    assert_eq!(get(&fake, &second, &format!("Leads/{id}")).0, 200);
    assert_eq!(get(&fake, &second, "Leads/4876876000009999999").0, 204);
    assert_eq!(fake.refresh_count(), 2);
    assert_eq!(fake.api_calls(), 4);
}

#[test]
fn upsert_inserts_then_updates_the_record_matching_the_duplicate_check_field() {
    let fake = fake();
    let token = token(&fake);
    let lead = json!({"Last_Name": "Ng", "Email": "ng@example.com", "Lead_Status": "New"});
    let (status, body) = post(
        &fake,
        &token,
        "Leads/upsert",
        json!({"data": [lead], "duplicate_check_fields": ["Email"]}),
    );
    assert_eq!(status, 200);
    let first = &body["data"][0];
    assert_eq!(
        (first["action"].as_str(), first["message"].as_str()),
        (Some("insert"), Some("record added"))
    );
    assert_eq!(first["duplicate_field"], Value::Null);
    let id = first["details"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 19);

    let again = json!({"Last_Name": "Ng", "Email": "NG@example.com", "Lead_Status": "Contacted", "Partner": "4876876000000555001"});
    let (status, body) = post(&fake, &token, "Leads/upsert", json!({"data": [again]}));
    assert_eq!(status, 200);
    let second = &body["data"][0];
    assert_eq!(second["action"], "update");
    assert_eq!(second["duplicate_field"], "Email");
    assert_eq!(second["details"]["id"], id.as_str());
    assert_eq!(
        second["details"]["Modified_By"]["name"],
        "Portal Integration"
    );

    let stored = fake.record("Leads", &id).unwrap();
    assert_eq!(stored["Lead_Status"], "Contacted");
    assert_eq!(stored["Partner"], json!({"id": "4876876000000555001"}));
    assert!(stored["Modified_Time"].as_str() > stored["Created_Time"].as_str());
    assert_eq!(fake.records("Leads").len(), 1);
    assert_eq!(fake.writes(), 2);
}

#[test]
fn a_unique_field_clash_is_duplicate_data_naming_the_existing_record() {
    let fake = fake();
    fake.set_unique("Vendors", "Portal_Id");
    let existing = fake.insert("Vendors", json!({"Vendor_Name": "Acme", "Portal_Id": "P1"}));
    let token = token(&fake);
    let (status, body) = post(
        &fake,
        &token,
        "Vendors",
        json!({"data": [{"Vendor_Name": "Acme 2", "Portal_Id": "P1"}]}),
    );
    assert_eq!(status, 400);
    let error = &body["data"][0];
    assert_eq!(error["code"], "DUPLICATE_DATA");
    assert_eq!(error["status"], "error");
    assert_eq!(error["details"]["api_name"], "Portal_Id");
    assert_eq!(error["details"]["json_path"], "$.data[0].Portal_Id");
    assert_eq!(error["details"]["id"], existing["id"]);
    assert_eq!(fake.records("Vendors").len(), 1);
}

#[test]
fn a_missing_mandatory_field_fails_the_record_with_400() {
    let fake = fake();
    let token = token(&fake);
    let (status, body) = post(
        &fake,
        &token,
        "Leads",
        json!({"data": [{"Email": "x@example.com"}]}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"][0],
        json!({"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "Last_Name", "json_path": "$.data[0].Last_Name"}, "message": "required field not found", "status": "error"})
    );
    assert!(fake.records("Leads").is_empty());
}

#[test]
fn a_batch_with_good_and_bad_records_is_207_in_request_order() {
    let fake = fake();
    let token = token(&fake);
    let (status, body) = post(
        &fake,
        &token,
        "Leads",
        json!({"data": [{"Last_Name": "A"}, {"First_Name": "B"}]}),
    );
    assert_eq!(status, 207);
    assert_eq!(body["data"][0]["status"], "success");
    assert_eq!(body["data"][1]["code"], "MANDATORY_NOT_FOUND");
    assert_eq!(
        body["data"][1]["details"]["json_path"],
        "$.data[1].Last_Name"
    );

    let id = body["data"][0]["details"]["id"].as_str().unwrap();
    let update = json!({"data": [{"id": id, "Lead_Status": "Contacted"}, {"id": "4876876000009999999", "Lead_Status": "Lost"}]});
    let (status, body) = call(&fake, &token, "PUT", "Leads", Some(update), &[]);
    assert_eq!(status, 207);
    assert_eq!(body["data"][0]["message"], "record updated");
    assert_eq!(body["data"][1]["code"], "INVALID_DATA");
    assert_eq!(body["data"][1]["details"]["api_name"], "id");

    fake.inject(Fault::RecordError {
        code: "INVALID_DATA".into(),
        api_name: "Lead_Status".into(),
    });
    let (status, body) = post(
        &fake,
        &token,
        "Leads",
        json!({"data": [{"Last_Name": "C"}]}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["data"][0]["details"]["api_name"], "Lead_Status");
}

#[test]
fn if_modified_since_returns_only_later_changes_and_304_when_none() {
    let fake = fake();
    let a = fake.insert("Leads", json!({"Last_Name": "A"}));
    let b = fake.insert("Leads", json!({"Last_Name": "B"}));
    let a = fake.update(
        "Leads",
        a["id"].as_str().unwrap(),
        json!({"Lead_Status": "Contacted"}),
    );
    let token = token(&fake);
    let since = b["Created_Time"].as_str().unwrap();
    let path = "Leads?fields=Last_Name,Modified_Time&sort_by=Modified_Time&sort_order=asc";
    let (status, body) = call(
        &fake,
        &token,
        "GET",
        path,
        None,
        &[("If-Modified-Since", since)],
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!([{"id": a["id"], "Last_Name": "A", "Modified_Time": a["Modified_Time"]}])
    );
    assert_eq!(body["info"]["more_records"], false);
    assert_eq!(body["info"]["next_page_token"], Value::Null);

    let latest = a["Modified_Time"].as_str().unwrap();
    let (status, body) = call(
        &fake,
        &token,
        "GET",
        path,
        None,
        &[("If-Modified-Since", latest)],
    );
    assert_eq!((status, body), (304, Value::Null));
    assert_eq!(get(&fake, &token, "Vendors?fields=Vendor_Name").0, 204);
    assert_eq!(
        get(&fake, &token, "Leads").1["code"],
        "REQUIRED_PARAM_MISSING"
    );
}

#[test]
fn pages_follow_next_page_token_until_more_records_is_false() {
    let fake = fake();
    for i in 0..5 {
        fake.insert("Vendors", json!({"Vendor_Name": format!("V{i}")}));
    }
    let token = token(&fake);
    let mut seen = Vec::new();
    let mut path =
        "Vendors?fields=Vendor_Name&per_page=2&sort_by=Modified_Time&sort_order=asc".to_string();
    loop {
        let (status, body) = get(&fake, &token, &path);
        assert_eq!(status, 200);
        seen.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["Vendor_Name"].clone()),
        );
        if body["info"]["more_records"] == false {
            assert_eq!(body["info"]["page"], 3);
            break;
        }
        let next = body["info"]["next_page_token"].as_str().unwrap();
        path = format!("Vendors?fields=Vendor_Name&per_page=2&page_token={next}");
    }
    assert_eq!(seen, ["V0", "V1", "V2", "V3", "V4"]);
}

#[test]
fn an_injected_429_fails_one_request_then_the_next_succeeds() {
    let fake = fake();
    let token = token(&fake);
    fake.inject(Fault::Status(429));
    let write = json!({"data": [{"Last_Name": "Ng"}]});
    let (status, body) = post(&fake, &token, "Leads", write.clone());
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("TOO_MANY_REQUESTS"))
    );
    assert_eq!(fake.writes(), 0);
    assert_eq!(post(&fake, &token, "Leads", write).0, 201);
    assert_eq!((fake.api_calls(), fake.writes()), (2, 1));

    fake.inject(Fault::Delay(Duration::from_millis(150)));
    fake.inject(Fault::TokenDelay(Duration::from_millis(150)));
    let started = std::time::Instant::now();
    assert_eq!(get(&fake, &token, "Leads?fields=Last_Name").0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    let started = std::time::Instant::now();
    let _ = self::token(&fake);
    assert!(started.elapsed() >= Duration::from_millis(150));

    fake.inject(Fault::InvalidToken);
    assert_eq!(get(&fake, &token, "Leads?fields=Last_Name").0, 401);
    assert_eq!(get(&fake, &token, "Leads?fields=Last_Name").0, 401);
}

#[test]
fn a_fault_rate_fails_a_seeded_share_of_requests() {
    let outcomes = || {
        let fake = fake();
        let token = token(&fake);
        fake.set_fault_rate(0.5, 7);
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(get(&fake, &token, "Leads?fields=Last_Name").0);
        }
        statuses
    };
    let first = outcomes();
    assert_eq!(first, outcomes());
    assert!(first.contains(&429) && first.contains(&500) && first.contains(&204));
}

#[test]
fn search_matches_criteria_on_fields_and_lookup_ids() {
    let fake = fake();
    let partner = fake.insert("Vendors", json!({"Vendor_Name": "Acme"}));
    let pid = partner["id"].as_str().unwrap();
    fake.insert(
        "Leads",
        json!({"Last_Name": "A", "Partner": pid, "Portal_Id": "L1"}),
    );
    fake.insert(
        "Leads",
        json!({"Last_Name": "B", "Partner": pid, "Portal_Id": "L2"}),
    );
    let token = token(&fake);
    let (status, body) = get(&fake, &token, "Leads/search?criteria=(Portal_Id:equals:L2)");
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["Last_Name"], "B");
    assert_eq!(
        body["data"][0]["Partner"],
        json!({"id": pid, "name": "Acme"})
    );
    assert_eq!(body["info"]["count"], 1);
    let criteria = format!("((Partner:equals:{pid})and(Last_Name:starts_with:a))");
    let (_, body) = get(&fake, &token, &format!("Leads/search?criteria={criteria}"));
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        get(&fake, &token, "Leads/search?criteria=(Portal_Id:equals:L9)").0,
        204
    );
    assert_eq!(get(&fake, &token, "Leads/search?criteria=Portal_Id").0, 400);
}

#[test]
fn a_control_edit_posts_the_webhook_with_the_secret() {
    let receiver = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", receiver.server_addr().to_ip().unwrap());
    let captured = std::thread::spawn(move || {
        let mut request = receiver.recv().unwrap();
        let header = |name: &str| {
            request
                .headers()
                .iter()
                .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                .map(|h| h.value.as_str().to_string())
        };
        let (secret, agent) = (header("X-Portal-Webhook-Secret"), header("User-Agent"));
        let path = request.url().to_string();
        let mut body = String::new();
        request.as_reader().read_to_string(&mut body).unwrap();
        request
            .respond(tiny_http::Response::from_string("{}").with_status_code(202))
            .unwrap();
        (path, secret, agent, body)
    });
    let fake = fake();
    fake.set_webhook(&url, "s3cret");
    let lead = fake.insert("Leads", json!({"Last_Name": "Ng", "Portal_Id": "L1"}));
    let (status, answer) = send(
        "POST",
        &format!(
            "{}/__fake/records/Leads/{}",
            fake.base_url,
            lead["id"].as_str().unwrap()
        ),
        &[("Content-Type", "application/json")],
        json!({"Lead_Status": "Qualified"}).to_string().into_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!(answer["webhook"], 202);
    assert_eq!(answer["Modified_By"]["name"], "Sales Manager");
    let (path, secret, agent, body) = captured.join().unwrap();
    assert_eq!(path, "/zoho/lead");
    assert_eq!(secret.as_deref(), Some("s3cret"));
    assert_eq!(agent.as_deref(), Some("Zoho-CRM"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"event": "lead.updated", "module": "Leads", "id": lead["id"], "portal_id": "L1", "status": "Qualified", "modified_time": answer["Modified_Time"]})
    );
}

#[test]
fn a_dropped_fake_stops_listening() {
    let fake = fake();
    let addr = fake.base_url.trim_start_matches("http://").to_string();
    assert_eq!(
        send(
            "GET",
            &format!("{}/__fake/records/Leads", fake.base_url),
            &[],
            Vec::new()
        ),
        (200, json!({"data": []}))
    );
    drop(fake);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&addr).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "{addr} still accepts connections"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
