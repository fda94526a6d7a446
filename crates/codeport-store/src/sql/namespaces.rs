//! Codeup namespaces (roots and groups) and their members.

use super::*;

pub const NS_COLS: &str = "id, organization_id, parent_id, kind, name, path, full_path, full_name, description, visibility, avatar_url, owner_id, depth, created_at, updated_at";
pub fn ns_row(r: &dyn RowLike) -> StoreResult<Namespace> {
    Ok(Namespace {
        id: r.int(0),
        organization_id: r.text(1),
        parent_id: r.opt_int(2),
        kind: parsed("kind", r.text(3), |s| NamespaceKind::from_stored(s))?,
        name: r.text(4),
        path: r.text(5),
        full_path: r.text(6),
        full_name: r.text(7),
        description: r.text(8),
        visibility: visibility(r, 9)?,
        avatar_url: r.text(10),
        owner_id: r.text(11),
        depth: r.int(12),
        created_at: r.int(13),
        updated_at: r.int(14),
    })
}
/// The parameters from name to avatar_url, in column order, as insert and update bind them.
fn ns_settings(n: &Namespace) -> Vec<P> {
    vec![t(&n.name), t(&n.path), t(&n.full_path), t(&n.full_name), t(&n.description), t(n.visibility.as_str()), t(&n.avatar_url)]
}
/// Inserts a namespace (its id is ignored) and returns the new id.
pub fn insert_ns(n: &Namespace) -> Stmt {
    let mut s = insert_ns_no_id(n);
    s.sql.push_str(" RETURNING id");
    s
}
/// Inserts a namespace without returning its id (for statement batches).
fn insert_ns_no_id(n: &Namespace) -> Stmt {
    stmt(
        "INSERT INTO namespaces (organization_id, parent_id, kind, name, path, full_path, full_name, description, visibility, avatar_url, owner_id, depth, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        [
            vec![t(&n.organization_id), P::OI(n.parent_id), t(n.kind.as_str())],
            ns_settings(n),
            vec![t(&n.owner_id), P::I(n.depth), P::I(n.created_at), P::I(n.updated_at)],
        ]
        .concat(),
    ).on_unique(UniqueViolation::GroupPath(n.full_path.clone()))
}
/// The root namespace of a new organization.
pub fn insert_root_ns(org: &Organization) -> Stmt {
    insert_ns_no_id(&Namespace {
        id: 0,
        organization_id: org.id.clone(),
        parent_id: None,
        kind: NamespaceKind::Organization,
        name: org.id.clone(),
        path: org.id.clone(),
        full_path: org.id.clone(),
        full_name: org.id.clone(),
        description: String::new(),
        visibility: CodeVisibility::Public,
        avatar_url: String::new(),
        owner_id: String::new(),
        depth: 0,
        created_at: org.created_at,
        updated_at: org.created_at,
    })
}
pub fn ns_by_id(id: i64) -> Stmt {
    stmt(&format!("SELECT {NS_COLS} FROM namespaces WHERE id = $1"), vec![P::I(id)])
}
pub fn ns_by_path(org: &str, full_path: &str) -> Stmt {
    stmt(&format!("SELECT {NS_COLS} FROM namespaces WHERE organization_id = $1 AND lower(full_path) = lower($2)"), vec![t(org), t(full_path)])
}
pub fn insert_ns_member(ns: i64, user: &str, level: AccessLevel, expires_at: Option<Millis>, now: Millis) -> Stmt {
    stmt(
        "INSERT INTO namespace_members (namespace_id, user_id, access_level, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![P::I(ns), t(user), P::I(level.codeup()), P::OI(expires_at), P::I(now)],
    )
}
/// Adds direct members to a group at one level (a statement each; one transaction makes it all or none).
pub fn add_ns_members(ns: &Namespace, user_ids: &[String], level: AccessLevel, expires_at: Option<Millis>, now: Millis) -> Vec<Stmt> {
    let collision = UniqueViolation::GroupMembers { full_path: ns.full_path.clone(), user_ids: user_ids.to_vec() };
    user_ids.iter().map(|u| insert_ns_member(ns.id, u, level, expires_at, now).on_unique(collision.clone())).collect()
}
/// The highest access level `user` holds on the namespace at `full_path` or any ancestor.
pub fn ns_access_level(org: &str, full_path: &str, user: &str, now: Millis) -> Stmt {
    stmt(
        &format!(
            "SELECT MAX(nm.access_level) FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id \
             WHERE a.organization_id = $1 AND nm.user_id = $3 AND {} AND {}",
            unexpired("nm", "$4"),
            at_or_below("$2", "a.full_path")
        ),
        vec![t(org), t(full_path), t(user), P::I(now)],
    )
}

/// Rewrites a group's own row (name, path, full path and name, description, visibility, avatar).
pub fn update_ns(n: &Namespace) -> Stmt {
    stmt(
        "UPDATE namespaces SET name = $1, path = $2, full_path = $3, full_name = $4, description = $5, visibility = $6, avatar_url = $7, updated_at = $8, parent_id = $10, depth = $11 WHERE id = $9",
        [ns_settings(n), vec![P::I(n.updated_at), P::I(n.id), P::OI(n.parent_id), P::I(n.depth)]].concat(),
    )
}
/// Moves every descendant of `old` under the new full path and name prefixes.
pub fn rebase_descendants(old: &Namespace, new: &Namespace) -> Stmt {
    let mut s = rebase_below("namespaces", old, new, ", depth = depth + $6");
    s.params.push(P::I(new.depth - old.depth));
    s
}
/// Every statement of a group update: its own row, then (when its full path, name or depth
/// changed) its descendant groups and repositories, then the visibility cap on both.
/// Any path collision, the group's own or a moved descendant's, is reported as the group's.
pub fn update_ns_tree(old: &Namespace, new: &Namespace, more_visible: &[CodeVisibility]) -> Vec<Stmt> {
    let collision = || UniqueViolation::GroupPath(new.full_path.clone());
    let mut stmts = vec![update_ns(new).on_unique(collision())];
    if old.full_path != new.full_path || old.full_name != new.full_name || old.depth != new.depth {
        stmts.push(rebase_descendants(old, new).on_unique(collision()));
        stmts.push(rebase_repos(old, new).on_unique(collision()));
    }
    for table in ["namespaces", "repositories"] {
        stmts.push(cap_visibility(table, &new.organization_id, &new.full_path, new.visibility, more_visible));
    }
    stmts
}
/// The deepest depth among a group's descendants (the group's own depth when it has none).
pub fn max_descendant_depth(n: &Namespace) -> Stmt {
    stmt(
        &format!("SELECT MAX(depth) FROM namespaces WHERE organization_id = $1 AND (id = $3 OR {})", below("full_path", "$2")),
        vec![t(&n.organization_id), t(&n.full_path), P::I(n.id)],
    )
}
/// Lowers rows of `table` (namespaces or repositories) below the group at `full_path` that
/// are more visible than `allowed` to it.
pub(super) fn cap_visibility(table: &str, org: &str, full_path: &str, allowed: CodeVisibility, more_visible: &[CodeVisibility]) -> Stmt {
    let mut b = Builder::new(&format!("UPDATE {table} SET visibility = "));
    b.bind(t(allowed.as_str())).push(" WHERE organization_id = ").bind(t(org));
    let path = b.param(t(full_path));
    b.push(&format!(" AND {} AND visibility IN ", below("full_path", &path))).list(more_visible.iter().map(|v| t(v.as_str())));
    b.build()
}
/// How many groups sit below the one at `full_path`.
pub fn count_descendants(org: &str, full_path: &str) -> Stmt {
    rows_below("SELECT COUNT(*) FROM namespaces", org, full_path, "")
}
/// Deletes the group at `full_path` and everything below it (members go by cascade).
pub fn delete_ns_tree(org: &str, full_path: &str) -> Stmt {
    stmt(
        &format!("DELETE FROM namespaces WHERE organization_id = $1 AND kind = 'group' AND {}", at_or_below("full_path", "$2")),
        vec![t(org), t(full_path)],
    )
}

const NS_MEMBER_SELECT: &str = "SELECT nm.namespace_id, nm.access_level, nm.expires_at, nm.created_at, u.id, u.name, u.display_name, u.email, u.default_organization_id, u.created_at \
     FROM namespace_members nm JOIN users u ON u.id = nm.user_id";
pub fn ns_member_row(r: &dyn RowLike) -> StoreResult<NamespaceMember> {
    Ok(NamespaceMember {
        namespace_id: r.int(0),
        access_level: access_level(r, 1)?,
        expires_at: r.opt_int(2),
        created_at: r.int(3),
        user: user_at(r, 4),
    })
}
/// Unexpired memberships at `min_level` or above on the group at `full_path` and its ancestors.
pub fn ns_members(org: &str, full_path: &str, min_level: AccessLevel, now: Millis) -> Stmt {
    stmt(
        &format!(
            "{NS_MEMBER_SELECT} JOIN namespaces a ON a.id = nm.namespace_id WHERE a.organization_id = $1 AND {} \
             AND nm.access_level >= $3 AND {} ORDER BY nm.created_at, u.id",
            at_or_below("$2", "a.full_path"),
            unexpired("nm", "$4")
        ),
        vec![t(org), t(full_path), P::I(min_level.codeup()), P::I(now)],
    )
}
pub fn ns_member(ns: i64, user: &str) -> Stmt {
    stmt(&format!("{NS_MEMBER_SELECT} WHERE nm.namespace_id = $1 AND nm.user_id = $2"), vec![P::I(ns), t(user)])
}
pub fn set_ns_member_level(ns: i64, user: &str, level: AccessLevel, expires_at: Option<Millis>) -> Stmt {
    stmt(
        "UPDATE namespace_members SET access_level = $1, expires_at = $2 WHERE namespace_id = $3 AND user_id = $4",
        vec![P::I(level.codeup()), P::OI(expires_at), P::I(ns), t(user)],
    )
}
pub fn delete_ns_member(ns: i64, user: &str) -> Stmt {
    stmt("DELETE FROM namespace_members WHERE namespace_id = $1 AND user_id = $2", vec![P::I(ns), t(user)])
}

/// The count and page statements of a namespace listing (groups only, never roots).
pub fn list_ns(q: &NamespaceQuery, now: Millis) -> (Stmt, Stmt) {
    count_and_page(
        &format!("SELECT {}", prefixed(NS_COLS, "n")),
        |b| {
            b.push(" FROM namespaces n WHERE n.kind = 'group' AND n.organization_id = ").bind(t(&q.organization_id));
            if let Some(p) = q.parent_id {
                b.push(" AND n.parent_id = ").bind(P::I(p));
            }
            if let NamespaceViewer::Member(u) = &q.viewer {
                let held = group_membership(b, u, now, "n.organization_id", |a| at_or_below("n.full_path", a));
                b.push(&format!(" AND (n.visibility <> 'private' OR {held})"));
            }
            if let Some(text) = &q.search {
                b.contains(&["n.name", "n.path"], text);
            }
        },
        |b| {
            let key = match q.sort {
                NamespaceSort::Created => "n.created_at",
                NamespaceSort::Updated => "n.updated_at",
            };
            b.order_and_page(key, "n.id", q.order, q.page);
        },
    )
}
/// A `MAX(access_level)` column: NULL (no membership) is [`AccessLevel::None`].
pub fn level_row(r: &dyn RowLike) -> StoreResult<AccessLevel> {
    match r.opt_int(0) {
        None => Ok(AccessLevel::None),
        Some(_) => access_level(r, 0),
    }
}
