//! The console's static files, compiled into the binary and served under content-hashed
//! names (`/-/assets/console.3f9a1c0b2d4e.css`) with a year-long immutable cache: a new
//! build changes the name, so browsers never run stale script against a new page.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file.
pub struct Asset {
    /// The name pages link to: `{stem}.{hash}.{ext}`.
    pub name: String,
    /// The bytes served.
    pub body: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
}

/// Every asset, named by content hash once per process.
pub struct Assets {
    /// The stylesheet: the console's own rules followed by the syntax-highlighting classes.
    pub css: Asset,
    /// The little script the pickers use (pages work without it).
    pub js: Asset,
}

fn asset(stem: &str, ext: &str, content_type: &'static str, body: Vec<u8>) -> Asset {
    let hash = hex::encode(&Sha256::digest(&body)[..6]);
    Asset { name: format!("{stem}.{hash}.{ext}"), body, content_type }
}

/// The assets of this build.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let css = [include_str!("assets/console.css"), codeport_render::highlight_css().as_str()].join("\n");
    Assets {
        css: asset("console", "css", "text/css; charset=utf-8", css.into_bytes()),
        js: asset("console", "js", "text/javascript; charset=utf-8", include_bytes!("assets/console.js").to_vec()),
    }
});

/// Where pages link the stylesheet.
pub fn css_href() -> String {
    format!("/-/assets/{}", ASSETS.css.name)
}

/// Where pages load the script.
pub fn js_src() -> String {
    format!("/-/assets/{}", ASSETS.js.name)
}

/// `GET /-/assets/{name}`: the asset of that exact hashed name, else 404 (an old name after
/// an upgrade must not be cached as the new content).
pub async fn serve(Path(name): Path<String>) -> Response {
    let assets: &'static Assets = &ASSETS;
    let Some(a) = [&assets.css, &assets.js].into_iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no such asset").into_response();
    };
    let mut resp = axum::body::Body::from(a.body.as_slice()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}
