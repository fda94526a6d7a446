//! The only place PAI response objects are built: field names and shapes exactly as the
//! official SDK's models read them (note `GmtModifiedTime` for workspaces but
//! `GmtModifyTime` for code sources, and `resourceGroupId` in ListWorkspaces items).

use codeport_core::secret::Secret;
use codeport_core::timefmt::pai;
use codeport_core::values::{EnvTypes, RoleSet};
use codeport_store::{CodeSource, MemberView, User, Workspace};
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
        "EnvTypes": EnvTypes::from_stored(&ws.env_types),
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
        "Roles": RoleSet::from_stored(&m.member.roles).names(),
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
        "Roles": RoleSet::from_stored(&m.member.roles).names(),
        "GmtCreateTime": pai(m.member.created_at),
        "AccountType": account_type,
    })
}

/// A code source; the token only when given (the creator's GetCodeSource), else "".
pub fn code_source(c: &CodeSource, token: Option<&Secret>) -> Value {
    json!({
        "CodeSourceId": c.id,
        "WorkspaceId": c.workspace_id,
        "DisplayName": c.display_name,
        "Description": c.description,
        "CodeRepo": c.code_repo,
        "CodeBranch": c.code_branch,
        "CodeCommit": c.code_commit,
        "CodeRepoUserName": c.code_repo_user_name,
        "CodeRepoAccessToken": token.map(Secret::expose).unwrap_or(""),
        "MountPath": c.mount_path,
        "Accessibility": c.accessibility,
        "CloneType": c.clone_type,
        "UserId": c.creator_id,
        "GmtCreateTime": pai(c.created_at),
        "GmtModifyTime": pai(c.modified_at),
    })
}
