//! PAI pages: `/pai/workspaces`, a workspace, a code source, the "New code source" form.
//! (Placeholder; the pages are being written.)

use crate::state::AppState;
use axum::Router;

/// The PAI pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
