//! PAI code sources: a git repository (URL, branch, commit, credentials) registered in a
//! workspace and checked out into a mount path. PRIVATE sources are visible to their
//! creator and the workspace's managers, PUBLIC ones to every member; guests see only
//! PUBLIC ones. The repository token is sealed at rest and shown to the creator only.
//!
//! Every operation also asks RAM for its `paicodesource:` action, with PAI's condition keys
//! `pai:Accessibility` (the source's, or the requested one on create) and
//! `pai:EntityAccessType` (CREATOR for the caller's own sources, else OTHERS); both must
//! allow. A source the caller may not read stays not found whatever RAM says, so a denial
//! never reveals that it exists: resolve, then RAM on the concrete ARN, then the write rules.
//! Create and List are decided on `workspace/{WorkspaceId}/codesource/*`, once the caller may
//! see the workspace.

use super::workspaces::workspace_level;
use super::{store_err, Call, Principal};
use crate::authz::code_source_arn;
use crate::state::AppState;
use codeport_core::entities::{CodeSource, CodeSourceQuery, CodeSourceSort, Visibility};
use codeport_core::secret::Secret;
use codeport_core::timefmt::now_millis;
use codeport_core::values::{Accessibility, CloneType, CommitId, GitRefName, GitUrl, MountPath, Page, SortOrder, Text};
use codeport_core::{ids, AccessLevel, Error, NotFoundKind, Result};
use codeport_policy::keys;

/// The fields of CreateCodeSource, validated.
pub struct CreateCodeSource {
    /// Workspace.
    pub workspace_id: String,
    /// Required shown name.
    pub display_name: Text,
    /// Description.
    pub description: Option<Text>,
    /// Repository URL.
    pub code_repo: Option<GitUrl>,
    /// Branch.
    pub code_branch: Option<GitRefName>,
    /// Commit.
    pub code_commit: Option<CommitId>,
    /// Repository user name.
    pub code_repo_user_name: Option<Text>,
    /// Repository token.
    pub code_repo_access_token: Option<Secret>,
    /// Mount path (default /root/code/).
    pub mount_path: Option<MountPath>,
    /// PRIVATE (default) or PUBLIC.
    pub accessibility: Option<Accessibility>,
    /// 0 (default) or 1.
    pub clone_type: Option<CloneType>,
}

/// The fields of UpdateCodeSource: each `Some` replaces the stored value; an empty
/// string clears an optional field (URL, branch, commit, user name, token, description).
#[derive(Default)]
pub struct UpdateCodeSource {
    /// Shown name.
    pub display_name: Option<Text>,
    /// Description.
    pub description: Option<Text>,
    /// Repository URL (`None` inside = clear).
    pub code_repo: Option<Option<GitUrl>>,
    /// Branch (`None` inside = clear).
    pub code_branch: Option<Option<GitRefName>>,
    /// Commit (`None` inside = clear).
    pub code_commit: Option<Option<CommitId>>,
    /// Repository user name.
    pub code_repo_user_name: Option<Text>,
    /// Repository token (`None` inside = clear).
    pub code_repo_access_token: Option<Option<Secret>>,
    /// Mount path.
    pub mount_path: Option<MountPath>,
    /// Clone type.
    pub clone_type: Option<CloneType>,
}

/// Filters of ListCodeSources.
pub struct ListCodeSources {
    /// Workspace (required).
    pub workspace_id: String,
    /// Case-insensitive substring of the display name.
    pub display_name_contains: Option<String>,
    /// Sort key.
    pub sort: CodeSourceSort,
    /// Direction.
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// A code source as a caller may see it: the token only for its creator.
pub struct CodeSourceView {
    /// The stored row (sealed token included; never rendered).
    pub source: CodeSource,
    /// The plain token, present only when the caller is the creator.
    pub access_token: Option<Secret>,
}

/// `pai:EntityAccessType`: whether the caller created the code source.
fn entity_access_type(p: &Principal, creator_id: &str) -> &'static str {
    if creator_id == p.user.id {
        "CREATOR"
    } else {
        "OTHERS"
    }
}

fn can_read(level: AccessLevel, p: &Principal, cs: &CodeSource) -> bool {
    level >= AccessLevel::Admin || cs.creator_id == p.user.id || (cs.accessibility == Accessibility::Public && level >= AccessLevel::Read)
}

fn can_write(level: AccessLevel, p: &Principal, cs: &CodeSource) -> bool {
    level >= AccessLevel::Admin || cs.creator_id == p.user.id
}

impl CodeSources<'_> {
    /// Loads a code source the principal may read, with their workspace access; not found otherwise.
    /// Then RAM decides the call's operation on its ARN. One store read (the code source, its
    /// workspace's organization and the caller's roles there) and one evaluation of the
    /// caller's cached policies.
    pub(crate) async fn readable_code_source(&self, p: &Call, id: &str) -> Result<(CodeSource, AccessLevel)> {
        let not_found = || Error::not_found(NotFoundKind::CodeSource, id);
        let found = self.store.code_source_access(id, &p.user.id).await.map_err(store_err)?.ok_or_else(not_found)?;
        let level = workspace_level(p, &found.organization_id, found.roles.as_ref()).ok_or_else(not_found)?;
        if !can_read(level, p, &found.source) {
            return Err(not_found());
        }
        let cs = found.source;
        let extra = [(keys::PAI_ACCESSIBILITY, cs.accessibility.as_str()), (keys::PAI_ENTITY_ACCESS_TYPE, entity_access_type(p, &cs.creator_id))];
        self.authorize(p, &code_source_arn(&found.organization_id, &cs.workspace_id, &cs.id), &extra).await?;
        Ok((cs, level))
    }

    async fn writable_code_source(&self, p: &Call, id: &str, action: &str) -> Result<CodeSource> {
        let (cs, access) = self.readable_code_source(p, id).await?;
        if !can_write(access, p, &cs) {
            return Err(Error::Forbidden { action: format!("{action} code source {id}; only its creator and the workspace's owner and admins may") });
        }
        Ok(cs)
    }

    /// CreateCodeSource.
    pub async fn create_code_source(&self, p: &Call, cmd: CreateCodeSource) -> Result<String> {
        let ws = self.workspaces().workspace_access(p, &cmd.workspace_id).await?;
        let accessibility = cmd.accessibility.unwrap_or(Accessibility::Private);
        // The caller becomes the creator of what they create.
        let extra = [(keys::PAI_ACCESSIBILITY, accessibility.as_str()), (keys::PAI_ENTITY_ACCESS_TYPE, "CREATOR")];
        self.authorize(p, &code_source_arn(&ws.workspace.organization_id, &ws.workspace.id, "*"), &extra).await?;
        if ws.level < AccessLevel::Write {
            return Err(Error::Forbidden { action: "create code sources in this workspace; guests may only read public ones".into() });
        }
        let now = now_millis();
        let mut cs = CodeSource {
            id: ids::new_code_source_id(),
            workspace_id: cmd.workspace_id,
            display_name: cmd.display_name.into_string(),
            description: cmd.description.map(Text::into_string).unwrap_or_default(),
            code_repo: cmd.code_repo.map(|v| v.as_str().to_string()).unwrap_or_default(),
            code_branch: cmd.code_branch.map(|v| v.as_str().to_string()).unwrap_or_default(),
            code_commit: cmd.code_commit.map(|v| v.as_str().to_string()).unwrap_or_default(),
            code_repo_user_name: cmd.code_repo_user_name.map(Text::into_string).unwrap_or_default(),
            sealed_repo_token: cmd.code_repo_access_token.filter(|t| !t.expose().is_empty()).map(|t| self.master_key.seal(t.expose())),
            mount_path: cmd.mount_path.map(|m| m.as_str().to_string()).unwrap_or_else(|| MountPath::DEFAULT.to_string()),
            accessibility,
            clone_type: cmd.clone_type.unwrap_or(CloneType::SUBDIRECTORY),
            creator_id: p.user.id.clone(),
            created_at: now,
            modified_at: now,
        };
        self.checkout().complete_code_repo_ref(p, &mut cs).await?;
        self.store.create_code_source(&cs).await.map_err(store_err)?;
        Ok(cs.id)
    }

    /// GetCodeSource: the token is revealed to the creator only.
    pub async fn get_code_source(&self, p: &Call, id: &str) -> Result<CodeSourceView> {
        let (cs, _) = self.readable_code_source(p, id).await?;
        let access_token = match (&cs.sealed_repo_token, cs.creator_id == p.user.id) {
            (Some(sealed), true) => Some(self.master_key.open(sealed).map_err(|e| Error::internal(format!("code source {id}: {e}")))?),
            _ => None,
        };
        Ok(CodeSourceView { source: cs, access_token })
    }

    /// ListCodeSources: only what the caller may read, with a matching total. Tokens never appear.
    pub async fn list_code_sources(&self, p: &Call, cmd: ListCodeSources) -> Result<(Vec<CodeSource>, u64)> {
        let ws = self.workspaces().workspace_access(p, &cmd.workspace_id).await?;
        self.authorize(p, &code_source_arn(&ws.workspace.organization_id, &ws.workspace.id, "*"), &[]).await?;
        let visibility = if ws.level >= AccessLevel::Admin {
            Visibility::All
        } else if ws.level >= AccessLevel::Write {
            Visibility::User(p.user.id.clone())
        } else {
            Visibility::PublicOnly
        };
        let q = CodeSourceQuery {
            workspace_id: cmd.workspace_id,
            visibility,
            display_name_contains: cmd.display_name_contains,
            sort: cmd.sort,
            order: cmd.order,
            page: cmd.page,
        };
        self.store.list_code_sources(&q).await.map_err(store_err)
    }

    /// UpdateCodeSource: creator or workspace managers.
    pub async fn update_code_source(&self, p: &Call, id: &str, cmd: UpdateCodeSource) -> Result<()> {
        let mut cs = self.writable_code_source(p, id, "update").await?;
        // What the repository checks depend on; an update that changes none of them (a
        // rename, say) does not re-check a repository that may have changed since.
        let repo_changed = cmd.code_repo.is_some()
            || cmd.code_branch.is_some()
            || cmd.code_commit.is_some()
            || cmd.code_repo_access_token.is_some()
            || cmd.code_repo_user_name.is_some();
        if let Some(v) = cmd.display_name {
            cs.display_name = v.into_string();
        }
        if let Some(v) = cmd.description {
            cs.description = v.into_string();
        }
        if let Some(v) = cmd.code_repo {
            cs.code_repo = v.map(|u| u.as_str().to_string()).unwrap_or_default();
        }
        if let Some(v) = cmd.code_branch {
            cs.code_branch = v.map(|b| b.as_str().to_string()).unwrap_or_default();
        }
        if let Some(v) = cmd.code_commit {
            cs.code_commit = v.map(|c| c.as_str().to_string()).unwrap_or_default();
        }
        if let Some(v) = cmd.code_repo_user_name {
            cs.code_repo_user_name = v.into_string();
        }
        if let Some(v) = cmd.code_repo_access_token {
            cs.sealed_repo_token = v.filter(|t| !t.expose().is_empty()).map(|t| self.master_key.seal(t.expose()));
        }
        if let Some(v) = cmd.mount_path {
            cs.mount_path = v.as_str().to_string();
        }
        if let Some(v) = cmd.clone_type {
            cs.clone_type = v;
        }
        if repo_changed {
            self.checkout().complete_code_repo_ref(p, &mut cs).await?;
        }
        cs.modified_at = now_millis().max(cs.modified_at);
        if !self.store.update_code_source(&cs).await.map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::CodeSource, id));
        }
        Ok(())
    }

    /// DeleteCodeSource: creator or workspace managers.
    pub async fn delete_code_source(&self, p: &Call, id: &str) -> Result<()> {
        self.writable_code_source(p, id, "delete").await?;
        if !self.store.delete_code_source(id).await.map_err(store_err)? {
            return Err(Error::not_found(NotFoundKind::CodeSource, id));
        }
        Ok(())
    }

    /// PublishCodeSource: PRIVATE becomes PUBLIC (idempotent).
    pub async fn publish_code_source(&self, p: &Call, id: &str) -> Result<()> {
        let mut cs = self.writable_code_source(p, id, "publish").await?;
        if cs.accessibility != Accessibility::Public {
            cs.accessibility = Accessibility::Public;
            cs.modified_at = now_millis().max(cs.modified_at);
            self.store.update_code_source(&cs).await.map_err(store_err)?;
        }
        Ok(())
    }
}

/// The use cases of PAI code sources: a view of the shared state, so a handler reaches them by name
/// (`state.code_sources().…`).
#[derive(Clone, Copy)]
pub struct CodeSources<'a>(&'a AppState);

impl std::ops::Deref for CodeSources<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of PAI code sources.
    pub fn code_sources(&self) -> CodeSources<'_> {
        CodeSources(self)
    }
}
