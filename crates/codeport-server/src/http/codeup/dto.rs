//! The only place Codeup / Yunxiao response objects are built. Fields without a value are
//! left out, never `null`: the official MCP client's schemas reject nulls.

use crate::services::platform::org_member_id;
use codeport_core::entities::{Namespace, NamespaceMember, OrgMember, OrgRole, Organization, Repository, User};
use codeport_core::timefmt::rfc3339;
use codeport_core::AccessLevel;
use codeport_git::{BlobContent, Branch, CommitInfo, CommitStats, Comparison, EntryKind, Tag, TreeEntry};
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
        "kind": n.kind.as_str(),
        "visibility": n.visibility.as_str(),
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
        "visibility": n.visibility.as_str(),
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
        "accessLevel": m.access_level.codeup(),
        "state": "active",
        "webUrl": format!("{external_url}/{}", ns.full_path),
    });
    if let Some(e) = m.expires_at {
        v["expiresAt"] = json!(rfc3339(e));
    }
    if let Some(g) = inherited {
        v["inheritedGroup"] =
            json!({"id": g.id, "name": g.name, "path": g.path, "fullPath": g.full_path, "webUrl": format!("{external_url}/{}", g.full_path)});
    }
    v
}

/// Characters escaped in a URL path segment built from a branch name or file path.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// A repository (GetRepository, ListRepositories items, CreateRepository). `id` and
/// `creatorId` are integers, every URL absolute, nothing null.
pub fn repository(r: &Repository, level: AccessLevel, ns: Option<&Namespace>, external_url: &str) -> Value {
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "path": r.path,
        "pathWithNamespace": r.full_path,
        "nameWithNamespace": r.full_name,
        "description": r.description,
        "visibility": r.visibility.as_str(),
        "defaultBranch": r.default_branch,
        "namespaceId": r.namespace_id,
        "accessLevel": level.codeup(),
        "archived": r.archived,
        "demoProject": false,
        "encrypted": false,
        "starCount": 0,
        "starred": false,
        "forkCount": 0,
        "repositorySize": "0",
        "createdAt": rfc3339(r.created_at),
        "updatedAt": rfc3339(r.updated_at),
        "lastActivityAt": rfc3339(r.last_activity_at),
        "webUrl": format!("{external_url}/{}", r.full_path),
        "httpUrlToRepo": format!("{external_url}/{}.git", r.full_path),
    });
    if let Ok(creator) = r.creator_id.parse::<i64>() {
        v["creatorId"] = json!(creator);
    }
    if !r.avatar_url.is_empty() {
        v["avatarUrl"] = json!(r.avatar_url);
    }
    if let Some(n) = ns {
        let mut nv = json!({
            "id": n.id,
            "name": n.name,
            "path": n.path,
            "description": n.description,
            "visibility": n.visibility.as_str(),
            "createdAt": rfc3339(n.created_at),
            "updatedAt": rfc3339(n.updated_at),
        });
        if !n.avatar_url.is_empty() {
            nv["avatar"] = json!(n.avatar_url);
        }
        if let Ok(owner) = n.owner_id.parse::<i64>() {
            nv["ownerId"] = json!(owner);
        }
        v["namespace"] = nv;
    }
    v
}

/// A commit (ListCommits items, GetCommit, and inside branches, tags and compares).
pub fn commit(c: &CommitInfo, stats: Option<&CommitStats>, repo: &Repository, external_url: &str) -> Value {
    let mut v = json!({
        "id": c.id,
        "shortId": c.short_id,
        "title": c.title,
        "message": c.message,
        "authorName": c.author_name,
        "authorEmail": c.author_email,
        "authoredDate": rfc3339(c.authored_at),
        "committerName": c.committer_name,
        "committerEmail": c.committer_email,
        "committedDate": rfc3339(c.committed_at),
        "parentIds": c.parent_ids,
        "webUrl": format!("{external_url}/{}/-/commit/{}", repo.full_path, c.id),
    });
    if let Some(s) = stats {
        v["stats"] = json!({"additions": s.additions, "deletions": s.deletions, "total": s.total});
    }
    v
}

/// A branch: `webUrl` and `commit.webUrl` absolute (the official client checks them as URLs).
pub fn branch(b: &Branch, repo: &Repository, external_url: &str) -> Value {
    json!({
        "name": b.name,
        "defaultBranch": b.name == repo.default_branch,
        "protected": false,
        "webUrl": format!("{external_url}/{}/-/tree/{}", repo.full_path, segment(&b.name)),
        "commit": commit(&b.commit, None, repo, external_url),
    })
}

/// A tag, peeled to its commit.
pub fn tag(t: &Tag, repo: &Repository, external_url: &str) -> Value {
    json!({
        "name": t.name,
        "message": t.message,
        "protected": false,
        "webUrl": format!("{external_url}/{}/-/tags/{}", repo.full_path, segment(&t.name)),
        "commit": commit(&t.commit, None, repo, external_url),
    })
}

/// A ListFiles entry: the full repository-relative path, `size` (an integer) for blobs only.
pub fn tree_entry(e: &TreeEntry) -> Value {
    let kind = match e.kind {
        EntryKind::Tree => "tree",
        EntryKind::Blob => "blob",
        EntryKind::Commit => "commit",
    };
    let mut v = json!({"id": e.id, "name": e.name, "path": e.path, "type": kind, "mode": e.mode, "isLFS": false});
    if let Some(size) = e.size {
        v["size"] = json!(size);
    }
    v
}

/// GetFileBlobs: UTF-8 content as text, anything else base64; `size` is a string, as the
/// official client requires.
pub fn file_blob(path: &str, ref_name: &str, b: &BlobContent) -> Value {
    use base64::Engine;
    let (content, encoding) = match std::str::from_utf8(&b.bytes) {
        Ok(text) => (text.to_string(), "text"),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(&b.bytes), "base64"),
    };
    json!({
        "fileName": path.rsplit('/').next().unwrap_or(path),
        "filePath": path,
        "size": b.size.to_string(),
        "content": content,
        "encoding": encoding,
        "ref": ref_name,
        "blobId": b.id,
        "commitId": b.commit_id,
    })
}

/// GetCompare: snake_case totals beside the commits and per-file diffs.
pub fn comparison(c: &Comparison, from: &str, to: &str, repo: &Repository, external_url: &str) -> Value {
    let diffs: Vec<Value> = c
        .diffs
        .iter()
        .map(|d| {
            json!({
                "aMode": d.a_mode,
                "bMode": d.b_mode,
                "deletedFile": d.deleted_file,
                "diff": d.diff,
                "isBinary": d.is_binary,
                "newFile": d.new_file,
                "newId": d.new_id,
                "newPath": d.new_path,
                "oldId": d.old_id,
                "oldPath": d.old_path,
                "renamedFile": d.renamed_file,
            })
        })
        .collect();
    json!({
        "base_commit_sha": c.base_commit,
        "commits": c.commits.iter().map(|x| commit(x, None, repo, external_url)).collect::<Vec<_>>(),
        "commits_count": c.commits.len(),
        "diffs": diffs,
        "files_count": c.diffs.len(),
        "from": from,
        "to": to,
    })
}
