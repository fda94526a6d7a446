//! Use cases, wire-agnostic. Each takes a [`Call`] (or the [`Principal`] behind it) and a
//! typed, already-validated command, checks what the caller may do, runs one store call (one
//! transaction) and returns domain values. Both wire families and the admin CLI call these;
//! none of them sees a wire type. Each module's use cases are methods of a type named for
//! them (`CodeSources`, `Workspaces`, `CodeGroups`, `Repositories`, …), reached from the
//! shared state by the same name in snake case: a handler calls
//! `state.code_sources().get_code_source(&call, id)`.

pub mod checkout;
pub mod code_sources;
pub mod console_auth;
pub mod external_repos;
pub mod identity;
pub mod namespaces;
pub mod platform;
pub mod policies;
pub mod repositories;
pub mod repository_content;
pub mod workspaces;

use codeport_core::actions::Operation;
use codeport_core::entities::{OrgRole, User};
use codeport_core::{AccessLevel, Error};
use std::sync::Arc;

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

/// What RAM conditions may ask about a request besides who made it. The edge that received
/// the request fills it in and hands it to the services explicitly (never through a
/// task-local), so an authorization decision depends only on its arguments.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// The connection's peer address (never a forwarded-for header).
    pub source_ip: Option<std::net::IpAddr>,
    /// The User-Agent header (a cheap reference-counted copy).
    pub user_agent: Option<http::HeaderValue>,
    /// Whether clients reach codeport over https (`acs:SecureTransport`).
    pub secure_transport: bool,
}

/// One authenticated request as the services see it: who is calling, the catalog operation
/// the request's route was registered for, and the request facts. Services authorize
/// `operation`, so the action decided is always the one the route carries; it dereferences to
/// the [`Principal`] for everything else.
#[derive(Debug, Clone)]
pub struct Call {
    /// Who is calling.
    pub principal: Arc<Principal>,
    /// The operation being served (its RAM action is what gets authorized).
    pub operation: Operation,
    /// What conditions may read.
    pub facts: RequestFacts,
}

impl Call {
    /// A call made by code rather than over HTTP (benchmarks, tests, the admin CLI): no
    /// source address or User-Agent, so conditions on them are unmet.
    pub fn new(principal: Arc<Principal>, operation: Operation) -> Call {
        Call { principal, operation, facts: RequestFacts::default() }
    }

    /// The same caller and facts, deciding another operation (one operation that implies
    /// another, as deleting a group deletes its repositories).
    pub fn as_operation(&self, operation: Operation) -> Call {
        Call { principal: self.principal.clone(), operation, facts: self.facts.clone() }
    }
}

impl std::ops::Deref for Call {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// Maps a store failure into the domain error (internal; the detail is logged, not sent).
pub(crate) fn store_err(e: codeport_store::StoreError) -> Error {
    e.into()
}
