//! codeport's persistence. One [`Store`] trait whose methods are exactly the queries the
//! services need, implemented twice: SQLite through rusqlite (the embedded default; reads
//! run inline on a read-only connection per worker thread, writes on one writer
//! connection off the async workers) and PostgreSQL through tokio-postgres (for several
//! stateless replicas). Both pass one behavioural test suite. No business rules live here:
//! callers pass already-validated values and decide what a result means.

/// The migration scripts of one backend (`sqlite` or `postgres`), by version. Both
/// directories hold the same numbered files, so the list is written once.
macro_rules! migrations {
    ($dir:literal) => {
        &[
            (1, include_str!(concat!("../migrations/", $dir, "/0001_init.sql"))),
            (2, include_str!(concat!("../migrations/", $dir, "/0002_identity_generation.sql"))),
            (3, include_str!(concat!("../migrations/", $dir, "/0003_namespaces.sql"))),
            (4, include_str!(concat!("../migrations/", $dir, "/0004_repositories.sql"))),
            (5, include_str!(concat!("../migrations/", $dir, "/0005_policies.sql"))),
            (6, include_str!(concat!("../migrations/", $dir, "/0006_identity_notify.sql"))),
            (7, include_str!(concat!("../migrations/", $dir, "/0007_console_auth.sql"))),
        ]
    };
}

mod nonce;
mod postgres;
mod sql;
mod sqlite;

pub use nonce::NonceCache;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use codeport_core::entities::*;
use codeport_core::timefmt::Millis;
use codeport_core::values::{CodeVisibility, RoleSet};
use codeport_core::AccessLevel;
use std::sync::Arc;

/// A storage failure. Unique violations say what collided, so they map to a precise "already
/// exists" in one place ([`From<StoreError> for codeport_core::Error`](#impl-From<StoreError>-for-Error));
/// everything else is an internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated.
    #[error("unique constraint violated: {0:?}")]
    Unique(UniqueViolation),
    /// The database failed or is unreachable, or a stored value is corrupt.
    #[error("database error: {0}")]
    Backend(String),
}

/// What a unique violation collided with, with the key the write asked for. Each writing
/// statement declares what its violation means (see `sql`), whatever the backend calls the
/// constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UniqueViolation {
    /// A user with this login name (ignoring case), or the same id, exists.
    UserName(String),
    /// A workspace with this name exists in the organization, or one with the same id.
    WorkspaceName(String),
    /// One of the users being added is already a member of the workspace.
    WorkspaceMember,
    /// A group at this full path (ignoring case) exists.
    GroupPath(String),
    /// One of these users is already a direct member of the group at this full path.
    GroupMembers {
        /// The group.
        full_path: String,
        /// Every user the write tried to add.
        user_ids: Vec<String>,
    },
    /// A repository at this full path (ignoring case) exists.
    RepositoryPath(String),
    /// A custom policy with this name (ignoring case) exists in the organization.
    PolicyName(String),
    /// The policy is already attached to the user.
    PolicyAttachment {
        /// The policy.
        policy_name: String,
        /// The user's login name.
        user_name: String,
    },
    /// A constraint no statement declared, as the backend names it.
    Constraint(String),
}

impl From<StoreError> for codeport_core::Error {
    /// The one place a collision becomes the wire's "already exists" (codes and messages are
    /// what the official APIs answer).
    fn from(e: StoreError) -> Self {
        use codeport_core::Error;
        let exists = |code, what| Error::AlreadyExists { code, what };
        match e {
            StoreError::Unique(v) => match v {
                UniqueViolation::UserName(name) => exists("UserAlreadyExists", format!("A user named {name}")),
                UniqueViolation::WorkspaceName(name) => exists("WorkspaceNameAlreadyExists", format!("A workspace named {name}")),
                UniqueViolation::WorkspaceMember => {
                    exists("MemberAlreadyExists", "One of the users is already a member of this workspace; nothing was added. A member".into())
                }
                UniqueViolation::GroupPath(path) => exists("Conflict", format!("A group at path {path}")),
                UniqueViolation::GroupMembers { full_path, user_ids } => {
                    Error::Conflict { message: format!("A user in {user_ids:?} is already a member of {full_path}; nothing was added.") }
                }
                UniqueViolation::RepositoryPath(path) => exists("Conflict", format!("A repository at path {path}")),
                UniqueViolation::PolicyName(name) => exists("EntityAlreadyExists.Policy", format!("Policy {name}")),
                UniqueViolation::PolicyAttachment { policy_name, user_name } => {
                    exists("EntityAlreadyExists.User.Policy", format!("The attachment of {policy_name} to {user_name}"))
                }
                UniqueViolation::Constraint(name) => exists("AlreadyExists", name),
            },
            StoreError::Backend(d) => Error::internal(d),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A push from the database about identities (see [`Store::identity_changes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityChange {
    /// The identity generation is now this value.
    Generation(i64),
    /// Changes may have been missed (the listening connection was lost and is back): forget
    /// everything cached.
    Resync,
}

/// Every query codeport runs. Methods take validated values; listing methods return one
/// page and the total count of matches.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs.
    fn backend(&self) -> &'static str;

    // --- identity -------------------------------------------------------------------
    /// True when no organization exists yet (first start).
    async fn is_empty(&self) -> StoreResult<bool>;
    /// Creates the first organization (with its default policy set: AdministratorAccess), its
    /// owner (who gets that set, and the password hash if given), one AccessKey and one
    /// token, atomically.
    async fn bootstrap(
        &self,
        org: &Organization,
        owner: &User,
        owner_password_hash: Option<&str>,
        key: &AccessKey,
        token: &PersonalAccessToken,
    ) -> StoreResult<()>;
    /// The organization with this name.
    async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>>;
    /// The organization with this id.
    async fn organization(&self, id: &str) -> StoreResult<Option<Organization>>;
    /// Creates a user (with a password hash, if given), its membership in its default
    /// organization and the organization's default policies, atomically.
    async fn create_user(&self, user: &User, role: OrgRole, password_hash: Option<&str>) -> StoreResult<()>;
    /// The user with this id.
    async fn user(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user with this login name (case-insensitive).
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>>;
    /// The organizations a user belongs to, with their role in each.
    async fn organizations_of_user(&self, user_id: &str) -> StoreResult<Vec<(Organization, OrgRole)>>;
    /// One organization member.
    async fn org_member(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<OrgMember>>;
    /// One page of organization members and the total.
    async fn list_org_members(&self, q: &OrgMemberQuery) -> StoreResult<(Vec<OrgMember>, u64)>;
    /// The user's role in an organization, if a member.
    async fn org_role(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<OrgRole>>;
    /// Adds an AccessKey.
    async fn create_access_key(&self, key: &AccessKey) -> StoreResult<()>;
    /// The AccessKey with this id (hot path: every signed request).
    async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>>;
    /// A user's AccessKeys.
    async fn list_access_keys(&self, user_id: &str) -> StoreResult<Vec<AccessKey>>;
    /// Enables or disables an AccessKey; false if it does not exist.
    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> StoreResult<bool>;
    /// Deletes an AccessKey; false if it does not exist.
    async fn delete_access_key(&self, id: &str) -> StoreResult<bool>;
    /// Adds a personal access token (its hash).
    async fn create_token(&self, token: &PersonalAccessToken) -> StoreResult<()>;
    /// A user's tokens.
    async fn list_tokens(&self, user_id: &str) -> StoreResult<Vec<PersonalAccessToken>>;
    /// The token with this hash.
    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<PersonalAccessToken>>;
    /// Revokes a token by id; false if it does not exist.
    async fn revoke_token(&self, id: &str) -> StoreResult<bool>;
    /// The identity generation: it changes whenever users, memberships, AccessKeys or tokens change.
    async fn identity_generation(&self) -> StoreResult<i64>;
    /// The identity generation when reading it costs no more than a point read on the
    /// calling thread (SQLite), so a server can check it on every request and see a change
    /// made by another process on the very next one; None where a read is a network round
    /// trip (PostgreSQL), whose changes are pushed by [`identity_changes`](Self::identity_changes).
    fn identity_generation_inline(&self) -> Option<StoreResult<i64>> {
        None
    }
    /// Subscribes to identity-generation changes pushed by the database at commit
    /// (PostgreSQL LISTEN/NOTIFY); None where the backend cannot push. The subscription
    /// is live when this returns, reconnects by itself (sending [`IdentityChange::Resync`]
    /// because changes may have been missed meanwhile) and ends when the receiver is dropped.
    async fn identity_changes(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<IdentityChange>>> {
        Ok(None)
    }
    /// Records a signature nonce for an AccessKey until at least `expires_at`; false if it was
    /// already recorded and has not expired (a replay). A backend may remember it longer.
    async fn remember_nonce(&self, access_key_id: &str, nonce: &str, now: Millis, expires_at: Millis) -> StoreResult<bool>;

    // --- console sign-in -------------------------------------------------------------
    /// The user with this login name (case-insensitive) and their password hash, if they have one.
    async fn user_with_password(&self, name: &str) -> StoreResult<Option<(User, Option<String>)>>;
    /// Sets (None: clears) a user's password hash and deletes all their console sessions,
    /// atomically; false if the user does not exist.
    async fn set_password_hash(&self, user_id: &str, hash: Option<&str>) -> StoreResult<bool>;
    /// Stores a console session by the hash of its cookie value, and deletes every session
    /// expired at `now` (through the expiry index), atomically.
    async fn create_console_session(&self, session: &ConsoleSession, secret_hash: &str, now: Millis) -> StoreResult<()>;
    /// The session whose cookie value hashes to `secret_hash`, unless it has expired at `now`.
    async fn console_session(&self, secret_hash: &str, now: Millis) -> StoreResult<Option<ConsoleSession>>;
    /// Sessions unexpired at `now`, of one user or everyone, newest first, at most `limit`.
    async fn list_console_sessions(&self, user_id: Option<&str>, now: Millis, limit: u32) -> StoreResult<Vec<ConsoleSession>>;
    /// Deletes a session by its public id; false if there was none.
    async fn delete_console_session(&self, id: &str) -> StoreResult<bool>;
    /// Deletes the session whose cookie value hashes to `secret_hash`; false if there was none.
    async fn delete_console_session_by_hash(&self, secret_hash: &str) -> StoreResult<bool>;
    /// The failure counters of these throttling keys (keys without failures are absent).
    async fn sign_in_failures(&self, keys: &[String]) -> StoreResult<Vec<SignInFailures>>;
    /// Counts one failure under `key` as `count` says (atomically, so replicas failing
    /// at the same moment all count) and returns the counter as it now is.
    async fn record_sign_in_failure(&self, key: &str, count: &FailureCount) -> StoreResult<SignInFailures>;
    /// Forgets `key`'s failures, and deletes every counter whose run began at or before
    /// `window_start` and is not locked at `now`.
    async fn clear_sign_in_failures(&self, key: &str, window_start: Millis, now: Millis) -> StoreResult<()>;

    // --- namespaces ------------------------------------------------------------------
    /// The namespace with this id.
    async fn namespace(&self, id: i64) -> StoreResult<Option<Namespace>>;
    /// The namespace at this full path (case-insensitive) in an organization.
    async fn namespace_by_path(&self, organization_id: &str, full_path: &str) -> StoreResult<Option<Namespace>>;
    /// Creates a group and makes `creator` its member at `creator_level`, atomically; returns it with its id.
    async fn create_namespace(&self, ns: &Namespace, creator: &str, creator_level: AccessLevel) -> StoreResult<Namespace>;
    /// The highest access level a user holds on the namespace at `full_path` or an ancestor
    /// ([`AccessLevel::None`] when none).
    async fn namespace_access_level(&self, organization_id: &str, full_path: &str, user_id: &str, now: Millis) -> StoreResult<AccessLevel>;
    /// Rewrites a group; when its full path changed, every descendant (groups and
    /// repositories) moves with it, and descendants whose visibility is one of `more_visible`
    /// are lowered to the group's visibility, all in one transaction.
    async fn update_namespace(&self, old: &Namespace, new: &Namespace, more_visible: &[CodeVisibility]) -> StoreResult<()>;
    /// The deepest depth in a group's subtree (its own depth when it has no descendants).
    async fn max_subtree_depth(&self, ns: &Namespace) -> StoreResult<i64>;
    /// How many groups sit below this one.
    async fn count_descendants(&self, ns: &Namespace) -> StoreResult<u64>;
    /// Deletes a group and everything below it, repositories included, in one transaction;
    /// says what went (the repositories' data is the caller's to remove).
    async fn delete_namespace_tree(&self, ns: &Namespace) -> StoreResult<DeletedTree>;
    /// Unexpired memberships at `min_level` or above on a group and on its ancestors (each
    /// row's `namespace_id` says where the membership is held).
    async fn namespace_members(&self, ns: &Namespace, min_level: AccessLevel, now: Millis) -> StoreResult<Vec<NamespaceMember>>;
    /// One direct member of a group.
    async fn namespace_member(&self, namespace_id: i64, user_id: &str) -> StoreResult<Option<NamespaceMember>>;
    /// Adds members at one level, all or none (an existing member is `StoreError::Unique`).
    async fn add_namespace_members(
        &self,
        ns: &Namespace,
        user_ids: &[String],
        level: AccessLevel,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Changes a member's level and expiry; false if not a member.
    async fn set_namespace_member(&self, namespace_id: i64, user_id: &str, level: AccessLevel, expires_at: Option<Millis>) -> StoreResult<bool>;
    /// Removes a member; false if not a member.
    async fn remove_namespace_member(&self, namespace_id: i64, user_id: &str) -> StoreResult<bool>;
    /// One page of groups and the total.
    async fn list_namespaces(&self, q: &NamespaceQuery, now: Millis) -> StoreResult<(Vec<Namespace>, u64)>;

    // --- policies --------------------------------------------------------------------
    /// Adds a custom policy (a name clash is `StoreError::Unique`). Bumps the identity generation.
    async fn create_policy(&self, p: &PolicyRecord) -> StoreResult<()>;
    /// A custom policy by name (case-insensitive).
    async fn policy(&self, organization_id: &str, name: &str) -> StoreResult<Option<PolicyRecord>>;
    /// The organization's custom policies, by name.
    async fn list_policies(&self, organization_id: &str) -> StoreResult<Vec<PolicyRecord>>;
    /// Deletes a custom policy unless it is still attached or in the default set (checked in
    /// the same transaction). Bumps the identity generation.
    async fn delete_policy(&self, organization_id: &str, name: &str) -> StoreResult<PolicyDeletion>;
    /// Attaches a policy to a user (already attached is `StoreError::Unique`). Bumps the generation.
    async fn attach_policy(&self, user: &User, p: &PolicyRef, now: Millis) -> StoreResult<()>;
    /// Detaches a policy; false if it was not attached. Bumps the generation.
    async fn detach_policy(&self, user_id: &str, p: &PolicyRef) -> StoreResult<bool>;
    /// A user's attached policies, in attachment order, custom documents included (one read).
    async fn attached_policies(&self, user_id: &str) -> StoreResult<Vec<AttachedPolicy>>;
    /// The policies each new user of the organization gets.
    async fn default_policies(&self, organization_id: &str) -> StoreResult<Vec<PolicyRef>>;
    /// Replaces the default set. Bumps the generation.
    async fn set_default_policies(&self, organization_id: &str, set: &[PolicyRef]) -> StoreResult<()>;

    // --- repositories ----------------------------------------------------------------
    /// Inserts a repository, invisible until [`Store::activate_repository`], with `creator` as
    /// its member at `creator_level`, atomically; returns it with its id. The caller creates
    /// the data in between, so no visible row is ever without its data.
    async fn create_repository(&self, repo: &Repository, creator: &str, creator_level: AccessLevel) -> StoreResult<Repository>;
    /// Makes a created repository visible; false if it is gone.
    async fn activate_repository(&self, id: i64) -> StoreResult<bool>;
    /// Deletes a repository row in any state; false if it did not exist.
    async fn delete_repository(&self, id: i64) -> StoreResult<bool>;
    /// The active repository with this id.
    async fn repository(&self, id: i64) -> StoreResult<Option<Repository>>;
    /// The active repository at this full path (case-insensitive) in an organization.
    async fn repository_by_path(&self, organization_id: &str, full_path: &str) -> StoreResult<Option<Repository>>;
    /// Deletes rows still 'creating' that were inserted before `before` (their creator died
    /// before the data existed); returns their ids so leftover data can go too.
    async fn discard_unfinished_repositories(&self, before: Millis) -> StoreResult<Vec<i64>>;
    /// Ids of every repository row in any state (what the data sweep keeps).
    async fn repository_ids(&self) -> StoreResult<Vec<i64>>;
    /// The highest level a user holds on the repository or a group above it ([`AccessLevel::None`] when none).
    async fn repository_access_level(&self, repo: &Repository, user_id: &str, now: Millis) -> StoreResult<AccessLevel>;
    /// Rewrites a repository's mutable fields; false if it is gone.
    async fn update_repository(&self, repo: &Repository) -> StoreResult<bool>;
    /// Records activity; sets the default branch when given.
    async fn touch_repository(&self, id: i64, now: Millis, default_branch: Option<&str>) -> StoreResult<()>;
    /// How many repositories sit anywhere below a group.
    async fn count_repositories_below(&self, ns: &Namespace) -> StoreResult<u64>;
    /// One page of repositories and the total.
    async fn list_repositories(&self, q: &RepositoryQuery, now: Millis) -> StoreResult<(Vec<Repository>, u64)>;

    // --- workspaces ------------------------------------------------------------------
    /// Creates a workspace and its first member (the creator, as owner), atomically. The
    /// workspace becomes the organization's default when it has none.
    async fn create_workspace(&self, ws: &Workspace, owner: &WorkspaceMember) -> StoreResult<Workspace>;
    /// The workspace with this id.
    async fn workspace(&self, id: &str) -> StoreResult<Option<Workspace>>;
    /// The organization's default workspace.
    async fn default_workspace(&self, organization_id: &str) -> StoreResult<Option<Workspace>>;
    /// One page of workspaces and the total.
    async fn list_workspaces(&self, q: &WorkspaceQuery) -> StoreResult<(Vec<Workspace>, u64)>;
    /// Updates display name and description; false if the workspace does not exist.
    async fn update_workspace(&self, id: &str, display_name: &str, description: &str, now: Millis) -> StoreResult<bool>;
    /// Deletes a workspace with its members and code sources; false if it did not exist.
    async fn delete_workspace(&self, id: &str) -> StoreResult<bool>;
    /// Names of the users holding PAI.WorkspaceAdmin or PAI.WorkspaceOwner in the workspace.
    async fn workspace_admin_names(&self, id: &str) -> StoreResult<Vec<String>>;

    // --- members ---------------------------------------------------------------------
    /// One member, with user details.
    async fn member(&self, workspace_id: &str, user_id: &str) -> StoreResult<Option<MemberView>>;
    /// Adds members, all or none; a duplicate is `StoreError::Unique`.
    async fn add_members(&self, members: &[WorkspaceMember]) -> StoreResult<()>;
    /// One page of members and the total.
    async fn list_members(&self, q: &MemberQuery) -> StoreResult<(Vec<MemberView>, u64)>;
    /// Removes members, all or none; returns how many were removed.
    async fn delete_members(&self, workspace_id: &str, user_ids: &[String]) -> StoreResult<u64>;
    /// Replaces a member's roles; false if not a member.
    async fn set_member_roles(&self, workspace_id: &str, user_id: &str, roles: &RoleSet) -> StoreResult<bool>;

    // --- code sources ----------------------------------------------------------------
    /// Inserts a code source.
    async fn create_code_source(&self, cs: &CodeSource) -> StoreResult<()>;
    /// The code source with this id.
    async fn code_source(&self, id: &str) -> StoreResult<Option<CodeSource>>;
    /// The code source, its workspace's organization and `user_id`'s roles there, in one read (hot path).
    async fn code_source_access(&self, id: &str, user_id: &str) -> StoreResult<Option<CodeSourceAccess>>;
    /// One page of code sources and the total.
    async fn list_code_sources(&self, q: &CodeSourceQuery) -> StoreResult<(Vec<CodeSource>, u64)>;
    /// Overwrites the mutable fields of a code source; false if it does not exist.
    async fn update_code_source(&self, cs: &CodeSource) -> StoreResult<bool>;
    /// Deletes a code source; false if it did not exist.
    async fn delete_code_source(&self, id: &str) -> StoreResult<bool>;
}

/// Opens the store a database URL names: `postgres://...` or `postgresql://...` for
/// PostgreSQL, `sqlite://PATH` or a plain path for SQLite. Runs migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        Ok(Arc::new(SqliteStore::open(std::path::Path::new(path)).await?))
    }
}
