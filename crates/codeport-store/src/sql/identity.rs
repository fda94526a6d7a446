//! Organizations, users, their memberships, AccessKeys, tokens and the identity generation.

use super::*;

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
    Ok(user_at(r, 0))
}
/// The user whose [`USER_COLS`] start at column `i`.
pub(super) fn user_at(r: &dyn RowLike, i: usize) -> User {
    User {
        id: r.text(i),
        name: r.text(i + 1),
        display_name: r.text(i + 2),
        email: r.text(i + 3),
        default_organization_id: r.text(i + 4),
        created_at: r.int(i + 5),
    }
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
pub fn org_with_role_row(r: &dyn RowLike) -> StoreResult<(Organization, OrgRole)> {
    Ok((org_row(r)?, org_role(r, 3)?))
}

const ORG_MEMBER_SELECT: &str =
    "SELECT m.organization_id, m.role, m.created_at, u.id, u.name, u.display_name, u.email, u.default_organization_id, u.created_at";
pub fn org_member_row(r: &dyn RowLike) -> StoreResult<OrgMember> {
    Ok(OrgMember { organization_id: r.text(0), role: org_role(r, 1)?, joined_at: r.int(2), user: user_at(r, 3) })
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
                b.contains(&["u.name", "u.display_name", "u.email"], text);
            }
            if !q.roles.is_empty() {
                b.push(" AND m.role IN ").list(q.roles.iter().map(|r| t(r.as_str())));
            }
        },
        |b| {
            b.order_and_page("m.created_at", "m.user_id", SortOrder::Asc, q.page);
        },
    )
}

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

/// Every statement of bootstrapping an empty database, in order (one transaction): the
/// organization, its owner with a password hash (if given), an AccessKey and a token, the
/// root namespace, the default policies attached to the owner, and a new identity generation.
pub fn bootstrap(org: &Organization, owner: &User, password_hash: Option<&str>, key: &AccessKey, token: &PersonalAccessToken) -> Vec<Stmt> {
    vec![
        insert_org(org),
        insert_user(owner),
        set_password_hash(&owner.id, password_hash),
        insert_membership(&org.id, &owner.id, OrgRole::Owner, org.created_at),
        insert_key(key),
        insert_token(token),
        insert_root_ns(org),
        seed_default_policies(&org.id),
        attach_default_policies(&owner.id, &org.id, org.created_at),
        bump_identity_generation(),
    ]
}

/// Every statement of creating a user (one transaction): the user with a password hash (if
/// given), their membership in their default organization, its default policies, and a new
/// identity generation.
pub fn create_user(user: &User, role: OrgRole, password_hash: Option<&str>) -> Vec<Stmt> {
    vec![
        insert_user(user),
        set_password_hash(&user.id, password_hash),
        insert_membership(&user.default_organization_id, &user.id, role, user.created_at),
        attach_default_policies(&user.id, &user.default_organization_id, user.created_at),
        bump_identity_generation(),
    ]
}
