//! The Yunxiao platform: who the token's user is, their organizations and the members of an
//! organization. Also token authentication and the organization a Codeup request acts in.

use super::{store_err, Call, Principal, RequestFacts};
use crate::authz::{organization_arn, user_arn};
use crate::identity_cache::CachedToken;
use crate::state::AppState;
use codeport_core::actions::Operation;
use codeport_core::entities::{OrgMember, OrgMemberQuery, OrgRole, Organization, User};
use codeport_core::error::AuthFailure;
use codeport_core::secret::token_hash;
use codeport_core::timefmt::now_millis;
use codeport_core::values::{Page, ScopeAccess, ScopeResource, TokenScopes};
use codeport_core::{Error, NotFoundKind, Result};
use std::sync::Arc;

/// A caller authenticated by a personal access token: the call (the token's owner, the
/// operation, the request facts) and what the token's scopes allow.
pub struct TokenCaller {
    /// Who is calling, for which operation.
    pub call: Call,
    /// Parsed scopes.
    pub scopes: TokenScopes,
}

impl TokenCaller {
    /// The owner.
    pub fn principal(&self) -> &Principal {
        &self.call.principal
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

/// Which edition a Codeup request came through, and so how its organization is named.
#[derive(Debug, Clone)]
pub enum Edition {
    /// `/oapi/v1/.../organizations/{organizationId}/...`.
    Central(String),
    /// `/oapi/v1/...` without an organization: the deployment's organization.
    Region,
}

impl Platform<'_> {
    /// Authenticates an `x-yunxiao-token` for `operation`: unknown or revoked → InvalidToken,
    /// expired → ExpiredToken.
    pub async fn authenticate_token(&self, token: Option<&str>, operation: Operation, facts: RequestFacts) -> Result<TokenCaller> {
        let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or(Error::Auth(AuthFailure::MissingToken))?;
        let hash = token_hash(token);
        self.identities().refresh_identity();
        let cached = match self.identity.token(&hash) {
            Some(hit) => hit,
            None => {
                let epoch = self.identity.epoch();
                let row = self.store.token_by_hash(&hash).await.map_err(store_err)?.ok_or(Error::Auth(AuthFailure::InvalidToken))?;
                let principal = self.identities().principal(&row.user_id, None).await.map_err(|_| Error::Auth(AuthFailure::InvalidToken))?;
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
        Ok(TokenCaller { call: Call { principal: cached.principal.clone(), operation, facts }, scopes })
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
            None => self.identities().default_organization().await,
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

    /// Checks the token's scope, resolves the organization the request acts in, and asks RAM
    /// for the call's operation on that organization (`acs:codeup:…:organization`).
    async fn acting_member_organization(&self, caller: &TokenCaller, edition: &Edition) -> Result<Organization> {
        caller.require(ScopeResource::OrganizationMember, ScopeAccess::Read)?;
        let (org, _) = self.acting_organization(caller.principal(), edition).await?;
        self.authorize(&caller.call, &organization_arn(&org.id), &[]).await?;
        Ok(org)
    }

    /// GetCurrentUser: the caller, once RAM allows it on their own user ARN.
    pub async fn current_user(&self, caller: &TokenCaller) -> Result<User> {
        caller.require(ScopeResource::User, ScopeAccess::Read)?;
        let p = caller.principal();
        self.authorize(&caller.call, &user_arn(p.organization_id(), &p.user.id), &[]).await?;
        Ok(p.user.clone())
    }

    /// ListOrganizations: the organizations the caller belongs to, with their role; listed
    /// across organizations, so RAM decides it in the caller's own one.
    pub async fn user_organizations(&self, caller: &TokenCaller) -> Result<Vec<(Organization, OrgRole)>> {
        caller.require(ScopeResource::Organization, ScopeAccess::Read)?;
        self.authorize(&caller.call, &organization_arn(caller.principal().organization_id()), &[]).await?;
        self.store.organizations_of_user(&caller.principal().user.id).await.map_err(store_err)
    }

    /// ListOrganizationMembers and SearchOrganizationMembers: one page of the acting
    /// organization's members, optionally filtered by text and roles.
    pub async fn organization_members(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        text: Option<String>,
        roles: Vec<OrgRole>,
        page: Page,
    ) -> Result<(Vec<OrgMember>, u64)> {
        let org = self.acting_member_organization(caller, edition).await?;
        let q = OrgMemberQuery { organization_id: org.id, text, roles, page };
        self.store.list_org_members(&q).await.map_err(store_err)
    }

    /// GetOrganizationMember (by member id) and GetOrganizationMemberByUserId: one member of
    /// the acting organization; an unknown or malformed id is a not-found member.
    pub async fn organization_member(&self, caller: &TokenCaller, edition: &Edition, member: MemberKey<'_>) -> Result<OrgMember> {
        let org = self.acting_member_organization(caller, edition).await?;
        let (user_id, shown) = match member {
            MemberKey::MemberId(m) => (user_of_org_member_id(&org.id, m), m),
            MemberKey::UserId(u) => (Some(u), u),
        };
        let not_found = || Error::not_found(NotFoundKind::Member, shown);
        let user_id = user_id.ok_or_else(not_found)?;
        self.store.org_member(&org.id, user_id).await.map_err(store_err)?.ok_or_else(not_found)
    }
}

/// How an organization member is named in a request.
#[derive(Debug, Clone, Copy)]
pub enum MemberKey<'a> {
    /// The member id Yunxiao shows (`{organizationId}-{userId}`).
    MemberId(&'a str),
    /// The user's id.
    UserId(&'a str),
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

/// The use cases of the Yunxiao platform: token callers, organizations and their members: a view of the shared state, so a handler reaches them by name
/// (`state.platform().…`).
#[derive(Clone, Copy)]
pub struct Platform<'a>(&'a AppState);

impl std::ops::Deref for Platform<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of the Yunxiao platform: token callers, organizations and their members.
    pub fn platform(&self) -> Platform<'_> {
        Platform(self)
    }
}
