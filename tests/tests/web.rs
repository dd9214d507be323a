//! The web portal's function: pages, assets and the API's 404 for everything else.

use portal_tests::*;

fn deps(stage: &str) -> web::Deps {
    web::Deps::from_source(&[
        ("PORTAL_STAGE", stage),
        (
            "DOCUMENTS_BUCKET",
            "partner-portal-prod-documents-123456789012",
        ),
        ("AWS_REGION", "eu-west-1"),
    ])
    .unwrap()
}

async fn get(
    deps: &web::Deps,
    path: &str,
    headers: &[(&'static str, &str)],
) -> lambda_http::Response<lambda_http::Body> {
    let mut req = api_request("GET /{proxy+}", path, &[]);
    for (name, value) in headers {
        req = with_header(req, name, value);
    }
    shared::http::respond(req, |r| web::handle(r, deps)).await
}

fn header<'a>(response: &'a lambda_http::Response<lambda_http::Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

fn text(response: &lambda_http::Response<lambda_http::Body>) -> String {
    match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        lambda_http::Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        lambda_http::Body::Empty => String::new(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn pages_are_the_app_under_a_strict_policy_and_never_cached() {
    let deps = deps("prod");
    for path in [
        "/",
        "/app",
        "/app/leads/01J0000000000000000000000",
        "/verify-email",
        "/unsubscribe/abc.def",
    ] {
        let page = get(&deps, path, &[]).await;
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&page, "cache-control"), "no-cache");
        let csp = header(&page, "content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{csp} lacks {directive}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(
            csp.contains(
                "https://partner-portal-prod-documents-123456789012.s3.eu-west-1.amazonaws.com"
            ),
            "{csp}"
        );
        assert_eq!(header(&page, "x-content-type-options"), "nosniff");
        assert_eq!(header(&page, "referrer-policy"), "no-referrer");
        assert_eq!(header(&page, "x-frame-options"), "DENY");
        assert!(header(&page, "strict-transport-security").starts_with("max-age="));
        let html = text(&page);
        assert!(html.contains("<html"), "{html}");
        // No inline script or style: every script is a file, and there is no style element
        // or attribute (the policy would refuse them).
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or("");
            assert!(
                tag.contains("src=\"/assets/"),
                "an inline script: <script{tag}>"
            );
        }
        assert!(
            !html.contains("<style") && !html.contains("style=\""),
            "inline style: {html}"
        );
    }
    // Locally (plain http): no HSTS, and uploads go to the emulator.
    let local = web::Deps::from_source(&[
        ("PORTAL_STAGE", "local"),
        ("DOCUMENTS_BUCKET", "docs"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
    ])
    .unwrap();
    let page = get(&local, "/app", &[]).await;
    assert!(page.headers().get("strict-transport-security").is_none());
    assert!(
        header(&page, "content-security-policy")
            .contains("connect-src 'self' http://127.0.0.1:4566")
    );
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_compressed_and_revalidated() {
    let deps = deps("prod");
    let html = text(&get(&deps, "/", &[]).await);
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page loads a script");
    assert!(script.starts_with("/assets/"), "{script}");

    let plain = get(&deps, script, &[]).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(
        header(&plain, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&plain, "content-type").starts_with("text/javascript"));
    assert!(plain.headers().get("content-encoding").is_none());

    let gzip = get(&deps, script, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(header(&gzip, "content-encoding"), "gzip");
    let lambda_http::Body::Binary(compressed) = gzip.body() else {
        panic!("gzip is binary")
    };
    assert!(
        compressed.len() < text(&plain).len(),
        "compressed is smaller"
    );

    let etag = header(&plain, "etag").to_string();
    let again = get(&deps, script, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(text(&again), "");

    let gone = get(&deps, "/assets/index-0000000.js", &[]).await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn api_paths_and_other_methods_are_problem_json_404s_and_unknown_pages_are_404() {
    let deps = deps("prod");
    for path in ["/v1/no-such-thing", "/v1", "/.well-known/nothing"] {
        let response = get(&deps, path, &[]).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "application/problem+json"
        );
        assert_eq!(body_json(&response)["code"], "route_not_found");
    }
    let post = shared::http::respond(
        with_json(
            api_request("POST /{proxy+}", "/app", &[]),
            &serde_json::json!({}),
        ),
        |r| web::handle(r, &deps),
    )
    .await;
    assert_eq!(post.status(), 404);
    assert_eq!(header(&post, "content-type"), "application/problem+json");

    let unknown = get(&deps, "/wp-login.php", &[]).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(header(&unknown, "content-type"), "text/html; charset=utf-8");
}
