//! The web console: server-rendered pages over the same services, with the same
//! authorization, as the API. A page handler parses the request, calls a service with the
//! signed-in user's [`session::Viewer`], and renders; it never reads the store itself and never
//! decides visibility on its own.
//!
//! Routes: `/login`, `/logout`, `/` (the viewer's organization), `/-/assets/{hashed name}`,
//! `/pai/...`, and every other GET below the external URL that names an organization,
//! group or repository (the `webUrl`s the Codeup API returns), served from the router's
//! fallback by [`codeup::serve`] because their depth is not fixed.

pub mod assets;
pub mod codeup;
pub mod groups;
pub mod history;
pub mod layout;
pub mod links;
pub mod pai;
pub mod repository;
pub mod session;
pub mod sign_in;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The console's fixed routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(sign_in::home))
        .route("/login", get(sign_in::show).post(sign_in::submit))
        .route("/logout", post(sign_in::sign_out))
        .route("/-/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(|| async { http::StatusCode::NOT_FOUND }))
        .merge(pai::routes())
        .layer(axum::middleware::from_fn(layout::security_headers))
}

/// Whether a path no route matched is the console's (everything outside the APIs).
pub fn owns_path(path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/oapi/") || path == "/api" || path == "/oapi")
}
