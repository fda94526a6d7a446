//! Codeup pages at the `webUrl`s the API returns: `{external-url}/{orgId}` (the organization
//! root), `{external-url}/{full path}` (a group or a repository), and a repository's or
//! group's views below a `/-/` separator (`/-/tree/{ref}/{path}`, `/-/commit/{sha}`, …), so
//! no group or repository name can clash with a view. Paths have no fixed depth, so they
//! are served from the router's fallback; this module parses them and hands each to its
//! page module ([`super::groups`], [`super::repository`], [`super::history`]).

use super::layout;
use super::session::Viewer;
use crate::services::platform::Edition;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request};
use axum::response::Response;
use codeport_core::actions::Operation;
use codeport_core::Error;
use std::collections::HashMap;

/// A console path below the external URL, decoded.
pub struct PagePath {
    /// The organization (the first segment).
    pub org: String,
    /// The group or repository full path (`ORG/group/repo`, the organization included);
    /// just the organization for the root.
    pub full_path: String,
    /// After `/-/`: the view's name (`tree`, `blob`, `commits`, `new-group`, …), if any.
    pub view: Option<String>,
    /// The decoded segments after the view's name (a ref and a file path, a sha, …).
    pub rest: Vec<String>,
    /// The decoded query.
    pub query: HashMap<String, String>,
}

impl PagePath {
    /// Parses `/{org}[/{path…}][/-/{view}[/{rest…}]]`; None when a segment is not valid
    /// UTF-8 once decoded, is empty, or is `.`/`..`.
    pub fn parse(path: &str, query: Option<&str>) -> Option<PagePath> {
        let mut segments = Vec::new();
        for raw in path.trim_start_matches('/').split('/') {
            let s = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?.into_owned();
            segments.push(s);
        }
        // A trailing slash is the same page.
        if segments.len() > 1 && segments.last().is_some_and(String::is_empty) {
            segments.pop();
        }
        let split = segments.iter().position(|s| s == "-");
        let (resource, after) = match split {
            Some(i) => (&segments[..i], Some(&segments[i + 1..])),
            None => (&segments[..], None),
        };
        if resource.is_empty() || resource.iter().any(|s| s.is_empty() || s == "." || s == ".." || s.contains('/')) {
            return None;
        }
        let (view, rest) = match after {
            Some([view, rest @ ..]) if !view.is_empty() => (Some(view.clone()), rest.to_vec()),
            Some(_) => return None,
            None => (None, Vec::new()),
        };
        let query =
            query.map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default().into_iter().collect()).unwrap_or_default();
        Some(PagePath { org: resource[0].clone(), full_path: resource.join("/"), view, rest, query })
    }

    /// Whether this is the organization root itself.
    pub fn is_org_root(&self) -> bool {
        self.full_path == self.org
    }

    /// The Codeup services' edition for this organization.
    pub fn edition(&self) -> Edition {
        Edition::Central(self.org.clone())
    }

    /// The rest segments joined back into a path (`src/main.rs`).
    pub fn rest_path(&self) -> String {
        self.rest.join("/")
    }
}

/// Serves a path below the external URL that no fixed route matched (GET, HEAD, and the
/// POSTs of the group pages' forms).
pub async fn serve(state: AppState, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let viewer = match Viewer::from_request_parts(&mut parts, &state).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(page) = PagePath::parse(parts.uri.path(), parts.uri.query()) else { return layout::not_found(Some(&viewer)) };
    let req = Request::from_parts(parts, body);
    let post = req.method() == http::Method::POST;
    match (page.view.as_deref(), post) {
        (None, false) => resource_page(&state, &viewer, &page).await,
        (Some("new-group"), true) => super::groups::create_group(&state, &viewer, &page, req).await,
        (Some("new-repository"), true) => super::groups::create_repository(&state, &viewer, &page, req).await,
        (Some("tree" | "blob" | "raw"), false) => super::repository::view(&state, &viewer, &page).await,
        (Some("commits" | "commit" | "branches" | "tags"), false) => super::history::view(&state, &viewer, &page).await,
        _ => layout::not_found(Some(&viewer)),
    }
}

/// `{org}`, or `{full path}` of a repository or a group. A path names at most one of them
/// (a group and a repository cannot share a path), so the repository is tried first and
/// the group second; each answers not found for what the viewer may not see, and so does
/// this page.
async fn resource_page(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    if page.is_org_root() {
        return super::groups::org_page(state, viewer, page).await;
    }
    let caller = viewer.token_caller(Operation::GetRepository);
    match state.repositories().get_repository(&caller, &page.edition(), &page.full_path).await {
        Ok(found) => super::repository::home(state, viewer, page, found).await,
        Err(Error::NotFound { .. }) => super::groups::group_page(state, viewer, page).await,
        Err(e) => layout::error_page(Some(viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::PagePath;

    #[test]
    fn paths_split_at_the_view_separator_and_decode_each_segment() {
        let p = PagePath::parse("/org1/grp/repo/-/blob/main/src/a%20b.rs", Some("x=1")).unwrap();
        assert_eq!((p.org.as_str(), p.full_path.as_str()), ("org1", "org1/grp/repo"));
        assert_eq!(p.view.as_deref(), Some("blob"));
        assert_eq!(p.rest, ["main", "src", "a b.rs"]);
        assert_eq!(p.query["x"], "1");
        let root = PagePath::parse("/org1/", None).unwrap();
        assert!(root.is_org_root() && root.view.is_none());
        assert!(PagePath::parse("/org1/../x", None).is_none());
        assert!(PagePath::parse("/org1/a%2Fb", None).is_none(), "an encoded slash is not a path separator");
        assert!(PagePath::parse("/org1/-/", None).is_none());
    }
}
