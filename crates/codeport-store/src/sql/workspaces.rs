//! PAI workspaces, their members and code sources.

use super::*;

pub const WS_COLS: &str =
    "id, organization_id, name, display_name, description, env_types, creator_id, is_default, status, created_at, modified_at, resource_group_id";
pub fn ws_row(r: &dyn RowLike) -> StoreResult<Workspace> {
    Ok(Workspace {
        id: r.text(0),
        organization_id: r.text(1),
        name: r.text(2),
        display_name: r.text(3),
        description: r.text(4),
        env_types: parsed("env_types", r.text(5), |s| EnvTypes::from_stored(s))?,
        creator_id: r.text(6),
        is_default: r.boolean(7),
        status: r.text(8),
        created_at: r.int(9),
        modified_at: r.int(10),
        resource_group_id: r.text(11),
    })
}
pub fn count_default_ws(org: &str) -> Stmt {
    stmt("SELECT COUNT(*) FROM workspaces WHERE organization_id = $1 AND is_default = $2", vec![t(org), P::B(true)])
}
pub fn insert_ws(w: &Workspace) -> Stmt {
    stmt(
        &format!("INSERT INTO workspaces ({WS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
        vec![
            t(&w.id),
            t(&w.organization_id),
            t(&w.name),
            t(&w.display_name),
            t(&w.description),
            t(&w.env_types.to_stored()),
            t(&w.creator_id),
            P::B(w.is_default),
            t(&w.status),
            P::I(w.created_at),
            P::I(w.modified_at),
            t(&w.resource_group_id),
        ],
    )
    .on_unique(UniqueViolation::WorkspaceName(w.name.clone()))
}
pub fn ws_by_id(id: &str) -> Stmt {
    stmt(&format!("SELECT {WS_COLS} FROM workspaces WHERE id = $1"), vec![t(id)])
}
pub fn default_ws(org: &str) -> Stmt {
    stmt(&format!("SELECT {WS_COLS} FROM workspaces WHERE organization_id = $1 AND is_default = $2"), vec![t(org), P::B(true)])
}
pub fn update_ws(id: &str, display_name: &str, description: &str, now: Millis) -> Stmt {
    stmt(
        "UPDATE workspaces SET display_name = $1, description = $2, modified_at = $3 WHERE id = $4",
        vec![t(display_name), t(description), P::I(now), t(id)],
    )
}
pub fn delete_ws(id: &str) -> Stmt {
    stmt("DELETE FROM workspaces WHERE id = $1", vec![t(id)])
}
pub fn delete_ws_members(id: &str) -> Stmt {
    stmt("DELETE FROM workspace_members WHERE workspace_id = $1", vec![t(id)])
}
pub fn delete_ws_code_sources(id: &str) -> Stmt {
    stmt("DELETE FROM code_sources WHERE workspace_id = $1", vec![t(id)])
}
pub fn ws_admin_names(id: &str) -> Stmt {
    stmt(
        "SELECT u.name FROM workspace_members m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 AND (m.roles LIKE '%,PAI.WorkspaceAdmin,%' OR m.roles LIKE '%,PAI.WorkspaceOwner,%') ORDER BY u.name",
        vec![t(id)],
    )
}

/// The count and page statements of a workspace listing.
pub fn list_ws(q: &WorkspaceQuery) -> (Stmt, Stmt) {
    count_and_page(
        &format!("SELECT {}", prefixed(WS_COLS, "w")),
        |b| {
            b.push(" FROM workspaces w WHERE w.organization_id = ").bind(t(&q.organization_id));
            match &q.visibility {
                Visibility::All => {}
                Visibility::User(u) => {
                    b.push(" AND EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.user_id = ").bind(t(u)).push(")");
                }
                Visibility::PublicOnly => {
                    b.push(" AND 1 = 0");
                }
            }
            if let Some(n) = &q.name_contains {
                b.contains(&["w.name"], n);
            }
            if let Some(ids) = &q.ids {
                b.push(" AND w.id IN ").list(ids.iter().map(|id| t(id)));
            }
            if let Some(s) = &q.status {
                b.push(" AND w.status = ").bind(t(s));
            }
            if let Some(g) = &q.resource_group_id {
                b.push(" AND w.resource_group_id = ").bind(t(g));
            }
        },
        |b| {
            let key = match q.sort {
                WorkspaceSort::Created => "w.created_at",
                WorkspaceSort::Modified => "w.modified_at",
                WorkspaceSort::Name => "w.name",
            };
            b.order_and_page(key, "w.id", q.order, q.page);
        },
    )
}

const MEMBER_SELECT: &str = "SELECT m.workspace_id, m.user_id, m.roles, m.created_at, u.name, u.display_name";
pub fn member_row(r: &dyn RowLike) -> StoreResult<MemberView> {
    Ok(MemberView {
        member: WorkspaceMember { workspace_id: r.text(0), user_id: r.text(1), roles: RoleSet::from_stored(&r.text(2)), created_at: r.int(3) },
        user_name: r.text(4),
        display_name: r.text(5),
    })
}
pub fn member(ws: &str, user: &str) -> Stmt {
    stmt(
        &format!("{MEMBER_SELECT} FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2"),
        vec![t(ws), t(user)],
    )
}
pub fn insert_member(m: &WorkspaceMember) -> Stmt {
    stmt(
        "INSERT INTO workspace_members (workspace_id, user_id, roles, created_at) VALUES ($1, $2, $3, $4)",
        vec![t(&m.workspace_id), t(&m.user_id), t(&m.roles.to_stored()), P::I(m.created_at)],
    )
    .on_unique(UniqueViolation::WorkspaceMember)
}
pub fn delete_member(ws: &str, user: &str) -> Stmt {
    stmt("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", vec![t(ws), t(user)])
}
pub fn set_member_roles(ws: &str, user: &str, roles: &RoleSet) -> Stmt {
    stmt("UPDATE workspace_members SET roles = $1 WHERE workspace_id = $2 AND user_id = $3", vec![t(&roles.to_stored()), t(ws), t(user)])
}

/// The count and page statements of a member listing.
pub fn list_members(q: &MemberQuery) -> (Stmt, Stmt) {
    count_and_page(
        MEMBER_SELECT,
        |b| {
            b.push(" FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ").bind(t(&q.workspace_id));
            if let Some(n) = &q.name_contains {
                b.contains(&["u.name", "u.display_name"], n);
            }
            if !q.any_role.is_empty() {
                b.push(" AND (");
                for (i, r) in q.any_role.iter().enumerate() {
                    if i > 0 {
                        b.push(" OR ");
                    }
                    b.push("m.roles LIKE ").bind(P::T(format!("%,{},%", r.as_str())));
                }
                b.push(")");
            }
            if let Some(u) = &q.user_id {
                b.push(" AND m.user_id = ").bind(t(u));
            }
        },
        |b| {
            b.order_and_page("m.created_at", "m.user_id", SortOrder::Asc, q.page);
        },
    )
}

pub const CS_COLS: &str = "id, workspace_id, display_name, description, code_repo, code_branch, code_commit, code_repo_user_name, sealed_repo_token, mount_path, accessibility, clone_type, creator_id, created_at, modified_at";
pub fn cs_row(r: &dyn RowLike) -> StoreResult<CodeSource> {
    Ok(CodeSource {
        id: r.text(0),
        workspace_id: r.text(1),
        display_name: r.text(2),
        description: r.text(3),
        code_repo: r.text(4),
        code_branch: r.text(5),
        code_commit: r.text(6),
        code_repo_user_name: r.text(7),
        sealed_repo_token: r.opt_bytes(8),
        mount_path: r.text(9),
        accessibility: parsed("accessibility", r.text(10), |s| Accessibility::parse(s).ok())?,
        clone_type: parsed("clone_type", r.int(11), |n| CloneType::parse(*n).ok())?,
        creator_id: r.text(12),
        created_at: r.int(13),
        modified_at: r.int(14),
    })
}
pub fn insert_cs(c: &CodeSource) -> Stmt {
    stmt(
        &format!("INSERT INTO code_sources ({CS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"),
        vec![
            t(&c.id),
            t(&c.workspace_id),
            t(&c.display_name),
            t(&c.description),
            t(&c.code_repo),
            t(&c.code_branch),
            t(&c.code_commit),
            t(&c.code_repo_user_name),
            P::Bytes(c.sealed_repo_token.clone()),
            t(&c.mount_path),
            t(c.accessibility.as_str()),
            P::I(c.clone_type.get()),
            t(&c.creator_id),
            P::I(c.created_at),
            P::I(c.modified_at),
        ],
    )
}
pub fn cs_by_id(id: &str) -> Stmt {
    stmt(&format!("SELECT {CS_COLS} FROM code_sources WHERE id = $1"), vec![t(id)])
}
pub fn update_cs(c: &CodeSource) -> Stmt {
    stmt(
        "UPDATE code_sources SET display_name = $1, description = $2, code_repo = $3, code_branch = $4, code_commit = $5, \
         code_repo_user_name = $6, sealed_repo_token = $7, mount_path = $8, accessibility = $9, clone_type = $10, modified_at = $11 WHERE id = $12",
        vec![
            t(&c.display_name),
            t(&c.description),
            t(&c.code_repo),
            t(&c.code_branch),
            t(&c.code_commit),
            t(&c.code_repo_user_name),
            P::Bytes(c.sealed_repo_token.clone()),
            t(&c.mount_path),
            t(c.accessibility.as_str()),
            P::I(c.clone_type.get()),
            P::I(c.modified_at),
            t(&c.id),
        ],
    )
}
pub fn delete_cs(id: &str) -> Stmt {
    stmt("DELETE FROM code_sources WHERE id = $1", vec![t(id)])
}

/// The count and page statements of a code source listing.
pub fn list_cs(q: &CodeSourceQuery) -> (Stmt, Stmt) {
    count_and_page(
        &format!("SELECT {CS_COLS}"),
        |b| {
            b.push(" FROM code_sources WHERE workspace_id = ").bind(t(&q.workspace_id));
            match &q.visibility {
                Visibility::All => {}
                Visibility::User(u) => {
                    b.push(" AND (accessibility = 'PUBLIC' OR creator_id = ").bind(t(u)).push(")");
                }
                Visibility::PublicOnly => {
                    b.push(" AND accessibility = 'PUBLIC'");
                }
            }
            if let Some(n) = &q.display_name_contains {
                b.contains(&["display_name"], n);
            }
        },
        |b| {
            let key = match q.sort {
                CodeSourceSort::Created => "created_at",
                CodeSourceSort::Modified => "modified_at",
                CodeSourceSort::DisplayName => "display_name",
                CodeSourceSort::Id => "id",
            };
            b.order_and_page(key, "id", q.order, q.page);
        },
    )
}

/// A code source with its workspace's organization and the roles `user` holds there, in one read.
pub fn cs_with_access(id: &str, user: &str) -> Stmt {
    // Built once: this runs on every GetCodeSource.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, w.organization_id, m.roles FROM code_sources c JOIN workspaces w ON w.id = c.workspace_id \
             LEFT JOIN workspace_members m ON m.workspace_id = c.workspace_id AND m.user_id = $2 WHERE c.id = $1",
            prefixed(CS_COLS, "c")
        )
    });
    stmt(&SQL, vec![t(id), t(user)])
}
pub fn cs_with_access_row(r: &dyn RowLike) -> StoreResult<CodeSourceAccess> {
    Ok(CodeSourceAccess { source: cs_row(r)?, organization_id: r.text(15), roles: r.opt_text(16).as_deref().map(RoleSet::from_stored) })
}
