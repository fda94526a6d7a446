//! Codeup namespaces (organization roots and code groups), repositories, their members, and
//! the listings the Codeup API asks for.

use crate::access::AccessLevel;
use crate::entities::identity::User;
use crate::timefmt::Millis;
use crate::values::{CodeVisibility, Page, SortOrder};

/// What a namespace is: an organization's root (its path is the organization id) or a code
/// group below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceKind {
    /// The organization's root namespace (one per organization, never changed or deleted).
    Organization,
    /// A code group.
    Group,
}

impl NamespaceKind {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceKind::Organization => "organization",
            NamespaceKind::Group => "group",
        }
    }
    /// From the stored form; None for anything else.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "organization" => Some(NamespaceKind::Organization),
            "group" => Some(NamespaceKind::Group),
            _ => None,
        }
    }
}

/// A Codeup namespace: an organization's root or a code group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Numeric id.
    pub id: i64,
    /// Organization.
    pub organization_id: String,
    /// Parent (None for the root).
    pub parent_id: Option<i64>,
    /// The root or a group.
    pub kind: NamespaceKind,
    /// Shown name.
    pub name: String,
    /// Path segment.
    pub path: String,
    /// `ORG/parent/child`.
    pub full_path: String,
    /// `ORG / Parent / Child`.
    pub full_name: String,
    /// Description.
    pub description: String,
    /// Who sees it.
    pub visibility: CodeVisibility,
    /// Avatar URL ("" when unset).
    pub avatar_url: String,
    /// Creator's user id ("" for roots).
    pub owner_id: String,
    /// 0 for the root, 1 for top-level groups.
    pub depth: i64,
    /// Creation time.
    pub created_at: Millis,
    /// Last update.
    pub updated_at: Millis,
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceMember {
    /// The group.
    pub namespace_id: i64,
    /// The user.
    pub user: User,
    /// The level held (read, write or admin: Codeup's viewer, developer, admin).
    pub access_level: AccessLevel,
    /// Expiry, if any.
    pub expires_at: Option<Millis>,
    /// When added.
    pub created_at: Millis,
}

/// Whose view a namespace listing takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceViewer {
    /// Everything in the organization (organization owners and admins).
    All,
    /// Internal and public groups, plus private ones where this user is a member of the group or an ancestor.
    Member(String),
}

/// Sort key for namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceSort {
    /// created_at.
    Created,
    /// updated_at (the default).
    Updated,
}

/// A namespace listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceQuery {
    /// Organization.
    pub organization_id: String,
    /// Direct children of this namespace; None: every group of the organization.
    pub parent_id: Option<i64>,
    /// Whose view.
    pub viewer: NamespaceViewer,
    /// Case-insensitive substring of the name or path.
    pub search: Option<String>,
    /// Sort key.
    pub sort: NamespaceSort,
    /// Direction.
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// What deleting a group tree removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedTree {
    /// Groups deleted.
    pub groups: u64,
    /// Ids of the repositories deleted with them (their data is the caller's to remove).
    pub repositories: Vec<i64>,
}

/// A Codeup repository. Its id keys its data on disk and never changes; its full path moves
/// with renames of the groups above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Numeric id (assigned by the store).
    pub id: i64,
    /// Organization.
    pub organization_id: String,
    /// The namespace it lives in (a group, or the organization's root).
    pub namespace_id: i64,
    /// Shown name.
    pub name: String,
    /// Path segment.
    pub path: String,
    /// `ORG/group/repo`.
    pub full_path: String,
    /// `ORG / Group / Repo`.
    pub full_name: String,
    /// Description.
    pub description: String,
    /// Who sees it (private or internal).
    pub visibility: CodeVisibility,
    /// The branch HEAD names.
    pub default_branch: String,
    /// Avatar URL ("" when unset).
    pub avatar_url: String,
    /// Creator's user id.
    pub creator_id: String,
    /// Archived (read-only) repositories.
    pub archived: bool,
    /// Creation time.
    pub created_at: Millis,
    /// Last change of the repository's settings.
    pub updated_at: Millis,
    /// Last push or commit.
    pub last_activity_at: Millis,
}

/// Which repositories a listing covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryScope {
    /// Every repository of the organization.
    Organization,
    /// Those directly in one namespace.
    Namespace(i64),
    /// Those anywhere below the namespace at this full path.
    Subtree(String),
}

/// Sort key for repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositorySort {
    /// created_at (the default).
    Created,
    /// updated_at.
    Updated,
    /// name.
    Name,
    /// path.
    Path,
    /// last_activity_at.
    LastActivity,
    /// id.
    Id,
}

/// A repository listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryQuery {
    /// Organization.
    pub organization_id: String,
    /// Which namespaces.
    pub scope: RepositoryScope,
    /// Whose view (private repositories need a membership on the repository or a group above it).
    pub viewer: NamespaceViewer,
    /// Case-insensitive substring of the path or name.
    pub search: Option<String>,
    /// Only archived (true) or only active (false) repositories.
    pub archived: Option<bool>,
    /// Sort key.
    pub sort: RepositorySort,
    /// Direction.
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}
