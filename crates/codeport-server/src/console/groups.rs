//! The organization root and group pages, and their "New group"/"New repository" forms.
//! What the viewer sees and may create is what the services say: the pages list what the
//! list calls return, and offer a form when the viewer's level on the namespace
//! ([`crate::services::namespaces::CodeGroups::namespace_access`]) meets the service's rule
//! (the service still decides, and its refusal is shown as a page).

use super::codeup::PagePath;
use super::history::crumbs;
use super::layout;
use super::links::path_href;
use super::session::{CsrfForm, Viewer};
use crate::services::namespaces::{CreateGroup, ListNamespaces};
use crate::services::repositories::{parse_repository_path, CreateRepository, ListRepositories, ListScope, Readme};
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Redirect, Response};
use codeport_core::actions::Operation;
use codeport_core::entities::{Namespace, NamespaceKind, NamespaceMember, NamespaceSort, Repository, RepositorySort};
use codeport_core::values::{CodeVisibility, GroupPath, Page, SortOrder, Text};
use codeport_core::{AccessLevel, Error};
use maud::{html, Markup};
use serde::Deserialize;

/// The most subgroups or repositories one page lists.
const LISTED: u32 = 100;

/// What one namespace page shows.
struct Listing {
    ns: Namespace,
    level: AccessLevel,
    groups: Vec<Namespace>,
    groups_total: u64,
    repos: Vec<Repository>,
    repos_total: u64,
}

async fn listing(state: &AppState, viewer: &Viewer, page: &PagePath) -> Result<Listing, Error> {
    let edition = page.edition();
    let (ns, level) = state.code_groups().namespace_access(&viewer.token_caller(Operation::GetNamespace), &edition, &page.full_path).await?;
    let cmd = ListNamespaces {
        parent_id: Some(ns.id),
        search: None,
        sort: NamespaceSort::Created,
        order: SortOrder::Asc,
        page: Page { number: 1, size: LISTED },
    };
    let (mut groups, groups_total) = state.code_groups().list_namespaces(&viewer.token_caller(Operation::ListNamespaces), &edition, cmd).await?;
    groups.sort_by_key(|g| g.name.to_lowercase());
    let cmd = ListRepositories {
        scope: ListScope::Group { key: ns.id.to_string(), include_subgroups: false },
        search: None,
        archived: None,
        sort: RepositorySort::Name,
        order: SortOrder::Asc,
        page: Page { number: 1, size: LISTED },
    };
    let (repos, repos_total) = state.repositories().list_repositories(&viewer.token_caller(Operation::ListGroupRepositories), &edition, cmd).await?;
    Ok(Listing { ns, level, groups, groups_total, repos: repos.into_iter().map(|(r, _)| r).collect(), repos_total })
}

/// `{external-url}/{orgId}`: the organization's top-level groups and repositories.
pub async fn org_page(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    let l = match listing(state, viewer, page).await {
        Ok(l) => l,
        Err(e) => return layout::error_page(Some(viewer), e),
    };
    // The root namespace is named by the organization's id; people know its name.
    let name = match state.platform().user_organizations(&viewer.token_caller(Operation::ListOrganizations)).await {
        Ok(orgs) => orgs.into_iter().find(|(o, _)| o.id == page.org).map_or_else(|| l.ns.name.clone(), |(o, _)| o.name),
        Err(_) => l.ns.name.clone(),
    };
    // Any organization member may create top-level groups and repositories in the root.
    let body = html! {
        h1 { (name) }
        p.subtitle { "Organization " code { (l.ns.full_path) } }
        (contents(&l))
        (new_forms(viewer, &l.ns, true, true))
    };
    layout::ok_page(&name, viewer, body)
}

/// `{group webUrl}`.
pub async fn group_page(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    let l = match listing(state, viewer, page).await {
        Ok(l) => l,
        Err(e) => return layout::error_page(Some(viewer), e),
    };
    if l.ns.kind != NamespaceKind::Group {
        return layout::not_found(Some(viewer));
    }
    let members = match state
        .code_groups()
        .group_members(&viewer.token_caller(Operation::ListGroupMembers), &page.edition(), &l.ns.full_path, AccessLevel::None)
        .await
    {
        Ok((_, m)) => m,
        Err(e) => return layout::error_page(Some(viewer), e),
    };
    let ns = &l.ns;
    let body = html! {
        (crumbs(&ns.full_path, &ns.full_name))
        h1 { (ns.name) (layout::visibility_badge(ns.visibility)) }
        p.subtitle { code { (ns.full_path) } }
        @if !ns.description.is_empty() { p.description { (ns.description) } }
        (contents(&l))
        h2 { "Members" }
        div.box {
            @if members.is_empty() {
                p.empty { "No members." }
            } @else {
                table.list.members {
                    tr { th { "User" } th { "Access" } th { "Through" } }
                    @for (m, from) in &members { (member_row(m, from.as_ref())) }
                }
            }
        }
        (new_forms(viewer, ns, l.level >= AccessLevel::Admin, l.level >= AccessLevel::Write))
    };
    layout::ok_page(&ns.full_path, viewer, body)
}

/// Codeup's name for an access level.
pub fn level_name(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::None => "None",
        AccessLevel::Read => "Viewer",
        AccessLevel::Write => "Developer",
        AccessLevel::Admin => "Admin",
        AccessLevel::Owner => "Owner",
    }
}

fn member_row(m: &NamespaceMember, from: Option<&Namespace>) -> Markup {
    let shown = if m.user.display_name.trim().is_empty() { &m.user.name } else { &m.user.display_name };
    html! {
        tr {
            td { (shown) " " span.muted { "@" (m.user.name) } }
            td { (level_name(m.access_level)) }
            td { @match from { Some(g) => a href=(path_href(&g.full_path)) { (g.full_path) }, None => span.muted { "direct" } } }
        }
    }
}

fn contents(l: &Listing) -> Markup {
    html! {
        h2 { "Groups" }
        div.box {
            @if l.groups.is_empty() {
                p.empty { "No groups." }
            } @else {
                table.list.groups {
                    @for g in &l.groups {
                        tr {
                            td { a href=(path_href(&g.full_path)) { (g.name) } (layout::visibility_badge(g.visibility)) }
                            td.muted { (g.description) }
                        }
                    }
                }
            }
            @if l.groups_total > l.groups.len() as u64 { p.muted.more { "Showing " (l.groups.len()) " of " (l.groups_total) " groups." } }
        }
        h2 { "Repositories" }
        div.box {
            @if l.repos.is_empty() {
                p.empty { "No repositories." }
            } @else {
                table.list.repositories {
                    @for r in &l.repos {
                        tr {
                            td { a href=(path_href(&r.full_path)) { (r.name) } (layout::visibility_badge(r.visibility)) }
                            td.muted { (r.description) }
                        }
                    }
                }
            }
            @if l.repos_total > l.repos.len() as u64 { p.muted.more { "Showing " (l.repos.len()) " of " (l.repos_total) " repositories." } }
        }
    }
}

fn visibility_select(options: &[CodeVisibility]) -> Markup {
    html! {
        div.field {
            label for="visibility" { "Visibility" }
            select #visibility name="visibility" {
                @for v in options { option value=(v.as_str()) { (v.as_str()) } }
            }
        }
    }
}

fn name_path_description(what: &str) -> Markup {
    html! {
        div.field {
            label for={ (what) "-name" } { "Name" }
            input id={ (what) "-name" } type="text" name="name" required maxlength="255";
        }
        div.field {
            label for={ (what) "-path" } { "Path " span.hint { "letters, digits, _, - and ." } }
            input id={ (what) "-path" } type="text" name="path" required maxlength="255";
        }
        div.field {
            label for={ (what) "-description" } { "Description" }
            textarea id={ (what) "-description" } name="description" rows="2" {}
        }
    }
}

/// The "New group"/"New subgroup" and "New repository" forms the viewer may use here.
fn new_forms(viewer: &Viewer, ns: &Namespace, groups: bool, repositories: bool) -> Markup {
    let base = path_href(&ns.full_path);
    let group_label = if ns.kind == NamespaceKind::Organization { "New group" } else { "New subgroup" };
    html! {
        @if groups {
            details.form.new-group {
                summary.btn { (group_label) }
                form.stack method="post" action={ (base) "/-/new-group" } {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    (name_path_description("group"))
                    (visibility_select(&[CodeVisibility::Private, CodeVisibility::Internal, CodeVisibility::Public]))
                    button.primary type="submit" { "Create group" }
                }
            }
        }
        @if repositories {
            details.form.new-repository {
                summary.btn { "New repository" }
                form.stack method="post" action={ (base) "/-/new-repository" } {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    (name_path_description("repository"))
                    (visibility_select(&[CodeVisibility::Private, CodeVisibility::Internal]))
                    label { input type="checkbox" name="readme" value="on"; " Initialize with a README" }
                    button.primary type="submit" { "Create repository" }
                }
            }
        }
    }
}

/// The fields of both forms.
#[derive(Deserialize)]
pub struct NewForm {
    name: Option<String>,
    path: Option<String>,
    visibility: Option<String>,
    description: Option<String>,
    readme: Option<String>,
}

impl NewForm {
    /// The values both commands share, validated as the API validates them.
    fn common(&self) -> Result<(Text, Option<CodeVisibility>, Option<Text>), Error> {
        let name = Text::parse("name", self.name.as_deref().unwrap_or(""), 255, true)?;
        let visibility = self.visibility.as_deref().filter(|v| !v.is_empty()).map(|v| CodeVisibility::parse("visibility", v)).transpose()?;
        let description = self.description.as_deref().map(|d| Text::parse("description", d, 65_535, false)).transpose()?;
        Ok((name, visibility, description))
    }

    fn path(&self) -> &str {
        self.path.as_deref().unwrap_or("")
    }
}

/// Reads a form post (403 without the token) and resolves the namespace it posts to.
async fn form_and_parent(state: &AppState, viewer: &Viewer, page: &PagePath, req: Request) -> Result<(NewForm, Namespace), Response> {
    let CsrfForm(form) = CsrfForm::<NewForm>::from_request(req, state).await?;
    let caller = viewer.token_caller(Operation::GetNamespace);
    let (ns, _) =
        state.code_groups().namespace_access(&caller, &page.edition(), &page.full_path).await.map_err(|e| layout::error_page(Some(viewer), e))?;
    Ok((form, ns))
}

fn parent_id(ns: &Namespace) -> Option<i64> {
    (ns.kind == NamespaceKind::Group).then_some(ns.id)
}

/// `POST {org or group}/-/new-group`.
pub async fn create_group(state: &AppState, viewer: &Viewer, page: &PagePath, req: Request) -> Response {
    let (form, parent) = match form_and_parent(state, viewer, page, req).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let made = async {
        let (name, visibility, description) = form.common()?;
        let cmd =
            CreateGroup { name, path: GroupPath::parse("path", form.path())?, parent_id: parent_id(&parent), visibility, description, avatar: None };
        state.code_groups().create_group(&viewer.token_caller(Operation::CreateGroup), &page.edition(), cmd).await
    };
    match made.await {
        Ok(ns) => Redirect::to(&path_href(&ns.full_path)).into_response(),
        Err(e) => layout::error_page(Some(viewer), e),
    }
}

/// `POST {org or group}/-/new-repository`.
pub async fn create_repository(state: &AppState, viewer: &Viewer, page: &PagePath, req: Request) -> Response {
    let (form, parent) = match form_and_parent(state, viewer, page, req).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let made = async {
        let (name, visibility, description) = form.common()?;
        let cmd = CreateRepository {
            name,
            path: parse_repository_path(form.path())?,
            namespace_id: parent_id(&parent),
            create_parent_path: false,
            visibility,
            description,
            avatar: None,
            readme: form.readme.as_deref().filter(|v| !v.is_empty()).map(|_| Readme::UserGuide),
            default_branch: None,
        };
        state.repositories().create_repository(&viewer.token_caller(Operation::CreateRepository), &page.edition(), cmd).await
    };
    match made.await {
        Ok(repo) => Redirect::to(&path_href(&repo.full_path)).into_response(),
        Err(e) => layout::error_page(Some(viewer), e),
    }
}
