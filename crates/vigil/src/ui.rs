//! The operator UI's files, built into the binary (see `build.rs`): `GET /` and
//! `GET /ui/{path}`. They are public (the page itself holds no data; everything it shows
//! comes through the login gate) and never fetch anything from outside the centre.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

mod assets {
    include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));
}

/// The page may load only the centre's own files and talk only to the centre.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; font-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn file(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The files change only with the binary; revalidating each load keeps an upgraded
    // centre from serving yesterday's script out of a browser's cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn not_found(path: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("no UI file {path:?}\n")).into_response()
}

/// `GET /`: the UI's page.
pub async fn index() -> Response {
    asset(Path("index.html".to_owned())).await
}

/// `GET /ui/{path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    match path.as_str() {
        "basemap/countries-50m.json" => {
            return assets::BASEMAP.map_or_else(
                || {
                    (
                        StatusCode::NOT_FOUND,
                        "the basemap was not built in: run `npm ci --prefix ui`, then build vigil again\n",
                    )
                        .into_response()
                },
                |b| file("application/json", b),
            );
        }
        "vendor/topojson-client.min.js" => {
            return assets::TOPOJSON.map_or_else(
                || not_found(&path),
                |b| file("text/javascript; charset=utf-8", b),
            );
        }
        _ => {}
    }
    assets::ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map_or_else(|| not_found(&path), |(_, ct, b)| file(ct, b))
}

/// Whether the basemap is built in (the start log says so when not).
pub fn has_basemap() -> bool {
    assets::BASEMAP.is_some()
}
