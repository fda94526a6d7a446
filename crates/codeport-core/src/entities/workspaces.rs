//! PAI workspaces, their members and the code sources in them, and the listings the PAI
//! API asks for.

use crate::timefmt::Millis;
use crate::values::{Accessibility, CloneType, EnvTypes, Page, RoleSet, SortOrder, WorkspaceRole};

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
    /// Environment types.
    pub env_types: EnvTypes,
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
    /// The roles held.
    pub roles: RoleSet,
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
    /// Who may see it.
    pub accessibility: Accessibility,
    /// How it is laid out in the mount path.
    pub clone_type: CloneType,
    /// Creator's user id.
    pub creator_id: String,
    /// Creation time.
    pub created_at: Millis,
    /// Last modification time.
    pub modified_at: Millis,
}

/// A code source with what one user holds in its workspace: the hot path of GetCodeSource in one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSourceAccess {
    /// The code source.
    pub source: CodeSource,
    /// The workspace's organization.
    pub organization_id: String,
    /// The user's roles in the workspace, if a member.
    pub roles: Option<RoleSet>,
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
    /// Members holding any of these roles.
    pub any_role: Vec<WorkspaceRole>,
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
