//! The organization root and group pages, and their "New subgroup"/"New repository" forms.
//! (Placeholder signatures; the pages are being written.)

use super::codeup::PagePath;
use super::layout;
use super::session::Viewer;
use crate::state::AppState;
use axum::extract::Request;
use axum::response::Response;

/// `{external-url}/{orgId}`: the organization's top-level groups and repositories.
pub async fn org_page(_state: &AppState, viewer: &Viewer, _page: &PagePath) -> Response {
    layout::not_found(Some(viewer))
}

/// `{group webUrl}`.
pub async fn group_page(_state: &AppState, viewer: &Viewer, _page: &PagePath) -> Response {
    layout::not_found(Some(viewer))
}

/// `POST {org or group}/-/new-group`.
pub async fn create_group(_state: &AppState, viewer: &Viewer, _page: &PagePath, _req: Request) -> Response {
    layout::not_found(Some(viewer))
}

/// `POST {org or group}/-/new-repository`.
pub async fn create_repository(_state: &AppState, viewer: &Viewer, _page: &PagePath, _req: Request) -> Response {
    layout::not_found(Some(viewer))
}
