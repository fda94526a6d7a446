//! Repository history pages: `/-/commits/{ref}[/{path}]`, `/-/commit/{sha}`, `/-/branches`,
//! `/-/tags`, `/-/tags/{name}` (a redirect to the tag's tree), and the header every
//! repository page shares ([`repo_header`]).

use super::codeup::PagePath;
use super::layout;
use super::links::{path_href, segment};
use super::session::Viewer;
use crate::services::repositories::RepoAccess;
use crate::services::repository_content::{BranchSort, CommitFilter};
use crate::state::AppState;
use axum::response::{IntoResponse, Redirect, Response};
use codeport_core::actions::Operation;
use codeport_core::entities::Repository;
use codeport_core::timefmt::minutes;
use codeport_core::values::Page;
use codeport_core::Error;
use codeport_git::{CommitInfo, FileDiff};
use maud::{html, Markup};

/// Commits per page of `/-/commits`.
const COMMITS_PER_PAGE: u32 = 30;
/// The most branches or tags one page lists.
const MAX_REFS: u32 = 10_000;

/// Breadcrumbs for a full path (`ORG/a/b`) and its full name (`Org / A / B`): every
/// ancestor a link, the last one plain text.
pub fn crumbs(full_path: &str, full_name: &str) -> Markup {
    let paths: Vec<&str> = full_path.split('/').collect();
    let names: Vec<&str> = full_name.split(" / ").collect();
    let names = if names.len() == paths.len() { names } else { paths.clone() };
    html! {
        nav.crumbs {
            @for (i, name) in names.iter().enumerate() {
                @if i > 0 { " / " }
                @if i + 1 < paths.len() {
                    a href=(path_href(&paths[..=i].join("/"))) { (name) }
                } @else {
                    span { (name) }
                }
            }
        }
    }
}

/// The header of every repository page: breadcrumbs, the name with its visibility badge,
/// and the tabs "Files", "Commits", "Branches", "Tags" (`active` is the tab's name, e.g.
/// `"Files"`, shown as the current one).
pub fn repo_header(repo: &Repository, active: &str) -> Markup {
    let base = path_href(&repo.full_path);
    let tabs = [
        ("Files", base.clone()),
        ("Commits", format!("{base}/-/commits/{}", segment(&repo.default_branch))),
        ("Branches", format!("{base}/-/branches")),
        ("Tags", format!("{base}/-/tags")),
    ];
    html! {
        (crumbs(&repo.full_path, &repo.full_name))
        h1 { (repo.name) (layout::visibility_badge(repo.visibility)) }
        @if !repo.description.is_empty() { p.subtitle { (repo.description) } }
        nav.tabs {
            @for (name, href) in &tabs {
                @if *name == active {
                    a.active href=(href) aria-current="page" { (name) }
                } @else {
                    a href=(href) { (name) }
                }
            }
        }
    }
}

/// Serves the history views.
pub async fn view(state: &AppState, viewer: &Viewer, page: &PagePath) -> Response {
    let result = match (page.view.as_deref(), page.rest.as_slice()) {
        (Some("commits"), [_, ..]) => commits(state, viewer, page).await,
        (Some("commits"), []) => open(state, viewer, page, Operation::ListCommits).await.map(|found| {
            Redirect::to(&format!("{}/-/commits/{}", path_href(&found.repo.full_path), segment(&found.repo.default_branch))).into_response()
        }),
        (Some("commit"), [sha]) => commit(state, viewer, page, sha).await,
        (Some("branches"), []) => branches(state, viewer, page).await,
        (Some("tags"), []) => tags(state, viewer, page).await,
        (Some("tags"), [_, ..]) => tag_redirect(state, viewer, page).await,
        _ => return layout::not_found(Some(viewer)),
    };
    result.unwrap_or_else(|e| layout::error_page(Some(viewer), e))
}

async fn open(state: &AppState, viewer: &Viewer, page: &PagePath, op: Operation) -> Result<RepoAccess, Error> {
    state.repositories().get_repository(&viewer.token_caller(op), &page.edition(), &page.full_path).await
}

fn page_number(page: &PagePath) -> u32 {
    page.query.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|n| (1..=1_000_000).contains(n)).unwrap_or(1)
}

/// `/-/commits/{ref}[/{path}]`: newest first, 30 a page.
async fn commits(state: &AppState, viewer: &Viewer, page: &PagePath) -> Result<Response, Error> {
    let content = state.repository_content();
    let found = open(state, viewer, page, Operation::ListCommits).await?;
    let n = content.ref_prefix_len(&found, &page.rest).await?;
    let (rev, path) = (page.rest[..n].join("/"), page.rest[n..].join("/"));
    let number = page_number(page);
    let filter = CommitFilter {
        ref_name: rev.clone(),
        path: Some(path.clone()).filter(|p| !p.is_empty()),
        since: None,
        until: None,
        search: None,
        page: Page { number, size: COMMITS_PER_PAGE },
    };
    let (items, total) = content.commits_in(&found, filter).await?;
    let repo = &found.repo;
    let here =
        format!("{}/-/commits/{}{}", path_href(&repo.full_path), segment(&rev), if path.is_empty() { String::new() } else { path_href(&path) });
    let older = u64::from(number) * u64::from(COMMITS_PER_PAGE) < total;
    let body = html! {
        (repo_header(repo, "Commits"))
        h2 { "Commits on " code { (rev) } @if !path.is_empty() { " touching " code { (path) } } }
        div.box {
            @if items.is_empty() {
                p.empty { "No commits." }
            } @else {
                table.list.commits { @for c in &items { (commit_row(repo, c)) } }
            }
        }
        nav.pager {
            @if number > 1 { a.btn href={ (here) "?page=" (number - 1) } rel="prev" { "Newer" } }
            @if older { a.btn href={ (here) "?page=" (number + 1) } rel="next" { "Older" } }
        }
    };
    Ok(layout::ok_page(&format!("Commits · {}", repo.full_path), viewer, body))
}

fn commit_href(repo: &Repository, id: &str) -> String {
    format!("{}/-/commit/{}", path_href(&repo.full_path), segment(id))
}

fn commit_row(repo: &Repository, c: &CommitInfo) -> Markup {
    html! {
        tr {
            @let href = commit_href(repo, &c.id);
            td.nowrap { a.mono href=(href) { (c.short_id) } }
            td { a.title href=(href) { (c.title) } }
            td { (c.author_name) }
            td.num { (minutes(c.authored_at)) }
        }
    }
}

/// `/-/commit/{sha}`: the message, who and when, the parents, and the diff per file.
async fn commit(state: &AppState, viewer: &Viewer, page: &PagePath, sha: &str) -> Result<Response, Error> {
    let content = state.repository_content();
    let (found, c, stats) = content.get_commit(&viewer.token_caller(Operation::GetCommit), &page.edition(), &page.full_path, sha).await?;
    let (files, cut) = content.commit_diff(&found, &c).await?;
    let repo = &found.repo;
    let body_text = c.message.split_once('\n').map(|(_, rest)| rest.trim()).unwrap_or("");
    let body = html! {
        (repo_header(repo, "Commits"))
        h2 { (c.title) }
        @if !body_text.is_empty() { pre.message { (body_text) } }
        dl.kv {
            dt { "Commit" } dd.mono { (c.id) }
            dt { "Author" } dd { (c.author_name) " <" (c.author_email) "> · " (minutes(c.authored_at)) }
            dt { "Committer" } dd { (c.committer_name) " <" (c.committer_email) "> · " (minutes(c.committed_at)) }
            dt { "Parents" } dd {
                @if c.parent_ids.is_empty() { span.muted { "none (root commit)" } }
                @for p in &c.parent_ids { a.mono href=(commit_href(repo, p)) { (p.chars().take(8).collect::<String>()) } " " }
            }
            dt { "Changes" } dd {
                (files.len()) " file(s), "
                span.stat-add { "+" (stats.additions) } " "
                span.stat-del { "−" (stats.deletions) }
            }
        }
        @if cut { div.notice.info { "This change is too large to show completely; clone the repository to see all of it." } }
        @for f in &files { (file_diff(f)) }
    };
    Ok(layout::ok_page(&format!("{} · {}", c.title, repo.full_path), viewer, body))
}

/// One line of a unified diff, classified.
#[derive(Debug, PartialEq, Eq)]
enum DiffLine<'a> {
    Hunk(&'a str),
    Context { old: u64, new: u64, text: &'a str },
    Add { new: u64, text: &'a str },
    Del { old: u64, text: &'a str },
    Note(&'a str),
}

/// The start lines of a hunk header `@@ -a[,b] +c[,d] @@`.
fn hunk_starts(header: &str) -> (u64, u64) {
    let mut parts = header.split_whitespace().skip(1);
    let start = |p: Option<&str>| p.and_then(|s| s[1..].split(',').next()?.parse::<u64>().ok()).unwrap_or(0);
    let old = start(parts.next());
    let new = start(parts.next());
    (old, new)
}

fn parse_diff(text: &str) -> Vec<DiffLine<'_>> {
    let (mut old, mut new) = (0u64, 0u64);
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("@@") {
            (old, new) = hunk_starts(line);
            out.push(DiffLine::Hunk(line));
        } else if let Some(t) = line.strip_prefix('+') {
            out.push(DiffLine::Add { new, text: t });
            new += 1;
        } else if let Some(t) = line.strip_prefix('-') {
            out.push(DiffLine::Del { old, text: t });
            old += 1;
        } else if line.starts_with('\\') {
            out.push(DiffLine::Note(line));
        } else {
            out.push(DiffLine::Context { old, new, text: line.strip_prefix(' ').unwrap_or(line) });
            old += 1;
            new += 1;
        }
    }
    out
}

fn file_diff(f: &FileDiff) -> Markup {
    let lines = parse_diff(&f.diff);
    let added = lines.iter().filter(|l| matches!(l, DiffLine::Add { .. })).count();
    let deleted = lines.iter().filter(|l| matches!(l, DiffLine::Del { .. })).count();
    let what = if f.new_file {
        "added"
    } else if f.deleted_file {
        "deleted"
    } else if f.renamed_file {
        "renamed"
    } else {
        "modified"
    };
    html! {
        div.box.file-diff {
            div.box-head {
                span.mono {
                    @if f.renamed_file { (f.old_path) " → " }
                    (f.new_path)
                }
                span { span.muted { (what) } " " span.stat-add { "+" (added) } " " span.stat-del { "−" (deleted) } }
            }
            @if f.is_binary {
                p.empty { "Binary file not shown." }
            } @else if f.truncated {
                p.empty { "diff too large to show; clone the repository to see it." }
            } @else if lines.is_empty() {
                p.empty { "No content changes." }
            } @else {
                div.code { table.code {
                    @for l in &lines {
                        @match l {
                            DiffLine::Hunk(h) => tr.hunk { td.ln {} td.ln {} td.src { (h) } },
                            DiffLine::Context { old, new, text } => tr { td.ln { (old) } td.ln { (new) } td.src { " " (text) } },
                            DiffLine::Add { new, text } => tr.add { td.ln {} td.ln { (new) } td.src { "+" (text) } },
                            DiffLine::Del { old, text } => tr.del { td.ln { (old) } td.ln {} td.src { "-" (text) } },
                            DiffLine::Note(n) => tr { td.ln {} td.ln {} td.src.muted { (n) } },
                        }
                    }
                } }
            }
        }
    }
}

/// `/-/branches`: every branch with its latest commit, the default one marked.
async fn branches(state: &AppState, viewer: &Viewer, page: &PagePath) -> Result<Response, Error> {
    let caller = viewer.token_caller(Operation::ListBranches);
    let all = Page { number: 1, size: MAX_REFS };
    let (found, items, _) =
        state.repository_content().list_branches(&caller, &page.edition(), &page.full_path, None, BranchSort::UpdatedDesc, all).await?;
    let repo = &found.repo;
    let base = path_href(&repo.full_path);
    let body = html! {
        (repo_header(repo, "Branches"))
        div.box {
            @if items.is_empty() {
                p.empty { "No branches yet." }
            } @else {
                table.list.branches {
                    @for b in &items {
                        tr {
                            td {
                                a href={ (base) "/-/tree/" (segment(&b.name)) } { (b.name) }
                                @if b.name == repo.default_branch { span.badge.default { "default" } }
                            }
                            td { a href=(commit_href(repo, &b.commit.id)) { (b.commit.title) } }
                            td.num { (minutes(b.commit.committed_at)) }
                            td.num { a href={ (base) "/-/commits/" (segment(&b.name)) } { "Commits" } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok_page(&format!("Branches · {}", repo.full_path), viewer, body))
}

/// `/-/tags`: every tag with the commit it marks.
async fn tags(state: &AppState, viewer: &Viewer, page: &PagePath) -> Result<Response, Error> {
    let caller = viewer.token_caller(Operation::ListTags);
    let all = Page { number: 1, size: MAX_REFS };
    let (found, items, _) = state.repository_content().list_tags(&caller, &page.edition(), &page.full_path, None, all).await?;
    let repo = &found.repo;
    let base = path_href(&repo.full_path);
    let body = html! {
        (repo_header(repo, "Tags"))
        div.box {
            @if items.is_empty() {
                p.empty { "No tags yet." }
            } @else {
                table.list.tags {
                    @for t in &items {
                        tr {
                            td { a href={ (base) "/-/tree/" (segment(&t.name)) } { (t.name) } }
                            td { a href=(commit_href(repo, &t.commit.id)) { (t.commit.short_id) } " " (t.commit.title) }
                            td { (t.message) }
                            td.num { (minutes(t.commit.committed_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok_page(&format!("Tags · {}", repo.full_path), viewer, body))
}

/// `/-/tags/{name}` (a tag's `webUrl`): 303 to the tag's tree, once the tag is known.
async fn tag_redirect(state: &AppState, viewer: &Viewer, page: &PagePath) -> Result<Response, Error> {
    let name = page.rest_path();
    let caller = viewer.token_caller(Operation::GetTag);
    let (found, tag) = state.repository_content().get_tag(&caller, &page.edition(), &page.full_path, &name).await?;
    Ok(Redirect::to(&format!("{}/-/tree/{}", path_href(&found.repo.full_path), segment(&tag.name))).into_response())
}

#[cfg(test)]
mod tests {
    use super::{parse_diff, DiffLine};

    #[test]
    fn a_unified_diff_numbers_old_and_new_lines() {
        let d = "@@ -1,2 +1,2 @@ fn x\n keep\n-old\n+new\n\\ No newline at end of file\n";
        let lines = parse_diff(d);
        assert_eq!(lines[0], DiffLine::Hunk("@@ -1,2 +1,2 @@ fn x"));
        assert_eq!(lines[1], DiffLine::Context { old: 1, new: 1, text: "keep" });
        assert_eq!(lines[2], DiffLine::Del { old: 2, text: "old" });
        assert_eq!(lines[3], DiffLine::Add { new: 2, text: "new" });
        assert!(matches!(lines[4], DiffLine::Note(_)));
        let created = parse_diff("@@ -0,0 +1 @@\n+only\n");
        assert_eq!(created[1], DiffLine::Add { new: 1, text: "only" });
    }
}
