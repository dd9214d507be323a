//! The API functions of the foundation, driven by their `events/` fixtures through the same
//! per-invocation wrapper Lambda runs.

use portal_tests::{body_json, http_fixture};

fn health_deps() -> health::Deps {
    health::Deps::from_source(&[("PORTAL_STAGE", "local")]).unwrap()
}

#[tokio::test]
async fn health_reports_ok_and_the_version() {
    let deps = health_deps();
    let response =
        shared::http::respond(http_fixture("health", "get"), |r| health::handle(r, &deps)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = body_json(&response);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], shared::VERSION);
    assert_eq!(body["stage"], "local");
}

#[tokio::test]
async fn health_refuses_other_methods_with_a_problem() {
    let deps = health_deps();
    let response = shared::http::respond(http_fixture("health", "post-not-allowed"), |r| {
        health::handle(r, &deps)
    })
    .await;
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(body_json(&response)["code"], "method_not_allowed");
}

#[test]
fn health_will_not_start_without_its_stage() {
    let err = health::Deps::from_source(&[("PORTAL_STAGE", "")]).unwrap_err();
    assert_eq!(err.problems, vec!["PORTAL_STAGE is required".to_string()]);
}

#[tokio::test]
async fn an_unknown_route_is_a_problem_json_404_with_the_request_id() {
    let deps =
        web::Deps::from_source(&[("PORTAL_STAGE", "local"), ("DOCUMENTS_BUCKET", "docs")]).unwrap();
    let response = shared::http::respond(http_fixture("web", "unknown-route"), |r| {
        web::handle(r, &deps)
    })
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = body_json(&response);
    assert_eq!(body["code"], "route_not_found");
    assert_eq!(body["request_id"], "web-0001");
    assert_eq!(body["status"], 404);
}
