//! Custom RAM policies, attachments and default sets.

use super::*;

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
