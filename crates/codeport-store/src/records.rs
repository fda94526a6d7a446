//! Rows as the services see them. Plain data: validation happened before they were built.

use codeport_core::timefmt::Millis;
use codeport_core::values::{Page, SortOrder};

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
    /// From the stored form (unknown values read as member, the least privilege).
    pub fn from_stored(s: &str) -> Self {
        match s {
            "owner" => OrgRole::Owner,
            "admin" => OrgRole::Admin,
            _ => OrgRole::Member,
        }
    }
    /// Owners and admins see and manage everything in their organization.
    pub fn is_admin(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
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

/// A PAI workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Numeric string.
    pub id: String,
    /// Owning organization.
    pub organization_id: String,
    /// Unique name in the organization.
    pub name: String,
    /// Shown name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Stored env types (`prod` or `dev,prod`).
    pub env_types: String,
    /// Resource group, as given at creation (may be empty).
    pub resource_group_id: String,
    /// Creator's user id.
    pub creator_id: String,
    /// Whether this is the organization's default workspace.
    pub is_default: bool,
    /// `ENABLED`.
    pub status: String,
    /// Creation time.
    pub created_at: Millis,
    /// Last modification time.
    pub modified_at: Millis,
}

/// A workspace membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceMember {
    /// Workspace.
    pub workspace_id: String,
    /// User.
    pub user_id: String,
    /// Stored role set.
    pub roles: String,
    /// When the user joined.
    pub created_at: Millis,
}

/// A membership joined with the user's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The membership.
    pub member: WorkspaceMember,
    /// User login name.
    pub user_name: String,
    /// User display name.
    pub display_name: String,
}

/// A PAI code source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSource {
    /// `code-...`.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Shown name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Git URL (may be empty).
    pub code_repo: String,
    /// Branch (may be empty).
    pub code_branch: String,
    /// Commit (may be empty).
    pub code_commit: String,
    /// User name for the repository.
    pub code_repo_user_name: String,
    /// Sealed repository token, if one was given.
    pub sealed_repo_token: Option<Vec<u8>>,
    /// Mount path.
    pub mount_path: String,
    /// `PRIVATE` or `PUBLIC`.
    pub accessibility: String,
    /// 0 or 1.
    pub clone_type: i64,
    /// Creator's user id.
    pub creator_id: String,
    /// Creation time.
    pub created_at: Millis,
    /// Last modification time.
    pub modified_at: Millis,
}

/// Who may appear in a list: everything, or only what a given user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// No restriction (the caller manages the scope).
    All,
    /// Only rows visible to this user.
    User(String),
    /// Only public rows (guests).
    PublicOnly,
}

/// Sort key for workspaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkspaceSort {
    /// Creation time (default).
    #[default]
    Created,
    /// Modification time.
    Modified,
    /// Name.
    Name,
}

/// A workspace listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceQuery {
    /// Organization to list.
    pub organization_id: String,
    /// `User(id)`: only workspaces the user belongs to.
    pub visibility: Visibility,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// Only these ids.
    pub ids: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this resource group.
    pub resource_group_id: Option<String>,
    /// Sort key.
    pub sort: WorkspaceSort,
    /// Direction.
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// A member listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuery {
    /// Workspace.
    pub workspace_id: String,
    /// Case-insensitive substring of the user or display name.
    pub name_contains: Option<String>,
    /// Members holding any of these roles (official names).
    pub any_role: Vec<String>,
    /// Only this user.
    pub user_id: Option<String>,
    /// Page.
    pub page: Page,
}

/// Sort key for code sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeSourceSort {
    /// GmtCreateTime (default).
    #[default]
    Created,
    /// GmtModifyTime.
    Modified,
    /// DisplayName.
    DisplayName,
    /// CodeSourceId.
    Id,
}

/// A code source listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSourceQuery {
    /// Workspace.
    pub workspace_id: String,
    /// Which rows the caller may see.
    pub visibility: Visibility,
    /// Case-insensitive substring of the display name.
    pub display_name_contains: Option<String>,
    /// Sort key.
    pub sort: CodeSourceSort,
    /// Direction.
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// A code source with what one user holds in its workspace: the hot path of GetCodeSource in one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSourceAccess {
    /// The code source.
    pub source: CodeSource,
    /// The workspace's organization.
    pub organization_id: String,
    /// The user's stored roles in the workspace, if a member.
    pub roles: Option<String>,
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

/// A Codeup namespace: an organization's root or a code group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Numeric id.
    pub id: i64,
    /// Organization.
    pub organization_id: String,
    /// Parent (None for the root).
    pub parent_id: Option<i64>,
    /// `organization` (the root) or `group`.
    pub kind: String,
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
    /// `private`, `internal` or `public`.
    pub visibility: String,
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

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceMember {
    /// The group.
    pub namespace_id: i64,
    /// The user.
    pub user: User,
    /// 20 viewer, 30 developer, 40 admin.
    pub access_level: i64,
    /// Expiry, if any.
    pub expires_at: Option<Millis>,
    /// When added.
    pub created_at: Millis,
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
    /// `private` or `internal`.
    pub visibility: String,
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

/// What deleting a group tree removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedTree {
    /// Groups deleted.
    pub groups: u64,
    /// Ids of the repositories deleted with them (their data is the caller's to remove).
    pub repositories: Vec<i64>,
}

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
