//! Static assets (CSS, JavaScript), embedded in the binary and served under a name carrying a
//! hash of their content, so browsers and CDNs may keep each one for a year: a new build with a
//! changed file links a new name.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Every embedded file: (name, content type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css",
        include_bytes!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript",
        include_bytes!("../../static/app.js"),
    ),
    (
        "seatmap.js",
        "text/javascript",
        include_bytes!("../../static/seatmap.js"),
    ),
    (
        "live.js",
        "text/javascript",
        include_bytes!("../../static/live.js"),
    ),
    (
        "door.css",
        "text/css",
        include_bytes!("../../static/door.css"),
    ),
    (
        "door.js",
        "text/javascript",
        include_bytes!("../../static/door.js"),
    ),
    (
        "admin.js",
        "text/javascript",
        include_bytes!("../../static/admin.js"),
    ),
    (
        "pay.js",
        "text/javascript",
        include_bytes!("../../static/pay.js"),
    ),
];

struct Asset {
    content_type: &'static str,
    bytes: &'static [u8],
}

struct Assets {
    /// `app.css` → `app.3f2a9c1d.css`.
    urls: HashMap<&'static str, String>,
    /// `app.3f2a9c1d.css` → the file.
    by_hashed: HashMap<String, Asset>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut urls = HashMap::new();
    let mut by_hashed = HashMap::new();
    for &(name, content_type, bytes) in FILES {
        let digest = hex::encode(&Sha256::digest(bytes)[..6]);
        let hashed = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
            None => format!("{name}.{digest}"),
        };
        urls.insert(name, format!("/static/{hashed}"));
        by_hashed.insert(
            hashed,
            Asset {
                content_type,
                bytes,
            },
        );
    }
    Assets { urls, by_hashed }
});

/// The URL of an embedded file, e.g. `asset("app.css")` → `/static/app.3f2a9c1d.css`.
pub fn asset(name: &str) -> &'static str {
    ASSETS
        .urls
        .get(name)
        .map_or("/static/missing", String::as_str)
}

/// `GET /static/{file}`: an embedded file by its hashed name, cacheable for a year.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(found) = ASSETS.by_hashed.get(&file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(found.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        found.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_hashed_url_that_serves_it() {
        for &(name, _, bytes) in FILES {
            let url = asset(name);
            assert!(url.starts_with("/static/") && url != "/static/missing");
            let hashed = url.trim_start_matches("/static/");
            assert_eq!(ASSETS.by_hashed[hashed].bytes, bytes);
        }
        assert_eq!(asset("nope.js"), "/static/missing");
    }

    #[test]
    fn every_asset_the_pages_name_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/web");
        let mut named = 0;
        for entry in std::fs::read_dir(dir).expect("src/web") {
            let source = std::fs::read_to_string(entry.expect("entry").path()).expect("source");
            for call in source.split("asset(\"").skip(1) {
                let name = call.split('"').next().unwrap_or_default();
                if name == "nope.js" {
                    continue;
                }
                named += 1;
                assert_ne!(asset(name), "/static/missing", "{name} is not embedded");
            }
        }
        assert!(named >= 5, "found only {named} asset names");
    }
}
