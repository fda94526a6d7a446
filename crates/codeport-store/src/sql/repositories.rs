//! Codeup repositories.

use super::*;

pub const REPO_COLS: &str = "id, organization_id, namespace_id, name, path, full_path, full_name, description, visibility, default_branch, avatar_url, creator_id, archived, created_at, updated_at, last_activity_at";
pub fn repo_row(r: &dyn RowLike) -> StoreResult<Repository> {
    Ok(Repository {
        id: r.int(0),
        organization_id: r.text(1),
        namespace_id: r.int(2),
        name: r.text(3),
        path: r.text(4),
        full_path: r.text(5),
        full_name: r.text(6),
        description: r.text(7),
        visibility: visibility(r, 8)?,
        default_branch: r.text(9),
        avatar_url: r.text(10),
        creator_id: r.text(11),
        archived: r.boolean(12),
        created_at: r.int(13),
        updated_at: r.int(14),
        last_activity_at: r.int(15),
    })
}
/// The parameters from namespace_id to avatar_url, in column order, as insert and update bind them.
fn repo_settings(x: &Repository) -> Vec<P> {
    vec![
        P::I(x.namespace_id),
        t(&x.name),
        t(&x.path),
        t(&x.full_path),
        t(&x.full_name),
        t(&x.description),
        t(x.visibility.as_str()),
        t(&x.default_branch),
        t(&x.avatar_url),
    ]
}
/// Inserts a repository in state 'creating' (invisible until activated) and returns its id.
pub fn insert_repo(x: &Repository) -> Stmt {
    stmt(
        "INSERT INTO repositories (organization_id, namespace_id, name, path, full_path, full_name, description, visibility, default_branch, avatar_url, creator_id, archived, state, created_at, updated_at, last_activity_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'creating', $13, $14, $15) RETURNING id",
        [
            vec![t(&x.organization_id)],
            repo_settings(x),
            vec![t(&x.creator_id), P::B(x.archived), P::I(x.created_at), P::I(x.updated_at), P::I(x.last_activity_at)],
        ]
        .concat(),
    ).on_unique(UniqueViolation::RepositoryPath(x.full_path.clone()))
}
pub fn insert_repo_member(repo: i64, user: &str, level: AccessLevel, now: Millis) -> Stmt {
    stmt(
        "INSERT INTO repository_members (repository_id, user_id, access_level, expires_at, created_at) VALUES ($1, $2, $3, NULL, $4)",
        vec![P::I(repo), t(user), P::I(level.codeup()), P::I(now)],
    )
}
pub fn activate_repo(id: i64) -> Stmt {
    stmt("UPDATE repositories SET state = 'active' WHERE id = $1 AND state = 'creating'", vec![P::I(id)])
}
pub fn delete_repo(id: i64) -> Stmt {
    stmt("DELETE FROM repositories WHERE id = $1", vec![P::I(id)])
}
pub fn repo_by_id(id: i64) -> Stmt {
    stmt(&format!("SELECT {REPO_COLS} FROM repositories WHERE id = $1 AND state = 'active'"), vec![P::I(id)])
}
pub fn repo_by_path(org: &str, full_path: &str) -> Stmt {
    stmt(
        &format!("SELECT {REPO_COLS} FROM repositories WHERE organization_id = $1 AND lower(full_path) = lower($2) AND state = 'active'"),
        vec![t(org), t(full_path)],
    )
}
/// Deletes rows stuck in 'creating' since before `before`, returning their ids.
pub fn discard_unfinished_repos(before: Millis) -> Stmt {
    stmt("DELETE FROM repositories WHERE state = 'creating' AND created_at < $1 RETURNING id", vec![P::I(before)])
}
/// Ids of every repository row in any state (the data sweep keeps exactly these).
pub fn repo_ids() -> Stmt {
    stmt("SELECT id FROM repositories ORDER BY id", vec![])
}
/// The highest unexpired level `user` holds on the repository itself or a namespace above it.
pub fn repo_access_level(x: &Repository, user: &str, now: Millis) -> Stmt {
    stmt(
        &format!(
            "SELECT MAX(level) FROM (\
               SELECT nm.access_level AS level FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id \
               WHERE a.organization_id = $1 AND nm.user_id = $3 AND {} AND {} \
               UNION ALL SELECT rm.access_level FROM repository_members rm WHERE rm.repository_id = $5 AND rm.user_id = $3 AND {}) levels",
            unexpired("nm", "$4"),
            below("$2", "a.full_path"),
            unexpired("rm", "$4")
        ),
        vec![t(&x.organization_id), t(&x.full_path), t(user), P::I(now), P::I(x.id)],
    )
}
/// Rewrites a repository's mutable fields.
pub fn update_repo(x: &Repository) -> Stmt {
    stmt(
        "UPDATE repositories SET namespace_id = $2, name = $3, path = $4, full_path = $5, full_name = $6, description = $7, visibility = $8, default_branch = $9, avatar_url = $10, archived = $11, updated_at = $12 \
         WHERE id = $1 AND state = 'active'",
        [vec![P::I(x.id)], repo_settings(x), vec![P::B(x.archived), P::I(x.updated_at)]].concat(),
    ).on_unique(UniqueViolation::RepositoryPath(x.full_path.clone()))
}
/// Records activity (a push or an API commit); sets the default branch when given.
pub fn touch_repo(id: i64, now: Millis, default_branch: Option<&str>) -> Stmt {
    match default_branch {
        Some(b) => stmt("UPDATE repositories SET last_activity_at = $2, default_branch = $3 WHERE id = $1", vec![P::I(id), P::I(now), t(b)]),
        None => stmt("UPDATE repositories SET last_activity_at = $2 WHERE id = $1", vec![P::I(id), P::I(now)]),
    }
}
/// Moves the repositories below group `old` under its new full path and name prefixes.
pub fn rebase_repos(old: &Namespace, new: &Namespace) -> Stmt {
    rebase_below("repositories", old, new, "")
}
/// Repositories anywhere below the group at `full_path`, in any state.
pub fn count_repos_below(org: &str, full_path: &str) -> Stmt {
    rows_below("SELECT COUNT(*) FROM repositories", org, full_path, "")
}
/// Ids of the repositories below the group at `full_path`, in any state.
pub fn repo_ids_below(org: &str, full_path: &str) -> Stmt {
    rows_below("SELECT id FROM repositories", org, full_path, " ORDER BY id")
}
/// Deletes the repositories below the group at `full_path` (their members go by cascade).
pub fn delete_repos_below(org: &str, full_path: &str) -> Stmt {
    rows_below("DELETE FROM repositories", org, full_path, "")
}

/// The count and page statements of a repository listing (active repositories only).
pub fn list_repos(q: &RepositoryQuery, now: Millis) -> (Stmt, Stmt) {
    count_and_page(
        &format!("SELECT {}", prefixed(REPO_COLS, "r")),
        |b| {
            b.push(" FROM repositories r WHERE r.state = 'active' AND r.organization_id = ").bind(t(&q.organization_id));
            match &q.scope {
                RepositoryScope::Organization => {}
                RepositoryScope::Namespace(id) => {
                    b.push(" AND r.namespace_id = ").bind(P::I(*id));
                }
                RepositoryScope::Subtree(path) => {
                    let path = b.param(t(path));
                    b.push(&format!(" AND {}", below("r.full_path", &path)));
                }
            }
            if let NamespaceViewer::Member(u) = &q.viewer {
                let via_group = group_membership(b, u, now, "r.organization_id", |a| below("r.full_path", a));
                let (user, now) = (b.param(t(u)), b.param(P::I(now)));
                let direct = format!(
                    "EXISTS (SELECT 1 FROM repository_members rm WHERE rm.repository_id = r.id AND rm.user_id = {user} AND {})",
                    unexpired("rm", &now)
                );
                b.push(&format!(" AND (r.visibility <> 'private' OR {via_group} OR {direct})"));
            }
            if let Some(text) = &q.search {
                b.contains(&["r.path", "r.name"], text);
            }
            if let Some(a) = q.archived {
                b.push(" AND r.archived = ").bind(P::B(a));
            }
        },
        |b| {
            let key = match q.sort {
                RepositorySort::Created => "r.created_at",
                RepositorySort::Updated => "r.updated_at",
                RepositorySort::Name => "lower(r.name)",
                RepositorySort::Path => "lower(r.path)",
                RepositorySort::LastActivity => "r.last_activity_at",
                RepositorySort::Id => "r.id",
            };
            b.order_and_page(key, "r.id", q.order, q.page);
        },
    )
}
