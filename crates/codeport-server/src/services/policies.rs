//! RAM-style policies: custom policies of an organization, the official system policies,
//! attachments to users, the organization's default set, and the compiled set of one user's
//! policies that a decision is made against. Documents are parsed (and unknown actions of
//! codeport's services refused) when they are created, so a stored policy always compiles.

use super::store_err;
use crate::state::AppState;
use codeport_core::entities::{PolicyDeletion, PolicyRecord, PolicyRef};
use codeport_core::timefmt::now_millis;
use codeport_core::{Error, NotFoundKind, Result};
use codeport_policy::{system, Context, Policy, PolicySet, Request, StaticCatalog};

/// `System`: the official policies, defined in code.
pub const SYSTEM: &str = "System";
/// `Custom`: an organization's own policies.
pub const CUSTOM: &str = "Custom";

/// A policy as listed or shown: system or custom, with its document.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// `System` or `Custom`.
    pub policy_type: &'static str,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Document (JSON).
    pub document: String,
}

fn parse_document(document: &str) -> Result<Policy> {
    Policy::parse(document, &StaticCatalog::codeport()).map_err(|e| Error::invalid("PolicyDocument", e.to_string()))
}

/// RAM's policy name rule: 1 to 128 letters, digits and hyphens.
fn valid_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 128 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::invalid("PolicyName", format!("{name:?} must be 1 to 128 letters, digits or hyphens")));
    }
    Ok(())
}

impl Policies<'_> {
    /// Resolves a policy name: a system policy by its official name, else a custom policy of
    /// the organization (case-insensitive).
    async fn policy_ref(&self, organization_id: &str, name: &str) -> Result<(PolicyRef, PolicyView)> {
        if let Some(p) = system::get(name) {
            let view = PolicyView { policy_type: SYSTEM, name: p.name.into(), description: p.description.into(), document: p.document.into() };
            return Ok((PolicyRef { policy_type: SYSTEM.into(), policy_name: p.name.into() }, view));
        }
        let p = self.store.policy(organization_id, name).await.map_err(store_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Policy, name))?;
        let view = PolicyView { policy_type: CUSTOM, name: p.name.clone(), description: p.description, document: p.document };
        Ok((PolicyRef { policy_type: CUSTOM.into(), policy_name: p.name }, view))
    }

    /// Creates a custom policy after parsing its document (precise errors: statement, field, why).
    pub async fn create_policy(&self, name: &str, description: &str, document: &str) -> Result<PolicyView> {
        valid_name(name)?;
        if system::ALL.iter().any(|p| p.name.eq_ignore_ascii_case(name)) {
            return Err(Error::invalid("PolicyName", format!("{name} is the name of a system policy")));
        }
        parse_document(document)?;
        let org = self.identities().default_organization().await?;
        let now = now_millis();
        let record = PolicyRecord {
            organization_id: org.id,
            name: name.into(),
            description: description.into(),
            document: document.into(),
            created_at: now,
            updated_at: now,
        };
        self.store.create_policy(&record).await.map_err(store_err)?;
        self.identity.invalidate();
        Ok(PolicyView { policy_type: CUSTOM, name: record.name, description: record.description, document: record.document })
    }

    /// Every policy: the system ones, then the organization's custom ones.
    pub async fn list_policies(&self) -> Result<Vec<PolicyView>> {
        let org = self.identities().default_organization().await?;
        let mut out: Vec<PolicyView> = system::ALL
            .iter()
            .map(|p| PolicyView { policy_type: SYSTEM, name: p.name.into(), description: p.description.into(), document: p.document.into() })
            .collect();
        for p in self.store.list_policies(&org.id).await.map_err(store_err)? {
            out.push(PolicyView { policy_type: CUSTOM, name: p.name, description: p.description, document: p.document });
        }
        Ok(out)
    }

    /// One policy, system or custom.
    pub async fn show_policy(&self, name: &str) -> Result<PolicyView> {
        let org = self.identities().default_organization().await?;
        Ok(self.policy_ref(&org.id, name).await?.1)
    }

    /// Deletes a custom policy; refused while attached or in the default set.
    pub async fn delete_policy(&self, name: &str) -> Result<()> {
        if system::get(name).is_some() {
            return Err(Error::invalid("PolicyName", format!("{name} is a system policy and cannot be deleted")));
        }
        let org = self.identities().default_organization().await?;
        match self.store.delete_policy(&org.id, name).await.map_err(store_err)? {
            PolicyDeletion::Deleted => {
                self.identity.invalidate();
                Ok(())
            }
            PolicyDeletion::NotFound => Err(Error::not_found(NotFoundKind::Policy, name)),
            PolicyDeletion::Attached(n) => Err(Error::Conflict {
                message: format!("Policy {name} is still attached {n} time(s) (to users or the default set); detach it first."),
            }),
        }
    }

    /// Attaches a policy to a user.
    pub async fn attach_policy(&self, user_name: &str, policy: &str) -> Result<()> {
        let user = self.identities().user_named(user_name).await?;
        let (r, _) = self.policy_ref(&user.default_organization_id, policy).await?;
        self.store.attach_policy(&user, &r, now_millis()).await.map_err(store_err)?;
        // This process sees the change at once; other processes at their next generation poll.
        self.identity.invalidate();
        Ok(())
    }

    /// Detaches a policy from a user.
    pub async fn detach_policy(&self, user_name: &str, policy: &str) -> Result<()> {
        let user = self.identities().user_named(user_name).await?;
        let r = match self.policy_ref(&user.default_organization_id, policy).await {
            Ok((r, _)) => r,
            // A custom policy that is gone may still be named to clean up its attachment.
            Err(Error::NotFound { .. }) => PolicyRef { policy_type: CUSTOM.into(), policy_name: policy.into() },
            Err(e) => return Err(e),
        };
        if !self.store.detach_policy(&user.id, &r).await.map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::Policy, format!("{policy} attached to {user_name}")));
        }
        self.identity.invalidate();
        Ok(())
    }

    /// The policies attached to a user, in attachment order.
    pub async fn user_policies(&self, user_name: &str) -> Result<Vec<PolicyRef>> {
        let user = self.identities().user_named(user_name).await?;
        Ok(self.store.attached_policies(&user.id).await.map_err(store_err)?.into_iter().map(|a| a.policy).collect())
    }

    /// The organization's default set.
    pub async fn default_policies(&self) -> Result<Vec<PolicyRef>> {
        let org = self.identities().default_organization().await?;
        self.store.default_policies(&org.id).await.map_err(store_err)
    }

    /// Replaces the default set (each name must resolve).
    pub async fn set_default_policies(&self, names: &[String]) -> Result<Vec<PolicyRef>> {
        let org = self.identities().default_organization().await?;
        let mut set: Vec<PolicyRef> = Vec::new();
        for n in names {
            let (r, _) = self.policy_ref(&org.id, n).await?;
            if !set.contains(&r) {
                set.push(r);
            }
        }
        self.store.set_default_policies(&org.id, &set).await.map_err(store_err)?;
        self.identity.invalidate();
        Ok(set)
    }

    /// Compiles a user's attached policies into one set (a custom policy that is gone, or no
    /// longer parses, contributes nothing: deny by default).
    pub async fn compile_policies(&self, user_id: &str) -> Result<PolicySet> {
        let catalog = StaticCatalog::codeport();
        let mut set = PolicySet::default();
        for a in self.store.attached_policies(user_id).await.map_err(store_err)? {
            let document = match (a.policy.policy_type.as_str(), &a.document) {
                (SYSTEM, _) => system::get(&a.policy.policy_name).map(|p| p.document.to_string()),
                (_, Some(d)) => Some(d.clone()),
                _ => None,
            };
            let Some(document) = document else { continue };
            match Policy::parse(&document, &catalog) {
                Ok(p) => {
                    set.add(a.policy.policy_name.clone(), p);
                }
                Err(e) => tracing::warn!(policy = %a.policy.policy_name, error = %e, "an attached policy no longer parses; it grants nothing"),
            }
        }
        Ok(set)
    }

    /// `codeport admin policy simulate`: the decision for one request and every statement's
    /// part in it, as printable lines.
    pub async fn simulate_policy(&self, user_name: &str, action: &str, resource: &str, context: &Context) -> Result<Vec<String>> {
        let user = self.identities().user_named(user_name).await?;
        let set = self.compile_policies(&user.id).await?;
        let trace = set.simulate(&Request::new(action, resource, context));
        let mut lines = vec![trace.decision.to_string()];
        for st in &trace.statements {
            let why = match &st.failed_condition {
                Some(c) => format!("{:?} (condition {c} not met)", st.outcome),
                None => format!("{:?}", st.outcome),
            };
            lines.push(format!("  {} {:?}: {why}", st.statement, st.effect));
        }
        Ok(lines)
    }
}

/// The use cases of RAM policies and their attachments: a view of the shared state, so a handler reaches them by name
/// (`state.policies().…`).
#[derive(Clone, Copy)]
pub struct Policies<'a>(&'a AppState);

impl std::ops::Deref for Policies<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of RAM policies and their attachments.
    pub fn policies(&self) -> Policies<'_> {
        Policies(self)
    }
}
