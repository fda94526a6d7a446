//! The Yunxiao platform: who the token's user is, their organizations and the members of an
//! organization. Also token authentication and the organization a Codeup request acts in.

use super::{store_err, Principal};
use crate::identity_cache::CachedToken;
use crate::state::AppState;
use codeport_core::error::AuthFailure;
use codeport_core::secret::token_hash;
use codeport_core::timefmt::now_millis;
use codeport_core::values::{Page, ScopeAccess, ScopeResource, TokenScopes};
use codeport_core::{Error, NotFoundKind, Result};
use codeport_store::{OrgMember, OrgMemberQuery, OrgRole, Organization};
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

    /// The organizations the caller belongs to.
    pub async fn user_organizations(&self, p: &Principal) -> Result<Vec<(Organization, OrgRole)>> {
        self.store.organizations_of_user(&p.user.id).await.map_err(store_err)
    }

    /// One page of an organization's members (the caller must belong to it).
    pub async fn organization_members(&self, organization_id: &str, text: Option<String>, roles: Vec<OrgRole>, page: Page) -> Result<(Vec<OrgMember>, u64)> {
        let q = OrgMemberQuery { organization_id: organization_id.to_string(), text, roles, page };
        self.store.list_org_members(&q).await.map_err(store_err)
    }

    /// One organization member by user id.
    pub async fn organization_member(&self, organization_id: &str, user_id: &str) -> Result<OrgMember> {
        self.store
            .org_member(organization_id, user_id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| Error::not_found(NotFoundKind::Member, user_id))
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
