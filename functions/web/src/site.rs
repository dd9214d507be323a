//! The built app, embedded (see `build.rs`), and which paths are its pages.

/// One file of the built app.
#[derive(Debug)]
pub struct Asset {
    /// Its path under `/`, e.g. `/assets/index-3f2a9c.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// A strong ETag: a hash of the content.
    pub etag: &'static str,
    pub body: &'static [u8],
    /// The gzip form, for compressible files.
    pub gzip: Option<&'static [u8]>,
}

static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Served when the app was not built (`npm run build` in `functions/web/app`).
static UNBUILT: Asset = Asset {
    path: "/index.html",
    content_type: "text/html; charset=utf-8",
    etag: "\"unbuilt\"",
    body: b"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Partner portal</title>\
<h1>The web portal is not built</h1><p>Build it with <code>make dev</code> or \
<code>npm ci &amp;&amp; npm run build</code> in <code>functions/web/app</code>.</p></html>",
    gzip: None,
};

/// The app's first paths: what emails link to and what the app routes in the browser.
const PAGES: &[&str] = &[
    "/app",
    "/login",
    "/register",
    "/verify-email",
    "/password",
    "/invitations",
    "/unsubscribe",
    "/feedback",
    "/refer",
];

/// Paths of the API: never a page.
pub fn is_api(path: &str) -> bool {
    ["/v1", "/.well-known"]
        .iter()
        .any(|prefix| under(path, prefix))
}

/// `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A page of the app (its `index.html` answers with 200; other paths get it with 404).
pub fn is_page(path: &str) -> bool {
    path == "/" || path == "/index.html" || PAGES.iter().any(|page| under(path, page))
}

/// Where the build puts its hashed files.
pub fn is_build_output(path: &str) -> bool {
    path.starts_with("/assets/")
}

/// A built file by its exact path (the page itself is `index`).
pub fn file(path: &str) -> Option<&'static Asset> {
    if path == "/" || path == "/index.html" {
        return None;
    }
    ASSETS.iter().find(|a| a.path == path)
}

/// The app's page.
pub fn index() -> &'static Asset {
    ASSETS
        .iter()
        .find(|a| a.path == "/index.html")
        .unwrap_or(&UNBUILT)
}

/// Hashed names never change content: a year, immutable. Other files: an hour.
pub fn cache_control(asset: &Asset) -> &'static str {
    if is_build_output(asset.path) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    }
}
