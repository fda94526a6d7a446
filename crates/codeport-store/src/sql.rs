//! The SQL codeport runs, written once for both dialects. Placeholders are `$1, $2, ...`:
//! PostgreSQL binds them by number, and the SQLite backend rewrites them to `?1, ?2, ...`,
//! which SQLite also binds by number, so one text serves both. Rows are read
//! through [`RowLike`], which each backend implements, so row mapping is written once too.

use crate::{StoreError, StoreResult, UniqueViolation};
use codeport_core::entities::*;
use codeport_core::timefmt::Millis;
use codeport_core::values::{Accessibility, CloneType, CodeVisibility, Page, RoleSet, SortOrder};
use codeport_core::AccessLevel;

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum P {
    /// Text.
    T(String),
    /// Integer.
    I(i64),
    /// Nullable integer.
    OI(Option<i64>),
    /// Boolean.
    B(bool),
    /// Nullable bytes.
    Bytes(Option<Vec<u8>>),
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// SQL text with `$n` placeholders.
    pub sql: String,
    /// Parameters, `$1` first.
    pub params: Vec<P>,
    /// What a unique violation by this statement means (None: the backend's constraint name is all there is).
    pub unique: Option<UniqueViolation>,
}

/// A failure of a statement that declared `unique`: a unique violation is reported as that.
pub fn declared(e: StoreError, unique: Option<UniqueViolation>) -> StoreError {
    match (e, unique) {
        (StoreError::Unique(_), Some(v)) => StoreError::Unique(v),
        (e, _) => e,
    }
}

impl Stmt {
    /// Declares what a unique violation by this statement means.
    fn on_unique(mut self, v: UniqueViolation) -> Stmt {
        self.unique = Some(v);
        self
    }
}

fn t(s: &str) -> P {
    P::T(s.to_string())
}

/// Builds a statement with placeholders numbered as parameters are pushed.
#[derive(Default)]
struct Builder {
    sql: String,
    params: Vec<P>,
}

impl Builder {
    fn new(sql: &str) -> Self {
        Builder { sql: sql.to_string(), params: Vec::new() }
    }
    /// Appends SQL text.
    fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }
    /// Appends a placeholder bound to `p`.
    fn bind(&mut self, p: P) -> &mut Self {
        self.params.push(p);
        self.sql.push_str(&format!("${}", self.params.len()));
        self
    }
    /// Appends `ORDER BY key dir, tiebreak dir LIMIT size OFFSET offset`.
    fn order_and_page(&mut self, key: &str, tiebreak: &str, order: SortOrder, page: Page) -> &mut Self {
        let dir = order.sql();
        self.push(&format!(" ORDER BY {key} {dir}, {tiebreak} {dir} LIMIT ")).bind(P::I(page.size as i64)).push(" OFFSET ").bind(P::I(page.offset()))
    }
    fn build(self) -> Stmt {
        Stmt { sql: self.sql, params: self.params, unique: None }
    }
}

/// A listing's count and page statements from one filter: `from_where` appends the FROM and
/// WHERE clauses to both, `order` the ORDER BY / LIMIT / OFFSET of the page.
fn count_and_page(columns: &str, from_where: impl Fn(&mut Builder), order: impl Fn(&mut Builder)) -> (Stmt, Stmt) {
    let mut count = Builder::new("SELECT COUNT(*)");
    from_where(&mut count);
    let mut page = Builder::new(columns);
    from_where(&mut page);
    order(&mut page);
    (count.build(), page.build())
}

fn stmt(sql: &str, params: Vec<P>) -> Stmt {
    Stmt { sql: sql.to_string(), params, unique: None }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern and wraps it for a substring match. The
/// pattern keeps its case: the SQL compares `lower(column) LIKE lower(pattern)`, so both sides
/// are folded by the same function. (Folding here with Rust's Unicode `to_lowercase` broke
/// SQLite, whose `lower()` folds ASCII only: "Ärger" became "ärger" and never matched.)
fn contains_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Read access to a result row, by column index.
pub trait RowLike {
    /// A TEXT column.
    fn text(&self, i: usize) -> String;
    /// An integer column.
    fn int(&self, i: usize) -> i64;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Option<i64>;
    /// A boolean column (INTEGER in SQLite).
    fn boolean(&self, i: usize) -> bool;
    /// A nullable bytes column.
    fn opt_bytes(&self, i: usize) -> Option<Vec<u8>>;
    /// A nullable TEXT column.
    fn opt_text(&self, i: usize) -> Option<String>;
}

/// A stored value parsed into its domain type: a value the type refuses is a corrupt row,
/// reported as a backend failure rather than read as some default.
fn parsed<T, V: std::fmt::Debug>(column: &str, stored: V, parse: impl FnOnce(&V) -> Option<T>) -> StoreResult<T> {
    parse(&stored).ok_or_else(|| StoreError::Backend(format!("corrupt row: {column} holds {stored:?}")))
}
fn org_role(r: &dyn RowLike, i: usize) -> StoreResult<OrgRole> {
    parsed("role", r.text(i), |s| OrgRole::from_stored(s))
}
fn visibility(r: &dyn RowLike, i: usize) -> StoreResult<CodeVisibility> {
    parsed("visibility", r.text(i), |s| CodeVisibility::parse("visibility", s).ok())
}
fn access_level(r: &dyn RowLike, i: usize) -> StoreResult<AccessLevel> {
    parsed("access_level", r.int(i), |n| AccessLevel::from_codeup(*n))
}

// --- organizations and users ---------------------------------------------------------

pub const ORG_COLS: &str = "id, name, created_at";
pub fn org_row(r: &dyn RowLike) -> StoreResult<Organization> {
    Ok(Organization { id: r.text(0), name: r.text(1), created_at: r.int(2) })
}
pub fn insert_org(o: &Organization) -> Stmt {
    stmt("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)", vec![t(&o.id), t(&o.name), P::I(o.created_at)])
}
pub fn org_by_name(name: &str) -> Stmt {
    stmt(&format!("SELECT {ORG_COLS} FROM organizations WHERE name = $1"), vec![t(name)])
}
pub fn org_by_id(id: &str) -> Stmt {
    stmt(&format!("SELECT {ORG_COLS} FROM organizations WHERE id = $1"), vec![t(id)])
}
pub fn count_orgs() -> Stmt {
    stmt("SELECT COUNT(*) FROM organizations", vec![])
}

pub const USER_COLS: &str = "id, name, display_name, email, default_organization_id, created_at";
pub fn user_row(r: &dyn RowLike) -> StoreResult<User> {
    Ok(User { id: r.text(0), name: r.text(1), display_name: r.text(2), email: r.text(3), default_organization_id: r.text(4), created_at: r.int(5) })
}
pub fn insert_user(u: &User) -> Stmt {
    stmt(
        "INSERT INTO users (id, name, display_name, email, default_organization_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![t(&u.id), t(&u.name), t(&u.display_name), t(&u.email), t(&u.default_organization_id), P::I(u.created_at)],
    )
    .on_unique(UniqueViolation::UserName(u.name.clone()))
}
pub fn insert_membership(org: &str, user: &str, role: OrgRole, now: Millis) -> Stmt {
    stmt(
        "INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        vec![t(org), t(user), t(role.as_str()), P::I(now)],
    )
}
pub fn user_by_id(id: &str) -> Stmt {
    stmt(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), vec![t(id)])
}
pub fn user_by_name(name: &str) -> Stmt {
    stmt(&format!("SELECT {USER_COLS} FROM users WHERE lower(name) = lower($1)"), vec![t(name)])
}
pub fn org_role_of(org: &str, user: &str) -> Stmt {
    stmt("SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2", vec![t(org), t(user)])
}

/// Bumps the identity generation (inside every identity-changing transaction).
pub fn bump_identity_generation() -> Stmt {
    stmt("UPDATE identity_generation SET value = value + 1 WHERE id = 1", vec![])
}
/// Reads the identity generation (no parameters, so the text is the same in both dialects).
pub const IDENTITY_GENERATION: &str = "SELECT value FROM identity_generation WHERE id = 1";
pub fn identity_generation() -> Stmt {
    stmt(IDENTITY_GENERATION, vec![])
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

/// Organizations a user belongs to, with their role, by name.
pub fn orgs_of_user(user: &str) -> Stmt {
    stmt(
        "SELECT o.id, o.name, o.created_at, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.created_at, o.id",
        vec![t(user)],
    )
}
/// A role column.
pub fn org_role_row(r: &dyn RowLike) -> StoreResult<OrgRole> {
    org_role(r, 0)
}
/// A `MAX(access_level)` column: NULL (no membership) is [`AccessLevel::None`].
pub fn level_row(r: &dyn RowLike) -> StoreResult<AccessLevel> {
    match r.opt_int(0) {
        None => Ok(AccessLevel::None),
        Some(_) => access_level(r, 0),
    }
}
pub fn org_with_role_row(r: &dyn RowLike) -> StoreResult<(Organization, OrgRole)> {
    Ok((org_row(r)?, org_role(r, 3)?))
}

const ORG_MEMBER_SELECT: &str =
    "SELECT m.organization_id, m.role, m.created_at, u.id, u.name, u.display_name, u.email, u.default_organization_id, u.created_at";
pub fn org_member_row(r: &dyn RowLike) -> StoreResult<OrgMember> {
    Ok(OrgMember {
        organization_id: r.text(0),
        role: org_role(r, 1)?,
        joined_at: r.int(2),
        user: User {
            id: r.text(3),
            name: r.text(4),
            display_name: r.text(5),
            email: r.text(6),
            default_organization_id: r.text(7),
            created_at: r.int(8),
        },
    })
}
pub fn org_member(org: &str, user: &str) -> Stmt {
    stmt(
        &format!("{ORG_MEMBER_SELECT} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.user_id = $2"),
        vec![t(org), t(user)],
    )
}

/// The count and page statements of an organization member listing (by join time).
pub fn list_org_members(q: &OrgMemberQuery) -> (Stmt, Stmt) {
    count_and_page(
        ORG_MEMBER_SELECT,
        |b| {
            b.push(" FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = ").bind(t(&q.organization_id));
            if let Some(text) = &q.text {
                let p = contains_pattern(text);
                b.push(" AND (lower(u.name) LIKE lower(")
                    .bind(P::T(p.clone()))
                    .push(") ESCAPE '\\' OR lower(u.display_name) LIKE lower(")
                    .bind(P::T(p.clone()));
                b.push(") ESCAPE '\\' OR lower(u.email) LIKE lower(").bind(P::T(p)).push(") ESCAPE '\\')");
            }
            if !q.roles.is_empty() {
                b.push(" AND m.role IN (");
                for (i, r) in q.roles.iter().enumerate() {
                    if i > 0 {
                        b.push(", ");
                    }
                    b.bind(t(r.as_str()));
                }
                b.push(")");
            }
        },
        |b| {
            b.order_and_page("m.created_at", "m.user_id", SortOrder::Asc, q.page);
        },
    )
}

// --- namespaces ----------------------------------------------------------------------

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
        vec![
            t(&n.organization_id),
            P::OI(n.parent_id),
            t(n.kind.as_str()),
            t(&n.name),
            t(&n.path),
            t(&n.full_path),
            t(&n.full_name),
            t(&n.description),
            t(n.visibility.as_str()),
            t(&n.avatar_url),
            t(&n.owner_id),
            P::I(n.depth),
            P::I(n.created_at),
            P::I(n.updated_at),
        ],
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
/// Ancestry is a prefix test with substr, never LIKE: paths may contain `_`, a LIKE wildcard.
pub fn ns_access_level(org: &str, full_path: &str, user: &str, now: Millis) -> Stmt {
    stmt(
        "SELECT MAX(nm.access_level) FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id \
         WHERE a.organization_id = $1 AND nm.user_id = $3 AND (nm.expires_at IS NULL OR nm.expires_at > $4) \
         AND (lower(a.full_path) = lower($2) OR substr(lower($2), 1, length(a.full_path) + 1) = lower(a.full_path) || '/')",
        vec![t(org), t(full_path), t(user), P::I(now)],
    )
}

/// Rewrites a group's own row (name, path, full path and name, description, visibility, avatar).
pub fn update_ns(n: &Namespace) -> Stmt {
    stmt(
        "UPDATE namespaces SET name = $1, path = $2, full_path = $3, full_name = $4, description = $5, visibility = $6, avatar_url = $7, updated_at = $8, parent_id = $10, depth = $11 WHERE id = $9",
        vec![
            t(&n.name),
            t(&n.path),
            t(&n.full_path),
            t(&n.full_name),
            t(&n.description),
            t(n.visibility.as_str()),
            t(&n.avatar_url),
            P::I(n.updated_at),
            P::I(n.id),
            P::OI(n.parent_id),
            P::I(n.depth),
        ],
    )
}
/// Moves every descendant of `old` under the new full path and name prefixes.
pub fn rebase_descendants(old: &Namespace, new: &Namespace) -> Stmt {
    stmt(
        "UPDATE namespaces SET full_path = $1 || substr(full_path, length($2) + 1), full_name = $3 || substr(full_name, length($4) + 1), depth = depth + $6 \
         WHERE organization_id = $5 AND substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/'",
        vec![t(&new.full_path), t(&old.full_path), t(&new.full_name), t(&old.full_name), t(&old.organization_id), P::I(new.depth - old.depth)],
    )
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
    stmts.push(cap_descendant_visibility(&new.organization_id, &new.full_path, new.visibility, more_visible));
    stmts.push(cap_repo_visibility(&new.organization_id, &new.full_path, new.visibility, more_visible));
    stmts
}
/// The deepest depth among a group's descendants (the group's own depth when it has none).
pub fn max_descendant_depth(n: &Namespace) -> Stmt {
    stmt(
        "SELECT MAX(depth) FROM namespaces WHERE organization_id = $1 AND (id = $3 OR substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/')",
        vec![t(&n.organization_id), t(&n.full_path), P::I(n.id)],
    )
}
/// Lowers descendants of the group at `full_path` that are more visible than `allowed` to it.
pub fn cap_descendant_visibility(org: &str, full_path: &str, allowed: CodeVisibility, more_visible: &[CodeVisibility]) -> Stmt {
    let mut b = Builder::new("UPDATE namespaces SET visibility = ");
    b.bind(t(allowed.as_str())).push(" WHERE organization_id = ").bind(t(org));
    b.push(" AND substr(lower(full_path), 1, length(")
        .bind(t(full_path))
        .push(") + 1) = lower(")
        .bind(t(full_path))
        .push(") || '/' AND visibility IN (");
    if more_visible.is_empty() {
        b.push("NULL");
    }
    for (i, v) in more_visible.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(t(v.as_str()));
    }
    b.push(")");
    b.build()
}
/// How many groups sit below the one at `full_path`.
pub fn count_descendants(org: &str, full_path: &str) -> Stmt {
    stmt(
        "SELECT COUNT(*) FROM namespaces WHERE organization_id = $1 AND substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/'",
        vec![t(org), t(full_path)],
    )
}
/// Deletes the group at `full_path` and everything below it (members go by cascade).
pub fn delete_ns_tree(org: &str, full_path: &str) -> Stmt {
    stmt(
        "DELETE FROM namespaces WHERE organization_id = $1 AND kind = 'group' AND (lower(full_path) = lower($2) OR substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/')",
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
        user: User {
            id: r.text(4),
            name: r.text(5),
            display_name: r.text(6),
            email: r.text(7),
            default_organization_id: r.text(8),
            created_at: r.int(9),
        },
    })
}
/// Unexpired memberships at `min_level` or above on the group at `full_path` and its ancestors.
pub fn ns_members(org: &str, full_path: &str, min_level: AccessLevel, now: Millis) -> Stmt {
    stmt(
        &format!(
            "{NS_MEMBER_SELECT} JOIN namespaces a ON a.id = nm.namespace_id WHERE a.organization_id = $1 \
             AND (lower(a.full_path) = lower($2) OR substr(lower($2), 1, length(a.full_path) + 1) = lower(a.full_path) || '/') \
             AND nm.access_level >= $3 AND (nm.expires_at IS NULL OR nm.expires_at > $4) ORDER BY nm.created_at, u.id"
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
                b.push(" AND (n.visibility <> 'private' OR EXISTS (SELECT 1 FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id WHERE nm.user_id = ")
                    .bind(t(u))
                    .push(" AND (nm.expires_at IS NULL OR nm.expires_at > ")
                    .bind(P::I(now))
                    .push(") AND a.organization_id = n.organization_id AND (lower(a.full_path) = lower(n.full_path) OR substr(lower(n.full_path), 1, length(a.full_path) + 1) = lower(a.full_path) || '/')))");
            }
            if let Some(text) = &q.search {
                let p = contains_pattern(text);
                b.push(" AND (lower(n.name) LIKE lower(")
                    .bind(P::T(p.clone()))
                    .push(") ESCAPE '\\' OR lower(n.path) LIKE lower(")
                    .bind(P::T(p))
                    .push(") ESCAPE '\\')");
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

// --- policies --------------------------------------------------------------------------

/// The default policy set a new organization starts with: allow every action.
pub fn seed_default_policies(org: &str) -> Stmt {
    stmt("INSERT INTO default_policies (organization_id, policy_type, policy_name) VALUES ($1, 'System', 'AdministratorAccess')", vec![t(org)])
}
/// Attaches an organization's default policies to a new user.
pub fn attach_default_policies(user: &str, org: &str, now: Millis) -> Stmt {
    stmt(
        "INSERT INTO policy_attachments (user_id, policy_type, policy_name, created_at) SELECT $1, policy_type, policy_name, $3 FROM default_policies WHERE organization_id = $2",
        vec![t(user), t(org), P::I(now)],
    )
}
pub const POLICY_COLS: &str = "organization_id, name, description, document, created_at, updated_at";
pub fn policy_row(r: &dyn RowLike) -> StoreResult<PolicyRecord> {
    Ok(PolicyRecord {
        organization_id: r.text(0),
        name: r.text(1),
        description: r.text(2),
        document: r.text(3),
        created_at: r.int(4),
        updated_at: r.int(5),
    })
}
pub fn insert_policy(p: &PolicyRecord) -> Stmt {
    stmt(
        &format!("INSERT INTO policies ({POLICY_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        vec![t(&p.organization_id), t(&p.name), t(&p.description), t(&p.document), P::I(p.created_at), P::I(p.updated_at)],
    )
    .on_unique(UniqueViolation::PolicyName(p.name.clone()))
}
pub fn policy_by_name(org: &str, name: &str) -> Stmt {
    stmt(&format!("SELECT {POLICY_COLS} FROM policies WHERE organization_id = $1 AND lower(name) = lower($2)"), vec![t(org), t(name)])
}
pub fn policies_of_org(org: &str) -> Stmt {
    stmt(&format!("SELECT {POLICY_COLS} FROM policies WHERE organization_id = $1 ORDER BY lower(name)"), vec![t(org)])
}
/// How many users of the organization, and default sets, use a custom policy.
pub fn count_policy_uses(org: &str, name: &str) -> Stmt {
    stmt(
        "SELECT (SELECT COUNT(*) FROM policy_attachments pa JOIN users u ON u.id = pa.user_id WHERE u.default_organization_id = $1 AND pa.policy_type = 'Custom' AND lower(pa.policy_name) = lower($2))          + (SELECT COUNT(*) FROM default_policies WHERE organization_id = $1 AND policy_type = 'Custom' AND lower(policy_name) = lower($2))",
        vec![t(org), t(name)],
    )
}
pub fn delete_policy(org: &str, name: &str) -> Stmt {
    stmt("DELETE FROM policies WHERE organization_id = $1 AND lower(name) = lower($2)", vec![t(org), t(name)])
}
pub fn attach_policy(user: &User, p: &PolicyRef, now: Millis) -> Stmt {
    stmt(
        "INSERT INTO policy_attachments (user_id, policy_type, policy_name, created_at) VALUES ($1, $2, $3, $4)",
        vec![t(&user.id), t(&p.policy_type), t(&p.policy_name), P::I(now)],
    )
    .on_unique(UniqueViolation::PolicyAttachment { policy_name: p.policy_name.clone(), user_name: user.name.clone() })
}
pub fn detach_policy(user: &str, p: &PolicyRef) -> Stmt {
    stmt(
        "DELETE FROM policy_attachments WHERE user_id = $1 AND policy_type = $2 AND lower(policy_name) = lower($3)",
        vec![t(user), t(&p.policy_type), t(&p.policy_name)],
    )
}
/// A user's attached policies in attachment order, with custom documents joined in.
pub fn attached_policies(user: &str) -> Stmt {
    stmt(
        "SELECT pa.policy_type, pa.policy_name, p.document FROM policy_attachments pa JOIN users u ON u.id = pa.user_id          LEFT JOIN policies p ON pa.policy_type = 'Custom' AND p.organization_id = u.default_organization_id AND lower(p.name) = lower(pa.policy_name)          WHERE pa.user_id = $1 ORDER BY pa.created_at, pa.policy_type, pa.policy_name",
        vec![t(user)],
    )
}
pub fn attached_row(r: &dyn RowLike) -> StoreResult<AttachedPolicy> {
    Ok(AttachedPolicy { policy: PolicyRef { policy_type: r.text(0), policy_name: r.text(1) }, document: r.opt_text(2) })
}
pub fn default_policies(org: &str) -> Stmt {
    stmt("SELECT policy_type, policy_name FROM default_policies WHERE organization_id = $1 ORDER BY policy_type DESC, policy_name", vec![t(org)])
}
pub fn policy_ref_row(r: &dyn RowLike) -> StoreResult<PolicyRef> {
    Ok(PolicyRef { policy_type: r.text(0), policy_name: r.text(1) })
}
pub fn clear_default_policies(org: &str) -> Stmt {
    stmt("DELETE FROM default_policies WHERE organization_id = $1", vec![t(org)])
}
pub fn insert_default_policy(org: &str, p: &PolicyRef) -> Stmt {
    stmt(
        "INSERT INTO default_policies (organization_id, policy_type, policy_name) VALUES ($1, $2, $3)",
        vec![t(org), t(&p.policy_type), t(&p.policy_name)],
    )
}

// --- repositories ----------------------------------------------------------------------

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
/// Inserts a repository in state 'creating' (invisible until activated) and returns its id.
pub fn insert_repo(x: &Repository) -> Stmt {
    stmt(
        "INSERT INTO repositories (organization_id, namespace_id, name, path, full_path, full_name, description, visibility, default_branch, avatar_url, creator_id, archived, state, created_at, updated_at, last_activity_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'creating', $13, $14, $15) RETURNING id",
        vec![
            t(&x.organization_id),
            P::I(x.namespace_id),
            t(&x.name),
            t(&x.path),
            t(&x.full_path),
            t(&x.full_name),
            t(&x.description),
            t(x.visibility.as_str()),
            t(&x.default_branch),
            t(&x.avatar_url),
            t(&x.creator_id),
            P::B(x.archived),
            P::I(x.created_at),
            P::I(x.updated_at),
            P::I(x.last_activity_at),
        ],
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
        "SELECT MAX(level) FROM (\
           SELECT nm.access_level AS level FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id \
           WHERE a.organization_id = $1 AND nm.user_id = $3 AND (nm.expires_at IS NULL OR nm.expires_at > $4) \
           AND substr(lower($2), 1, length(a.full_path) + 1) = lower(a.full_path) || '/' \
           UNION ALL SELECT rm.access_level FROM repository_members rm \
           WHERE rm.repository_id = $5 AND rm.user_id = $3 AND (rm.expires_at IS NULL OR rm.expires_at > $4)) levels",
        vec![t(&x.organization_id), t(&x.full_path), t(user), P::I(now), P::I(x.id)],
    )
}
/// Rewrites a repository's mutable fields.
pub fn update_repo(x: &Repository) -> Stmt {
    stmt(
        "UPDATE repositories SET namespace_id = $2, name = $3, path = $4, full_path = $5, full_name = $6, description = $7, visibility = $8, default_branch = $9, avatar_url = $10, archived = $11, updated_at = $12 \
         WHERE id = $1 AND state = 'active'",
        vec![
            P::I(x.id),
            P::I(x.namespace_id),
            t(&x.name),
            t(&x.path),
            t(&x.full_path),
            t(&x.full_name),
            t(&x.description),
            t(x.visibility.as_str()),
            t(&x.default_branch),
            t(&x.avatar_url),
            P::B(x.archived),
            P::I(x.updated_at),
        ],
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
    stmt(
        "UPDATE repositories SET full_path = $1 || substr(full_path, length($2) + 1), full_name = $3 || substr(full_name, length($4) + 1) \
         WHERE organization_id = $5 AND substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/'",
        vec![t(&new.full_path), t(&old.full_path), t(&new.full_name), t(&old.full_name), t(&old.organization_id)],
    )
}
/// Lowers repositories below the group at `full_path` that are more visible than `allowed`.
pub fn cap_repo_visibility(org: &str, full_path: &str, allowed: CodeVisibility, more_visible: &[CodeVisibility]) -> Stmt {
    let mut s = cap_descendant_visibility(org, full_path, allowed, more_visible);
    s.sql = s.sql.replacen("UPDATE namespaces", "UPDATE repositories", 1);
    s
}
/// Repositories anywhere below the group at `full_path`, in any state.
pub fn count_repos_below(org: &str, full_path: &str) -> Stmt {
    stmt(
        "SELECT COUNT(*) FROM repositories WHERE organization_id = $1 AND substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/'",
        vec![t(org), t(full_path)],
    )
}
/// Ids of the repositories below the group at `full_path`, in any state.
pub fn repo_ids_below(org: &str, full_path: &str) -> Stmt {
    stmt(
        "SELECT id FROM repositories WHERE organization_id = $1 AND substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/' ORDER BY id",
        vec![t(org), t(full_path)],
    )
}
/// Deletes the repositories below the group at `full_path` (their members go by cascade).
pub fn delete_repos_below(org: &str, full_path: &str) -> Stmt {
    stmt(
        "DELETE FROM repositories WHERE organization_id = $1 AND substr(lower(full_path), 1, length($2) + 1) = lower($2) || '/'",
        vec![t(org), t(full_path)],
    )
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
                    b.push(" AND substr(lower(r.full_path), 1, length(").bind(t(path)).push(") + 1) = lower(").bind(t(path)).push(") || '/'");
                }
            }
            if let NamespaceViewer::Member(u) = &q.viewer {
                b.push(" AND (r.visibility <> 'private' OR EXISTS (SELECT 1 FROM namespace_members nm JOIN namespaces a ON a.id = nm.namespace_id WHERE nm.user_id = ")
                    .bind(t(u))
                    .push(" AND (nm.expires_at IS NULL OR nm.expires_at > ")
                    .bind(P::I(now))
                    .push(") AND a.organization_id = r.organization_id AND substr(lower(r.full_path), 1, length(a.full_path) + 1) = lower(a.full_path) || '/') \
                           OR EXISTS (SELECT 1 FROM repository_members rm WHERE rm.repository_id = r.id AND rm.user_id = ")
                    .bind(t(u))
                    .push(" AND (rm.expires_at IS NULL OR rm.expires_at > ")
                    .bind(P::I(now))
                    .push(")))");
            }
            if let Some(text) = &q.search {
                let p = contains_pattern(text);
                b.push(" AND (lower(r.path) LIKE lower(")
                    .bind(P::T(p.clone()))
                    .push(") ESCAPE '\\' OR lower(r.name) LIKE lower(")
                    .bind(P::T(p))
                    .push(") ESCAPE '\\')");
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

// --- access keys and tokens ----------------------------------------------------------

pub const KEY_COLS: &str = "id, user_id, sealed_secret, enabled, created_at";
pub fn key_row(r: &dyn RowLike) -> StoreResult<AccessKey> {
    Ok(AccessKey {
        id: r.text(0),
        user_id: r.text(1),
        sealed_secret: r.opt_bytes(2).unwrap_or_default(),
        enabled: r.boolean(3),
        created_at: r.int(4),
    })
}
pub fn insert_key(k: &AccessKey) -> Stmt {
    stmt(
        "INSERT INTO access_keys (id, user_id, sealed_secret, enabled, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![t(&k.id), t(&k.user_id), P::Bytes(Some(k.sealed_secret.clone())), P::B(k.enabled), P::I(k.created_at)],
    )
}
pub fn key_by_id(id: &str) -> Stmt {
    stmt(&format!("SELECT {KEY_COLS} FROM access_keys WHERE id = $1"), vec![t(id)])
}
pub fn keys_of_user(user: &str) -> Stmt {
    stmt(&format!("SELECT {KEY_COLS} FROM access_keys WHERE user_id = $1 ORDER BY created_at, id"), vec![t(user)])
}
pub fn set_key_enabled(id: &str, enabled: bool) -> Stmt {
    stmt("UPDATE access_keys SET enabled = $1 WHERE id = $2", vec![P::B(enabled), t(id)])
}
pub fn delete_key(id: &str) -> Stmt {
    stmt("DELETE FROM access_keys WHERE id = $1", vec![t(id)])
}

pub const TOKEN_COLS: &str = "id, user_id, token_hash, scopes, expires_at, revoked, created_at";
pub fn token_row(r: &dyn RowLike) -> StoreResult<PersonalAccessToken> {
    Ok(PersonalAccessToken {
        id: r.text(0),
        user_id: r.text(1),
        token_hash: r.text(2),
        scopes: r.text(3),
        expires_at: r.opt_int(4),
        revoked: r.boolean(5),
        created_at: r.int(6),
    })
}
pub fn insert_token(k: &PersonalAccessToken) -> Stmt {
    stmt(
        "INSERT INTO personal_access_tokens (id, user_id, token_hash, scopes, expires_at, revoked, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![t(&k.id), t(&k.user_id), t(&k.token_hash), t(&k.scopes), P::OI(k.expires_at), P::B(k.revoked), P::I(k.created_at)],
    )
}
pub fn tokens_of_user(user: &str) -> Stmt {
    stmt(&format!("SELECT {TOKEN_COLS} FROM personal_access_tokens WHERE user_id = $1 ORDER BY created_at, id"), vec![t(user)])
}
pub fn token_by_hash(hash: &str) -> Stmt {
    stmt(&format!("SELECT {TOKEN_COLS} FROM personal_access_tokens WHERE token_hash = $1"), vec![t(hash)])
}
pub fn revoke_token(id: &str) -> Stmt {
    stmt("UPDATE personal_access_tokens SET revoked = $1 WHERE id = $2", vec![P::B(true), t(id)])
}

// --- workspaces ----------------------------------------------------------------------

pub const WS_COLS: &str =
    "id, organization_id, name, display_name, description, env_types, creator_id, is_default, status, created_at, modified_at, resource_group_id";
pub fn ws_row(r: &dyn RowLike) -> StoreResult<Workspace> {
    Ok(Workspace {
        id: r.text(0),
        organization_id: r.text(1),
        name: r.text(2),
        display_name: r.text(3),
        description: r.text(4),
        env_types: r.text(5),
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
            t(&w.env_types),
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
                b.push(" AND lower(w.name) LIKE lower(").bind(P::T(contains_pattern(n))).push(") ESCAPE '\\'");
            }
            if let Some(ids) = &q.ids {
                b.push(" AND w.id IN (");
                if ids.is_empty() {
                    b.push("NULL");
                }
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        b.push(", ");
                    }
                    b.bind(t(id));
                }
                b.push(")");
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

fn prefixed(cols: &str, alias: &str) -> String {
    cols.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

// --- members -------------------------------------------------------------------------

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
                let p = contains_pattern(n);
                b.push(" AND (lower(u.name) LIKE lower(")
                    .bind(P::T(p.clone()))
                    .push(") ESCAPE '\\' OR lower(u.display_name) LIKE lower(")
                    .bind(P::T(p))
                    .push(") ESCAPE '\\')");
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

// --- code sources --------------------------------------------------------------------

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
                b.push(" AND lower(display_name) LIKE lower(").bind(P::T(contains_pattern(n))).push(") ESCAPE '\\'");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of text cells, for the row mappers.
    struct Cells(Vec<&'static str>);

    impl RowLike for Cells {
        fn text(&self, i: usize) -> String {
            self.0[i].to_string()
        }
        fn int(&self, i: usize) -> i64 {
            self.0[i].parse().unwrap_or_default()
        }
        fn opt_int(&self, i: usize) -> Option<i64> {
            self.0[i].parse().ok()
        }
        fn boolean(&self, i: usize) -> bool {
            self.0[i] == "1"
        }
        fn opt_bytes(&self, _: usize) -> Option<Vec<u8>> {
            None
        }
        fn opt_text(&self, i: usize) -> Option<String> {
            Some(self.0[i].to_string())
        }
    }

    #[test]
    fn a_corrupt_stored_value_is_a_backend_error_not_a_default() {
        let mut ns = vec!["7", "org", "1", "group", "N", "n", "org/n", "org / N", "", "private", "", "u", "1", "0", "0"];
        assert_eq!(ns_row(&Cells(ns.clone())).unwrap().visibility, CodeVisibility::Private);
        ns[9] = "secret";
        assert!(matches!(ns_row(&Cells(ns.clone())), Err(StoreError::Backend(m)) if m.contains("visibility")));
        ns[9] = "public";
        ns[3] = "folder";
        assert!(matches!(ns_row(&Cells(ns)), Err(StoreError::Backend(m)) if m.contains("kind")));
        assert!(matches!(org_role_row(&Cells(vec!["superuser"])), Err(StoreError::Backend(_))));
        assert_eq!(level_row(&Cells(vec!["NULL"])).unwrap(), AccessLevel::None);
        assert!(matches!(level_row(&Cells(vec!["25"])), Err(StoreError::Backend(_))));
        assert_eq!(level_row(&Cells(vec!["30"])).unwrap(), AccessLevel::Write);
    }

    #[test]
    fn placeholders_are_numbered_in_order_of_appearance() {
        let q = MemberQuery {
            workspace_id: "1".into(),
            name_contains: Some("a_b".into()),
            any_role: vec![codeport_core::values::WorkspaceRole::AlgoDeveloper],
            user_id: Some("7".into()),
            page: codeport_core::values::Page::parse(None, None).unwrap(),
        };
        let (_, page) = list_members(&q);
        let mut next = 1;
        let mut rest = page.sql.as_str();
        while let Some(i) = rest.find('$') {
            let digits: String = rest[i + 1..].chars().take_while(char::is_ascii_digit).collect();
            assert_eq!(digits.parse::<usize>().unwrap(), next);
            next += 1;
            rest = &rest[i + 1..];
        }
        assert_eq!(next - 1, page.params.len());
        assert!(matches!(&page.params[1], P::T(p) if p == "%a\\_b%"));
    }
}
