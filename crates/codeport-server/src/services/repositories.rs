//! Codeup repositories: rows in the store, bare git data under DATA_DIR keyed by the
//! immutable id. Visibility and access levels inherit from the groups above (members of the
//! repository itself or of a group above it, organization owners/admins); `private` and
//! `internal` only, as the current Codeup API. What a caller may not see is not found.
//!
//! RAM: every operation, and git over HTTP, is also decided against the caller's policies on
//! the repository's `acs:codeup:{region}:{org}:repository/{fullPath}` ARN (CreateRepository:
//! the new repository's full path; ListRepositories: `repository/*`; ListGroupRepositories:
//! the group's `namespace/{fullPath}`). For an existing repository the decision comes after
//! the visibility check (an invisible repository stays not found whatever the policies say)
//! and before the access-level check. Git: `codeup:GetRepositoryContent` for clone and fetch,
//! `codeup:PushRepository` for push (its discovery included).

use super::namespaces::Standing;
use super::platform::{Edition, TokenCaller};
use super::{store_err, Call, Principal};
use crate::authz::repository_arn;
use crate::state::AppState;
use codeport_core::actions::Operation;
use codeport_core::entities::{Namespace, NamespaceKind, NamespaceViewer, Repository, RepositoryQuery, RepositoryScope, RepositorySort};
use codeport_core::timefmt::now_millis;
use codeport_core::values::{CodeVisibility, GroupPath, Page, ScopeAccess, ScopeResource, SortOrder, Text};
use codeport_core::{AccessLevel, Error, NotFoundKind, Result};
use codeport_git::{GitError, InitialCommit, Repo, Signature};

/// The branch a new repository's HEAD names unless the caller picks one (Codeup's default).
pub const DEFAULT_BRANCH: &str = "master";

/// What a caller needs on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// See it, clone it, read its content.
    Read,
    /// Push, and write branches, tags and files (developer, 30).
    Write,
    /// Change its settings or delete it (admin, 40).
    Admin,
}

/// A repository the caller may use, with their effective access level (read for an internal
/// repository seen only through organization membership).
pub struct RepoAccess {
    /// The repository.
    pub repo: Repository,
    /// The caller's effective level.
    pub level: AccessLevel,
    /// Its git data.
    pub git: Repo,
}

/// An initial README for a new repository (CreateRepository's `readMeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readme {
    /// A README with just the repository's name as its title.
    Empty,
    /// A README that also explains how to clone and push.
    UserGuide,
}

/// CreateRepository's fields, validated.
pub struct CreateRepository {
    /// Shown name.
    pub name: Text,
    /// The path below `namespace_id`: one segment, or several (`parent/child/repo`) when
    /// missing groups may be created.
    pub path: Vec<GroupPath>,
    /// The namespace to create in; None or 0: the organization root.
    pub namespace_id: Option<i64>,
    /// Create missing groups in `path` (the official MCP server always asks for this).
    pub create_parent_path: bool,
    /// `private` (default) or `internal`.
    pub visibility: Option<CodeVisibility>,
    /// Description.
    pub description: Option<Text>,
    /// Avatar URL.
    pub avatar: Option<Text>,
    /// An initial README commit; None: an empty repository.
    pub readme: Option<Readme>,
    /// The default branch (default master).
    pub default_branch: Option<String>,
}

/// UpdateRepository's fields: each `Some` replaces the stored value.
#[derive(Default)]
pub struct UpdateRepository {
    /// Shown name.
    pub name: Option<Text>,
    /// Path segment (moves the repository's URLs; its data stays where it is).
    pub path: Option<GroupPath>,
    /// Description.
    pub description: Option<Text>,
    /// Visibility.
    pub visibility: Option<CodeVisibility>,
    /// Default branch: must exist once the repository has commits.
    pub default_branch: Option<String>,
    /// Avatar URL ("" clears it).
    pub avatar: Option<Text>,
}

/// Which repositories a listing covers.
pub enum ListScope {
    /// The whole organization.
    Organization,
    /// One group (id or full path), optionally with its subgroups.
    Group { key: String, include_subgroups: bool },
}

/// ListRepositories' filters.
pub struct ListRepositories {
    /// Which repositories.
    pub scope: ListScope,
    /// Substring of the path or name.
    pub search: Option<String>,
    /// Archived or not; None: both.
    pub archived: Option<bool>,
    /// Sort key (default created_at).
    pub sort: RepositorySort,
    /// Direction (default desc).
    pub order: SortOrder,
    /// Page.
    pub page: Page,
}

/// Maps a git failure into the domain error: input problems are the caller's 4xx, the rest
/// is internal (the detail is logged, never sent).
pub fn git_err(e: GitError) -> Error {
    match e {
        GitError::NotFound { what } => Error::NotFound { kind: NotFoundKind::Commit, id: what },
        GitError::InvalidRef { name, reason } => Error::invalid("ref", format!("{name:?}: {reason}")),
        GitError::InvalidPath { path, reason } => Error::invalid("filePath", format!("{path:?}: {reason}")),
        GitError::InvalidArgument { what, reason } => Error::invalid(&what, reason),
        GitError::AlreadyExists { what } => Error::AlreadyExists { code: "Conflict", what: capitalized(&what) },
        GitError::Conflict { message } => Error::Conflict { message: capitalized(&message) },
        GitError::TooLarge { limit } => {
            Error::InvalidOperation { code: "FileTooLarge", message: format!("The file is larger than the limit of {limit} bytes.") }
        }
        other => Error::internal(other.to_string()),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The git signature of a user for commits made through the API.
pub fn signature_of(p: &Principal) -> Signature {
    let name = if p.user.display_name.trim().is_empty() { p.user.name.clone() } else { p.user.display_name.clone() };
    let email = if p.user.email.trim().is_empty() { format!("{}@users.noreply.codeport", p.user.name) } else { p.user.email.clone() };
    Signature { name, email, when: now_millis() }
}

fn readme_text(kind: Readme, repo: &Repository, clone_url: &str) -> String {
    match kind {
        Readme::Empty => format!("# {}\n", repo.name),
        Readme::UserGuide => format!(
            "# {name}\n\n{desc}## Getting started\n\nClone the repository with a personal access token as the password:\n\n```\ngit clone {clone_url}\n```\n\nThen commit and push as usual:\n\n```\ngit add .\ngit commit -m \"my change\"\ngit push origin {branch}\n```\n",
            name = repo.name,
            desc = if repo.description.is_empty() { String::new() } else { format!("{}\n\n", repo.description) },
            branch = repo.default_branch,
        ),
    }
}

impl Repositories<'_> {
    /// The clone URL of a repository: `{external-url}/{fullPath}.git`.
    pub fn clone_url(&self, repo: &Repository) -> String {
        format!("{}/{}.git", self.config.external_url, repo.full_path)
    }

    /// The caller's effective level on a repository: organization owners/admins hold
    /// everything everywhere (`org_level`); otherwise the highest level held on it or a group
    /// above it; an internal repository gives every organization member read access.
    async fn repository_level(&self, org_level: AccessLevel, user_id: &str, repo: &Repository) -> Result<AccessLevel> {
        if org_level > AccessLevel::None {
            return Ok(org_level);
        }
        let held = self.store.repository_access_level(repo, user_id, now_millis()).await.map_err(store_err)?;
        let floor = if repo.visibility != CodeVisibility::Private { AccessLevel::Read } else { AccessLevel::None };
        Ok(held.max(floor))
    }

    /// Checks `need` on a visible repository: invisible is not found, then RAM decides the
    /// call's operation on the repository's ARN, then visible but short of the level is forbidden.
    async fn check_need(&self, p: &Call, org_level: AccessLevel, repo: Repository, key: &str, need: Need) -> Result<RepoAccess> {
        let level = self.repository_level(org_level, &p.user.id, &repo).await?;
        if level == AccessLevel::None {
            return Err(Error::not_found(NotFoundKind::Repository, key));
        }
        self.authorize(p, &repository_arn(&repo.organization_id, &repo.full_path), &[]).await?;
        let required = match need {
            Need::Read => AccessLevel::Read,
            Need::Write => AccessLevel::Write,
            Need::Admin => AccessLevel::Admin,
        };
        if level < required {
            let what = match need {
                Need::Read => "read",
                Need::Write => "write to",
                Need::Admin => "administer",
            };
            return Err(Error::Forbidden { action: format!("{what} repository {}", repo.full_path) });
        }
        if need == Need::Write && repo.archived {
            return Err(Error::InvalidOperation {
                code: "RepositoryArchived",
                message: format!("Repository {} is archived and read-only.", repo.full_path),
            });
        }
        let git = self.repos.open(repo.id);
        Ok(RepoAccess { repo, level, git })
    }

    /// Resolves a repository by numeric id or full path (already URL-decoded) in the
    /// caller's organization and checks `need` and RAM's decision on the call's operation.
    async fn find_repository(&self, st: &Standing, key: &str, need: Need) -> Result<RepoAccess> {
        let key = key.trim().trim_matches('/');
        let repo = match key.parse::<i64>() {
            Ok(id) => self.store.repository(id).await.map_err(store_err)?,
            Err(_) => self.store.repository_by_path(&st.org.id, key.strip_suffix(".git").unwrap_or(key)).await.map_err(store_err)?,
        };
        let repo = repo.filter(|r| r.organization_id == st.org.id).ok_or_else(|| Error::not_found(NotFoundKind::Repository, key))?;
        self.check_need(&st.call, st.org_level, repo, key, need).await
    }

    /// A repository for a content operation (branches, files, commits...): the token must
    /// allow repository reads or writes, RAM must allow the call's operation on it, and the
    /// caller must hold `need`.
    pub async fn open_repository(&self, caller: &TokenCaller, edition: &Edition, key: &str, need: Need) -> Result<RepoAccess> {
        let access = if need == Need::Read { ScopeAccess::Read } else { ScopeAccess::Write };
        let st = self.code_groups().standing_for(caller, edition, ScopeResource::Repository, access).await?;
        self.find_repository(&st, key, need).await
    }

    /// A repository addressed by a git URL path (`ORG/group/repo`, no `.git`): the
    /// organization is the path's first segment and the caller must belong to it. RAM decides
    /// `codeup:GetRepositoryContent` (read: clone, fetch) or `codeup:PushRepository` (write)
    /// once the repository resolved and is visible.
    pub async fn git_repository(&self, caller: &TokenCaller, full_path: &str, need: Need) -> Result<RepoAccess> {
        let access = if need == Need::Read { ScopeAccess::Read } else { ScopeAccess::Write };
        caller.require(ScopeResource::Repository, access)?;
        self.repository_at_path(&caller.call, full_path, need).await
    }

    /// A repository by full path for a principal however authenticated (a token for git, a
    /// signed PAI request for a code source that names the repository): membership of the
    /// path's organization, visibility and level, and RAM as for git over HTTP: whatever the
    /// call's own operation, reading is `GetRepositoryContent` and writing `PushRepository`.
    pub async fn repository_at_path(&self, p: &Call, full_path: &str, need: Need) -> Result<RepoAccess> {
        let not_found = || Error::not_found(NotFoundKind::Repository, full_path);
        let org_id = full_path.split('/').next().unwrap_or_default();
        let user_id = p.user.id.clone();
        let role = self.store.org_role(org_id, &user_id).await.map_err(store_err)?.ok_or_else(not_found)?;
        let repo = self.store.repository_by_path(org_id, full_path).await.map_err(store_err)?.ok_or_else(not_found)?;
        let implied = p.as_operation(if need == Need::Read { Operation::GetRepositoryContent } else { Operation::PushRepository });
        self.check_need(&implied, role.access_level(), repo, full_path, need).await
    }

    /// The namespace CreateRepository's `namespaceId` names (None or 0: the organization root).
    async fn start_namespace(&self, st: &Standing, start: Option<i64>) -> Result<Namespace> {
        Ok(match start.filter(|id| *id != 0) {
            None => self
                .store
                .namespace_by_path(&st.org.id, &st.org.id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| Error::internal("organization without a root namespace"))?,
            Some(id) => {
                self.code_groups()
                    .find_namespace(st, &id.to_string())
                    .await
                    .map_err(|_| Error::invalid("namespaceId", format!("namespace {id} does not exist")))?
                    .0
            }
        })
    }

    /// The namespace a new repository goes into (below `start`), creating missing groups of a nested path
    /// when allowed. Groups created here are private and make the caller their admin.
    async fn target_namespace(&self, st: &Standing, start: Namespace, parents: &[GroupPath], create: bool) -> Result<Namespace> {
        let mut ns = start;
        for segment in parents {
            let full_path = format!("{}/{}", ns.full_path, segment.as_str());
            if let Some(existing) = self.store.namespace_by_path(&st.org.id, &full_path).await.map_err(store_err)? {
                ns = self
                    .code_groups()
                    .find_namespace(st, &existing.id.to_string())
                    .await
                    .map_err(|_| Error::invalid("path", format!("group {full_path} does not exist")))?
                    .0;
                continue;
            }
            if !create {
                return Err(Error::invalid("path", format!("group {full_path} does not exist (pass createParentPath=true to create it)")));
            }
            let cmd = super::namespaces::CreateGroup {
                name: Text::parse("path", segment.as_str(), 255, true)?,
                path: segment.clone(),
                parent_id: Some(ns.id),
                visibility: None,
                description: None,
                avatar: None,
            };
            ns = match self.code_groups().create_group_in(st, cmd).await {
                // Someone else created it meanwhile: use theirs.
                Err(Error::AlreadyExists { .. }) => {
                    self.store.namespace_by_path(&st.org.id, &full_path).await.map_err(store_err)?.ok_or_else(|| Error::internal("group vanished"))?
                }
                other => other?,
            };
        }
        Ok(ns)
    }

    /// CreateRepository: in a group the caller is at least a developer of (any organization
    /// member at the root). The row stays invisible until the git data exists; if creating
    /// the data fails, the row goes again.
    pub async fn create_repository(&self, caller: &TokenCaller, edition: &Edition, cmd: CreateRepository) -> Result<Repository> {
        let st = self.code_groups().standing_for(caller, edition, ScopeResource::Repository, ScopeAccess::Write).await?;
        let (own_path, parents) = cmd.path.split_last().ok_or_else(|| Error::missing("path"))?;
        let start = self.start_namespace(&st, cmd.namespace_id).await?;
        // RAM on the new repository's full path, before anything (a missing group) is created.
        let intended = std::iter::once(start.full_path.as_str()).chain(cmd.path.iter().map(GroupPath::as_str)).collect::<Vec<_>>().join("/");
        self.authorize(&st.call, &repository_arn(&st.org.id, &intended), &[]).await?;
        let ns = self.target_namespace(&st, start, parents, cmd.create_parent_path).await?;
        if ns.kind == NamespaceKind::Group && self.code_groups().level_on(&st, &ns).await? < AccessLevel::Write {
            return Err(Error::Forbidden { action: format!("create repositories in {}", ns.full_path) });
        }
        let max_depth = 1 + self.config.max_subgroup_levels as i64;
        if ns.depth > max_depth {
            return Err(Error::invalid("path", format!("groups nest at most {} levels below a top-level group", self.config.max_subgroup_levels)));
        }
        let visibility = cmd.visibility.unwrap_or(CodeVisibility::Private);
        if visibility == CodeVisibility::Public {
            return Err(Error::invalid("visibility", "repositories are private or internal"));
        }
        if visibility > ns.visibility {
            return Err(Error::invalid("visibility", format!("a repository may not be more visible than its group ({})", ns.visibility.as_str())));
        }
        let default_branch = cmd.default_branch.unwrap_or_else(|| DEFAULT_BRANCH.to_string());
        codeport_git::validate_branch_name(&default_branch).map_err(|e| Error::invalid("defaultBranch", e.to_string()))?;
        let full_path = format!("{}/{}", ns.full_path, own_path.as_str());
        if self.store.namespace_by_path(&st.org.id, &full_path).await.map_err(store_err)?.is_some() {
            return Err(Error::AlreadyExists { code: "Conflict", what: format!("A group at path {full_path}") });
        }
        let now = now_millis();
        let row = Repository {
            id: 0,
            organization_id: st.org.id.clone(),
            namespace_id: ns.id,
            name: cmd.name.as_str().to_string(),
            path: own_path.as_str().to_string(),
            full_path: full_path.clone(),
            full_name: format!("{} / {}", ns.full_name, cmd.name.as_str()),
            description: cmd.description.map(Text::into_string).unwrap_or_default(),
            visibility,
            default_branch,
            avatar_url: cmd.avatar.map(Text::into_string).unwrap_or_default(),
            creator_id: st.user_id.clone(),
            archived: false,
            created_at: now,
            updated_at: now,
            last_activity_at: now,
        };
        let repo = self.store.create_repository(&row, &st.user_id, AccessLevel::Admin).await.map_err(store_err)?;
        let initial = cmd.readme.map(|kind| InitialCommit {
            file_name: "README.md".into(),
            content: readme_text(kind, &repo, &self.clone_url(&repo)).into_bytes(),
            message: "Initial commit".into(),
            author: signature_of(caller.principal()),
        });
        let made = match self.repos.create(repo.id, &repo.default_branch, initial).await {
            Ok(_) => self.store.activate_repository(repo.id).await.map_err(store_err),
            Err(e) => Err(git_err(e)),
        };
        match made {
            Ok(true) => Ok(repo),
            failed => {
                // Leave nothing half-made: neither the data nor the row.
                let _ = self.repos.delete(repo.id).await;
                let _ = self.store.delete_repository(repo.id).await;
                Err(failed.err().unwrap_or_else(|| Error::internal("the repository vanished while it was being created")))
            }
        }
    }

    /// GetRepository, with the caller's level.
    pub async fn get_repository(&self, caller: &TokenCaller, edition: &Edition, key: &str) -> Result<RepoAccess> {
        self.open_repository(caller, edition, key, Need::Read).await
    }

    /// ListRepositories / ListGroupRepositories: what the caller may see, one page.
    pub async fn list_repositories(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        cmd: ListRepositories,
    ) -> Result<(Vec<(Repository, AccessLevel)>, u64)> {
        let st = self.code_groups().standing_for(caller, edition, ScopeResource::Repository, ScopeAccess::Read).await?;
        let scope = match cmd.scope {
            ListScope::Organization => {
                self.authorize(&st.call, &repository_arn(&st.org.id, "*"), &[]).await?;
                RepositoryScope::Organization
            }
            ListScope::Group { key, include_subgroups } => {
                let (ns, _) = self.code_groups().find_namespace(&st, &key).await?;
                self.code_groups().authorize_namespace(&st, &ns.full_path).await?;
                if include_subgroups {
                    RepositoryScope::Subtree(ns.full_path)
                } else {
                    RepositoryScope::Namespace(ns.id)
                }
            }
        };
        let viewer = if st.org_level >= AccessLevel::Admin { NamespaceViewer::All } else { NamespaceViewer::Member(st.user_id.clone()) };
        let q = RepositoryQuery {
            organization_id: st.org.id.clone(),
            scope,
            viewer,
            search: cmd.search,
            archived: cmd.archived,
            sort: cmd.sort,
            order: cmd.order,
            page: cmd.page,
        };
        let (items, total) = self.store.list_repositories(&q, now_millis()).await.map_err(store_err)?;
        let mut out = Vec::with_capacity(items.len());
        for r in items {
            let level = self.repository_level(st.org_level, &st.user_id, &r).await?.max(AccessLevel::Read);
            out.push((r, level));
        }
        Ok((out, total))
    }

    /// UpdateRepository (admins): a new path moves the URLs, never the data; a new default
    /// branch must exist once the repository has commits, and becomes HEAD.
    pub async fn update_repository(&self, caller: &TokenCaller, edition: &Edition, key: &str, cmd: UpdateRepository) -> Result<RepoAccess> {
        let st = self.code_groups().standing_for(caller, edition, ScopeResource::Repository, ScopeAccess::Write).await?;
        let found = self.find_repository(&st, key, Need::Admin).await?;
        let mut repo = found.repo.clone();
        let ns =
            self.store.namespace(repo.namespace_id).await.map_err(store_err)?.ok_or_else(|| Error::internal("repository without a namespace"))?;
        if let Some(name) = cmd.name {
            repo.name = name.into_string();
        }
        if let Some(path) = cmd.path {
            repo.path = path.as_str().to_string();
        }
        repo.full_path = format!("{}/{}", ns.full_path, repo.path);
        repo.full_name = format!("{} / {}", ns.full_name, repo.name);
        if !repo.full_path.eq_ignore_ascii_case(&found.repo.full_path) {
            // A new path: the policies must also allow the repository under it.
            self.authorize(&st.call, &repository_arn(&st.org.id, &repo.full_path), &[]).await?;
        }
        if repo.full_path.to_lowercase() != found.repo.full_path.to_lowercase()
            && self.store.namespace_by_path(&st.org.id, &repo.full_path).await.map_err(store_err)?.is_some()
        {
            return Err(Error::AlreadyExists { code: "Conflict", what: format!("A group at path {}", repo.full_path) });
        }
        if let Some(d) = cmd.description {
            repo.description = d.into_string();
        }
        if let Some(a) = cmd.avatar {
            repo.avatar_url = a.into_string();
        }
        if let Some(v) = cmd.visibility {
            if v == CodeVisibility::Public {
                return Err(Error::invalid("visibility", "repositories are private or internal"));
            }
            if v > ns.visibility {
                return Err(Error::invalid(
                    "visibility",
                    format!("a repository may not be more visible than its group ({})", ns.visibility.as_str()),
                ));
            }
            repo.visibility = v;
        }
        if let Some(branch) = cmd.default_branch.filter(|b| *b != repo.default_branch) {
            codeport_git::validate_branch_name(&branch).map_err(|e| Error::invalid("default_branch", e.to_string()))?;
            let empty = found.git.is_empty().await.map_err(git_err)?;
            if !empty && found.git.branch(&branch).await.map_err(git_err)?.is_none() {
                return Err(Error::invalid("default_branch", format!("branch {branch:?} does not exist")));
            }
            found.git.set_head(&branch).await.map_err(git_err)?;
            repo.default_branch = branch;
        }
        repo.updated_at = now_millis().max(found.repo.updated_at);
        let stored = self.store.update_repository(&repo).await.map_err(store_err)?;
        if !stored {
            return Err(Error::not_found(NotFoundKind::Repository, key));
        }
        Ok(RepoAccess { repo, level: found.level, git: found.git })
    }

    /// DeleteRepository (admins): the row goes first (so nothing new can reach the
    /// repository), then, once pushes in flight have finished, the data.
    pub async fn delete_repository(&self, caller: &TokenCaller, edition: &Edition, key: &str) -> Result<Repository> {
        let st = self.code_groups().standing_for(caller, edition, ScopeResource::Repository, ScopeAccess::Write).await?;
        let found = self.find_repository(&st, key, Need::Admin).await?;
        self.store.delete_repository(found.repo.id).await.map_err(store_err)?;
        self.remove_repository_data(&[found.repo.id]).await;
        Ok(found.repo)
    }

    /// Removes repositories' data after their rows are gone, waiting for writers in flight.
    /// A failure is logged; the startup sweep removes what is left.
    pub async fn remove_repository_data(&self, ids: &[i64]) {
        for id in ids {
            let _exclusive = self.repo_locks.exclusive(*id).await;
            if let Err(e) = self.repos.delete(*id).await {
                tracing::warn!(repository = id, error = %e, "cannot remove a deleted repository's data; the next start removes it");
            }
        }
    }

    /// At startup: removes half-made and half-deleted data, rows whose creation never
    /// finished (older than ten minutes, so another replica's creation in progress is
    /// left alone), and data whose row is gone.
    pub async fn sweep_repository_data(&self) -> std::result::Result<(), String> {
        self.repos.sweep().await.map_err(|e| e.to_string())?;
        let stale = self.store.discard_unfinished_repositories(now_millis() - 10 * 60 * 1000).await.map_err(|e| e.to_string())?;
        if !stale.is_empty() {
            tracing::info!(repositories = ?stale, "discarded repositories whose creation never finished");
        }
        let known: std::collections::HashSet<i64> = self.store.repository_ids().await.map_err(|e| e.to_string())?.into_iter().collect();
        for id in self.repos.ids().await.map_err(|e| e.to_string())? {
            if !known.contains(&id) {
                tracing::info!(repository = id, "removing data of a repository that no longer exists");
                self.repos.delete(id).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Records activity on a repository (a push or an API commit). After a push into an
    /// empty repository, HEAD and the default branch follow the pushed branch.
    pub async fn repository_changed(&self, found: &RepoAccess) -> Result<()> {
        let mut default_branch = None;
        let head = found.git.head_branch().await.map_err(git_err)?;
        let head_exists = match &head {
            Some(h) => found.git.branch(h).await.map_err(git_err)?.is_some(),
            None => false,
        };
        if !head_exists {
            let branches = found.git.branches().await.map_err(git_err)?;
            let pick = branches
                .iter()
                .find(|b| b.name == found.repo.default_branch)
                .or_else(|| branches.iter().find(|b| b.name == "master" || b.name == "main"))
                .or(branches.first());
            if let Some(b) = pick {
                found.git.set_head(&b.name).await.map_err(git_err)?;
                default_branch = Some(b.name.clone());
            }
        }
        self.store.touch_repository(found.repo.id, now_millis(), default_branch.as_deref()).await.map_err(store_err)
    }
}

/// Splits a CreateRepository `path` (`repo` or `parent/child/repo`) into validated segments.
pub fn parse_repository_path(raw: &str) -> Result<Vec<GroupPath>> {
    let raw = raw.trim().trim_matches('/');
    if raw.is_empty() {
        return Err(Error::missing("path"));
    }
    raw.split('/').map(|s| GroupPath::parse("path", s)).collect()
}

/// The use cases of Codeup repositories: a view of the shared state, so a handler reaches them by name
/// (`state.repositories().…`).
#[derive(Clone, Copy)]
pub struct Repositories<'a>(&'a AppState);

impl std::ops::Deref for Repositories<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of Codeup repositories.
    pub fn repositories(&self) -> Repositories<'_> {
        Repositories(self)
    }
}
