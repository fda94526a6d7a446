//! Repository pages: home (the default branch's file tree, README, clone URL),
//! `/-/tree/{ref}/{path}` (a directory), `/-/blob/{ref}/{path}` (a file, highlighted) and
//! `/-/raw/{ref}/{path}` (its bytes, never served as HTML). A ref may contain slashes
//! (`feature/x`): [`resolve_ref_and_path`] splits the segments after the view's name.
//! Every read goes through `RepositoryContent` with the viewer's caller, so these pages show
//! exactly what the file API would return to the same user.

use super::codeup::PagePath;
use super::history::repo_header;
use super::layout;
use super::links::{path_href, view_url};
use super::session::Viewer;
use crate::services::repositories::{Need, RepoAccess};
use crate::services::repository_content::TreeShape;
use crate::state::AppState;
use axum::response::{IntoResponse, Redirect, Response};
use codeport_core::actions::Operation;
use codeport_core::entities::Repository;
use codeport_core::Error;
use codeport_git::{EntryKind, TreeEntry};
use codeport_render as render;
use http::{header, HeaderValue};
use maud::{html, Markup, PreEscaped};

/// How many branches and how many tags the ref switcher lists (the Branches and Tags pages
/// have them all).
const SWITCHER_REFS: u32 = 100;

/// README names, in the order a directory's README is chosen (compared case-insensitively).
const README_NAMES: [&str; 6] = ["readme.md", "readme.markdown", "readme", "readme.txt", "readme.rst", "readme.adoc"];

/// The CSP of raw file responses: nothing of the file runs (sandboxed, no script, no
/// fetches), inline styles allowed so an SVG still draws.
const RAW_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// A console path's ref and file path, resolved against the repository's branches and tags.
pub struct Located {
    /// The repository (authorized for the operation the resolution was asked with).
    pub repo: Repository,
    /// The branch, tag or commit id; the default branch when the path named none.
    pub ref_name: String,
    /// The repository-relative path after the ref ("" for the root).
    pub path: String,
}

/// Splits `page.rest` into a ref and a path: the longest prefix that names a branch or a tag
/// (`feature/x` in `feature/x/src/main.rs`), else the first segment as a commit id; no
/// segments is the default branch at the root. Authorized as `operation` (the one the page
/// goes on to perform: ListFiles, GetFileBlobs, ListCommits…); not found for a repository
/// the viewer may not see.
pub async fn resolve_ref_and_path(state: &AppState, viewer: &Viewer, page: &PagePath, operation: Operation) -> codeport_core::Result<Located> {
    let caller = viewer.token_caller(operation);
    let found = state.repositories().open_repository(&caller, &page.edition(), &page.full_path, Need::Read).await?;
    let n = state.repository_content().ref_prefix_len(&found, &page.rest).await?;
    let ref_name = if n == 0 { found.repo.default_branch.clone() } else { page.rest[..n].join("/") };
    Ok(Located { repo: found.repo, ref_name, path: page.rest[n..].join("/") })
}

/// A content read's error as a page: a bad ref or path in the URL is simply not there.
fn content_error(viewer: &Viewer, e: Error) -> Response {
    match e {
        Error::InvalidParameter { .. } => layout::not_found(Some(viewer)),
        e => layout::error_page(Some(viewer), e),
    }
}

/// `{repository webUrl}`: the default branch's tree and README.
pub async fn home(state: &AppState, viewer: &Viewer, page: &PagePath, found: RepoAccess) -> Response {
    let repo = found.repo;
    let ref_name = repo.default_branch.clone();
    let caller = viewer.token_caller(Operation::ListFiles);
    match state.repository_content().list_files(&caller, &page.edition(), &page.full_path, "", &ref_name, TreeShape::Direct).await {
        Ok(entries) => directory_page(state, viewer, page, &repo, &ref_name, "", entries).await,
        // The default branch does not exist although other refs may: the page still offers them.
        Err(Error::NotFound { .. }) => {
            let refs = switcher_refs(state, viewer, page).await;
            let body = html! {
                (repo_header(&repo, "Files"))
                (ref_bar(&repo, &ref_name, &refs, state))
                div.notice.info { "The default branch " code { (ref_name) } " has no commits. Pick a branch or tag above." }
            };
            layout::ok_page(&repo.full_path, viewer, body)
        }
        Err(e) => content_error(viewer, e),
    }
}

/// `/-/tree/{ref}/{path}`, `/-/blob/{ref}/{path}`, `/-/raw/{ref}/{path}`.
pub async fn view(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    match page.view.as_deref() {
        Some("tree") => tree(state, viewer, page).await,
        Some("blob") => blob(state, viewer, page).await,
        Some("raw") => raw(state, viewer, page).await,
        _ => layout::not_found(Some(viewer)),
    }
}

async fn tree(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    let loc = match resolve_ref_and_path(state, viewer, page, Operation::ListFiles).await {
        Ok(l) => l,
        Err(e) => return content_error(viewer, e),
    };
    let caller = viewer.token_caller(Operation::ListFiles);
    match state.repository_content().list_files(&caller, &page.edition(), &page.full_path, &loc.path, &loc.ref_name, TreeShape::Direct).await {
        Ok(entries) => directory_page(state, viewer, page, &loc.repo, &loc.ref_name, &loc.path, entries).await,
        Err(e) => content_error(viewer, e),
    }
}

/// Branches and tags for the switcher; a list the viewer may not read (a RAM policy can deny
/// ListBranches alone) is left out rather than failing the page.
struct SwitcherRefs {
    branches: Vec<String>,
    tags: Vec<String>,
    more: bool,
}

async fn switcher_refs(state: &AppState, viewer: &Viewer, page: &PagePath) -> SwitcherRefs {
    let caller = viewer.token_caller(Operation::ListBranches);
    // Refused (RAM) or unreadable: the page goes without the switcher.
    let names = state.repository_content().ref_names(&caller, &page.edition(), &page.full_path).await.unwrap_or_default();
    let limit = SWITCHER_REFS as usize;
    let more = names.branches.len() > limit || names.tags.len() > limit;
    let first = |mut v: Vec<String>| {
        v.truncate(limit);
        v
    };
    SwitcherRefs { branches: first(names.branches), tags: first(names.tags), more }
}

/// A directory listing with its README (home and `/-/tree`).
async fn directory_page(
    state: &AppState,
    viewer: &Viewer,
    page: &PagePath,
    repo: &Repository,
    ref_name: &str,
    path: &str,
    mut entries: Vec<TreeEntry>,
) -> Response {
    entries.sort_by(|a, b| (a.kind != EntryKind::Tree, &a.name).cmp(&(b.kind != EntryKind::Tree, &b.name)));
    let readme = README_NAMES.iter().find_map(|n| entries.iter().find(|e| e.kind == EntryKind::Blob && e.name.to_lowercase() == *n));
    let readme_read = async {
        let e = readme?;
        let caller = viewer.token_caller(Operation::GetFileBlobs);
        let bytes = state.repository_content().listed_file(&caller, &page.edition(), &page.full_path, e).await.ok()?;
        Some((e.name.clone(), bytes))
    };
    let (readme, refs) = tokio::join!(readme_read, switcher_refs(state, viewer, page));
    let empty = entries.is_empty() && path.is_empty() && refs.branches.is_empty() && refs.tags.is_empty();
    let clone_url = state.repositories().clone_url(repo);
    let body = html! {
        (repo_header(repo, "Files"))
        @if empty {
            (empty_repository(repo, &clone_url))
        } @else {
            (ref_bar(repo, ref_name, &refs, state))
            (path_crumbs(repo, ref_name, path))
            div.box {
                table.list.files {
                    @if !path.is_empty() {
                        tr { td { span.icon { "↰" } a href=(view_url(repo, "tree", ref_name, parent(path))) { ".." } } td.num {} }
                    }
                    @for e in &entries {
                        tr {
                            td {
                                @match e.kind {
                                    EntryKind::Tree => { span.icon { "▸" } a.dir href=(view_url(repo, "tree", ref_name, &e.path)) { (e.name) } }
                                    EntryKind::Blob => { span.icon { "·" } a.file href=(view_url(repo, "blob", ref_name, &e.path)) { (e.name) } }
                                    EntryKind::Commit => { span.icon { "@" } span { (e.name) } " " span.muted { "submodule" } }
                                }
                            }
                            td.num { @if let Some(size) = e.size { (human_size(size)) } }
                        }
                    }
                }
                @if entries.is_empty() { div.empty { "This directory is empty." } }
            }
            @if let Some((name, bytes)) = &readme {
                (readme_box(repo, ref_name, path, name, bytes))
            }
        }
    };
    let title = if path.is_empty() { repo.full_path.clone() } else { format!("{path} · {}", repo.full_path) };
    layout::ok_page(&title, viewer, body)
}

/// The directory part of a path ("" for a root entry).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// How to put the first commit into an empty repository.
fn empty_repository(repo: &Repository, clone_url: &str) -> Markup {
    html! {
        div.box {
            div.box-head { strong { "This repository is empty" } }
            div.box-body {
                (clone_box(clone_url))
                p { "Clone it and push a first commit:" }
                pre.command { "git clone " (clone_url) }
                p { "Or push a repository you already have:" }
                pre.command { "git remote add origin " (clone_url) "\ngit push -u origin " (repo.default_branch) }
            }
        }
    }
}

fn clone_box(clone_url: &str) -> Markup {
    html! {
        div.clone {
            label for="clone-url" { "Clone (HTTP)" }
            input #clone-url type="text" readonly value=(clone_url);
        }
    }
}

/// The ref switcher (a `<details>` of links: works without script), links to the ref's
/// commits and to all branches and tags, and the clone URL.
fn ref_bar(repo: &Repository, ref_name: &str, refs: &SwitcherRefs, state: &AppState) -> Markup {
    let kind = if refs.branches.iter().any(|b| b == ref_name) {
        "Branch"
    } else if refs.tags.iter().any(|t| t == ref_name) {
        "Tag"
    } else if ref_name.len() >= 7 && ref_name.bytes().all(|b| b.is_ascii_hexdigit()) {
        "Commit"
    } else {
        "Ref"
    };
    let shown = if kind == "Commit" { &ref_name[..ref_name.len().min(12)] } else { ref_name };
    let base = path_href(&repo.full_path);
    html! {
        div.refbar {
            details.refs {
                summary { (kind) ": " strong { (shown) } }
                div.refs-menu {
                    @if !refs.branches.is_empty() {
                        div.muted { "Branches" }
                        ul { @for b in &refs.branches { li { (ref_link(repo, b, ref_name)) } } }
                    }
                    @if !refs.tags.is_empty() {
                        div.muted { "Tags" }
                        ul { @for t in &refs.tags { li { (ref_link(repo, t, ref_name)) } } }
                    }
                    @if refs.more { a href={ (base) "/-/branches" } { "All branches and tags…" } }
                }
            }
            a href=(view_url(repo, "commits", ref_name, "")) { "Commits" }
            a href={ (base) "/-/branches" } { "Branches" }
            a href={ (base) "/-/tags" } { "Tags" }
            (clone_box(&state.repositories().clone_url(repo)))
        }
    }
}

fn ref_link(repo: &Repository, name: &str, current: &str) -> Markup {
    let href = view_url(repo, "tree", name, "");
    html! {
        @if name == current {
            a.current href=(href) aria-current="true" { "✓ " (name) }
        } @else {
            a href=(href) { (name) }
        }
    }
}

/// `repo / dir / sub / file`, each a link to its tree (the last one plain).
fn path_crumbs(repo: &Repository, ref_name: &str, path: &str) -> Markup {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    html! {
        div.crumbs.path {
            @if segments.is_empty() {
                strong { (repo.path) }
            } @else {
                a href=(view_url(repo, "tree", ref_name, "")) { (repo.path) }
                @for (i, s) in segments.iter().enumerate() {
                    " / "
                    @if i + 1 == segments.len() {
                        strong { (s) }
                    } @else {
                        a href=(view_url(repo, "tree", ref_name, &segments[..=i].join("/"))) { (s) }
                    }
                }
            }
        }
    }
}

/// A README: markdown rendered and sanitized by `codeport_render` (relative links onto the
/// README's directory), anything else as escaped preformatted text.
fn readme_box(repo: &Repository, ref_name: &str, dir: &str, name: &str, bytes: &[u8]) -> Markup {
    if !render::is_text(bytes) {
        return html! {};
    }
    let text = String::from_utf8_lossy(bytes);
    let lower = name.to_lowercase();
    let markdown = lower.ends_with(".md") || lower.ends_with(".markdown");
    html! {
        div.box.readme {
            div.box-head { strong { (name) } }
            @if markdown {
                @let blob_base = view_url(repo, "blob", ref_name, dir);
                @let raw_base = view_url(repo, "raw", ref_name, dir);
                div.markdown { (PreEscaped(render::markdown_html(&text, &render::LinkBase { blob_base: &blob_base, raw_base: &raw_base }))) }
            } @else {
                pre.readme-text { (text) }
            }
        }
    }
}

async fn blob(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    let loc = match resolve_ref_and_path(state, viewer, page, Operation::GetFileBlobs).await {
        Ok(l) => l,
        Err(e) => return content_error(viewer, e),
    };
    let repo = &loc.repo;
    if loc.path.is_empty() {
        return Redirect::to(&view_url(repo, "tree", &loc.ref_name, "")).into_response();
    }
    let content = state.repository_content();
    let caller = viewer.token_caller(Operation::GetFileBlobs);
    let file = content.get_file(&caller, &page.edition(), &page.full_path, &loc.path, &loc.ref_name).await;
    let shown = match file {
        Ok((_, _, blob)) if !render::is_text(&blob.bytes) => Shown::Binary(blob.size),
        Ok((_, _, blob)) => Shown::Text(String::from_utf8_lossy(&blob.bytes).into_owned(), blob.size),
        Err(Error::InvalidOperation { code: "FileTooLarge", .. }) => Shown::TooLarge,
        Err(Error::NotFound { .. }) => {
            // A directory is not a file: its tree is the page asked for.
            let caller = viewer.token_caller(Operation::ListFiles);
            return match content.list_files(&caller, &page.edition(), &page.full_path, &loc.path, &loc.ref_name, TreeShape::Direct).await {
                Ok(_) => Redirect::to(&view_url(repo, "tree", &loc.ref_name, &loc.path)).into_response(),
                Err(e) => content_error(viewer, e),
            };
        }
        Err(e) => return content_error(viewer, e),
    };
    let refs = switcher_refs(state, viewer, page).await;
    let name = loc.path.rsplit('/').next().unwrap_or(&loc.path);
    let raw = view_url(repo, "raw", &loc.ref_name, &loc.path);
    let body = html! {
        (repo_header(repo, "Files"))
        (ref_bar(repo, &loc.ref_name, &refs, state))
        (path_crumbs(repo, &loc.ref_name, &loc.path))
        div.box {
            div.box-head {
                span {
                    strong { (name) }
                    @match &shown {
                        Shown::Text(text, size) => { " · " span.muted { (text.lines().count()) " lines · " (human_size(*size)) } }
                        Shown::Binary(size) => { " · " span.muted { (human_size(*size)) } }
                        Shown::TooLarge => {}
                    }
                }
                div.actions { a.btn href=(raw) { "Raw" } }
            }
            @match &shown {
                Shown::Binary(size) => { div.empty { "binary file, " (size) " bytes" } }
                Shown::TooLarge => {
                    div.empty { "This file is too large to show here (over " (human_size(state.config.max_file_bytes)) "). " a href=(raw) { "View it raw" } "." }
                }
                Shown::Text(text, _) => {
                    div.code {
                        table.code.hl-code {
                            @for (i, line) in render::highlighted_lines(name, text).iter().enumerate() {
                                @let n = i + 1;
                                tr #{ "L" (n) } {
                                    td.ln { a href={ "#L" (n) } { (n) } }
                                    td.src { (PreEscaped(line)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::ok_page(&format!("{} · {}", loc.path, repo.full_path), viewer, body)
}

enum Shown {
    Text(String, u64),
    Binary(u64),
    TooLarge,
}

async fn raw(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    let loc = match resolve_ref_and_path(state, viewer, page, Operation::GetFileBlobs).await {
        Ok(l) => l,
        Err(e) => return content_error(viewer, e),
    };
    if loc.path.is_empty() {
        return layout::not_found(Some(viewer));
    }
    let caller = viewer.token_caller(Operation::GetFileBlobs);
    match state.repository_content().raw_file(&caller, &page.edition(), &page.full_path, &loc.path, &loc.ref_name).await {
        Ok(blob) => raw_response(loc.path.rsplit('/').next().unwrap_or(&loc.path), blob.bytes),
        Err(e) => content_error(viewer, e),
    }
}

/// A file's bytes, never as something the browser would run from this origin: text is
/// text/plain, images by extension are images (SVG under a sandboxing CSP, which every raw
/// response carries), everything else a download type; nosniff always.
fn raw_response(name: &str, bytes: Vec<u8>) -> Response {
    let content_type = raw_content_type(name, &bytes);
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(RAW_CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The media type a raw file is served as.
pub fn raw_content_type(name: &str, bytes: &[u8]) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "svg" => "image/svg+xml",
        _ if render::is_text(bytes) => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `inline; filename="…"` with the name reduced to printable ASCII (no quote or backslash),
/// plus the exact UTF-8 name as `filename*`.
fn content_disposition(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let exact = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}
