//! Codeup code groups (namespaces). Every organization has a root namespace whose path is
//! the organization id; groups nest below it. Visibility: private groups are seen by members
//! of the group or an ancestor and by organization owners/admins; internal and public groups
//! by every organization member. What a caller may not see is not found.
//!
//! RAM: every operation is also decided against the caller's policies on the group's
//! `acs:codeup:{region}:{org}:namespace/{fullPath}` ARN (CreateGroup: the new group's full
//! path), after the visibility check, so a group the caller may not see stays not found
//! whatever the policies say. ListNamespaces is one decision on `namespace/*` (every group the
//! caller may see), or on `namespace/{parent}/*` when `parentId` names a parent: the ARN
//! covers what is listed, and a policy may grant listing one subtree.

use super::platform::{Edition, TokenCaller};
use super::{store_err, Call};
use crate::authz::namespace_arn;
use crate::state::AppState;
use codeport_core::actions::Operation;
use codeport_core::entities::{
    Namespace, NamespaceKind, NamespaceMember, NamespaceQuery, NamespaceSort, NamespaceViewer, Organization, RepositoryQuery, RepositoryScope,
    RepositorySort,
};
use codeport_core::timefmt::now_millis;
use codeport_core::values::{CodeVisibility, GroupPath, Page, ScopeAccess, ScopeResource, SortOrder, Text};
use codeport_core::{AccessLevel, Error, NotFoundKind, Result};

/// CreateGroup's fields, validated.
pub struct CreateGroup {
    /// Shown name.
    pub name: Text,
    /// Path segment.
    pub path: GroupPath,
    /// Parent namespace id; None or 0: the organization root.
    pub parent_id: Option<i64>,
    /// Visibility (default private).
    pub visibility: Option<CodeVisibility>,
    /// Description.
    pub description: Option<Text>,
    /// Avatar URL.
    pub avatar: Option<Text>,
}

/// UpdateGroup's fields: each `Some` replaces the stored value.
#[derive(Default)]
pub struct UpdateGroup {
    /// Shown name.
    pub name: Option<Text>,
    /// Path segment (renames the group and moves every descendant's full path).
    pub path: Option<GroupPath>,
    /// Description.
    pub description: Option<Text>,
    /// Visibility (lowering it lowers more visible descendants).
    pub visibility: Option<CodeVisibility>,
    /// Avatar URL ("" clears it).
    pub avatar: Option<Text>,
    /// A new parent (moves the group and its subtree; 0 means the organization root).
    pub parent_id: Option<i64>,
}

/// ListNamespaces' filters.
pub struct ListNamespaces {
    /// Direct children of this namespace; None: every group the caller may see.
    pub parent_id: Option<i64>,
    /// Substring of name or path.
    pub search: Option<String>,
    /// Sort key (default updated_at).
    pub sort: NamespaceSort,
    /// Direction (default desc).
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// The caller's standing in one organization.
pub(super) struct Standing {
    pub(super) org: Organization,
    /// What the caller's organization role alone grants on every namespace and repository
    /// ([`AccessLevel::Owner`] for organization owners and admins, else none).
    pub(super) org_level: AccessLevel,
    pub(super) user_id: String,
    /// Who is calling, for which operation: what RAM decides.
    pub(super) call: Call,
}

impl CodeGroups<'_> {
    pub(super) async fn standing(&self, caller: &TokenCaller, edition: &Edition, access: ScopeAccess) -> Result<Standing> {
        self.standing_for(caller, edition, ScopeResource::Group, access).await
    }

    /// The caller's standing after checking the token allows `access` to `resource`.
    pub(super) async fn standing_for(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        resource: ScopeResource,
        access: ScopeAccess,
    ) -> Result<Standing> {
        caller.require(resource, access)?;
        let (org, role) = self.platform().acting_organization(caller.principal(), edition).await?;
        Ok(Standing { org, org_level: role.access_level(), user_id: caller.principal().user.id.clone(), call: caller.call.clone() })
    }

    /// The RAM decision for the call's operation on a namespace of the acting organization.
    pub(super) async fn authorize_namespace(&self, st: &Standing, full_path: &str) -> Result<()> {
        self.authorize(&st.call, &namespace_arn(&st.org.id, full_path), &[]).await
    }

    /// The caller's effective access level on a namespace: organization owners/admins hold
    /// everything everywhere; otherwise the highest level held on the namespace or an ancestor.
    pub(super) async fn level_on(&self, st: &Standing, ns: &Namespace) -> Result<AccessLevel> {
        if st.org_level > AccessLevel::None {
            return Ok(st.org_level);
        }
        self.store.namespace_access_level(&st.org.id, &ns.full_path, &st.user_id, now_millis()).await.map_err(store_err)
    }

    async fn visible_namespace(&self, st: &Standing, ns: Option<Namespace>, key: &str) -> Result<(Namespace, AccessLevel)> {
        let not_found = || Error::not_found(NotFoundKind::Namespace, key);
        let ns = ns.filter(|n| n.organization_id == st.org.id).ok_or_else(not_found)?;
        let level = self.level_on(st, &ns).await?;
        if ns.visibility == CodeVisibility::Private && level == AccessLevel::None {
            return Err(not_found());
        }
        Ok((ns, level))
    }

    /// Resolves a namespace by numeric id or full path (already URL-decoded).
    pub(super) async fn find_namespace(&self, st: &Standing, key: &str) -> Result<(Namespace, AccessLevel)> {
        let ns = match key.parse::<i64>() {
            Ok(id) => self.store.namespace(id).await.map_err(store_err)?,
            Err(_) => self.store.namespace_by_path(&st.org.id, key.trim_matches('/')).await.map_err(store_err)?,
        };
        self.visible_namespace(st, ns, key).await
    }

    /// GetNamespace.
    pub async fn get_namespace(&self, caller: &TokenCaller, edition: &Edition, key: &str) -> Result<Namespace> {
        Ok(self.namespace_access(caller, edition, key).await?.0)
    }

    /// GetNamespace with the caller's effective level on it (what the console needs to
    /// offer "New subgroup" to admins and "New repository" to developers and up; the
    /// organization's owners and admins hold [`AccessLevel::Owner`]).
    pub async fn namespace_access(&self, caller: &TokenCaller, edition: &Edition, key: &str) -> Result<(Namespace, AccessLevel)> {
        let st = self.standing(caller, edition, ScopeAccess::Read).await?;
        let (ns, level) = self.find_namespace(&st, key).await?;
        self.authorize_namespace(&st, &ns.full_path).await?;
        Ok((ns, level))
    }

    /// CreateGroup: top-level groups by any organization member; subgroups by admins of the
    /// parent (or an ancestor). A child is never more visible than its parent, and nesting
    /// stops at the configured number of subgroup levels.
    pub async fn create_group(&self, caller: &TokenCaller, edition: &Edition, cmd: CreateGroup) -> Result<Namespace> {
        let st = self.standing(caller, edition, ScopeAccess::Write).await?;
        self.create_group_in(&st, cmd).await
    }

    /// CreateGroup for a caller whose standing is known (also used to create the missing
    /// parents of a new repository's path).
    pub(super) async fn create_group_in(&self, st: &Standing, cmd: CreateGroup) -> Result<Namespace> {
        // The organization root (any member may create top-level groups), or a visible parent.
        let (parent, level) = match cmd.parent_id.filter(|p| *p != 0) {
            None => (
                self.store
                    .namespace_by_path(&st.org.id, &st.org.id)
                    .await
                    .map_err(store_err)?
                    .ok_or_else(|| Error::internal("organization without a root namespace"))?,
                None,
            ),
            Some(id) => {
                let (ns, level) = self
                    .find_namespace(st, &id.to_string())
                    .await
                    .map_err(|_| Error::invalid("parentId", format!("namespace {id} does not exist")))?;
                (ns, Some(level))
            }
        };
        // RAM on the new group's full path, then the parent's rules.
        self.authorize_namespace(st, &format!("{}/{}", parent.full_path, cmd.path.as_str())).await?;
        // Under the root (named by its id too, as CreateRepository's missing parents do) any
        // member may create; below a group only its admins.
        if let Some(level) = level.filter(|_| parent.kind == NamespaceKind::Group) {
            if level < AccessLevel::Admin {
                return Err(Error::Forbidden { action: format!("create subgroups in {}", parent.full_path) });
            }
        }
        let max_depth = 1 + self.config.max_subgroup_levels as i64;
        if parent.depth + 1 > max_depth {
            return Err(Error::invalid(
                "parentId",
                format!("groups nest at most {} levels below a top-level group", self.config.max_subgroup_levels),
            ));
        }
        let visibility = cmd.visibility.unwrap_or(CodeVisibility::Private);
        if visibility > parent.visibility {
            return Err(Error::invalid("visibility", format!("a group may not be more visible than its parent ({})", parent.visibility.as_str())));
        }
        let full_path = format!("{}/{}", parent.full_path, cmd.path.as_str());
        if self.store.repository_by_path(&st.org.id, &full_path).await.map_err(store_err)?.is_some() {
            return Err(Error::AlreadyExists { code: "Conflict", what: format!("A repository at path {full_path}") });
        }
        let now = now_millis();
        let ns = Namespace {
            id: 0,
            organization_id: st.org.id.clone(),
            parent_id: Some(parent.id),
            kind: NamespaceKind::Group,
            name: cmd.name.as_str().to_string(),
            path: cmd.path.as_str().to_string(),
            full_path,
            full_name: format!("{} / {}", parent.full_name, cmd.name.as_str()),
            description: cmd.description.map(Text::into_string).unwrap_or_default(),
            visibility,
            avatar_url: cmd.avatar.map(Text::into_string).unwrap_or_default(),
            owner_id: st.user_id.clone(),
            depth: parent.depth + 1,
            created_at: now,
            updated_at: now,
        };
        self.store.create_namespace(&ns, &st.user_id, AccessLevel::Admin).await.map_err(store_err)
    }

    /// ListNamespaces: what the caller may see, one page.
    pub async fn list_namespaces(&self, caller: &TokenCaller, edition: &Edition, cmd: ListNamespaces) -> Result<(Vec<Namespace>, u64)> {
        let st = self.standing(caller, edition, ScopeAccess::Read).await?;
        let covered = match cmd.parent_id {
            Some(p) => {
                let (parent, _) = self
                    .find_namespace(&st, &p.to_string())
                    .await
                    .map_err(|_| Error::invalid("parentId", format!("namespace {p} does not exist")))?;
                format!("{}/*", parent.full_path)
            }
            None => "*".to_string(),
        };
        self.authorize_namespace(&st, &covered).await?;
        let viewer = if st.org_level >= AccessLevel::Admin { NamespaceViewer::All } else { NamespaceViewer::Member(st.user_id.clone()) };
        let q = NamespaceQuery {
            organization_id: st.org.id.clone(),
            parent_id: cmd.parent_id,
            viewer,
            search: cmd.search,
            sort: cmd.sort,
            order: cmd.order,
            page: cmd.page,
        };
        self.store.list_namespaces(&q, now_millis()).await.map_err(store_err)
    }
}

impl CodeGroups<'_> {
    /// A group (never a root) the caller administers and on which RAM allows the call's operation.
    async fn administered_group(&self, st: &Standing, key: &str, action: &str) -> Result<Namespace> {
        let (ns, level) = self.find_namespace(st, key).await?;
        if ns.kind != NamespaceKind::Group {
            return Err(Error::invalid("groupId", "the organization's root namespace cannot be changed"));
        }
        self.authorize_namespace(st, &ns.full_path).await?;
        if level < AccessLevel::Admin {
            return Err(Error::Forbidden { action: format!("{action} group {}", ns.full_path) });
        }
        Ok(ns)
    }

    /// UpdateGroup: renaming or re-pathing moves every descendant in the same transaction (the
    /// old path stops resolving); lowering visibility lowers more visible descendants; a group
    /// may not become more visible than its parent.
    pub async fn update_group(&self, caller: &TokenCaller, edition: &Edition, key: &str, cmd: UpdateGroup) -> Result<Namespace> {
        let st = self.standing(caller, edition, ScopeAccess::Write).await?;
        let old = self.administered_group(&st, key, "update").await?;
        let parent = match cmd.parent_id {
            Some(p) if Some(p) != old.parent_id => self.new_parent(&st, &old, p).await?,
            _ => self
                .store
                .namespace(old.parent_id.unwrap_or_default())
                .await
                .map_err(store_err)?
                .ok_or_else(|| Error::internal("group without a parent"))?,
        };
        let mut new = old.clone();
        new.parent_id = Some(parent.id);
        new.depth = parent.depth + 1;
        if let Some(name) = cmd.name {
            new.name = name.into_string();
        }
        if let Some(path) = cmd.path {
            new.path = path.as_str().to_string();
        }
        new.full_path = format!("{}/{}", parent.full_path, new.path);
        if !new.full_path.eq_ignore_ascii_case(&old.full_path) {
            // A rename or move: the policies must also allow the group at its new path.
            self.authorize_namespace(&st, &new.full_path).await?;
        }
        new.full_name = format!("{} / {}", parent.full_name, new.name);
        if let Some(d) = cmd.description {
            new.description = d.into_string();
        }
        if let Some(a) = cmd.avatar {
            new.avatar_url = a.into_string();
        }
        let visibility = cmd.visibility.unwrap_or(old.visibility);
        if visibility > parent.visibility {
            return Err(Error::invalid("visibility", format!("a group may not be more visible than its parent ({})", parent.visibility.as_str())));
        }
        new.visibility = visibility;
        new.updated_at = now_millis().max(old.updated_at);
        let more_visible: Vec<CodeVisibility> = [CodeVisibility::Internal, CodeVisibility::Public].into_iter().filter(|v| *v > visibility).collect();
        self.store.update_namespace(&old, &new, &more_visible).await.map_err(store_err)?;
        Ok(new)
    }

    /// Checks a move of `group` under namespace `parent_id` (0: the root): the caller administers
    /// the target, the target is not inside the group, and the moved subtree still fits the
    /// nesting limit.
    async fn new_parent(&self, st: &Standing, group: &Namespace, parent_id: i64) -> Result<Namespace> {
        let parent = if parent_id == 0 {
            self.store
                .namespace_by_path(&st.org.id, &st.org.id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| Error::internal("organization without a root namespace"))?
        } else {
            let (p, level) = self
                .find_namespace(st, &parent_id.to_string())
                .await
                .map_err(|_| Error::invalid("parentId", format!("namespace {parent_id} does not exist")))?;
            if level < AccessLevel::Admin {
                return Err(Error::Forbidden { action: format!("move groups into {}", p.full_path) });
            }
            p
        };
        let inside = parent.id == group.id || parent.full_path.to_lowercase().starts_with(&format!("{}/", group.full_path.to_lowercase()));
        if inside {
            return Err(Error::invalid("parentId", "a group cannot move into itself or one of its subgroups"));
        }
        let deepest = self.store.max_subtree_depth(group).await.map_err(store_err)?;
        let max_depth = 1 + self.config.max_subgroup_levels as i64;
        if parent.depth + 1 + (deepest - group.depth) > max_depth {
            return Err(Error::invalid(
                "parentId",
                format!("the moved groups would nest more than {} levels below a top-level group", self.config.max_subgroup_levels),
            ));
        }
        Ok(parent)
    }

    /// DeleteGroup: refused with a conflict while subgroups or repositories remain, unless
    /// `cascade` is set, which deletes them too (rows in one transaction, then the
    /// repositories' data); nothing is ever orphaned.
    pub async fn delete_group(&self, caller: &TokenCaller, edition: &Edition, key: &str, cascade: bool) -> Result<()> {
        let st = self.standing(caller, edition, ScopeAccess::Write).await?;
        let ns = self.administered_group(&st, key, "delete").await?;
        let groups = self.store.count_descendants(&ns).await.map_err(store_err)?;
        let repositories = self.store.count_repositories_below(&ns).await.map_err(store_err)?;
        if (groups > 0 || repositories > 0) && !cascade {
            return Err(Error::Conflict {
                message: format!(
                    "Group {} still has {groups} subgroup(s) and {repositories} repository(ies); delete them first or pass cascade=true.",
                    ns.full_path
                ),
            });
        }
        if groups > 0 || repositories > 0 {
            self.authorize_cascade(&st, &ns).await?;
        }
        let gone = self.store.delete_namespace_tree(&ns).await.map_err(store_err)?;
        self.repositories().remove_repository_data(&gone.repositories).await;
        Ok(())
    }
}

impl CodeGroups<'_> {
    /// A cascading DeleteGroup deletes every subgroup and repository below: RAM must allow
    /// `codeup:DeleteGroup` on each subgroup and `codeup:DeleteRepository` on each repository,
    /// so a Deny on one of them cannot be sidestepped by deleting its parent.
    async fn authorize_cascade(&self, st: &Standing, ns: &Namespace) -> Result<()> {
        let prefix = format!("{}/", ns.full_path.to_lowercase());
        let mut number = 1;
        loop {
            let page = Page { number, size: 100 };
            let q = NamespaceQuery {
                organization_id: st.org.id.clone(),
                parent_id: None,
                viewer: NamespaceViewer::All,
                search: None,
                sort: NamespaceSort::Created,
                order: SortOrder::Asc,
                page,
            };
            let (items, _) = self.store.list_namespaces(&q, now_millis()).await.map_err(store_err)?;
            for g in items.iter().filter(|g| g.full_path.to_lowercase().starts_with(&prefix)) {
                self.authorize_namespace(st, &g.full_path).await?;
            }
            if items.len() < 100 {
                break;
            }
            number += 1;
        }
        let mut number = 1;
        loop {
            let page = Page { number, size: 100 };
            let q = RepositoryQuery {
                organization_id: st.org.id.clone(),
                scope: RepositoryScope::Subtree(ns.full_path.clone()),
                viewer: NamespaceViewer::All,
                search: None,
                archived: None,
                sort: RepositorySort::Id,
                order: SortOrder::Asc,
                page,
            };
            let (items, _) = self.store.list_repositories(&q, now_millis()).await.map_err(store_err)?;
            for r in &items {
                self.authorize(&st.call.as_operation(Operation::DeleteRepository), &crate::authz::repository_arn(&st.org.id, &r.full_path), &[])
                    .await?;
            }
            if items.len() < 100 {
                break;
            }
            number += 1;
        }
        Ok(())
    }
}

/// Parses a Codeup access level: 20 (viewer), 30 (developer) or 40 (admin).
pub fn parse_access_level(v: i64) -> Result<AccessLevel> {
    AccessLevel::parse_codeup("accessLevel", v)
}

impl CodeGroups<'_> {
    /// ListGroupMembers (no paging, as Codeup): each user once, at the highest level they hold
    /// on the group or an ancestor; an inherited membership names the group it comes from.
    pub async fn group_members(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        min_level: AccessLevel,
    ) -> Result<(Namespace, Vec<(NamespaceMember, Option<Namespace>)>)> {
        caller.require(ScopeResource::Member, ScopeAccess::Read)?;
        let st = self.standing(caller, edition, ScopeAccess::Read).await?;
        let (ns, _) = self.find_namespace(&st, key).await?;
        self.authorize_namespace(&st, &ns.full_path).await?;
        let rows = self.store.namespace_members(&ns, min_level, now_millis()).await.map_err(store_err)?;
        let mut best: Vec<NamespaceMember> = Vec::new();
        for m in rows {
            match best.iter_mut().find(|b| b.user.id == m.user.id) {
                // Higher level wins; on a tie the direct membership does.
                Some(b) if m.access_level > b.access_level || (m.access_level == b.access_level && m.namespace_id == ns.id) => *b = m,
                Some(_) => {}
                None => best.push(m),
            }
        }
        let mut out = Vec::with_capacity(best.len());
        for m in best {
            let from = if m.namespace_id == ns.id { None } else { self.store.namespace(m.namespace_id).await.map_err(store_err)? };
            out.push((m, from));
        }
        Ok((ns, out))
    }

    async fn member_admin(&self, caller: &TokenCaller, edition: &Edition, key: &str) -> Result<(Standing, Namespace)> {
        caller.require(ScopeResource::Member, ScopeAccess::Write)?;
        let st = self.standing(caller, edition, ScopeAccess::Read).await?;
        let ns = self.administered_group(&st, key, "manage the members of").await?;
        Ok((st, ns))
    }

    /// CreateGroupMember: adds organization members at one level, all or none.
    pub async fn add_group_members(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        user_ids: Vec<String>,
        level: AccessLevel,
        expires_at: Option<i64>,
    ) -> Result<(Namespace, Vec<NamespaceMember>)> {
        let (st, ns) = self.member_admin(caller, edition, key).await?;
        if user_ids.is_empty() {
            return Err(Error::missing("userId"));
        }
        if expires_at.is_some_and(|e| e <= now_millis()) {
            return Err(Error::invalid("expiresAt", "it must be today or later"));
        }
        for u in &user_ids {
            if self.store.org_role(&st.org.id, u).await.map_err(store_err)?.is_none() {
                return Err(Error::invalid("userId", format!("user {u} is not a member of this organization")));
            }
        }
        let now = now_millis();
        self.store.add_namespace_members(&ns, &user_ids, level, expires_at, now).await.map_err(store_err)?;
        let mut added = Vec::with_capacity(user_ids.len());
        for u in &user_ids {
            if let Some(m) = self.store.namespace_member(ns.id, u).await.map_err(store_err)? {
                added.push(m);
            }
        }
        Ok((ns, added))
    }

    /// UpdateGroupMember: a new access level (and optionally expiry) for a direct member.
    pub async fn update_group_member(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        user_id: &str,
        level: AccessLevel,
        expires_at: Option<i64>,
    ) -> Result<(Namespace, NamespaceMember)> {
        let (_, ns) = self.member_admin(caller, edition, key).await?;
        if !self.store.set_namespace_member(ns.id, user_id, level, expires_at).await.map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::Member, user_id));
        }
        let m =
            self.store.namespace_member(ns.id, user_id).await.map_err(store_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Member, user_id))?;
        Ok((ns, m))
    }

    /// DeleteGroupMember.
    pub async fn remove_group_member(&self, caller: &TokenCaller, edition: &Edition, key: &str, user_id: &str) -> Result<()> {
        let (_, ns) = self.member_admin(caller, edition, key).await?;
        if !self.store.remove_namespace_member(ns.id, user_id).await.map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::Member, user_id));
        }
        Ok(())
    }
}

/// The use cases of Codeup code groups (namespaces) and their members: a view of the shared state, so a handler reaches them by name
/// (`state.code_groups().…`).
#[derive(Clone, Copy)]
pub struct CodeGroups<'a>(&'a AppState);

impl std::ops::Deref for CodeGroups<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of Codeup code groups (namespaces) and their members.
    pub fn code_groups(&self) -> CodeGroups<'_> {
        CodeGroups(self)
    }
}
