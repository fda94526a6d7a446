//! Codeup repositories and their content (branches, tags, files, commits, compare), in both
//! editions. `{repo}`, `{branch}` and `{file_path}` are single path segments that may carry
//! `%2F`; axum decodes them once, after routing, so they never split.

use super::wire::{json, paged, query_page, BodyBytes, Caller, CodeupError, CodeupQuery, PathParams};
use super::{dto, edition};
use crate::http::params::{bool_param, required, JsonBody};
use crate::services::repositories::{parse_repository_path, CreateRepository, ListRepositories, ListScope, Readme, UpdateRepository};
use crate::services::repository_content::{BranchSort, CommitFilter, FileWrite, FileWriteKind, TreeShape};
use crate::state::AppState;
use axum::extract::{FromRequest, Request, State};
use axum::response::Response;
use codeport_core::entities::RepositorySort;
use codeport_core::values::{CodeVisibility, GroupPath, SortOrder};
use codeport_core::Error;
use serde::Deserialize;
use std::collections::HashMap;

type Reply = Result<Response, CodeupError>;

fn param(params: &HashMap<String, String>, name: &str) -> String {
    params.get(name).cloned().unwrap_or_default()
}

fn sort_order(v: Option<&str>) -> Result<SortOrder, Error> {
    match v.filter(|v| !v.is_empty()) {
        None => Ok(SortOrder::Desc),
        Some(v) => SortOrder::parse(v).map_err(|_| Error::invalid("sort", format!("{v:?} is not asc or desc"))),
    }
}

fn visibility(b: &JsonBody) -> Result<Option<CodeVisibility>, Error> {
    b.str("visibility")?.filter(|v| !v.is_empty()).map(|v| CodeVisibility::parse("visibility", &v)).transpose()
}

// --- repositories ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateQuery {
    create_parent_path: Option<String>,
}

pub(crate) async fn create_repository(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<CreateQuery>,
    BodyBytes(body): BodyBytes,
) -> Reply {
    let b = JsonBody::parse(&body)?;
    let path = b.str("path")?.ok_or_else(|| Error::missing("path"))?;
    let readme = match b.str("readMeType")?.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some("EMPTY") => Some(Readme::Empty),
        Some("USER_GUIDE") => Some(Readme::UserGuide),
        Some(other) => return Err(Error::invalid("readMeType", format!("{other:?} is not EMPTY or USER_GUIDE")).into()),
    };
    let cmd = CreateRepository {
        name: b.text("name", 255, true)?.ok_or_else(|| Error::missing("name"))?,
        path: parse_repository_path(&path)?,
        namespace_id: b.int("namespaceId")?,
        create_parent_path: bool_param("createParentPath", q.create_parent_path.as_deref())?.unwrap_or(false),
        visibility: visibility(&b)?,
        description: b.text("description", 65_535, false)?,
        avatar: b.text("avatarUrl", 2048, false)?,
        readme,
        default_branch: b.str("defaultBranch")?.filter(|v| !v.is_empty()),
    };
    let repo = s.repositories().create_repository(&caller.0, &edition(&params), cmd).await?;
    Ok(json(&dto::repository(&repo, codeport_core::AccessLevel::Admin, None, &s.config.external_url)))
}

pub(crate) async fn get_repository(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let found = s.repositories().get_repository(&caller.0, &edition(&params), &param(&params, "repo")).await?;
    let ns = s.store.namespace(found.repo.namespace_id).await.map_err(Error::from)?;
    Ok(json(&dto::repository(&found.repo, found.level, ns.as_ref(), &s.config.external_url)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RepositoryListQuery {
    page: Option<String>,
    per_page: Option<String>,
    search: Option<String>,
    order_by: Option<String>,
    sort: Option<String>,
    archived: Option<String>,
    include_subgroups: Option<String>,
}

fn list_command(q: &RepositoryListQuery, scope: ListScope) -> Result<ListRepositories, Error> {
    let sort = match q.order_by.as_deref().filter(|v| !v.is_empty()) {
        None | Some("created_at") => RepositorySort::Created,
        Some("updated_at") => RepositorySort::Updated,
        Some("name") => RepositorySort::Name,
        Some("path") => RepositorySort::Path,
        Some("last_activity_at") => RepositorySort::LastActivity,
        Some("id") => RepositorySort::Id,
        Some(other) => return Err(Error::invalid("orderBy", format!("{other:?} is not created_at, name, path or last_activity_at"))),
    };
    Ok(ListRepositories {
        scope,
        search: q.search.clone().filter(|v| !v.trim().is_empty()),
        archived: bool_param("archived", q.archived.as_deref())?,
        sort,
        order: sort_order(q.sort.as_deref())?,
        page: query_page(q.page.as_deref(), q.per_page.as_deref(), 20)?,
    })
}

async fn respond_list(s: &AppState, caller: &Caller, params: &HashMap<String, String>, cmd: ListRepositories) -> Reply {
    let page = cmd.page;
    let (items, total) = s.repositories().list_repositories(&caller.0, &edition(params), cmd).await?;
    let out: Vec<_> = items.iter().map(|(r, level)| dto::repository(r, *level, None, &s.config.external_url)).collect();
    Ok(paged(&out, total, page))
}

pub(crate) async fn list_repositories(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<RepositoryListQuery>,
) -> Reply {
    let cmd = list_command(&q, ListScope::Organization)?;
    respond_list(&s, &caller, &params, cmd).await
}

pub(crate) async fn list_group_repositories(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<RepositoryListQuery>,
) -> Reply {
    let include_subgroups = bool_param("includeSubgroups", q.include_subgroups.as_deref())?.unwrap_or(false);
    let cmd = list_command(&q, ListScope::Group { key: param(&params, "group_id"), include_subgroups })?;
    respond_list(&s, &caller, &params, cmd).await
}

pub(crate) async fn update_repository(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    BodyBytes(body): BodyBytes,
) -> Reply {
    let b = JsonBody::parse(&body)?;
    let default_branch = match b.str("default_branch")? {
        Some(v) => Some(v),
        None => b.str("defaultBranch")?,
    };
    let cmd = UpdateRepository {
        name: b.text("name", 255, true)?,
        path: b.str("path")?.map(|p| GroupPath::parse("path", &p)).transpose()?,
        description: b.text("description", 65_535, false)?,
        visibility: visibility(&b)?,
        default_branch: default_branch.filter(|v| !v.is_empty()),
        avatar: b.text("avatarUrl", 2048, false)?,
    };
    let found = s.repositories().update_repository(&caller.0, &edition(&params), &param(&params, "repo"), cmd).await?;
    Ok(json(&dto::repository(&found.repo, found.level, None, &s.config.external_url)))
}

pub(crate) async fn delete_repository(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let repo = s.repositories().delete_repository(&caller.0, &edition(&params), &param(&params, "repo")).await?;
    Ok(json(&serde_json::json!({"result": true, "id": repo.id, "pathWithNamespace": repo.full_path})))
}

// --- branches and tags ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BranchListQuery {
    page: Option<String>,
    per_page: Option<String>,
    sort: Option<String>,
    search: Option<String>,
}

pub(crate) async fn list_branches(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<BranchListQuery>,
) -> Reply {
    let page = query_page(q.page.as_deref(), q.per_page.as_deref(), 20)?;
    let sort = match q.sort.as_deref().filter(|v| !v.is_empty()) {
        None | Some("name_asc") => BranchSort::NameAsc,
        Some("name_desc") => BranchSort::NameDesc,
        Some("updated_asc") => BranchSort::UpdatedAsc,
        Some("updated_desc") => BranchSort::UpdatedDesc,
        Some(other) => return Err(Error::invalid("sort", format!("{other:?} is not name_asc, name_desc, updated_asc or updated_desc")).into()),
    };
    let (found, items, total) =
        s.repository_content().list_branches(&caller.0, &edition(&params), &param(&params, "repo"), q.search.as_deref(), sort, page).await?;
    let out: Vec<_> = items.iter().map(|b| dto::branch(b, &found.repo, &s.config.external_url)).collect();
    Ok(paged(&out, total, page))
}

#[derive(Deserialize)]
pub(crate) struct CreateBranchQuery {
    branch: Option<String>,
    #[serde(rename = "ref")]
    from: Option<String>,
}

pub(crate) async fn create_branch(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<CreateBranchQuery>,
) -> Reply {
    let name = required("branch", q.branch)?;
    let from = required("ref", q.from)?;
    let (found, b) = s.repository_content().create_branch(&caller.0, &edition(&params), &param(&params, "repo"), &name, &from).await?;
    Ok(json(&dto::branch(&b, &found.repo, &s.config.external_url)))
}

pub(crate) async fn get_branch(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let (found, b) = s.repository_content().get_branch(&caller.0, &edition(&params), &param(&params, "repo"), &param(&params, "branch")).await?;
    Ok(json(&dto::branch(&b, &found.repo, &s.config.external_url)))
}

pub(crate) async fn delete_branch(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let name = param(&params, "branch");
    s.repository_content().delete_branch(&caller.0, &edition(&params), &param(&params, "repo"), &name).await?;
    Ok(json(&serde_json::json!({"branchName": name})))
}

pub(crate) async fn list_tags(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<BranchListQuery>,
) -> Reply {
    let page = query_page(q.page.as_deref(), q.per_page.as_deref(), 20)?;
    let (found, items, total) =
        s.repository_content().list_tags(&caller.0, &edition(&params), &param(&params, "repo"), q.search.as_deref(), page).await?;
    let out: Vec<_> = items.iter().map(|t| dto::tag(t, &found.repo, &s.config.external_url)).collect();
    Ok(paged(&out, total, page))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateTagQuery {
    tag_name: Option<String>,
    #[serde(rename = "ref")]
    from: Option<String>,
    message: Option<String>,
}

pub(crate) async fn create_tag(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<CreateTagQuery>,
) -> Reply {
    let name = required("tagName", q.tag_name)?;
    let from = required("ref", q.from)?;
    let (found, t) = s.repository_content().create_tag(&caller.0, &edition(&params), &param(&params, "repo"), &name, &from, q.message).await?;
    Ok(json(&dto::tag(&t, &found.repo, &s.config.external_url)))
}

pub(crate) async fn get_tag(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let (found, t) = s.repository_content().get_tag(&caller.0, &edition(&params), &param(&params, "repo"), &param(&params, "tag")).await?;
    Ok(json(&dto::tag(&t, &found.repo, &s.config.external_url)))
}

pub(crate) async fn delete_tag(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let name = param(&params, "tag");
    s.repository_content().delete_tag(&caller.0, &edition(&params), &param(&params, "repo"), &name).await?;
    Ok(json(&serde_json::json!({"tagName": name})))
}

// --- files -----------------------------------------------------------------------------

/// A file API body: read up to the file API's limit (a whole file, base64-encoded), not the
/// general body limit.
pub(crate) struct FileBody(bytes::Bytes);

impl FromRequest<AppState> for FileBody {
    type Rejection = CodeupError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_file_body_bytes();
        axum::body::to_bytes(req.into_body(), limit).await.map(FileBody).map_err(|_| CodeupError(Error::PayloadTooLarge { limit }))
    }
}

/// Decodes a body's `filePath` once (the official examples send `src%2Fmain%2Ftest.java`).
fn decoded_path(raw: &str) -> Result<String, Error> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::invalid("filePath", "it is not valid UTF-8 once decoded"))
}

fn content_of(b: &JsonBody) -> Result<Vec<u8>, Error> {
    let content = b.str("content")?.ok_or_else(|| Error::missing("content"))?;
    match b.str("encoding")?.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("text") => Ok(content.into_bytes()),
        Some("base64") => {
            use base64::Engine;
            let compact: String = content.split_ascii_whitespace().collect();
            base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| Error::invalid("content", "it is not valid base64"))
        }
        Some(other) => Err(Error::invalid("encoding", format!("{other:?} is not text or base64"))),
    }
}

pub(crate) async fn create_file(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams, FileBody(body): FileBody) -> Reply {
    let b = JsonBody::parse(&body)?;
    let w = FileWrite {
        branch: required("branch", b.str("branch")?)?,
        path: decoded_path(&required("filePath", b.str("filePath")?)?)?,
        content: Some(content_of(&b)?),
        message: required("commitMessage", b.str("commitMessage")?)?,
    };
    let branch = w.branch.clone();
    let (path, done) = s.repository_content().write_file(&caller.0, &edition(&params), &param(&params, "repo"), FileWriteKind::Create, w).await?;
    Ok(json(&serde_json::json!({"filePath": path, "branch": branch, "newOid": done.blob_id.unwrap_or_default(), "commitId": done.commit_id})))
}

pub(crate) async fn update_file(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams, FileBody(body): FileBody) -> Reply {
    let b = JsonBody::parse(&body)?;
    let w = FileWrite {
        branch: required("branch", b.str("branch")?)?,
        path: param(&params, "file_path"),
        content: Some(content_of(&b)?),
        message: required("commitMessage", b.str("commitMessage")?)?,
    };
    let branch = w.branch.clone();
    let (path, done) = s.repository_content().write_file(&caller.0, &edition(&params), &param(&params, "repo"), FileWriteKind::Update, w).await?;
    Ok(json(&serde_json::json!({"filePath": path, "branch": branch, "newOid": done.blob_id.unwrap_or_default(), "commitId": done.commit_id})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeleteFileQuery {
    branch: Option<String>,
    commit_message: Option<String>,
}

pub(crate) async fn delete_file(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<DeleteFileQuery>,
) -> Reply {
    let branch = required("branch", q.branch)?;
    let message = required("commitMessage", q.commit_message)?;
    let w = FileWrite { branch: branch.clone(), path: param(&params, "file_path"), content: None, message: message.clone() };
    let (path, done) = s.repository_content().write_file(&caller.0, &edition(&params), &param(&params, "repo"), FileWriteKind::Delete, w).await?;
    Ok(json(&serde_json::json!({"result": true, "filePath": path, "branch": branch, "commitId": done.commit_id, "commitMessage": message})))
}

#[derive(Deserialize)]
pub(crate) struct TreeQuery {
    path: Option<String>,
    #[serde(rename = "ref")]
    rev: Option<String>,
    #[serde(rename = "type")]
    shape: Option<String>,
}

pub(crate) async fn list_files(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<TreeQuery>,
) -> Reply {
    let shape = match q.shape.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("") | Some("DIRECT") => TreeShape::Direct,
        Some("RECURSIVE") => TreeShape::Recursive,
        Some("FLATTEN") => TreeShape::Flatten,
        Some(other) => return Err(Error::invalid("type", format!("{other:?} is not DIRECT, RECURSIVE or FLATTEN")).into()),
    };
    let entries = s
        .repository_content()
        .list_files(&caller.0, &edition(&params), &param(&params, "repo"), q.path.as_deref().unwrap_or(""), q.rev.as_deref().unwrap_or(""), shape)
        .await?;
    Ok(json(&entries.iter().map(dto::tree_entry).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
pub(crate) struct BlobQuery {
    #[serde(rename = "ref")]
    rev: Option<String>,
}

pub(crate) async fn get_file(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<BlobQuery>,
) -> Reply {
    let (path, rev, blob) = s
        .repository_content()
        .get_file(&caller.0, &edition(&params), &param(&params, "repo"), &param(&params, "file_path"), q.rev.as_deref().unwrap_or(""))
        .await?;
    Ok(json(&dto::file_blob(&path, &rev, &blob)))
}

// --- commits and compare -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommitListQuery {
    ref_name: Option<String>,
    since: Option<String>,
    until: Option<String>,
    path: Option<String>,
    search: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn instant(field: &str, v: Option<&str>) -> Result<Option<i64>, Error> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => codeport_core::timefmt::parse_acs_date(v)
            .map(Some)
            .ok_or_else(|| Error::invalid(field, format!("{v:?} is not a time such as 2024-10-05T15:30:45Z"))),
    }
}

pub(crate) async fn list_commits(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<CommitListQuery>,
) -> Reply {
    let page = query_page(q.page.as_deref(), q.per_page.as_deref(), 20)?;
    let f = CommitFilter {
        ref_name: q.ref_name.unwrap_or_default(),
        path: q.path,
        since: instant("since", q.since.as_deref())?,
        until: instant("until", q.until.as_deref())?,
        search: q.search.filter(|v| !v.trim().is_empty()),
        page,
    };
    let (found, items, total) = s.repository_content().list_commits(&caller.0, &edition(&params), &param(&params, "repo"), f).await?;
    let out: Vec<_> = items.iter().map(|c| dto::commit(c, None, &found.repo, &s.config.external_url)).collect();
    Ok(paged(&out, total, page))
}

pub(crate) async fn get_commit(State(s): State<AppState>, caller: Caller, PathParams(params): PathParams) -> Reply {
    let (found, c, stats) = s.repository_content().get_commit(&caller.0, &edition(&params), &param(&params, "repo"), &param(&params, "sha")).await?;
    Ok(json(&dto::commit(&c, Some(&stats), &found.repo, &s.config.external_url)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
    source_type: Option<String>,
    target_type: Option<String>,
    straight: Option<String>,
}

/// A compare endpoint named as a tag when its type says so (a branch and a tag may share a name).
fn typed_ref(name: &str, kind: Option<&str>, field: &str) -> Result<String, Error> {
    match kind.map(str::to_ascii_lowercase).as_deref().filter(|k| !k.is_empty()) {
        None | Some("branch") | Some("commit") => Ok(name.to_string()),
        Some("tag") => Ok(format!("refs/tags/{name}")),
        Some(other) => Err(Error::invalid(field, format!("{other:?} is not branch or tag"))),
    }
}

pub(crate) async fn compare(
    State(s): State<AppState>,
    caller: Caller,
    PathParams(params): PathParams,
    CodeupQuery(q): CodeupQuery<CompareQuery>,
) -> Reply {
    let from = q.from.unwrap_or_default();
    let to = q.to.unwrap_or_default();
    let straight = bool_param("straight", q.straight.as_deref())?.unwrap_or(false);
    let from_ref = typed_ref(&from, q.source_type.as_deref(), "sourceType")?;
    let to_ref = typed_ref(&to, q.target_type.as_deref(), "targetType")?;
    let (found, cmp) = s.repository_content().compare(&caller.0, &edition(&params), &param(&params, "repo"), &from_ref, &to_ref, straight).await?;
    Ok(json(&dto::comparison(&cmp, &from, &to, &found.repo, &s.config.external_url)))
}
