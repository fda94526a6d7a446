//! Repository history pages: `/-/commits/{ref}`, `/-/commit/{sha}`, `/-/branches`, `/-/tags`.
//! (Placeholder signatures; the pages are being written.)

use super::codeup::PagePath;
use super::layout;
use super::session::Viewer;
use crate::state::AppState;
use axum::response::Response;

/// Serves the history views.
pub async fn view(_state: &AppState, viewer: &Viewer, _page: &PagePath) -> Response {
    layout::not_found(Some(viewer))
}
