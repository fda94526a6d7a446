//! PAI AIWorkspace 2021-02-04, ROA style: the paths, methods, parameter locations and field
//! names of the official SDK `alibabacloud-aiworkspace20210204`. Every handler takes a
//! [`Signed`] request, parses it into a service command and renders the result.

mod auth;
mod dto;
pub mod wire;

pub use auth::Signed;

use crate::http::params::{JsonBody, Query};
use crate::services::code_sources::{CreateCodeSource, ListCodeSources, UpdateCodeSource};
use crate::services::workspaces::{CreateWorkspace, ListMembers, ListWorkspaces};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use codeport_core::entities::{CodeSourceSort, WorkspaceSort};
use codeport_core::secret::Secret;
use codeport_core::values::{
    Accessibility, CloneType, CommitId, EnvTypes, GitRefName, GitUrl, MountPath, Page, RoleSet, SortOrder, WorkspaceName, WorkspaceRole,
};
use codeport_core::Error;
use serde_json::json;
use wire::{json_response, PaiError};

type Reply = Result<Response, PaiError>;

fn ok(body: serde_json::Value) -> Reply {
    Ok(json_response(&body))
}

fn request_id() -> String {
    crate::http::request_id::current()
}

/// Parses SortBy (case-insensitively, among `keys`), Order and the page of a list request.
fn list_params<T: Copy>(q: &Query, keys: &[(&str, T)]) -> Result<(T, SortOrder, Page), Error> {
    let sort = match q.str("SortBy") {
        None => keys[0].1,
        Some(v) => keys.iter().find(|(k, _)| k.eq_ignore_ascii_case(&v)).map(|(_, s)| *s).ok_or_else(|| {
            Error::invalid("SortBy", format!("{v:?} is not one of {}", keys.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")))
        })?,
    };
    let order = q.str("Order").map(|o| SortOrder::parse(&o)).transpose()?.unwrap_or_default();
    Ok((sort, order, Page::parse(q.int("PageNumber")?, q.int("PageSize")?)?))
}

// --- workspaces ----------------------------------------------------------------------

pub(crate) async fn create_workspace(State(s): State<AppState>, req: Signed) -> Reply {
    let b = JsonBody::parse(&req.body)?;
    let name = WorkspaceName::parse(&b.str("WorkspaceName")?.ok_or_else(|| Error::missing("WorkspaceName"))?)?;
    let description = b.text("Description", 80, false)?.ok_or_else(|| Error::missing("Description"))?;
    let env_types = EnvTypes::parse(&b.str_list("EnvTypes")?.ok_or_else(|| Error::missing("EnvTypes"))?)?;
    let display_name = b.text("DisplayName", 64, true)?;
    let resource_group_id = b.text("ResourceGroupId", 128, false)?;
    let ws = s.workspaces().create_workspace(&req.call, CreateWorkspace { name, display_name, description, env_types, resource_group_id }).await?;
    ok(json!({"RequestId": request_id(), "WorkspaceId": ws.id}))
}

pub(crate) async fn get_workspace(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    let verbose = Query::parse(&req.raw_query).bool("Verbose")?.unwrap_or(false);
    let ws = s.workspaces().get_workspace(&req.call, &id).await?;
    let admins = s.workspaces().workspace_admin_names(&ws.id).await?;
    let owner = if verbose { s.workspaces().user(&ws.creator_id).await? } else { None };
    ok(dto::workspace(&ws, admins, owner.as_ref(), true))
}

pub(crate) async fn get_default_workspace(State(s): State<AppState>, req: Signed) -> Reply {
    let verbose = Query::parse(&req.raw_query).bool("Verbose")?.unwrap_or(false);
    let ws = s.workspaces().default_workspace(&req.call).await?;
    let owner = if verbose { s.workspaces().user(&ws.creator_id).await? } else { None };
    ok(dto::default_workspace(&ws, owner.as_ref()))
}

pub(crate) async fn list_workspaces(State(s): State<AppState>, req: Signed) -> Reply {
    let q = Query::parse(&req.raw_query);
    let (sort, order, page) = list_params(
        &q,
        &[("GmtCreateTime", WorkspaceSort::Created), ("GmtModifiedTime", WorkspaceSort::Modified), ("WorkspaceName", WorkspaceSort::Name)],
    )?;
    q.bool("Verbose")?;
    if let Some(opt) = q.str("Option") {
        if opt.eq_ignore_ascii_case("GetResourceLimits") {
            return ok(json!({"RequestId": request_id(), "ResourceLimits": {}, "TotalCount": 0}));
        }
        if !opt.eq_ignore_ascii_case("GetWorkspaces") {
            return Err(Error::invalid("Option", format!("{opt:?} is not GetWorkspaces or GetResourceLimits")).into());
        }
    }
    let cmd = ListWorkspaces {
        name_contains: q.str("WorkspaceName"),
        ids: q.list("WorkspaceIds"),
        status: q.str("Status"),
        resource_group_id: q.str("ResourceGroupId"),
        user_id: q.str("UserId"),
        sort,
        order,
        page,
    };
    let (items, total) = s.workspaces().list_workspaces(&req.call, cmd).await?;
    let mut out = Vec::with_capacity(items.len());
    for ws in &items {
        let admins = s.workspaces().workspace_admin_names(&ws.id).await?;
        out.push(dto::workspace(ws, admins, None, false));
    }
    ok(json!({"RequestId": request_id(), "TotalCount": total, "Workspaces": out}))
}

pub(crate) async fn update_workspace(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    let b = JsonBody::parse(&req.body)?;
    let display_name = b.text("DisplayName", 64, false)?;
    if display_name.as_ref().is_some_and(|d| d.as_str().trim().is_empty()) {
        return Err(Error::invalid("DisplayName", "it must not be empty").into());
    }
    let description = b.text("Description", 80, false)?;
    s.workspaces().update_workspace(&req.call, &id, display_name, description).await?;
    ok(json!({"RequestId": request_id()}))
}

pub(crate) async fn delete_workspace(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    s.workspaces().delete_workspace(&req.call, &id).await?;
    ok(json!({"RequestId": request_id()}))
}

// --- members -------------------------------------------------------------------------

pub(crate) async fn create_member(State(s): State<AppState>, Path(ws): Path<String>, req: Signed) -> Reply {
    let b = JsonBody::parse(&req.body)?;
    let items = b.object_list("Members")?.ok_or_else(|| Error::missing("Members"))?;
    let mut members = Vec::with_capacity(items.len());
    for (i, m) in items.iter().enumerate() {
        let user_field = format!("Members.{}.UserId", i + 1);
        let roles_field = format!("Members.{}.Roles", i + 1);
        let user = m
            .str("UserId")
            .map_err(|_| Error::invalid(&user_field, "it must be a string"))?
            .filter(|u| !u.is_empty())
            .ok_or_else(|| Error::missing(&user_field))?;
        let roles = m
            .str_list("Roles")
            .map_err(|_| Error::invalid(&roles_field, "it must be an array of role names"))?
            .ok_or_else(|| Error::missing(&roles_field))?;
        members.push((user, RoleSet::parse(&roles_field, &roles)?));
    }
    let views = s.workspaces().create_members(&req.call, &ws, members).await?;
    let out: Vec<_> = views.iter().map(dto::created_member).collect();
    ok(json!({"RequestId": request_id(), "Members": out}))
}

pub(crate) async fn list_members(State(s): State<AppState>, Path(ws): Path<String>, req: Signed) -> Reply {
    let q = Query::parse(&req.raw_query);
    let roles = q.list("Roles").unwrap_or_default().iter().map(|r| WorkspaceRole::parse("Roles", r)).collect::<Result<Vec<_>, _>>()?;
    let page = Page::parse(q.int("PageNumber")?, q.int("PageSize")?)?;
    let cmd = ListMembers { name_contains: q.str("MemberName"), roles, user_id: q.str("UserId"), page };
    let (items, total) = s.workspaces().list_members(&req.call, &ws, cmd).await?;
    let org = req.call.organization_id().to_string();
    let mut out = Vec::with_capacity(items.len());
    for m in &items {
        out.push(dto::member(m, &s.workspaces().account_type(&org, &m.member.user_id).await?));
    }
    ok(json!({"RequestId": request_id(), "TotalCount": total, "Members": out}))
}

pub(crate) async fn get_member(State(s): State<AppState>, Path(ws): Path<String>, req: Signed) -> Reply {
    let q = Query::parse(&req.raw_query);
    let m = s.workspaces().get_member(&req.call, &ws, q.str("UserId"), q.str("MemberId")).await?;
    let mut body = dto::member(&m, &s.workspaces().account_type(req.call.organization_id(), &m.member.user_id).await?);
    body["RequestId"] = json!(request_id());
    if let Some(o) = body.as_object_mut() {
        o.remove("AccountName");
    }
    ok(body)
}

pub(crate) async fn delete_members(State(s): State<AppState>, Path(ws): Path<String>, req: Signed) -> Reply {
    let ids = Query::parse(&req.raw_query).list("MemberIds").ok_or_else(|| Error::missing("MemberIds"))?;
    s.workspaces().delete_members(&req.call, &ws, ids).await?;
    ok(json!({"RequestId": request_id()}))
}

pub(crate) async fn add_member_role(State(s): State<AppState>, Path((ws, member, role)): Path<(String, String, String)>, req: Signed) -> Reply {
    let role = WorkspaceRole::parse("RoleName", &role)?;
    s.workspaces().change_member_role(&req.call, &ws, &member, role, true).await?;
    ok(json!({"RequestId": request_id()}))
}

pub(crate) async fn remove_member_role(State(s): State<AppState>, Path((ws, member, role)): Path<(String, String, String)>, req: Signed) -> Reply {
    let role = WorkspaceRole::parse("RoleName", &role)?;
    s.workspaces().change_member_role(&req.call, &ws, &member, role, false).await?;
    ok(json!({"RequestId": request_id()}))
}

// --- code sources --------------------------------------------------------------------

/// An optional field where an empty string means "clear".
fn clearable<T>(b: &JsonBody, field: &str, parse: impl Fn(&str) -> Result<T, Error>) -> Result<Option<Option<T>>, Error> {
    match b.str(field)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(Some(None)),
        Some(s) => parse(&s).map(|v| Some(Some(v))),
    }
}

fn flatten<T>(v: Option<Option<T>>) -> Option<T> {
    v.flatten()
}

/// CreateCodeSource's fields from a body, validated; the console's "New code source" form
/// goes through this too, so both edges accept and refuse exactly the same input.
pub(crate) fn create_code_source_command(b: &JsonBody) -> Result<CreateCodeSource, Error> {
    let workspace_id = b.str("WorkspaceId")?.filter(|w| !w.is_empty()).ok_or_else(|| Error::missing("WorkspaceId"))?;
    let cmd = CreateCodeSource {
        workspace_id,
        display_name: b.text("DisplayName", 128, true)?.ok_or_else(|| Error::missing("DisplayName"))?,
        description: b.text("Description", 1024, false)?,
        code_repo: flatten(clearable(b, "CodeRepo", GitUrl::parse)?),
        code_branch: flatten(clearable(b, "CodeBranch", |v| GitRefName::parse("CodeBranch", v))?),
        code_commit: flatten(clearable(b, "CodeCommit", CommitId::parse)?),
        code_repo_user_name: b.text("CodeRepoUserName", 256, false)?,
        code_repo_access_token: b.str("CodeRepoAccessToken")?.map(Secret::new),
        mount_path: flatten(clearable(b, "MountPath", MountPath::parse)?),
        accessibility: flatten(clearable(b, "Accessibility", Accessibility::parse)?),
        clone_type: b.int("CloneType")?.map(CloneType::parse).transpose()?,
    };
    if cmd.code_repo_access_token.as_ref().is_some_and(|t| t.expose().len() > 4096) {
        return Err(Error::invalid("CodeRepoAccessToken", "it must be at most 4096 characters"));
    }
    Ok(cmd)
}

pub(crate) async fn create_code_source(State(s): State<AppState>, req: Signed) -> Reply {
    let cmd = create_code_source_command(&JsonBody::parse(&req.body)?)?;
    let id = s.code_sources().create_code_source(&req.call, cmd).await?;
    ok(json!({"RequestId": request_id(), "CodeSourceId": id}))
}

pub(crate) async fn get_code_source(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    let view = s.code_sources().get_code_source(&req.call, &id).await?;
    Ok(json_response(&dto::code_source(&view.source, view.access_token.as_ref(), true)))
}

pub(crate) async fn list_code_sources(State(s): State<AppState>, req: Signed) -> Reply {
    let q = Query::parse(&req.raw_query);
    let workspace_id = q.str("WorkspaceId").ok_or_else(|| Error::missing("WorkspaceId"))?;
    let (sort, order, page) = list_params(
        &q,
        &[
            ("GmtCreateTime", CodeSourceSort::Created),
            ("GmtModifyTime", CodeSourceSort::Modified),
            ("DisplayName", CodeSourceSort::DisplayName),
            ("CodeSourceId", CodeSourceSort::Id),
        ],
    )?;
    let cmd = ListCodeSources { workspace_id, display_name_contains: q.str("DisplayName"), sort, order, page };
    let (items, total) = s.code_sources().list_code_sources(&req.call, cmd).await?;
    let out: Vec<_> = items.iter().map(|c| dto::code_source(c, None, false)).collect();
    ok(json!({"RequestId": request_id(), "TotalCount": total, "CodeSources": out}))
}

pub(crate) async fn update_code_source(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    let b = JsonBody::parse(&req.body)?;
    for forbidden in ["Accessibility", "WorkspaceId"] {
        if b.has(forbidden) {
            return Err(
                Error::invalid(forbidden, "it cannot be changed by UpdateCodeSource (use PublishCodeSource to make a code source PUBLIC)").into()
            );
        }
    }
    let cmd = UpdateCodeSource {
        display_name: b.text("DisplayName", 128, true)?,
        description: b.text("Description", 1024, false)?,
        code_repo: clearable(&b, "CodeRepo", GitUrl::parse)?,
        code_branch: clearable(&b, "CodeBranch", |v| GitRefName::parse("CodeBranch", v))?,
        code_commit: clearable(&b, "CodeCommit", CommitId::parse)?,
        code_repo_user_name: b.text("CodeRepoUserName", 256, false)?,
        code_repo_access_token: b.str("CodeRepoAccessToken")?.map(|t| if t.is_empty() { None } else { Some(Secret::new(t)) }),
        mount_path: flatten(clearable(&b, "MountPath", MountPath::parse)?),
        clone_type: b.int("CloneType")?.map(CloneType::parse).transpose()?,
    };
    s.code_sources().update_code_source(&req.call, &id, cmd).await?;
    ok(json!({"RequestId": request_id(), "CodeSourceId": id}))
}

pub(crate) async fn delete_code_source(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    s.code_sources().delete_code_source(&req.call, &id).await?;
    ok(json!({"RequestId": request_id(), "CodeSourceId": id}))
}

pub(crate) async fn publish_code_source(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    s.code_sources().publish_code_source(&req.call, &id).await?;
    ok(json!({"RequestId": request_id(), "CodeSourceId": id}))
}

/// codeport's operation for job runtimes and `codeport checkout`: what cloning the code
/// source needs. ExpireTime is present only for a minted (hosted-repository) credential.
pub(crate) async fn get_checkout_credential(State(s): State<AppState>, Path(id): Path<String>, req: Signed) -> Reply {
    let c = s.checkout().checkout_credential(&req.call, &id).await?;
    let mut out = json!({
        "RequestId": request_id(),
        "CodeSourceId": id,
        "CodeRepo": c.code_repo,
        "CodeBranch": c.code_branch,
        "CodeCommit": c.code_commit,
        "UserName": c.user_name,
        "Password": c.password.expose(),
    });
    if let Some(exp) = c.expire_time {
        out["ExpireTime"] = json!(codeport_core::timefmt::pai(exp));
    }
    ok(out)
}
