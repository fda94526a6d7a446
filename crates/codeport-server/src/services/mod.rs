//! Use cases, wire-agnostic. Each takes a [`Principal`] and a typed, already-validated
//! command, checks what the principal may do, runs one store call (one transaction) and
//! returns domain values. Both wire families call these; none of them sees a wire type.

pub mod checkout;
pub mod code_sources;
pub mod external_repos;
pub mod identity;
pub mod namespaces;
pub mod platform;
pub mod policies;
pub mod repositories;
pub mod repository_content;
pub mod workspaces;

use codeport_core::entities::{OrgRole, User};
use codeport_core::{AccessLevel, Error};

/// Who is calling: an authenticated user acting in their default organization.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// Their role in `user.default_organization_id`.
    pub org_role: OrgRole,
    /// The AccessKey that signed the request, when it was signed.
    pub access_key_id: Option<String>,
}

impl Principal {
    /// The organization the principal acts in.
    pub fn organization_id(&self) -> &str {
        &self.user.default_organization_id
    }
    /// Organization owners and admins see and manage every workspace of their organization.
    pub fn is_org_admin(&self) -> bool {
        self.org_role.is_admin()
    }
    /// What the organization role alone grants on every resource of the organization.
    pub fn org_level(&self) -> AccessLevel {
        self.org_role.access_level()
    }
}

/// Maps a store failure into the domain error (internal; the detail is logged, not sent).
pub(crate) fn store_err(e: codeport_store::StoreError) -> Error {
    e.into()
}
