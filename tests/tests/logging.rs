//! What reaches the logs in an identity flow. Its own test binary: tracing's per-callsite
//! interest cache makes log capture unreliable while other tests run in the same process.

use portal_tests::portal::*;
use portal_tests::*;

#[tokio::test]
async fn no_password_or_token_reaches_the_logs() {
    let logs = CapturedLogs::global();
    let p = Portal::new().await;
    let (_, owner) = p.register().await;
    {
        let tokens = p.token(&owner).await;
        p.login(&owner, "a wrong password here").await;
        let refreshed = p.refresh(tokens["refresh_token"].as_str().unwrap()).await.1;
        p.me(tokens["access_token"].as_str().unwrap()).await;
        p.me("garbage.token.value").await;
        let text = logs.text();
        for secret in [
            PASSWORD,
            "a wrong password here",
            tokens["access_token"].as_str().unwrap(),
            tokens["refresh_token"].as_str().unwrap(),
            refreshed["refresh_token"].as_str().unwrap(),
            "garbage.token.value",
        ] {
            assert!(!text.contains(secret), "logs contain a secret: {text}");
        }
        assert!(
            text.contains("login succeeded") && text.contains("login failed"),
            "the flow was logged: {text}"
        );
    }
}

#[tokio::test]
async fn invocation_logs_carry_the_request_id_but_no_body_query_or_token() {
    let logs = CapturedLogs::global();
    let deps =
        web::Deps::from_source(&[("PORTAL_STAGE", "local"), ("DOCUMENTS_BUCKET", "docs")]).unwrap();
    let response = shared::http::respond(http_fixture("web", "unknown-route"), |r| {
        web::handle(r, &deps)
    })
    .await;
    assert_eq!(response.status(), 404);

    let lines = logs.lines();
    let outcome = lines
        .iter()
        .find(|l| l["message"] == "request handled" && l["span"]["request_id"] == "web-0001")
        .unwrap_or_else(|| panic!("no outcome line in {lines:?}"));
    assert_eq!(outcome["status"], 404);
    assert_eq!(outcome["method"], "POST");
    assert_eq!(outcome["span"]["request_id"], "web-0001");
    assert!(outcome["timestamp"].is_string() && outcome["level"] == "INFO");

    let text = logs.text();
    for secret in [
        "correct horse",
        "not-a-real-token",
        "someone@example.com",
        "someone%40example.com",
        "Bearer",
    ] {
        assert!(!text.contains(secret), "logs leak {secret:?}: {text}");
    }
}
