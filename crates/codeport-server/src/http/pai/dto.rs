//! The only place PAI response objects are built: field names and shapes exactly as the
//! official SDK's models read them (note `GmtModifiedTime` for workspaces but
//! `GmtModifyTime` for code sources, and `resourceGroupId` in ListWorkspaces items).

use codeport_core::entities::{CodeSource, MemberView, User, Workspace};
use codeport_core::secret::Secret;
use codeport_core::timefmt::pai;
use serde::Serialize;
use serde_json::{json, Value};

fn request_id() -> String {
    crate::http::request_id::current()
}

/// The fields every workspace rendering shares.
fn workspace_core(ws: &Workspace) -> Value {
    json!({
        "WorkspaceId": ws.id,
        "WorkspaceName": ws.name,
        "DisplayName": ws.display_name,
        "Description": ws.description,
        "EnvTypes": ws.env_types.names(),
        "Creator": ws.creator_id,
        "Status": ws.status,
        "GmtCreateTime": pai(ws.created_at),
        "GmtModifiedTime": pai(ws.modified_at),
    })
}

/// GetWorkspace (with RequestId) or a ListWorkspaces item (without).
pub fn workspace(ws: &Workspace, admin_names: Vec<String>, owner: Option<&User>, single: bool) -> Value {
    let mut v = workspace_core(ws);
    v["AdminNames"] = json!(admin_names);
    v["IsDefault"] = json!(ws.is_default);
    v["ExtraInfos"] = json!({"TenantId": ws.organization_id});
    // GetWorkspace says ResourceGroupId; ListWorkspaces items say resourceGroupId (as the SDK reads them).
    if single {
        v["RequestId"] = json!(request_id());
        v["ResourceGroupId"] = json!(ws.resource_group_id);
    } else {
        v["resourceGroupId"] = json!(ws.resource_group_id);
    }
    if let Some(u) = owner {
        v["Owner"] = json!({"UserId": u.id, "UserKp": u.id, "UserName": u.name, "DisplayName": u.display_name});
    }
    v
}

/// GetDefaultWorkspace.
pub fn default_workspace(ws: &Workspace, owner: Option<&User>) -> Value {
    let mut v = workspace_core(ws);
    v["RequestId"] = json!(request_id());
    v["Conditions"] = json!([]);
    if let Some(u) = owner {
        v["Owner"] = json!({"UserId": u.id, "UserKp": u.id, "UserName": u.name});
    }
    v
}

/// A CreateMember result item.
pub fn created_member(m: &MemberView) -> Value {
    json!({
        "MemberId": crate::services::workspaces::member_id(&m.member.workspace_id, &m.member.user_id),
        "UserId": m.member.user_id,
        "DisplayName": m.display_name,
        "Roles": m.member.roles.names(),
    })
}

/// A ListMembers item (GetMember uses it too, without AccountName).
pub fn member(m: &MemberView, account_type: &str) -> Value {
    json!({
        "MemberId": crate::services::workspaces::member_id(&m.member.workspace_id, &m.member.user_id),
        "UserId": m.member.user_id,
        "MemberName": m.user_name,
        "AccountName": m.user_name,
        "DisplayName": m.display_name,
        "Roles": m.member.roles.names(),
        "GmtCreateTime": pai(m.member.created_at),
        "AccountType": account_type,
    })
}

/// A code source as PAI renders it (GetCodeSource with RequestId, ListCodeSources items without).
/// A typed struct rather than a JSON tree: it is the hot path of every keyed read.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeSourceDto<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    code_source_id: &'a str,
    workspace_id: &'a str,
    display_name: &'a str,
    description: &'a str,
    code_repo: &'a str,
    code_branch: &'a str,
    code_commit: &'a str,
    code_repo_user_name: &'a str,
    code_repo_access_token: &'a str,
    mount_path: &'a str,
    accessibility: &'a str,
    clone_type: i64,
    user_id: &'a str,
    gmt_create_time: String,
    gmt_modify_time: String,
}

/// A code source; the token only when given (the creator's GetCodeSource), else "".
pub fn code_source<'a>(c: &'a CodeSource, token: Option<&'a Secret>, with_request_id: bool) -> CodeSourceDto<'a> {
    CodeSourceDto {
        request_id: with_request_id.then(request_id),
        code_source_id: &c.id,
        workspace_id: &c.workspace_id,
        display_name: &c.display_name,
        description: &c.description,
        code_repo: &c.code_repo,
        code_branch: &c.code_branch,
        code_commit: &c.code_commit,
        code_repo_user_name: &c.code_repo_user_name,
        code_repo_access_token: token.map(Secret::expose).unwrap_or(""),
        mount_path: &c.mount_path,
        accessibility: c.accessibility.as_str(),
        clone_type: c.clone_type.get(),
        user_id: &c.creator_id,
        gmt_create_time: pai(c.created_at),
        gmt_modify_time: pai(c.modified_at),
    }
}
