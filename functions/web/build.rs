//! Embeds the web portal (`app/dist`, built by `npm run build` in `app/`; `make dev` and
//! `make test` do it) into the binary: every file with its content type, a content hash
//! for its ETag, and a gzip copy made once here. Without a built app the binary still
//! builds and says on its pages how to build it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dist = manifest.join("app/dist");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed={}", dist.display());

    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();

    let mut table = String::from("&[\n");
    for (i, (rel, path)) in files.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(path).unwrap();
        let raw = out.join(format!("asset-{i}"));
        std::fs::write(&raw, &bytes).unwrap();
        let gz = out.join(format!("asset-{i}.gz"));
        let compressible = content_type(rel).starts_with("text/")
            || rel.ends_with(".js")
            || rel.ends_with(".json")
            || rel.ends_with(".svg")
            || rel.ends_with(".map");
        let gzip = if compressible && bytes.len() > 256 {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&bytes).unwrap();
            let z = e.finish().unwrap();
            std::fs::write(&gz, &z).unwrap();
            format!("Some(include_bytes!({:?}))", gz.display().to_string())
        } else {
            "None".to_string()
        };
        let digest = sha2::Digest::finalize(sha2::Digest::chain_update(
            <sha2::Sha256 as sha2::Digest>::new(),
            &bytes,
        ));
        let etag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        writeln!(
            table,
            "    Asset {{ path: {:?}, content_type: {:?}, etag: \"\\\"{etag}\\\"\", body: include_bytes!({:?}), gzip: {gzip} }},",
            format!("/{rel}"),
            content_type(rel),
            raw.display().to_string(),
        )
        .unwrap();
    }
    table.push(']');
    std::fs::write(out.join("assets.rs"), table).unwrap();
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Build bookkeeping (e.g. the inputs stamp of infra/local/web.sh) is not served.
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, path));
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}
