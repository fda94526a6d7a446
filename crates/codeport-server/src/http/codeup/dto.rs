//! The only place Codeup / Yunxiao response objects are built. Fields without a value are
//! left out, never `null`: the official MCP client's schemas reject nulls.

use crate::services::platform::org_member_id;
use codeport_core::timefmt::rfc3339;
use codeport_store::{Namespace, NamespaceMember, OrgMember, OrgRole, Organization, User};
use serde_json::{json, Value};

/// GetUserByToken: the token's user. `lastOrganization` is the user's default organization.
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.display_name,
        "username": u.name,
        "nickName": u.display_name,
        "email": u.email,
        "lastOrganization": u.default_organization_id,
        "sysDeptIds": [],
        "createdAt": rfc3339(u.created_at),
    })
}

/// A ListOrganizations item (note the official spelling `updateAt`).
pub fn organization(o: &Organization, role: OrgRole) -> Value {
    json!({
        "id": o.id,
        "name": o.name,
        "createdAt": rfc3339(o.created_at),
        "updateAt": rfc3339(o.created_at),
        "defaultRole": role.as_str(),
    })
}

/// An organization member (MemberInfo).
pub fn member(m: &OrgMember) -> Value {
    json!({
        "id": org_member_id(&m.organization_id, &m.user.id),
        "userId": m.user.id,
        "organizationId": m.organization_id,
        "name": m.user.display_name,
        "email": m.user.email,
        "deptIds": [],
        "roleIds": [m.role.as_str()],
        "status": "ENABLED",
        "joined": rfc3339(m.joined_at),
        "lastUpdated": rfc3339(m.joined_at),
    })
}

/// GetNamespace / ListNamespaces item. `avatarUrl` only when set; `webUrl` absolute.
pub fn namespace(n: &Namespace, external_url: &str) -> Value {
    let mut v = json!({
        "id": n.id,
        "name": n.name,
        "path": n.path,
        "fullPath": n.full_path,
        "pathWithNamespace": n.full_path,
        "nameWithNamespace": n.full_name,
        "kind": n.kind,
        "visibility": n.visibility,
        "webUrl": format!("{external_url}/{}", n.full_path),
    });
    if let Some(p) = n.parent_id {
        v["parentId"] = json!(p);
    }
    if !n.avatar_url.is_empty() {
        v["avatarUrl"] = json!(n.avatar_url);
    }
    v
}

/// CreateGroup's answer: the official shape has description and ownerId, and no kind or fullPath.
pub fn created_group(n: &Namespace, external_url: &str) -> Value {
    let mut v = json!({
        "id": n.id,
        "name": n.name,
        "path": n.path,
        "pathWithNamespace": n.full_path,
        "nameWithNamespace": n.full_name,
        "description": n.description,
        "visibility": n.visibility,
        "webUrl": format!("{external_url}/{}", n.full_path),
    });
    if let Some(p) = n.parent_id {
        v["parentId"] = json!(p);
    }
    if let Ok(owner) = n.owner_id.parse::<i64>() {
        v["ownerId"] = json!(owner);
    }
    if !n.avatar_url.is_empty() {
        v["avatarUrl"] = json!(n.avatar_url);
    }
    v
}

/// A group member. `expiresAt` only when set; `inheritedGroup` only for a membership held on
/// an ancestor (the official page: absent when the member was added to this group directly).
pub fn group_member(m: &NamespaceMember, ns: &Namespace, inherited: Option<&Namespace>, external_url: &str) -> Value {
    let mut v = json!({
        "userId": m.user.id,
        "username": m.user.name,
        "name": m.user.display_name,
        "accessLevel": m.access_level,
        "state": "active",
        "webUrl": format!("{external_url}/{}", ns.full_path),
    });
    if let Some(e) = m.expires_at {
        v["expiresAt"] = json!(rfc3339(e));
    }
    if let Some(g) = inherited {
        v["inheritedGroup"] = json!({"id": g.id, "name": g.name, "path": g.path, "fullPath": g.full_path, "webUrl": format!("{external_url}/{}", g.full_path)});
    }
    v
}
