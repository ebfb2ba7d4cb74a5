//! Builds the operator UI into the binary, so a centre serves it with nothing beside it:
//! every file under `ui/static/` (our own HTML, CSS and JavaScript, no build step), and from
//! `ui/node_modules/` (after `npm ci --prefix ui`) the Natural Earth basemap of `world-atlas`
//! and the `topojson-client` decoder. Without node_modules the UI still works, without a
//! basemap, and says how to get one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let ui = manifest.join("../../ui");
    // A directory is scanned for changes as a whole: new files, edits, `npm ci`.
    println!("cargo:rerun-if-changed={}", ui.display());
    let mut files = Vec::new();
    collect(&ui.join("static"), &ui.join("static"), &mut files);
    files.sort();
    let mut out = String::from(
        "/// The UI's files: (path under /ui/, content type, bytes).\n\
         pub static ASSETS: &[(&str, &str, &[u8])] = &[\n",
    );
    for (rel, path) in &files {
        let _ = writeln!(
            out,
            "    ({rel:?}, {:?}, include_bytes!({:?})),",
            content_type(rel),
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    for (name, rel) in [
        ("BASEMAP", "node_modules/world-atlas/countries-50m.json"),
        (
            "TOPOJSON",
            "node_modules/topojson-client/dist/topojson-client.min.js",
        ),
    ] {
        let p = ui.join(rel);
        if p.is_file() {
            let _ = writeln!(
                out,
                "/// `ui/{rel}`.\npub static {name}: Option<&[u8]> = Some(include_bytes!({:?}));",
                p.display().to_string()
            );
        } else {
            println!(
                "cargo:warning=ui/{rel} not found: the UI is built without it (run `npm ci --prefix ui`, then build again)"
            );
            let _ = writeln!(
                out,
                "/// `ui/{rel}` (absent at build time).\npub static {name}: Option<&[u8]> = None;"
            );
        }
    }
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("ui_assets.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !rel.starts_with('.') {
                let abs = path.canonicalize().unwrap_or(path);
                files.push((rel, abs));
            }
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}
