//! Custom RAM policies of an organization and their attachments to users.

use crate::timefmt::Millis;

/// A custom RAM policy of an organization (system policies live in code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    /// Organization.
    pub organization_id: String,
    /// Name, unique in the organization ignoring case.
    pub name: String,
    /// Description.
    pub description: String,
    /// The policy document (JSON), as given.
    pub document: String,
    /// Creation time.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// A reference to a policy: `System` or `Custom`, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    /// `System` or `Custom`, as RAM names policy types.
    pub policy_type: String,
    /// Name.
    pub policy_name: String,
}

/// A policy attached to a user, with the document when it is a custom one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// Which policy.
    pub policy: PolicyRef,
    /// The custom policy's document (None for system policies, or a custom one that is gone).
    pub document: Option<String>,
}

/// What deleting a custom policy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDeletion {
    /// It is gone.
    Deleted,
    /// There was no such policy.
    NotFound,
    /// Refused: still attached to this many users or default sets.
    Attached(u64),
}
