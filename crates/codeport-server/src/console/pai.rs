//! PAI pages:
//!
//! - `GET /pai/workspaces`: the workspaces the viewer may see (ListWorkspaces);
//! - `GET /pai/workspaces/{WorkspaceId}`: its members (ListMembers) and code sources
//!   (ListCodeSources);
//! - `GET /pai/workspaces/{WorkspaceId}/codesources/new`: the "New code source" form, posted
//!   to `POST /pai/workspaces/{WorkspaceId}/codesources` (CreateCodeSource, parsed by the same
//!   function as the API's body);
//! - `GET /pai/workspaces/{WorkspaceId}/codesources/{CodeSourceId}`: one code source
//!   (GetCodeSource) and the command that checks it out;
//! - `GET /pai/-/picker?what=branches|commits&repository={clone URL}[&branch=…]`: the JSON the
//!   form's script fills its datalists from (ListBranches, ListCommits on a hosted repository).
//!
//! The stored repository token never reaches a page: the service reveals it to the creator,
//! and these pages drop it unread, saying at most that one is stored.

use super::layout;
use super::session::{CsrfForm, Viewer};
use crate::http::params::JsonBody;
use crate::services::code_sources::ListCodeSources;
use crate::services::platform::Edition;
use crate::services::repositories::{ListRepositories, ListScope};
use crate::services::repository_content::{BranchSort, CommitFilter};
use crate::services::workspaces::{ListMembers, ListWorkspaces};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use codeport_core::actions::Operation;
use codeport_core::entities::{CodeSource, CodeSourceSort, RepositorySort, Workspace, WorkspaceSort};
use codeport_core::timefmt::minutes;
use codeport_core::values::{Accessibility, Page, SortOrder};
use codeport_core::Error;
use http::StatusCode;
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The PAI pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pai", get(|| async { Redirect::to("/pai/workspaces") }))
        .route("/pai/workspaces", get(workspaces))
        .route("/pai/workspaces/{workspace_id}", get(workspace))
        .route("/pai/workspaces/{workspace_id}/codesources", post(create_code_source))
        .route("/pai/workspaces/{workspace_id}/codesources/new", get(new_code_source))
        .route("/pai/workspaces/{workspace_id}/codesources/{code_source_id}", get(code_source))
        .route("/pai/-/picker", get(picker))
}

/// Workspaces listed per page.
const WORKSPACES_PER_PAGE: i64 = 50;
/// The most members, code sources and repositories a page lists (the services' page limit).
const LIST_LIMIT: i64 = 100;
/// Recent commits the Commit picker offers.
const PICKER_COMMITS: i64 = 30;

fn workspace_href(id: &str) -> String {
    format!("/pai/workspaces/{id}")
}

fn code_source_href(workspace_id: &str, id: &str) -> String {
    format!("/pai/workspaces/{workspace_id}/codesources/{id}")
}

/// The first page of up to `size` items.
fn first_page(size: i64) -> Page {
    Page { number: 1, size: size as u32 }
}

/// A commit id as lists show it.
fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}

/// A section's list when the viewer may list it; None when RAM or a role refuses just that
/// list (the rest of the page still shows). Other errors fail the page.
fn unless_refused<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::AccessDenied(_) | Error::Forbidden { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn crumbs(workspace: Option<&Workspace>) -> Markup {
    html! {
        div.crumbs {
            a href="/pai/workspaces" { "PAI workspaces" }
            @if let Some(ws) = workspace {
                " / " a href=(workspace_href(&ws.id)) { (ws.display_name) }
            }
        }
    }
}

fn accessibility_badge(a: Accessibility) -> Markup {
    match a {
        Accessibility::Private => html! { span.badge.private { "Private" } },
        Accessibility::Public => html! { span.badge.public { "Public" } },
    }
}

// --- the workspace list ------------------------------------------------------------------

/// `GET /pai/workspaces[?page=N]`.
async fn workspaces(State(s): State<AppState>, viewer: Viewer, RawQuery(q): RawQuery) -> Response {
    let number = crate::http::params::Query::parse(q.as_deref().unwrap_or("")).int("page").ok().flatten().unwrap_or(1);
    let page = Page::parse(Some(number), Some(WORKSPACES_PER_PAGE)).unwrap_or(first_page(WORKSPACES_PER_PAGE));
    let cmd = ListWorkspaces {
        name_contains: None,
        ids: None,
        status: None,
        resource_group_id: None,
        user_id: None,
        sort: WorkspaceSort::Created,
        order: SortOrder::Desc,
        page,
    };
    let (items, total) = match s.workspaces().list_workspaces(&viewer.call(Operation::ListWorkspaces), cmd).await {
        Ok(found) => found,
        Err(e) => return layout::error_page(Some(&viewer), e),
    };
    let more = total > page.offset() as u64 + items.len() as u64;
    let body = html! {
        h1 { "PAI workspaces" }
        p.subtitle {
            @if viewer.principal.is_org_admin() { "Every workspace of your organization." } @else { "The workspaces you belong to." }
        }
        div.box {
            @if items.is_empty() {
                div.empty { "No workspaces yet." }
            } @else {
                table.list {
                    tr { th { "Workspace" } th { "Description" } th { "Created" } }
                    @for ws in &items {
                        tr {
                            td {
                                a href=(workspace_href(&ws.id)) { (ws.display_name) }
                                @if ws.display_name != ws.name { " " span.muted { (ws.name) } }
                                @if ws.is_default { span.badge { "Default" } }
                            }
                            td { (ws.description) }
                            td.nowrap.muted { (minutes(ws.created_at)) }
                        }
                    }
                }
            }
        }
        @if page.number > 1 || more {
            div.pager {
                @if page.number > 1 { a.btn href={ "/pai/workspaces?page=" (page.number - 1) } { "Previous" } }
                @if more { a.btn href={ "/pai/workspaces?page=" (page.number + 1) } { "Next" } }
            }
        }
    };
    layout::ok_page("PAI workspaces", &viewer, body)
}

// --- one workspace -------------------------------------------------------------------------

/// `GET /pai/workspaces/{WorkspaceId}`.
async fn workspace(State(s): State<AppState>, viewer: Viewer, Path(workspace_id): Path<String>) -> Response {
    match workspace_page(&s, &viewer, &workspace_id).await {
        Ok(resp) => resp,
        Err(e) => layout::error_page(Some(&viewer), e),
    }
}

async fn workspace_page(s: &AppState, viewer: &Viewer, workspace_id: &str) -> Result<Response, Error> {
    let ws = s.workspaces().get_workspace(&viewer.call(Operation::GetWorkspace), workspace_id).await?;
    let members_cmd = ListMembers { name_contains: None, roles: Vec::new(), user_id: None, page: first_page(LIST_LIMIT) };
    let members = unless_refused(s.workspaces().list_members(&viewer.call(Operation::ListMembers), workspace_id, members_cmd).await)?;
    let sources_cmd = ListCodeSources {
        workspace_id: workspace_id.to_string(),
        display_name_contains: None,
        sort: CodeSourceSort::Created,
        order: SortOrder::Desc,
        page: first_page(LIST_LIMIT),
    };
    let sources = unless_refused(s.code_sources().list_code_sources(&viewer.call(Operation::ListCodeSources), sources_cmd).await)?;
    let body = html! {
        (crumbs(None))
        h1 { (ws.display_name) @if ws.is_default { span.badge { "Default" } } }
        p.subtitle { (ws.description) }
        dl.kv {
            dt { "Name" } dd.mono { (ws.name) }
            dt { "Workspace ID" } dd.mono { (ws.id) }
            dt { "Created" } dd { (minutes(ws.created_at)) }
        }
        div.box {
            div.box-head {
                strong { "Code sources" }
                a.btn.primary href={ (workspace_href(&ws.id)) "/codesources/new" } { "New code source" }
            }
            @match &sources {
                None => div.empty { "You may not list this workspace's code sources." },
                Some((items, _)) if items.is_empty() => div.empty { "No code sources yet." },
                Some((items, total)) => {
                    table.list {
                        tr { th { "Code source" } th { "Repository" } th { "Branch" } th { "Commit" } th { "Accessibility" } }
                        @for cs in items { (code_source_row(cs)) }
                    }
                    @if *total > items.len() as u64 { div.empty { "Showing the newest " (items.len()) " of " (total) "." } }
                }
            }
        }
        div.box {
            div.box-head { strong { "Members" } }
            @match &members {
                None => div.empty { "You may not list this workspace's members." },
                Some((items, total)) => {
                    table.list {
                        tr { th { "Member" } th { "Roles" } }
                        @for m in items {
                            tr {
                                td { (m.user_name) @if !m.display_name.is_empty() && m.display_name != m.user_name { " " span.muted { (m.display_name) } } }
                                td { (m.member.roles.names().join(", ")) }
                            }
                        }
                    }
                    @if *total > items.len() as u64 { div.empty { "Showing " (items.len()) " of " (total) " members." } }
                }
            }
        }
    };
    Ok(layout::ok_page(&ws.display_name, viewer, body))
}

fn code_source_row(cs: &CodeSource) -> Markup {
    html! {
        tr {
            td { a href=(code_source_href(&cs.workspace_id, &cs.id)) { (cs.display_name) } }
            td.mono { (cs.code_repo) }
            td.mono { (cs.code_branch) }
            td.mono { (short(&cs.code_commit)) }
            td { (accessibility_badge(cs.accessibility)) }
        }
    }
}

// --- one code source -----------------------------------------------------------------------

/// `GET /pai/workspaces/{WorkspaceId}/codesources/{CodeSourceId}`.
async fn code_source(State(s): State<AppState>, viewer: Viewer, Path((workspace_id, id)): Path<(String, String)>) -> Response {
    let cs = match s.code_sources().get_code_source(&viewer.call(Operation::GetCodeSource), &id).await {
        // The creator's plain token is dropped here, unread.
        Ok(view) => view.source,
        Err(e) => return layout::error_page(Some(&viewer), e),
    };
    if cs.workspace_id != workspace_id {
        return layout::not_found(Some(&viewer));
    }
    let ws = s.workspaces().get_workspace(&viewer.call(Operation::GetWorkspace), &workspace_id).await.ok();
    let creator = s.workspaces().user(&cs.creator_id).await.ok().flatten().map_or_else(|| cs.creator_id.clone(), |u| u.name);
    let hosted = s.checkout().hosted_repository_path(&cs.code_repo);
    let body = html! {
        (crumbs(ws.as_ref()))
        h1 { (cs.display_name) (accessibility_badge(cs.accessibility)) }
        @if !cs.description.is_empty() { p.subtitle { (cs.description) } }
        div.box {
            div.box-head { strong { "Configuration" } }
            div.box-body {
                dl.kv {
                    dt { "Display name" } dd { (cs.display_name) }
                    dt { "Description" } dd { (cs.description) }
                    dt { "Repository" }
                    dd.mono {
                        @match &hosted {
                            Some(path) => a href={ "/" (path) } { (cs.code_repo) },
                            None => (cs.code_repo),
                        }
                    }
                    dt { "Branch" } dd.mono { (cs.code_branch) }
                    dt { "Commit" }
                    dd.mono {
                        @match (&hosted, cs.code_commit.is_empty()) {
                            (_, true) => span.muted { "not pinned: the branch's latest commit" },
                            (Some(path), false) => a href={ "/" (path) "/-/commit/" (cs.code_commit) } { (cs.code_commit) },
                            (None, false) => (cs.code_commit),
                        }
                    }
                    dt { "Mount path" } dd.mono { (cs.mount_path) }
                    dt { "Accessibility" } dd { (cs.accessibility.as_str()) }
                    dt { "Clone type" }
                    dd { (cs.clone_type.get()) " " span.muted { @if cs.clone_type.get() == 0 { "(into a subdirectory of the mount path)" } @else { "(tiled into the mount path)" } } }
                    @if !cs.code_repo_user_name.is_empty() { dt { "Repository user name" } dd.mono { (cs.code_repo_user_name) } }
                    dt { "Access token" } dd { @if cs.sealed_repo_token.is_some() { "A token is stored." } @else { span.muted { "None" } } }
                    dt { "Creator" } dd { (creator) }
                    dt { "Created" } dd { (minutes(cs.created_at)) }
                    dt { "Modified" } dd { (minutes(cs.modified_at)) }
                    dt { "Code source ID" } dd.mono { (cs.id) }
                }
            }
        }
        h2 { "Check it out" }
        pre.command { "codeport checkout " (cs.id) }
    };
    layout::ok_page(&cs.display_name, &viewer, body)
}

// --- the "New code source" form ----------------------------------------------------------------

/// One input of the form: the API's field name (what the shared parser reads and names in
/// its errors), the element id and the label (the label holds just its text, and no label
/// is a prefix of another's, so each input is found by its label alone).
struct Field {
    name: &'static str,
    id: &'static str,
    label: &'static str,
}

const DISPLAY_NAME: Field = Field { name: "DisplayName", id: "cs-display-name", label: "Display name" };
const DESCRIPTION: Field = Field { name: "Description", id: "cs-description", label: "Description" };
const REPOSITORY: Field = Field { name: "CodeRepo", id: "cs-repository", label: "Repository" };
const BRANCH: Field = Field { name: "CodeBranch", id: "cs-branch", label: "Branch" };
const COMMIT: Field = Field { name: "CodeCommit", id: "cs-commit", label: "Commit" };
const MOUNT_PATH: Field = Field { name: "MountPath", id: "cs-mount-path", label: "Mount path" };
const ACCESSIBILITY: Field = Field { name: "Accessibility", id: "cs-accessibility", label: "Accessibility" };
const USER_NAME: Field = Field { name: "CodeRepoUserName", id: "cs-user-name", label: "Git user name" };
const TOKEN: Field = Field { name: "CodeRepoAccessToken", id: "cs-token", label: "Access token" };

/// Every field the form posts, in the order the parser's errors are checked against.
const FIELDS: [&Field; 9] = [&DISPLAY_NAME, &DESCRIPTION, &REPOSITORY, &BRANCH, &COMMIT, &MOUNT_PATH, &ACCESSIBILITY, &USER_NAME, &TOKEN];

/// What the form shows besides its inputs: the values entered (never the token) and the
/// error of the last attempt, by field when it names one of the form's.
#[derive(Default)]
struct FormState {
    values: HashMap<String, String>,
    error: Option<Error>,
}

impl FormState {
    fn value(&self, f: &Field) -> &str {
        self.values.get(f.name).map_or("", String::as_str)
    }

    /// The error's field when it is one of the form's.
    fn error_field(&self) -> Option<&str> {
        match &self.error {
            Some(Error::InvalidParameter { field, .. } | Error::MissingParameter { field }) => {
                FIELDS.iter().find(|f| f.name == field).map(|f| f.name)
            }
            _ => None,
        }
    }

    fn error_for(&self, f: &Field) -> Option<String> {
        (self.error_field() == Some(f.name)).then(|| self.error.as_ref().map(ToString::to_string)).flatten()
    }
}

fn field_box(f: &Field, state: &FormState, hint: Option<&str>, input: Markup) -> Markup {
    let error = state.error_for(f);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(f.id) { (f.label) }
            (input)
            @if let Some(h) = hint { span.hint { (h) } }
            @if let Some(e) = error { div.field-error { (e) } }
        }
    }
}

fn text_input(f: &Field, state: &FormState, list: Option<&str>, placeholder: Option<&str>) -> Markup {
    html! { input type="text" id=(f.id) name=(f.name) value=(state.value(f)) list=[list] placeholder=[placeholder] autocomplete="off"; }
}

/// The form page (`status` 200, or the failed post's status with its error).
async fn form_page(s: &AppState, viewer: &Viewer, ws: &Workspace, state: &FormState, status: StatusCode) -> Response {
    let repositories = hosted_clone_urls(s, viewer).await;
    let general_error = state.error.as_ref().filter(|_| state.error_field().is_none());
    let accessibility = state.value(&ACCESSIBILITY).to_ascii_uppercase();
    let body = html! {
        (crumbs(Some(ws)))
        h1 { "New code source" }
        p.subtitle { "A git repository, branch and optional commit, checked out into the mount path of the workspace's jobs." }
        @if let Some(e) = general_error { div.notice.error { (e.to_string()) } }
        form.stack method="post" action={ (workspace_href(&ws.id)) "/codesources" } data-picker="/pai/-/picker" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            (field_box(&DISPLAY_NAME, state, None, text_input(&DISPLAY_NAME, state, None, None)))
            (field_box(&DESCRIPTION, state, Some("optional"), html! { textarea id=(DESCRIPTION.id) name=(DESCRIPTION.name) rows="2" { (state.value(&DESCRIPTION)) } }))
            (field_box(&REPOSITORY, state, Some("a clone URL: pick a repository hosted here, or type any other"), html! {
                input type="text" id=(REPOSITORY.id) name=(REPOSITORY.name) value=(state.value(&REPOSITORY)) list="cs-repositories"
                    data-branches="cs-branches" data-commits="cs-commits" autocomplete="off" placeholder="https://…/group/repo.git";
                datalist id="cs-repositories" { @for url in &repositories { option value=(url) {} } }
            }))
            (field_box(&BRANCH, state, Some("optional: the repository's default branch"), text_input(&BRANCH, state, Some("cs-branches"), None)))
            datalist id="cs-branches" {}
            (field_box(&COMMIT, state, Some("optional: pins the checkout to this commit"), text_input(&COMMIT, state, Some("cs-commits"), None)))
            datalist id="cs-commits" {}
            (field_box(&MOUNT_PATH, state, Some("optional"), text_input(&MOUNT_PATH, state, None, Some("/root/code/"))))
            (field_box(&ACCESSIBILITY, state, None, html! {
                select id=(ACCESSIBILITY.id) name=(ACCESSIBILITY.name) {
                    option value="PRIVATE" selected[accessibility != "PUBLIC"] { "PRIVATE: you and the workspace's admins" }
                    option value="PUBLIC" selected[accessibility == "PUBLIC"] { "PUBLIC: every member of the workspace" }
                }
            }))
            (field_box(&USER_NAME, state, Some("optional"), text_input(&USER_NAME, state, None, None)))
            (field_box(&TOKEN, state, Some("optional; stored encrypted and never shown again"), html! {
                input type="password" id=(TOKEN.id) name=(TOKEN.name) value="" autocomplete="new-password";
            }))
            div.actions { button.primary type="submit" { "Create" } a.btn href=(workspace_href(&ws.id)) { "Cancel" } }
        }
    };
    layout::html_response(status, layout::page("New code source", Some(viewer), body))
}

/// The clone URLs of the hosted repositories the viewer can read (the first page; the input
/// takes any other URL too). A refusal to list them leaves the list empty.
async fn hosted_clone_urls(s: &AppState, viewer: &Viewer) -> Vec<String> {
    let cmd = ListRepositories {
        scope: ListScope::Organization,
        search: None,
        archived: None,
        sort: RepositorySort::LastActivity,
        order: SortOrder::Desc,
        page: first_page(LIST_LIMIT),
    };
    let edition = Edition::Central(viewer.principal.organization_id().to_string());
    match s.repositories().list_repositories(&viewer.token_caller(Operation::ListRepositories), &edition, cmd).await {
        Ok((items, _)) => items.iter().map(|(repo, _)| s.repositories().clone_url(repo)).collect(),
        Err(e) => {
            if matches!(e, Error::Internal { .. }) {
                tracing::error!(error = ?e, "listing repositories for the code source form failed");
            }
            Vec::new()
        }
    }
}

/// `GET /pai/workspaces/{WorkspaceId}/codesources/new`.
async fn new_code_source(State(s): State<AppState>, viewer: Viewer, Path(workspace_id): Path<String>) -> Response {
    match s.workspaces().get_workspace(&viewer.call(Operation::GetWorkspace), &workspace_id).await {
        Ok(ws) => form_page(&s, &viewer, &ws, &FormState::default(), StatusCode::OK).await,
        Err(e) => layout::error_page(Some(&viewer), e),
    }
}

/// `POST /pai/workspaces/{WorkspaceId}/codesources`: 303 to the new code source, or the form
/// again with the entered values and the error (400 for input the API would refuse).
async fn create_code_source(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(workspace_id): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Response {
    let mut fields = Map::new();
    fields.insert("WorkspaceId".into(), json!(workspace_id));
    for f in FIELDS {
        if let Some(v) = form.get(f.name) {
            fields.insert(f.name.into(), json!(v));
        }
    }
    let created = match crate::http::pai::create_code_source_command(&JsonBody::from(fields)) {
        Ok(cmd) => s.code_sources().create_code_source(&viewer.call(Operation::CreateCodeSource), cmd).await,
        Err(e) => Err(e),
    };
    let error = match created {
        Ok(id) => return Redirect::to(&code_source_href(&workspace_id, &id)).into_response(),
        Err(e) => e,
    };
    let status = match &error {
        Error::NotFound { .. } => return layout::not_found(Some(&viewer)),
        Error::InvalidParameter { .. } | Error::MissingParameter { .. } | Error::AlreadyExists { .. } | Error::InvalidOperation { .. } => {
            StatusCode::BAD_REQUEST
        }
        Error::AccessDenied(_) | Error::Forbidden { .. } => StatusCode::FORBIDDEN,
        _ => return layout::error_page(Some(&viewer), error),
    };
    let ws = match s.workspaces().get_workspace(&viewer.call(Operation::GetWorkspace), &workspace_id).await {
        Ok(ws) => ws,
        Err(e) => return layout::error_page(Some(&viewer), e),
    };
    let mut values = form;
    values.remove(TOKEN.name);
    values.remove("csrf");
    form_page(&s, &viewer, &ws, &FormState { values, error: Some(error) }, status).await
}

// --- the pickers' JSON ---------------------------------------------------------------------------

/// `GET /pai/-/picker?what=branches&repository={clone URL}` (the branches, most recently
/// updated first) or `what=commits&repository=…&branch=…` (recent commits): `[{"value",
/// "label"}]`, through the same services and authorization as the API. A repository that is
/// not hosted here, unknown, or not readable by the viewer answers 404 `[]` alike.
async fn picker(State(s): State<AppState>, viewer: Viewer, RawQuery(q): RawQuery) -> Response {
    let q = crate::http::params::Query::parse(q.as_deref().unwrap_or(""));
    let nothing = || (StatusCode::NOT_FOUND, Json(json!([]))).into_response();
    let Some(path) = q.str("repository").and_then(|url| s.checkout().hosted_repository_path(&url)) else { return nothing() };
    let edition = Edition::Central(viewer.principal.organization_id().to_string());
    let items: Result<Vec<Value>, Error> = match q.str("what").as_deref() {
        Some("branches") => {
            let caller = viewer.token_caller(Operation::ListBranches);
            s.repository_content().list_branches(&caller, &edition, &path, None, BranchSort::UpdatedDesc, first_page(LIST_LIMIT)).await.map(
                |(_, branches, _)| {
                    branches.iter().map(|b| json!({"value": b.name, "label": format!("{} {}", b.commit.short_id, b.commit.title)})).collect()
                },
            )
        }
        Some("commits") => {
            let caller = viewer.token_caller(Operation::ListCommits);
            let filter = CommitFilter {
                ref_name: q.str("branch").unwrap_or_default(),
                path: None,
                since: None,
                until: None,
                search: None,
                page: first_page(PICKER_COMMITS),
            };
            s.repository_content().list_commits(&caller, &edition, &path, filter).await.map(|(_, commits, _)| {
                commits.iter().map(|c| json!({"value": c.id, "label": format!("{} {} · {}", c.short_id, c.title, minutes(c.committed_at))})).collect()
            })
        }
        _ => return nothing(),
    };
    match items {
        Ok(items) => Json(Value::Array(items)).into_response(),
        Err(e) => {
            if matches!(e, Error::Internal { .. }) {
                tracing::error!(error = ?e, "console picker failed");
            }
            nothing()
        }
    }
}
