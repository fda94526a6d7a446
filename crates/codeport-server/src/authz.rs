//! RAM-style authorization: the decision of a principal's attached policies on the action
//! of the call's catalog operation and one resource, made in every operation next to (never
//! instead of) the resource rules — workspace roles, group and repository membership,
//! visibility. Both must allow. The action is never named here or in a service: it is the
//! one the request's route was registered with ([`Call::operation`]).
//!
//! A principal's policies are compiled once and cached with the identities; the cache is
//! invalidated by the identity generation (read per request on SQLite, pushed by the
//! database on PostgreSQL), so a change applies to the next request. Condition keys come
//! from the call's [`RequestFacts`](crate::services::RequestFacts), which the edge filled
//! in: `acs:SourceIp` is the connection's peer address (never a forwarded-for header),
//! `acs:CurrentTime`, `acs:SecureTransport`, `acs:AccessId` (the AccessKey that signed, PAI
//! only), `acs:PrincipalARN`, `acs:UserAgent`, plus the per-service keys an operation passes.

use crate::services::{Call, Principal};
use crate::state::AppState;
use codeport_core::error::AccessDenied;
use codeport_core::{Error, Result};
use codeport_policy::{keys, Context, DecisionEffect, PolicySet, Request};
use std::sync::Arc;

/// The region in resource ARNs. codeport is one region; policies usually write `*` there.
pub const REGION: &str = "cn-hangzhou";

/// ARN of a PAI workspace.
pub fn workspace_arn(organization_id: &str, workspace_id: &str) -> String {
    format!("acs:paiworkspace:{REGION}:{organization_id}:workspace/{workspace_id}")
}

/// ARN of a PAI code source (`*` for the workspace's code sources as a whole).
pub fn code_source_arn(organization_id: &str, workspace_id: &str, code_source_id: &str) -> String {
    format!("acs:paicodesource:{REGION}:{organization_id}:workspace/{workspace_id}/codesource/{code_source_id}")
}

/// ARN of a Codeup namespace (group) by full path.
pub fn namespace_arn(organization_id: &str, full_path: &str) -> String {
    format!("acs:codeup:{REGION}:{organization_id}:namespace/{full_path}")
}

/// ARN of a Codeup repository by full path.
pub fn repository_arn(organization_id: &str, full_path: &str) -> String {
    format!("acs:codeup:{REGION}:{organization_id}:repository/{full_path}")
}

/// ARN of a Codeup organization (platform operations).
pub fn organization_arn(organization_id: &str) -> String {
    format!("acs:codeup:{REGION}:{organization_id}:organization")
}

/// ARN of a user (GetCurrentUser).
pub fn user_arn(organization_id: &str, user_id: &str) -> String {
    format!("acs:codeup:{REGION}:{organization_id}:user/{user_id}")
}

/// The RAM principal ARN of a user, as `acs:PrincipalARN` carries it.
pub fn principal_arn(p: &Principal) -> String {
    format!("acs:ram::{}:user/{}", p.organization_id(), p.user.name)
}

/// The condition keys of a call.
fn condition_context(call: &Call, extra: &[(&str, &str)]) -> Context {
    let (p, facts) = (&*call.principal, &call.facts);
    let mut ctx = Context::new();
    if let Some(ip) = facts.source_ip {
        ctx.insert(keys::SOURCE_IP, ip);
    }
    ctx.insert(keys::CURRENT_TIME, time::OffsetDateTime::now_utc());
    ctx.insert(keys::SECURE_TRANSPORT, facts.secure_transport);
    if let Some(k) = &p.access_key_id {
        ctx.insert(keys::ACCESS_ID, k.as_str());
    }
    ctx.insert(keys::PRINCIPAL_ARN, principal_arn(p));
    if let Some(ua) = facts.user_agent.as_ref().and_then(|v| v.to_str().ok()) {
        ctx.insert(keys::USER_AGENT, ua);
    }
    for (k, v) in extra {
        ctx.insert(k, *v);
    }
    ctx
}

impl AppState {
    /// A user's compiled policies, from the cache or compiled and cached.
    pub async fn policy_set(&self, user_id: &str) -> Result<Arc<PolicySet>> {
        if let Some(set) = self.identity.policy_set(user_id) {
            return Ok(set);
        }
        let epoch = self.identity.epoch();
        let set = Arc::new(self.policies().compile_policies(user_id).await?);
        self.identity.insert_policy_set(epoch, user_id, set.clone());
        Ok(set)
    }

    /// The RAM decision for the call's operation on `resource`: Ok when an attached policy
    /// allows its action and none denies it, else `Error::AccessDenied` (each wire family
    /// renders it as the cloud does). The action is always the one of the operation the
    /// request's route was registered for ([`Call::operation`]); `extra` adds per-service
    /// condition keys such as `pai:Accessibility`.
    pub async fn authorize(&self, call: &Call, resource: &str, extra: &[(&str, &str)]) -> Result<()> {
        let p = &*call.principal;
        let action = call.operation.action();
        let set = self.policy_set(&p.user.id).await?;
        // Policies without conditions never read the context: skip building it (hot path).
        let ctx = if set.uses_conditions() { condition_context(call, extra) } else { Context::new() };
        let decision = set.evaluate(&Request::new(action, resource, &ctx));
        match decision.effect {
            DecisionEffect::Allow => Ok(()),
            effect => Err(Error::access_denied(AccessDenied {
                action: action.to_string(),
                resource: resource.to_string(),
                principal_id: p.user.id.clone(),
                principal_name: p.user.name.clone(),
                account_id: p.organization_id().to_string(),
                explicit: effect == DecisionEffect::ExplicitDeny,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeport_core::actions::Operation;

    /// Fills a catalog resource form the way the builders above are meant to.
    fn form(op: Operation, values: &[(&str, &str)]) -> String {
        let mut arn = op.spec().resource.replace("{region}", REGION).replace("{organizationId}", "ORG");
        for (k, v) in values {
            arn = arn.replace(&format!("{{{k}}}"), v);
        }
        arn
    }

    /// The ARNs the services build are the catalog's forms, so a policy written from
    /// `codeport admin actions` matches what is decided.
    #[test]
    fn arn_builders_follow_the_catalog_forms() {
        assert_eq!(workspace_arn("ORG", "12"), form(Operation::GetWorkspace, &[("WorkspaceId", "12")]));
        assert_eq!(workspace_arn("ORG", "*"), form(Operation::ListWorkspaces, &[]));
        assert_eq!(code_source_arn("ORG", "12", "code-x"), form(Operation::GetCodeSource, &[("WorkspaceId", "12"), ("CodeSourceId", "code-x")]));
        assert_eq!(code_source_arn("ORG", "12", "*"), form(Operation::CreateCodeSource, &[("WorkspaceId", "12")]));
        assert_eq!(namespace_arn("ORG", "ORG/g"), form(Operation::GetNamespace, &[("fullPath", "ORG/g")]));
        assert_eq!(repository_arn("ORG", "ORG/g/r"), form(Operation::PushRepository, &[("fullPath", "ORG/g/r")]));
        assert_eq!(organization_arn("ORG"), form(Operation::ListOrganizationMembers, &[]));
        assert_eq!(user_arn("ORG", "7"), form(Operation::GetCurrentUser, &[("userId", "7")]));
        // Every form is one of those shapes.
        for op in Operation::ALL {
            let arn = form(*op, &[("WorkspaceId", "12"), ("CodeSourceId", "c"), ("fullPath", "p"), ("userId", "7")]);
            assert!(!arn.contains('{'), "{op}: {arn}");
        }
    }
}
