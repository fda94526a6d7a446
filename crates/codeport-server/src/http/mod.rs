//! The HTTP edge: one module per wire family, plus health and request ids. Handlers are
//! thin: parse the wire request into a domain command, call a service, render the result.

pub mod pai;
pub mod request_id;

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .merge(pai::routes())
        .fallback(pai::unknown_route)
        .method_not_allowed_fallback(pai::method_not_allowed)
        .layer(axum::middleware::from_fn(request_id::middleware))
        .with_state(state)
}

/// Readiness: answered only once the store is open and migrated (the router exists only then).
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
