//! Repository pages: home (file tree, README, clone URL), `/-/tree`, `/-/blob`, `/-/raw`.
//! (Placeholder signatures; the pages are being written.)

use super::codeup::PagePath;
use super::layout;
use super::session::Viewer;
use crate::services::repositories::RepoAccess;
use crate::state::AppState;
use axum::response::Response;

/// `{repository webUrl}`: the default branch's tree and README.
pub async fn home(_state: &AppState, viewer: &Viewer, _page: &PagePath, _found: RepoAccess) -> Response {
    layout::not_found(Some(viewer))
}

/// `/-/tree/{ref}/{path}`, `/-/blob/{ref}/{path}`, `/-/raw/{ref}/{path}`.
pub async fn view(_state: &AppState, viewer: &Viewer, _page: &PagePath) -> Response {
    layout::not_found(Some(viewer))
}
