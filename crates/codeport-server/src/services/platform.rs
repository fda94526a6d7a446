//! The Yunxiao platform: who the token's user is, their organizations and the members of an
//! organization. Also token authentication and the organization a Codeup request acts in.

use super::{store_err, Principal};
use crate::authz::{organization_arn, user_arn};
use crate::identity_cache::CachedToken;
use crate::state::AppState;
use codeport_core::entities::{OrgMember, OrgMemberQuery, OrgRole, Organization};
use codeport_core::error::AuthFailure;
use codeport_core::secret::token_hash;
use codeport_core::timefmt::now_millis;
use codeport_core::values::{Page, ScopeAccess, ScopeResource, TokenScopes};
use codeport_core::{Error, NotFoundKind, Result};
use std::sync::Arc;

/// A caller authenticated by a personal access token.
pub struct TokenCaller {
    /// The token and its owner.
    pub cached: Arc<CachedToken>,
    /// Parsed scopes.
    pub scopes: TokenScopes,
}

impl TokenCaller {
    /// The owner.
    pub fn principal(&self) -> &Principal {
        &self.cached.principal
    }

    /// Refuses the operation unless the token's scopes allow it.
    pub fn require(&self, resource: ScopeResource, access: ScopeAccess) -> Result<()> {
        if self.scopes.allows(resource, access) {
            Ok(())
        } else {
            Err(Error::Auth(AuthFailure::TokenScope))
        }
    }
}

/// The RAM actions of the Codeup family (codeport's extension: Codeup has no RAM actions of
/// its own), exactly as the action catalog (`codeport_core::actions`) names them.
pub mod actions {
    /// GetCurrentUser (`user/{userId}`).
    pub const GET_CURRENT_USER: &str = "codeup:GetCurrentUser";
    /// ListOrganizations (`organization`).
    pub const LIST_ORGANIZATIONS: &str = "codeup:ListOrganizations";
    /// ListOrganizationMembers (`organization`).
    pub const LIST_ORGANIZATION_MEMBERS: &str = "codeup:ListOrganizationMembers";
    /// GetOrganizationMember (`organization`).
    pub const GET_ORGANIZATION_MEMBER: &str = "codeup:GetOrganizationMember";
    /// GetOrganizationMemberByUserId (`organization`).
    pub const GET_ORGANIZATION_MEMBER_BY_USER_ID: &str = "codeup:GetOrganizationMemberByUserId";
    /// SearchOrganizationMembers (`organization`).
    pub const SEARCH_ORGANIZATION_MEMBERS: &str = "codeup:SearchOrganizationMembers";
    /// CreateGroup (`namespace/{new full path}`).
    pub const CREATE_GROUP: &str = "codeup:CreateGroup";
    /// GetNamespace.
    pub const GET_NAMESPACE: &str = "codeup:GetNamespace";
    /// ListNamespaces (`namespace/*`, or `namespace/{parent}/*`).
    pub const LIST_NAMESPACES: &str = "codeup:ListNamespaces";
    /// UpdateGroup.
    pub const UPDATE_GROUP: &str = "codeup:UpdateGroup";
    /// DeleteGroup.
    pub const DELETE_GROUP: &str = "codeup:DeleteGroup";
    /// ListGroupMembers.
    pub const LIST_GROUP_MEMBERS: &str = "codeup:ListGroupMembers";
    /// CreateGroupMember.
    pub const CREATE_GROUP_MEMBER: &str = "codeup:CreateGroupMember";
    /// UpdateGroupMember.
    pub const UPDATE_GROUP_MEMBER: &str = "codeup:UpdateGroupMember";
    /// DeleteGroupMember.
    pub const DELETE_GROUP_MEMBER: &str = "codeup:DeleteGroupMember";
    /// ListGroupRepositories (`namespace/{group}`).
    pub const LIST_GROUP_REPOSITORIES: &str = "codeup:ListGroupRepositories";
    /// CreateRepository (`repository/{new full path}`).
    pub const CREATE_REPOSITORY: &str = "codeup:CreateRepository";
    /// GetRepository.
    pub const GET_REPOSITORY: &str = "codeup:GetRepository";
    /// ListRepositories (`repository/*`).
    pub const LIST_REPOSITORIES: &str = "codeup:ListRepositories";
    /// UpdateRepository.
    pub const UPDATE_REPOSITORY: &str = "codeup:UpdateRepository";
    /// DeleteRepository.
    pub const DELETE_REPOSITORY: &str = "codeup:DeleteRepository";
    /// ListBranches.
    pub const LIST_BRANCHES: &str = "codeup:ListBranches";
    /// GetBranch.
    pub const GET_BRANCH: &str = "codeup:GetBranch";
    /// CreateBranch.
    pub const CREATE_BRANCH: &str = "codeup:CreateBranch";
    /// DeleteBranch.
    pub const DELETE_BRANCH: &str = "codeup:DeleteBranch";
    /// ListTags.
    pub const LIST_TAGS: &str = "codeup:ListTags";
    /// GetTag.
    pub const GET_TAG: &str = "codeup:GetTag";
    /// CreateTag.
    pub const CREATE_TAG: &str = "codeup:CreateTag";
    /// DeleteTag.
    pub const DELETE_TAG: &str = "codeup:DeleteTag";
    /// ListFiles.
    pub const LIST_FILES: &str = "codeup:ListFiles";
    /// GetFileBlobs.
    pub const GET_FILE_BLOBS: &str = "codeup:GetFileBlobs";
    /// CreateFile.
    pub const CREATE_FILE: &str = "codeup:CreateFile";
    /// UpdateFile.
    pub const UPDATE_FILE: &str = "codeup:UpdateFile";
    /// DeleteFile.
    pub const DELETE_FILE: &str = "codeup:DeleteFile";
    /// ListCommits.
    pub const LIST_COMMITS: &str = "codeup:ListCommits";
    /// GetCommit.
    pub const GET_COMMIT: &str = "codeup:GetCommit";
    /// GetCompare.
    pub const GET_COMPARE: &str = "codeup:GetCompare";
    /// Git clone and fetch (upload-pack).
    pub const GET_REPOSITORY_CONTENT: &str = "codeup:GetRepositoryContent";
    /// Git push (receive-pack).
    pub const PUSH_REPOSITORY: &str = "codeup:PushRepository";

    /// Every action above.
    pub const ALL: &[&str] = &[
        GET_CURRENT_USER,
        LIST_ORGANIZATIONS,
        LIST_ORGANIZATION_MEMBERS,
        GET_ORGANIZATION_MEMBER,
        GET_ORGANIZATION_MEMBER_BY_USER_ID,
        SEARCH_ORGANIZATION_MEMBERS,
        CREATE_GROUP,
        GET_NAMESPACE,
        LIST_NAMESPACES,
        UPDATE_GROUP,
        DELETE_GROUP,
        LIST_GROUP_MEMBERS,
        CREATE_GROUP_MEMBER,
        UPDATE_GROUP_MEMBER,
        DELETE_GROUP_MEMBER,
        LIST_GROUP_REPOSITORIES,
        CREATE_REPOSITORY,
        GET_REPOSITORY,
        LIST_REPOSITORIES,
        UPDATE_REPOSITORY,
        DELETE_REPOSITORY,
        LIST_BRANCHES,
        GET_BRANCH,
        CREATE_BRANCH,
        DELETE_BRANCH,
        LIST_TAGS,
        GET_TAG,
        CREATE_TAG,
        DELETE_TAG,
        LIST_FILES,
        GET_FILE_BLOBS,
        CREATE_FILE,
        UPDATE_FILE,
        DELETE_FILE,
        LIST_COMMITS,
        GET_COMMIT,
        GET_COMPARE,
        GET_REPOSITORY_CONTENT,
        PUSH_REPOSITORY,
    ];
}

/// Which edition a Codeup request came through, and so how its organization is named.
#[derive(Debug, Clone)]
pub enum Edition {
    /// `/oapi/v1/.../organizations/{organizationId}/...`.
    Central(String),
    /// `/oapi/v1/...` without an organization: the deployment's organization.
    Region,
}

impl AppState {
    /// Authenticates an `x-yunxiao-token`: unknown or revoked → InvalidToken, expired → ExpiredToken.
    pub async fn authenticate_token(&self, token: Option<&str>) -> Result<TokenCaller> {
        let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or(Error::Auth(AuthFailure::MissingToken))?;
        let hash = token_hash(token);
        self.refresh_identity();
        let cached = match self.identity.token(&hash) {
            Some(hit) => hit,
            None => {
                let epoch = self.identity.epoch();
                let row = self.store.token_by_hash(&hash).await.map_err(store_err)?.ok_or(Error::Auth(AuthFailure::InvalidToken))?;
                let principal = self.principal(&row.user_id, None).await.map_err(|_| Error::Auth(AuthFailure::InvalidToken))?;
                let entry = Arc::new(CachedToken { token: row, principal: Arc::new(principal) });
                self.identity.insert_token(epoch, entry.clone());
                entry
            }
        };
        if cached.token.revoked {
            return Err(Error::Auth(AuthFailure::InvalidToken));
        }
        if cached.token.expires_at.is_some_and(|e| e <= now_millis()) {
            return Err(Error::Auth(AuthFailure::ExpiredToken));
        }
        self.token_limits.check(&cached.token.token_hash).map_err(|retry_after_ms| Error::TooManyRequests { retry_after_ms })?;
        let scopes = TokenScopes::parse(&cached.token.scopes).unwrap_or_else(|_| TokenScopes::parse("user:read").expect("valid"));
        Ok(TokenCaller { cached, scopes })
    }

    /// The organization a request acts in, and the caller's role there. Central: the named
    /// organization, which the caller must belong to. Region: the deployment's organization.
    pub async fn acting_organization(&self, p: &Principal, edition: &Edition) -> Result<(Organization, OrgRole)> {
        let (org, failure) = match edition {
            Edition::Central(id) => (self.store.organization(id).await.map_err(store_err)?, AuthFailure::NotOrganizationMember),
            Edition::Region => (Some(self.region_organization().await?), AuthFailure::NotDeploymentOrganizationMember),
        };
        let org = org.ok_or(Error::Auth(failure))?;
        let role = self.store.org_role(&org.id, &p.user.id).await.map_err(store_err)?.ok_or(Error::Auth(failure))?;
        Ok((org, role))
    }

    /// The organization the region edition serves (configured by id or name; default "default").
    pub async fn region_organization(&self) -> Result<Organization> {
        match &self.config.region_organization {
            None => self.default_organization().await,
            Some(key) => {
                let by_id = self.store.organization(key).await.map_err(store_err)?;
                let found = match by_id {
                    Some(o) => Some(o),
                    None => self.store.organization_by_name(key).await.map_err(store_err)?,
                };
                found.ok_or_else(|| Error::not_found(NotFoundKind::Organization, key.clone()))
            }
        }
    }

    /// The RAM decision for a Codeup operation of a token's owner (in addition to, never
    /// instead of, the resource rules).
    pub async fn authorize_token(&self, caller: &TokenCaller, action: &str, resource: &str) -> Result<()> {
        self.authorize(caller.principal(), action, resource, &[]).await
    }

    /// GetCurrentUser's RAM decision: the caller's own user ARN in their organization.
    pub async fn authorize_current_user(&self, caller: &TokenCaller) -> Result<()> {
        let p = caller.principal();
        self.authorize_token(caller, actions::GET_CURRENT_USER, &user_arn(p.organization_id(), &p.user.id)).await
    }

    /// An organization-level operation's RAM decision (ListOrganizations, the member reads).
    pub async fn authorize_organization(&self, caller: &TokenCaller, action: &str, organization_id: &str) -> Result<()> {
        self.authorize_token(caller, action, &organization_arn(organization_id)).await
    }

    /// The organizations the caller belongs to.
    pub async fn user_organizations(&self, p: &Principal) -> Result<Vec<(Organization, OrgRole)>> {
        self.store.organizations_of_user(&p.user.id).await.map_err(store_err)
    }

    /// One page of an organization's members (the caller must belong to it).
    pub async fn organization_members(
        &self,
        organization_id: &str,
        text: Option<String>,
        roles: Vec<OrgRole>,
        page: Page,
    ) -> Result<(Vec<OrgMember>, u64)> {
        let q = OrgMemberQuery { organization_id: organization_id.to_string(), text, roles, page };
        self.store.list_org_members(&q).await.map_err(store_err)
    }

    /// One organization member by user id.
    pub async fn organization_member(&self, organization_id: &str, user_id: &str) -> Result<OrgMember> {
        self.store.org_member(organization_id, user_id).await.map_err(store_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Member, user_id))
    }
}

/// The member id Yunxiao shows for a membership: distinct from the user id, stable, and
/// free of `:` (which the colon verbs use): `{organizationId}-{userId}`.
pub fn org_member_id(organization_id: &str, user_id: &str) -> String {
    format!("{organization_id}-{user_id}")
}

/// The user id inside a member id of this organization.
pub fn user_of_org_member_id<'a>(organization_id: &str, member_id: &'a str) -> Option<&'a str> {
    member_id.strip_prefix(organization_id)?.strip_prefix('-').filter(|u| codeport_core::ids::is_numeric_id(u))
}

#[cfg(test)]
mod tests {
    use super::actions;

    #[test]
    fn every_codeup_action_is_in_the_catalog() {
        for a in actions::ALL {
            let spec = codeport_core::actions::find(a).unwrap_or_else(|| panic!("{a} is not in the action catalog"));
            assert_eq!(spec.action, *a, "spelled exactly as the catalog");
            assert_eq!(spec.family, codeport_core::actions::Family::Codeup, "{a}");
        }
        // Every Codeup operation of the catalog is enforced somewhere.
        for spec in codeport_core::actions::CATALOG.iter().filter(|s| s.family == codeport_core::actions::Family::Codeup) {
            assert!(actions::ALL.contains(&spec.action), "{} is never authorized", spec.action);
        }
    }
}
