//! Organizations, users and their credentials: who a caller is and which organization they
//! act in. The store keeps these rows; the services decide what they allow.

use crate::access::AccessLevel;
use crate::timefmt::Millis;
use crate::values::Page;

/// An organization (Codeup's top level; PAI's account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// 24 lowercase hex digits.
    pub id: String,
    /// Unique name; the bootstrap one is "default".
    pub name: String,
    /// Creation time.
    pub created_at: Millis,
}

/// A user of codeport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Numeric string.
    pub id: String,
    /// Login name, unique ignoring case.
    pub name: String,
    /// Shown name.
    pub display_name: String,
    /// Email, may be empty.
    pub email: String,
    /// The organization the user lands in.
    pub default_organization_id: String,
    /// Creation time.
    pub created_at: Millis,
}

/// A user's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    /// Full control, sees every workspace.
    Owner,
    /// Like owner for resources, sees every workspace.
    Admin,
    /// Sees what memberships grant.
    Member,
}

impl OrgRole {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
        }
    }
    /// From the stored form; None for anything else (a corrupt row, not a role).
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(OrgRole::Owner),
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            _ => None,
        }
    }
    /// Owners and admins see and manage everything in their organization.
    pub fn is_admin(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
    /// What the role alone grants on every resource of the organization: owners and admins
    /// hold everything ([`AccessLevel::Owner`]); members only what memberships grant.
    pub fn access_level(self) -> AccessLevel {
        if self.is_admin() {
            AccessLevel::Owner
        } else {
            AccessLevel::None
        }
    }
}

/// An organization membership with the user it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMember {
    /// The organization.
    pub organization_id: String,
    /// The user.
    pub user: User,
    /// Their role.
    pub role: OrgRole,
    /// When they joined.
    pub joined_at: Millis,
}

/// An organization member listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgMemberQuery {
    /// Organization.
    pub organization_id: String,
    /// Case-insensitive substring of the login name, display name or email.
    pub text: Option<String>,
    /// Members holding any of these roles (empty: any).
    pub roles: Vec<OrgRole>,
    /// Page.
    pub page: Page,
}

/// An AccessKey pair; the secret is sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `LTAI...`.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// AES-GCM sealed secret.
    pub sealed_secret: Vec<u8>,
    /// Disabled keys are refused.
    pub enabled: bool,
    /// Creation time.
    pub created_at: Millis,
}

/// A personal access token; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalAccessToken {
    /// Public id for listing and revoking.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Scope list (empty = everything the user may do).
    pub scopes: String,
    /// Expiry, if any.
    pub expires_at: Option<Millis>,
    /// Revoked tokens are refused.
    pub revoked: bool,
    /// Creation time.
    pub created_at: Millis,
}

/// A signed-in console session, as listed and looked up. The cookie value that proves it is
/// never part of it; the store keeps only that value's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Public id (`cs-` and 16 hex digits) for listing and revoking.
    pub id: String,
    /// Whose session it is.
    pub user_id: String,
    /// Their login name.
    pub user_name: String,
    /// When they signed in.
    pub created_at: Millis,
    /// When the session stops being accepted.
    pub expires_at: Millis,
    /// The peer address that signed in (empty when unknown).
    pub source_ip: String,
    /// The User-Agent that signed in (at most 256 characters; empty when absent).
    pub user_agent: String,
}

/// Recent sign-in failures of one throttling key (`user:NAME` or `ip:ADDR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFailures {
    /// The key.
    pub key: String,
    /// Failures counted since `first_failure_at`.
    pub count: i64,
    /// The first failure of the current run.
    pub first_failure_at: Millis,
    /// Until when sign-in under this key is refused outright, if it was locked.
    pub locked_until: Option<Millis>,
}

/// How one failure is counted (see `Store::record_sign_in_failure`): the service's throttle
/// rule, as values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    /// The time of the failure.
    pub now: Millis,
    /// Failures at or before this time no longer count: the run starts over.
    pub window_start: Millis,
    /// The count at which the key is locked.
    pub lock_after: i64,
    /// Until when a key that reaches `lock_after` stays locked.
    pub lock_until: Millis,
}
