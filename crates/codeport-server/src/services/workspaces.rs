//! Workspaces and their members. A workspace belongs to an organization; members hold
//! PAI roles. Non-members see nothing of a workspace (not found), except organization
//! owners and admins, who manage every workspace of their organization.
//!
//! Every operation also asks RAM ([`AppState::authorize`]) for its `paiworkspace:` action;
//! both must allow. The order is: resolve the workspace (a workspace the caller may not see
//! stays not found, whatever RAM says, so a denial never reveals that it exists), then the
//! RAM decision on its concrete ARN, then the role rules. Create and List have no single
//! workspace and are decided on `workspace/*`, once, before anything else.

use super::{store_err, Call, Principal};
use crate::authz::workspace_arn;
use crate::state::AppState;
use codeport_core::entities::{MemberQuery, MemberView, User, Visibility, Workspace, WorkspaceMember, WorkspaceQuery, WorkspaceSort};
use codeport_core::timefmt::now_millis;
use codeport_core::values::{EnvTypes, Page, RoleSet, SortOrder, Text, WorkspaceName, WorkspaceRole};
use codeport_core::{ids, AccessLevel, Error, NotFoundKind, Result};

/// What a principal holds in one workspace.
#[derive(Debug, Clone)]
pub struct WorkspaceAccess {
    /// The workspace.
    pub workspace: Workspace,
    /// The principal's level in it: [`AccessLevel::Admin`] and above manage the workspace, its
    /// members and all its code sources; [`AccessLevel::Write`] creates code sources;
    /// [`AccessLevel::Owner`] (workspace owners, organization owners and admins) also deletes it.
    pub level: AccessLevel,
}

/// The level of `p` in a workspace of `organization_id` where they hold `roles` (None: not a
/// member): the higher of what their organization role and their roles grant. None when they
/// may not see the workspace at all (another organization, or neither a member nor an
/// organization admin).
pub fn workspace_level(p: &Principal, organization_id: &str, roles: Option<&RoleSet>) -> Option<AccessLevel> {
    if organization_id != p.organization_id() {
        return None;
    }
    let level = p.org_level().max(roles.map(RoleSet::access_level).unwrap_or_default());
    (level > AccessLevel::None).then_some(level)
}

/// A new workspace.
pub struct CreateWorkspace {
    /// Unique name.
    pub name: WorkspaceName,
    /// Shown name; defaults to the name.
    pub display_name: Option<Text>,
    /// Description (≤ 80 characters).
    pub description: Text,
    /// Environment types.
    pub env_types: EnvTypes,
    /// Resource group (kept and returned; codeport has no resource groups of its own).
    pub resource_group_id: Option<Text>,
}

/// Filters of ListWorkspaces.
pub struct ListWorkspaces {
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// Only these ids.
    pub ids: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this resource group.
    pub resource_group_id: Option<String>,
    /// Only workspaces this user belongs to.
    pub user_id: Option<String>,
    /// Sort key.
    pub sort: WorkspaceSort,
    /// Direction.
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// Filters of ListMembers.
pub struct ListMembers {
    /// Case-insensitive substring of the member's name or display name.
    pub name_contains: Option<String>,
    /// Any of these roles.
    pub roles: Vec<WorkspaceRole>,
    /// Only this user.
    pub user_id: Option<String>,
    /// Page.
    pub page: Page,
}

/// The member id PAI shows: `{WorkspaceId}-{UserId}`.
pub fn member_id(workspace_id: &str, user_id: &str) -> String {
    format!("{workspace_id}-{user_id}")
}

/// Splits a member id of this workspace into its user id.
fn user_of_member_id<'a>(workspace_id: &str, member_id: &'a str) -> Option<&'a str> {
    member_id.strip_prefix(workspace_id)?.strip_prefix('-').filter(|u| ids::is_numeric_id(u))
}

impl Workspaces<'_> {
    /// Loads a workspace the principal may see, with what they hold in it; not found otherwise.
    pub async fn workspace_access(&self, p: &Call, workspace_id: &str) -> Result<WorkspaceAccess> {
        let not_found = || Error::not_found(NotFoundKind::Workspace, workspace_id);
        if !ids::is_numeric_id(workspace_id) {
            return Err(not_found());
        }
        let ws = self.store.workspace(workspace_id).await.map_err(store_err)?.ok_or_else(not_found)?;
        if ws.organization_id != p.organization_id() {
            return Err(not_found());
        }
        let member = self.store.member(workspace_id, &p.user.id).await.map_err(store_err)?;
        let level = workspace_level(p, &ws.organization_id, member.as_ref().map(|m| &m.member.roles)).ok_or_else(not_found)?;
        Ok(WorkspaceAccess { workspace: ws, level })
    }

    /// A workspace the principal may see (not found otherwise, before RAM is asked) on which
    /// RAM allows the call's operation (its concrete ARN).
    async fn authorized_workspace(&self, p: &Call, workspace_id: &str) -> Result<WorkspaceAccess> {
        let access = self.workspace_access(p, workspace_id).await?;
        self.authorize(p, &workspace_arn(&access.workspace.organization_id, &access.workspace.id), &[]).await?;
        Ok(access)
    }

    /// [`authorized_workspace`](Self::authorized_workspace), and the principal manages it.
    async fn managed_workspace(&self, p: &Call, workspace_id: &str, action: &str) -> Result<WorkspaceAccess> {
        let access = self.authorized_workspace(p, workspace_id).await?;
        if access.level < AccessLevel::Admin {
            return Err(Error::Forbidden { action: action.to_string() });
        }
        Ok(access)
    }

    /// RAM on the organization's workspaces as a whole (`workspace/*`).
    async fn authorize_any_workspace(&self, p: &Call) -> Result<()> {
        self.authorize(p, &workspace_arn(p.organization_id(), "*"), &[]).await
    }

    /// CreateWorkspace: the creator becomes its owner; the organization's first workspace is its default.
    pub async fn create_workspace(&self, p: &Call, cmd: CreateWorkspace) -> Result<Workspace> {
        self.authorize_any_workspace(p).await?;
        let now = now_millis();
        let ws = Workspace {
            id: ids::new_workspace_id(),
            organization_id: p.organization_id().to_string(),
            name: cmd.name.as_str().to_string(),
            display_name: cmd.display_name.map(Text::into_string).unwrap_or_else(|| cmd.name.as_str().to_string()),
            description: cmd.description.into_string(),
            env_types: cmd.env_types,
            resource_group_id: cmd.resource_group_id.map(Text::into_string).unwrap_or_default(),
            creator_id: p.user.id.clone(),
            is_default: false,
            status: "ENABLED".into(),
            created_at: now,
            modified_at: now,
        };
        let owner = WorkspaceMember {
            workspace_id: ws.id.clone(),
            user_id: p.user.id.clone(),
            roles: RoleSet::new(vec![WorkspaceRole::Owner]),
            created_at: now,
        };
        self.store.create_workspace(&ws, &owner).await.map_err(store_err)
    }

    /// GetWorkspace.
    pub async fn get_workspace(&self, p: &Call, workspace_id: &str) -> Result<Workspace> {
        Ok(self.authorized_workspace(p, workspace_id).await?.workspace)
    }

    /// GetDefaultWorkspace: the organization's default workspace, if the caller may see it.
    pub async fn default_workspace(&self, p: &Call) -> Result<Workspace> {
        let ws = self.store.default_workspace(p.organization_id()).await.map_err(store_err)?;
        let ws = ws.ok_or_else(|| Error::not_found(NotFoundKind::Workspace, "default"))?;
        let ws = self.workspace_access(p, &ws.id).await.map_err(|_| Error::not_found(NotFoundKind::Workspace, "default"))?.workspace;
        // Officially on `workspace/*`; decided once the caller may see the workspace.
        self.authorize_any_workspace(p).await?;
        Ok(ws)
    }

    /// ListWorkspaces: members see their workspaces; organization owners and admins see all.
    pub async fn list_workspaces(&self, p: &Call, cmd: ListWorkspaces) -> Result<(Vec<Workspace>, u64)> {
        self.authorize_any_workspace(p).await?;
        let visibility = match (&cmd.user_id, p.is_org_admin()) {
            (Some(u), true) => Visibility::User(u.clone()),
            (None, true) => Visibility::All,
            (Some(u), false) if *u != p.user.id => return Err(Error::Forbidden { action: "list the workspaces of another user".into() }),
            (_, false) => Visibility::User(p.user.id.clone()),
        };
        let q = WorkspaceQuery {
            organization_id: p.organization_id().to_string(),
            visibility,
            name_contains: cmd.name_contains,
            ids: cmd.ids,
            status: cmd.status,
            resource_group_id: cmd.resource_group_id,
            sort: cmd.sort,
            order: cmd.order,
            page: cmd.page,
        };
        self.store.list_workspaces(&q).await.map_err(store_err)
    }

    /// UpdateWorkspace: display name and description; absent fields stay.
    pub async fn update_workspace(&self, p: &Call, workspace_id: &str, display_name: Option<Text>, description: Option<Text>) -> Result<()> {
        let ws = self.managed_workspace(p, workspace_id, "update this workspace").await?.workspace;
        let dn = display_name.map(Text::into_string).unwrap_or(ws.display_name);
        let desc = description.map(Text::into_string).unwrap_or(ws.description);
        self.store.update_workspace(workspace_id, &dn, &desc, now_millis()).await.map_err(store_err)?;
        Ok(())
    }

    /// DeleteWorkspace: owners and organization admins; the default workspace stays.
    pub async fn delete_workspace(&self, p: &Call, workspace_id: &str) -> Result<()> {
        let access = self.authorized_workspace(p, workspace_id).await?;
        if access.level < AccessLevel::Owner {
            return Err(Error::Forbidden { action: "delete this workspace".into() });
        }
        if access.workspace.is_default {
            return Err(Error::InvalidOperation {
                code: "DefaultWorkspaceCannotBeDeleted",
                message: "The default workspace cannot be deleted.".into(),
            });
        }
        self.store.delete_workspace(workspace_id).await.map_err(store_err)?;
        Ok(())
    }

    /// Names of the workspace's owners and admins (GetWorkspace's AdminNames).
    pub async fn workspace_admin_names(&self, workspace_id: &str) -> Result<Vec<String>> {
        self.store.workspace_admin_names(workspace_id).await.map_err(store_err)
    }

    /// A user by id (for Owner and Creator details).
    pub async fn user(&self, user_id: &str) -> Result<Option<User>> {
        self.store.user(user_id).await.map_err(store_err)
    }

    /// CreateMember: adds users of the organization with roles, all or none.
    pub async fn create_members(&self, p: &Call, workspace_id: &str, members: Vec<(String, RoleSet)>) -> Result<Vec<MemberView>> {
        self.managed_workspace(p, workspace_id, "add members to this workspace").await?;
        if members.is_empty() {
            return Err(Error::missing("Members"));
        }
        let now = now_millis();
        let mut rows = Vec::with_capacity(members.len());
        let mut views = Vec::with_capacity(members.len());
        for (i, (user_id, roles)) in members.into_iter().enumerate() {
            let field = format!("Members.{}.UserId", i + 1);
            if roles.is_empty() {
                return Err(Error::invalid(format!("Members.{}.Roles", i + 1), "at least one role is required"));
            }
            if roles.contains(WorkspaceRole::Owner) {
                return Err(Error::invalid(format!("Members.{}.Roles", i + 1), "PAI.WorkspaceOwner belongs to the creator and cannot be granted"));
            }
            let user = self.store.user(&user_id).await.map_err(store_err)?;
            let in_org = match &user {
                Some(u) => self.store.org_role(p.organization_id(), &u.id).await.map_err(store_err)?.is_some(),
                None => false,
            };
            let user = user
                .filter(|_| in_org)
                .ok_or_else(|| Error::invalid(field.clone(), format!("user {user_id} does not exist in this organization")))?;
            if rows.iter().any(|r: &WorkspaceMember| r.user_id == user.id) {
                return Err(Error::invalid(field, format!("user {user_id} is listed twice")));
            }
            let row = WorkspaceMember { workspace_id: workspace_id.to_string(), user_id: user.id.clone(), roles, created_at: now };
            views.push(MemberView { member: row.clone(), user_name: user.name.clone(), display_name: user.display_name.clone() });
            rows.push(row);
        }
        self.store.add_members(&rows).await.map_err(store_err)?;
        Ok(views)
    }

    /// ListMembers.
    pub async fn list_members(&self, p: &Call, workspace_id: &str, cmd: ListMembers) -> Result<(Vec<MemberView>, u64)> {
        self.authorized_workspace(p, workspace_id).await?;
        let q = MemberQuery {
            workspace_id: workspace_id.to_string(),
            name_contains: cmd.name_contains,
            any_role: cmd.roles.clone(),
            user_id: cmd.user_id,
            page: cmd.page,
        };
        self.store.list_members(&q).await.map_err(store_err)
    }

    /// GetMember by user id or member id.
    pub async fn get_member(&self, p: &Call, workspace_id: &str, user_id: Option<String>, member_id_param: Option<String>) -> Result<MemberView> {
        self.authorized_workspace(p, workspace_id).await?;
        let user_id = match (user_id, member_id_param) {
            (Some(u), None) => u,
            (None, Some(m)) => user_of_member_id(workspace_id, &m).ok_or_else(|| Error::not_found(NotFoundKind::Member, m.clone()))?.to_string(),
            (Some(_), Some(_)) => return Err(Error::invalid("UserId", "give either UserId or MemberId, not both")),
            (None, None) => return Err(Error::missing("UserId")),
        };
        self.store
            .member(workspace_id, &user_id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| Error::not_found(NotFoundKind::Member, member_id(workspace_id, &user_id)))
    }

    /// DeleteMembers: all or none; the owner cannot be removed.
    pub async fn delete_members(&self, p: &Call, workspace_id: &str, member_ids: Vec<String>) -> Result<()> {
        self.managed_workspace(p, workspace_id, "remove members from this workspace").await?;
        if member_ids.is_empty() {
            return Err(Error::missing("MemberIds"));
        }
        let mut users = Vec::with_capacity(member_ids.len());
        for m in &member_ids {
            let user = user_of_member_id(workspace_id, m).ok_or_else(|| Error::not_found(NotFoundKind::Member, m.clone()))?;
            let member =
                self.store.member(workspace_id, user).await.map_err(store_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Member, m.clone()))?;
            if member.member.roles.contains(WorkspaceRole::Owner) {
                return Err(Error::InvalidOperation {
                    code: "CannotRemoveOwner",
                    message: format!("Member {m} is the workspace owner and cannot be removed."),
                });
            }
            if !users.iter().any(|u| u == user) {
                users.push(user.to_string());
            }
        }
        self.store.delete_members(workspace_id, &users).await.map_err(store_err)?;
        Ok(())
    }

    /// AddMemberRole / RemoveMemberRole.
    pub async fn change_member_role(&self, p: &Call, workspace_id: &str, member_id: &str, role: WorkspaceRole, add: bool) -> Result<()> {
        self.managed_workspace(p, workspace_id, "change member roles in this workspace").await?;
        if role == WorkspaceRole::Owner {
            return Err(Error::invalid("RoleName", "PAI.WorkspaceOwner belongs to the creator and cannot be granted or removed"));
        }
        let user = user_of_member_id(workspace_id, member_id).ok_or_else(|| Error::not_found(NotFoundKind::Member, member_id))?;
        let member =
            self.store.member(workspace_id, user).await.map_err(store_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Member, member_id))?;
        let mut roles = member.member.roles.clone();
        if add {
            roles.insert(role);
        } else {
            if !roles.remove(role) {
                return Err(Error::not_found(NotFoundKind::Role, format!("{} of member {member_id}", role.as_str())));
            }
            if roles.is_empty() {
                return Err(Error::InvalidOperation {
                    code: "LastRoleCannotBeRemoved",
                    message: "A member must keep at least one role; delete the member instead.".into(),
                });
            }
        }
        self.store.set_member_roles(workspace_id, user, &roles).await.map_err(store_err)?;
        Ok(())
    }
}

impl Workspaces<'_> {
    /// PAI's AccountType of a member: "1" for the organization's owner (the primary
    /// account), "5" for everyone else (sub-accounts).
    pub async fn account_type(&self, organization_id: &str, user_id: &str) -> Result<String> {
        let role = self.store.org_role(organization_id, user_id).await.map_err(store_err)?;
        Ok(if role == Some(codeport_core::entities::OrgRole::Owner) { "1" } else { "5" }.to_string())
    }
}

/// The use cases of PAI workspaces and their members: a view of the shared state, so a handler reaches them by name
/// (`state.workspaces().…`).
#[derive(Clone, Copy)]
pub struct Workspaces<'a>(&'a AppState);

impl std::ops::Deref for Workspaces<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of PAI workspaces and their members.
    pub fn workspaces(&self) -> Workspaces<'_> {
        Workspaces(self)
    }
}
