//! PostgreSQL backend, for deployments with several stateless replicas. Pooled
//! tokio-postgres connections; the SQL text is shared with SQLite (see `sql`).
//! Signature nonces live in a table so a replay is caught by whichever replica it reaches.

use crate::sql::{self, RowLike, Stmt, P};
use crate::{IdentityChange, Store, StoreError, StoreResult, UniqueViolation};
use async_trait::async_trait;
use codeport_core::entities::*;
use codeport_core::timefmt::Millis;
use codeport_core::values::{CodeVisibility, RoleSet};
use codeport_core::AccessLevel;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

const MIGRATIONS: &[(i64, &str)] = migrations!("postgres");
/// Arbitrary constant: the advisory lock that serializes migrations across replicas.
const MIGRATION_LOCK: i64 = 0x636f_6465_706f_7274;

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    /// For connections outside the pool (the identity-change listener).
    config: tokio_postgres::Config,
    nonce_inserts: AtomicU64,
}

fn backend(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
            return StoreError::Unique(UniqueViolation::Constraint(db.constraint().unwrap_or("unique").to_string()));
        }
        return StoreError::Backend(db.message().to_string());
    }
    StoreError::Backend(e.to_string())
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Backend(format!("connection pool: {e}"))
}

fn to_sql(params: &[P]) -> Vec<Box<dyn ToSql + Sync + Send>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync + Send> {
            match p {
                P::T(s) => Box::new(s.clone()),
                P::OT(o) => Box::new(o.clone()),
                P::I(i) => Box::new(*i),
                P::OI(o) => Box::new(*o),
                P::B(b) => Box::new(*b),
                P::Bytes(b) => Box::new(b.clone()),
            }
        })
        .collect()
}

/// The parameters as tokio-postgres takes them.
fn refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect()
}

impl RowLike for tokio_postgres::Row {
    fn text(&self, i: usize) -> String {
        self.try_get(i).unwrap_or_default()
    }
    fn int(&self, i: usize) -> i64 {
        self.try_get(i).unwrap_or_default()
    }
    fn opt_int(&self, i: usize) -> Option<i64> {
        self.try_get(i).unwrap_or_default()
    }
    fn boolean(&self, i: usize) -> bool {
        self.try_get(i).unwrap_or_default()
    }
    fn opt_bytes(&self, i: usize) -> Option<Vec<u8>> {
        self.try_get(i).unwrap_or_default()
    }
    fn opt_text(&self, i: usize) -> Option<String> {
        self.try_get(i).unwrap_or_default()
    }
}

async fn query_all<C: GenericClient, T>(c: &C, s: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    let st = c.prepare_cached(&s.sql).await.map_err(backend)?;
    let params = to_sql(&s.params);
    let rows = c.query(&st, &refs(&params)).await.map_err(|e| sql::declared(backend(e), s.unique))?;
    rows.iter().map(|r| map(r)).collect()
}

async fn query_one<C: GenericClient, T>(c: &C, s: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> StoreResult<Option<T>> {
    Ok(query_all(c, s, map).await?.into_iter().next())
}

async fn exec<C: GenericClient>(c: &C, s: Stmt) -> StoreResult<u64> {
    let st = c.prepare_cached(&s.sql).await.map_err(backend)?;
    let params = to_sql(&s.params);
    c.execute(&st, &refs(&params)).await.map_err(|e| sql::declared(backend(e), s.unique))
}

async fn count<C: GenericClient>(c: &C, s: Stmt) -> StoreResult<u64> {
    Ok(query_one(c, s, |r| Ok(r.int(0))).await?.unwrap_or(0) as u64)
}

impl PostgresStore {
    /// Connects to `url` (a `postgres://` URL) and runs migrations under an advisory lock.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let cfg: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| StoreError::Backend(format!("invalid database URL: {e}")))?;
        let mgr = Manager::from_config(cfg.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(mgr).max_size(16).build().map_err(|e| StoreError::Backend(e.to_string()))?;
        let store = PostgresStore { pool, config: cfg, nonce_inserts: AtomicU64::new(0) };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(backend)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .await
            .map_err(backend)?;
        for (version, script) in MIGRATIONS {
            let done = tx.query_opt("SELECT version FROM schema_migrations WHERE version = $1", &[version]).await.map_err(backend)?;
            if done.is_none() {
                tx.batch_execute(script).await.map_err(backend)?;
                tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[version, &codeport_core::timefmt::now_millis()])
                    .await
                    .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    async fn run(&self, s: Stmt) -> StoreResult<u64> {
        let c = self.pool.get().await.map_err(pool_err)?;
        exec(&c, s).await
    }

    async fn one<T>(&self, s: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> StoreResult<Option<T>> {
        let c = self.pool.get().await.map_err(pool_err)?;
        query_one(&c, s, map).await
    }

    async fn all<T>(&self, s: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> StoreResult<Vec<T>> {
        let c = self.pool.get().await.map_err(pool_err)?;
        query_all(&c, s, map).await
    }

    /// Runs statements in one transaction; returns each one's affected row count.
    async fn in_tx(&self, stmts: Vec<Stmt>) -> StoreResult<Vec<u64>> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        let mut out = Vec::with_capacity(stmts.len());
        for s in stmts {
            out.push(exec(&tx, s).await?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    /// Runs an identity-changing statement and bumps the identity generation, in one transaction.
    async fn run_identity(&self, s: Stmt) -> StoreResult<u64> {
        Ok(self.in_tx(vec![s, sql::bump_identity_generation()]).await?[0])
    }

    /// A page and its total, read in one REPEATABLE READ snapshot so they agree.
    async fn page<T>(&self, cnt: Stmt, page: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> StoreResult<(Vec<T>, u64)> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx =
            c.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).read_only(true).start().await.map_err(backend)?;
        let rows = query_all(&tx, page, map).await?;
        let total = count(&tx, cnt).await?;
        tx.commit().await.map_err(backend)?;
        Ok((rows, total))
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let c = self.pool.get().await.map_err(pool_err)?;
        Ok(count(&c, sql::count_orgs()).await? == 0)
    }

    async fn bootstrap(
        &self,
        org: &Organization,
        owner: &User,
        owner_password_hash: Option<&str>,
        key: &AccessKey,
        token: &PersonalAccessToken,
    ) -> StoreResult<()> {
        self.in_tx(sql::bootstrap(org, owner, owner_password_hash, key, token)).await.map(drop)
    }

    async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>> {
        self.one(sql::org_by_name(name), sql::org_row).await
    }

    async fn organization(&self, id: &str) -> StoreResult<Option<Organization>> {
        self.one(sql::org_by_id(id), sql::org_row).await
    }

    async fn create_user(&self, user: &User, role: OrgRole, password_hash: Option<&str>) -> StoreResult<()> {
        self.in_tx(sql::create_user(user, role, password_hash)).await.map(drop)
    }

    async fn user(&self, id: &str) -> StoreResult<Option<User>> {
        self.one(sql::user_by_id(id), sql::user_row).await
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        self.one(sql::user_by_name(name), sql::user_row).await
    }

    async fn organizations_of_user(&self, user_id: &str) -> StoreResult<Vec<(Organization, OrgRole)>> {
        self.all(sql::orgs_of_user(user_id), sql::org_with_role_row).await
    }

    async fn org_member(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<OrgMember>> {
        self.one(sql::org_member(organization_id, user_id), sql::org_member_row).await
    }

    async fn list_org_members(&self, q: &OrgMemberQuery) -> StoreResult<(Vec<OrgMember>, u64)> {
        let (cnt, page) = sql::list_org_members(q);
        self.page(cnt, page, sql::org_member_row).await
    }

    async fn org_role(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<OrgRole>> {
        self.one(sql::org_role_of(organization_id, user_id), sql::org_role_row).await
    }

    async fn create_access_key(&self, key: &AccessKey) -> StoreResult<()> {
        self.run_identity(sql::insert_key(key)).await.map(drop)
    }

    async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>> {
        self.one(sql::key_by_id(id), sql::key_row).await
    }

    async fn list_access_keys(&self, user_id: &str) -> StoreResult<Vec<AccessKey>> {
        self.all(sql::keys_of_user(user_id), sql::key_row).await
    }

    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> StoreResult<bool> {
        Ok(self.run_identity(sql::set_key_enabled(id, enabled)).await? > 0)
    }

    async fn delete_access_key(&self, id: &str) -> StoreResult<bool> {
        Ok(self.run_identity(sql::delete_key(id)).await? > 0)
    }

    async fn create_token(&self, token: &PersonalAccessToken) -> StoreResult<()> {
        self.run_identity(sql::insert_token(token)).await.map(drop)
    }

    async fn list_tokens(&self, user_id: &str) -> StoreResult<Vec<PersonalAccessToken>> {
        self.all(sql::tokens_of_user(user_id), sql::token_row).await
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<PersonalAccessToken>> {
        self.one(sql::token_by_hash(hash), sql::token_row).await
    }

    async fn revoke_token(&self, id: &str) -> StoreResult<bool> {
        Ok(self.run_identity(sql::revoke_token(id)).await? > 0)
    }

    async fn identity_generation(&self) -> StoreResult<i64> {
        Ok(self.one(sql::identity_generation(), |r| Ok(r.int(0))).await?.unwrap_or(0))
    }

    async fn identity_changes(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<IdentityChange>>> {
        let first = identity_listener::listen(&self.config).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(identity_listener::forward(self.config.clone(), first, tx));
        Ok(Some(rx))
    }

    async fn remember_nonce(&self, access_key_id: &str, nonce: &str, now: Millis, expires_at: Millis) -> StoreResult<bool> {
        let c = self.pool.get().await.map_err(pool_err)?;
        // Sweep expired rows now and then, so the table stays the size of one window.
        if self.nonce_inserts.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
            c.execute("DELETE FROM signature_nonces WHERE expires_at <= $1", &[&now]).await.map_err(backend)?;
        }
        // Inserted, or an expired row taken over: fresh. A live row left untouched: a replay.
        let n = c
            .execute(
                "INSERT INTO signature_nonces (access_key_id, nonce, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE signature_nonces.expires_at <= $4",
                &[&access_key_id, &nonce, &expires_at, &now],
            )
            .await
            .map_err(backend)?;
        Ok(n == 1)
    }

    async fn user_with_password(&self, name: &str) -> StoreResult<Option<(User, Option<String>)>> {
        self.one(sql::user_with_password(name), sql::user_with_password_row).await
    }

    async fn set_password_hash(&self, user_id: &str, hash: Option<&str>) -> StoreResult<bool> {
        Ok(self.in_tx(sql::change_password(user_id, hash)).await?[0] > 0)
    }

    async fn create_console_session(&self, session: &ConsoleSession, secret_hash: &str, now: Millis) -> StoreResult<()> {
        self.in_tx(vec![sql::delete_expired_sessions(now), sql::insert_session(session, secret_hash)]).await.map(drop)
    }

    async fn console_session(&self, secret_hash: &str, now: Millis) -> StoreResult<Option<ConsoleSession>> {
        self.one(sql::session_by_hash(secret_hash, now), sql::session_row).await
    }

    async fn list_console_sessions(&self, user_id: Option<&str>, now: Millis, limit: u32) -> StoreResult<Vec<ConsoleSession>> {
        self.all(sql::list_sessions(user_id, now, limit), sql::session_row).await
    }

    async fn delete_console_session(&self, id: &str) -> StoreResult<bool> {
        Ok(self.run(sql::delete_session(id)).await? > 0)
    }

    async fn delete_console_session_by_hash(&self, secret_hash: &str) -> StoreResult<bool> {
        Ok(self.run(sql::delete_session_by_hash(secret_hash)).await? > 0)
    }

    async fn sign_in_failures(&self, keys: &[String]) -> StoreResult<Vec<SignInFailures>> {
        self.all(sql::failures_of(keys), sql::failures_row).await
    }

    async fn record_sign_in_failure(&self, key: &str, count: &FailureCount) -> StoreResult<SignInFailures> {
        self.one(sql::record_failure(key, count), sql::failures_row)
            .await?
            .ok_or_else(|| StoreError::Backend("the failure upsert returned no row".into()))
    }

    async fn clear_sign_in_failures(&self, key: &str, window_start: Millis, now: Millis) -> StoreResult<()> {
        self.in_tx(vec![sql::delete_failures(key), sql::delete_stale_failures(window_start, now)]).await.map(drop)
    }

    async fn namespace(&self, id: i64) -> StoreResult<Option<Namespace>> {
        self.one(sql::ns_by_id(id), sql::ns_row).await
    }

    async fn namespace_by_path(&self, organization_id: &str, full_path: &str) -> StoreResult<Option<Namespace>> {
        self.one(sql::ns_by_path(organization_id, full_path), sql::ns_row).await
    }

    async fn create_namespace(&self, ns: &Namespace, creator: &str, creator_level: AccessLevel) -> StoreResult<Namespace> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        let mut ns = ns.clone();
        ns.id = query_one(&tx, sql::insert_ns(&ns), |r| Ok(r.int(0))).await?.unwrap_or_default();
        exec(&tx, sql::insert_ns_member(ns.id, creator, creator_level, None, ns.created_at)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(ns)
    }

    async fn namespace_access_level(&self, organization_id: &str, full_path: &str, user_id: &str, now: Millis) -> StoreResult<AccessLevel> {
        Ok(self.one(sql::ns_access_level(organization_id, full_path, user_id, now), sql::level_row).await?.unwrap_or_default())
    }

    async fn update_namespace(&self, old: &Namespace, new: &Namespace, more_visible: &[CodeVisibility]) -> StoreResult<()> {
        self.in_tx(sql::update_ns_tree(old, new, more_visible)).await.map(drop)
    }

    async fn max_subtree_depth(&self, ns: &Namespace) -> StoreResult<i64> {
        Ok(self.one(sql::max_descendant_depth(ns), |r| Ok(r.opt_int(0))).await?.flatten().unwrap_or(ns.depth))
    }

    async fn count_descendants(&self, ns: &Namespace) -> StoreResult<u64> {
        let c = self.pool.get().await.map_err(pool_err)?;
        count(&c, sql::count_descendants(&ns.organization_id, &ns.full_path)).await
    }

    async fn delete_namespace_tree(&self, ns: &Namespace) -> StoreResult<DeletedTree> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        let repositories = query_all(&tx, sql::repo_ids_below(&ns.organization_id, &ns.full_path), |r| Ok(r.int(0))).await?;
        exec(&tx, sql::delete_repos_below(&ns.organization_id, &ns.full_path)).await?;
        let groups = exec(&tx, sql::delete_ns_tree(&ns.organization_id, &ns.full_path)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(DeletedTree { groups, repositories })
    }

    async fn namespace_members(&self, ns: &Namespace, min_level: AccessLevel, now: Millis) -> StoreResult<Vec<NamespaceMember>> {
        self.all(sql::ns_members(&ns.organization_id, &ns.full_path, min_level, now), sql::ns_member_row).await
    }

    async fn namespace_member(&self, namespace_id: i64, user_id: &str) -> StoreResult<Option<NamespaceMember>> {
        self.one(sql::ns_member(namespace_id, user_id), sql::ns_member_row).await
    }

    async fn add_namespace_members(
        &self,
        ns: &Namespace,
        user_ids: &[String],
        level: AccessLevel,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()> {
        self.in_tx(sql::add_ns_members(ns, user_ids, level, expires_at, now)).await.map(drop)
    }

    async fn set_namespace_member(&self, namespace_id: i64, user_id: &str, level: AccessLevel, expires_at: Option<Millis>) -> StoreResult<bool> {
        Ok(self.run(sql::set_ns_member_level(namespace_id, user_id, level, expires_at)).await? > 0)
    }

    async fn remove_namespace_member(&self, namespace_id: i64, user_id: &str) -> StoreResult<bool> {
        Ok(self.run(sql::delete_ns_member(namespace_id, user_id)).await? > 0)
    }

    async fn list_namespaces(&self, q: &NamespaceQuery, now: Millis) -> StoreResult<(Vec<Namespace>, u64)> {
        let (cnt, page) = sql::list_ns(q, now);
        self.page(cnt, page, sql::ns_row).await
    }

    async fn create_policy(&self, p: &PolicyRecord) -> StoreResult<()> {
        self.run_identity(sql::insert_policy(p)).await.map(drop)
    }

    async fn policy(&self, organization_id: &str, name: &str) -> StoreResult<Option<PolicyRecord>> {
        self.one(sql::policy_by_name(organization_id, name), sql::policy_row).await
    }

    async fn list_policies(&self, organization_id: &str) -> StoreResult<Vec<PolicyRecord>> {
        self.all(sql::policies_of_org(organization_id), sql::policy_row).await
    }

    async fn delete_policy(&self, organization_id: &str, name: &str) -> StoreResult<PolicyDeletion> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        let uses = count(&tx, sql::count_policy_uses(organization_id, name)).await?;
        let outcome = if uses > 0 {
            PolicyDeletion::Attached(uses)
        } else if exec(&tx, sql::delete_policy(organization_id, name)).await? > 0 {
            exec(&tx, sql::bump_identity_generation()).await?;
            PolicyDeletion::Deleted
        } else {
            PolicyDeletion::NotFound
        };
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn attach_policy(&self, user: &User, p: &PolicyRef, now: Millis) -> StoreResult<()> {
        self.run_identity(sql::attach_policy(user, p, now)).await.map(drop)
    }

    async fn detach_policy(&self, user_id: &str, p: &PolicyRef) -> StoreResult<bool> {
        Ok(self.run_identity(sql::detach_policy(user_id, p)).await? > 0)
    }

    async fn attached_policies(&self, user_id: &str) -> StoreResult<Vec<AttachedPolicy>> {
        self.all(sql::attached_policies(user_id), sql::attached_row).await
    }

    async fn default_policies(&self, organization_id: &str) -> StoreResult<Vec<PolicyRef>> {
        self.all(sql::default_policies(organization_id), sql::policy_ref_row).await
    }

    async fn set_default_policies(&self, organization_id: &str, set: &[PolicyRef]) -> StoreResult<()> {
        let mut stmts = vec![sql::clear_default_policies(organization_id)];
        stmts.extend(set.iter().map(|p| sql::insert_default_policy(organization_id, p)));
        stmts.push(sql::bump_identity_generation());
        self.in_tx(stmts).await.map(drop)
    }

    async fn create_repository(&self, repo: &Repository, creator: &str, creator_level: AccessLevel) -> StoreResult<Repository> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        let mut repo = repo.clone();
        repo.id = query_one(&tx, sql::insert_repo(&repo), |r| Ok(r.int(0))).await?.unwrap_or_default();
        exec(&tx, sql::insert_repo_member(repo.id, creator, creator_level, repo.created_at)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(repo)
    }

    async fn activate_repository(&self, id: i64) -> StoreResult<bool> {
        Ok(self.run(sql::activate_repo(id)).await? > 0)
    }

    async fn delete_repository(&self, id: i64) -> StoreResult<bool> {
        Ok(self.run(sql::delete_repo(id)).await? > 0)
    }

    async fn repository(&self, id: i64) -> StoreResult<Option<Repository>> {
        self.one(sql::repo_by_id(id), sql::repo_row).await
    }

    async fn repository_by_path(&self, organization_id: &str, full_path: &str) -> StoreResult<Option<Repository>> {
        self.one(sql::repo_by_path(organization_id, full_path), sql::repo_row).await
    }

    async fn discard_unfinished_repositories(&self, before: Millis) -> StoreResult<Vec<i64>> {
        self.all(sql::discard_unfinished_repos(before), |r| Ok(r.int(0))).await
    }

    async fn repository_ids(&self) -> StoreResult<Vec<i64>> {
        self.all(sql::repo_ids(), |r| Ok(r.int(0))).await
    }

    async fn repository_access_level(&self, repo: &Repository, user_id: &str, now: Millis) -> StoreResult<AccessLevel> {
        Ok(self.one(sql::repo_access_level(repo, user_id, now), sql::level_row).await?.unwrap_or_default())
    }

    async fn update_repository(&self, repo: &Repository) -> StoreResult<bool> {
        Ok(self.run(sql::update_repo(repo)).await? > 0)
    }

    async fn touch_repository(&self, id: i64, now: Millis, default_branch: Option<&str>) -> StoreResult<()> {
        self.run(sql::touch_repo(id, now, default_branch)).await.map(drop)
    }

    async fn count_repositories_below(&self, ns: &Namespace) -> StoreResult<u64> {
        let c = self.pool.get().await.map_err(pool_err)?;
        count(&c, sql::count_repos_below(&ns.organization_id, &ns.full_path)).await
    }

    async fn list_repositories(&self, q: &RepositoryQuery, now: Millis) -> StoreResult<(Vec<Repository>, u64)> {
        let (cnt, page) = sql::list_repos(q, now);
        self.page(cnt, page, sql::repo_row).await
    }

    async fn create_workspace(&self, ws: &Workspace, owner: &WorkspaceMember) -> StoreResult<Workspace> {
        let mut c = self.pool.get().await.map_err(pool_err)?;
        let tx = c.transaction().await.map_err(backend)?;
        // Serialize default-workspace assignment per organization.
        tx.execute("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", &[&ws.organization_id]).await.map_err(backend)?;
        let mut ws = ws.clone();
        ws.is_default = count(&tx, sql::count_default_ws(&ws.organization_id)).await? == 0;
        exec(&tx, sql::insert_ws(&ws)).await?;
        exec(&tx, sql::insert_member(owner)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(ws)
    }

    async fn workspace(&self, id: &str) -> StoreResult<Option<Workspace>> {
        self.one(sql::ws_by_id(id), sql::ws_row).await
    }

    async fn default_workspace(&self, organization_id: &str) -> StoreResult<Option<Workspace>> {
        self.one(sql::default_ws(organization_id), sql::ws_row).await
    }

    async fn list_workspaces(&self, q: &WorkspaceQuery) -> StoreResult<(Vec<Workspace>, u64)> {
        let (cnt, page) = sql::list_ws(q);
        self.page(cnt, page, sql::ws_row).await
    }

    async fn update_workspace(&self, id: &str, display_name: &str, description: &str, now: Millis) -> StoreResult<bool> {
        Ok(self.run(sql::update_ws(id, display_name, description, now)).await? > 0)
    }

    async fn delete_workspace(&self, id: &str) -> StoreResult<bool> {
        let counts = self.in_tx(vec![sql::delete_ws_code_sources(id), sql::delete_ws_members(id), sql::delete_ws(id)]).await?;
        Ok(counts.last().copied().unwrap_or(0) > 0)
    }

    async fn workspace_admin_names(&self, id: &str) -> StoreResult<Vec<String>> {
        self.all(sql::ws_admin_names(id), |r| Ok(r.text(0))).await
    }

    async fn member(&self, workspace_id: &str, user_id: &str) -> StoreResult<Option<MemberView>> {
        self.one(sql::member(workspace_id, user_id), sql::member_row).await
    }

    async fn add_members(&self, members: &[WorkspaceMember]) -> StoreResult<()> {
        self.in_tx(members.iter().map(sql::insert_member).collect()).await.map(drop)
    }

    async fn list_members(&self, q: &MemberQuery) -> StoreResult<(Vec<MemberView>, u64)> {
        let (cnt, page) = sql::list_members(q);
        self.page(cnt, page, sql::member_row).await
    }

    async fn delete_members(&self, workspace_id: &str, user_ids: &[String]) -> StoreResult<u64> {
        Ok(self.in_tx(user_ids.iter().map(|u| sql::delete_member(workspace_id, u)).collect()).await?.iter().sum())
    }

    async fn set_member_roles(&self, workspace_id: &str, user_id: &str, roles: &RoleSet) -> StoreResult<bool> {
        Ok(self.run(sql::set_member_roles(workspace_id, user_id, roles)).await? > 0)
    }

    async fn create_code_source(&self, cs: &CodeSource) -> StoreResult<()> {
        self.run(sql::insert_cs(cs)).await.map(drop)
    }

    async fn code_source(&self, id: &str) -> StoreResult<Option<CodeSource>> {
        self.one(sql::cs_by_id(id), sql::cs_row).await
    }

    async fn code_source_access(&self, id: &str, user_id: &str) -> StoreResult<Option<CodeSourceAccess>> {
        self.one(sql::cs_with_access(id, user_id), sql::cs_with_access_row).await
    }

    async fn list_code_sources(&self, q: &CodeSourceQuery) -> StoreResult<(Vec<CodeSource>, u64)> {
        let (cnt, page) = sql::list_cs(q);
        self.page(cnt, page, sql::cs_row).await
    }

    async fn update_code_source(&self, cs: &CodeSource) -> StoreResult<bool> {
        Ok(self.run(sql::update_cs(cs)).await? > 0)
    }

    async fn delete_code_source(&self, id: &str) -> StoreResult<bool> {
        Ok(self.run(sql::delete_cs(id)).await? > 0)
    }
}

/// The identity-change listener: one connection outside the pool that LISTENs on the
/// channel migration 0006's trigger notifies at every generation bump.
mod identity_listener {
    use super::{backend, IdentityChange, StoreResult};
    use futures_util::StreamExt;
    use tokio::sync::mpsc;
    use tokio_postgres::{AsyncMessage, NoTls};

    const CHANNEL: &str = "codeport_identity";
    /// Names the connection in pg_stat_activity, so operators (and tests) can find it.
    pub const APPLICATION_NAME: &str = "codeport-identity-listener";
    /// Pause between reconnection attempts after the listening connection is lost.
    const RECONNECT_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

    /// A live subscription: notifications arrive on `messages` until the connection ends.
    pub struct Listening {
        /// Kept so the connection stays open.
        _client: tokio_postgres::Client,
        messages: mpsc::UnboundedReceiver<i64>,
    }

    /// Connects and subscribes; the LISTEN has taken effect when this returns.
    pub async fn listen(config: &tokio_postgres::Config) -> StoreResult<Listening> {
        let mut config = config.clone();
        config.application_name(APPLICATION_NAME);
        let (client, mut connection) = config.connect(NoTls).await.map_err(backend)?;
        let (tx, messages) = mpsc::unbounded_channel();
        // The connection must be polled for the LISTEN to complete, so drive it first.
        tokio::spawn(async move {
            let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(Ok(message)) = stream.next().await {
                if let AsyncMessage::Notification(n) = message {
                    // A payload that is not a number still means "something changed".
                    if tx.send(n.payload().parse().unwrap_or(i64::MIN)).is_err() {
                        return;
                    }
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(backend)?;
        Ok(Listening { _client: client, messages })
    }

    /// Forwards notifications to `out` until it is dropped, reconnecting when the
    /// connection is lost (and telling `out` to resync, as notifications may have been missed).
    pub async fn forward(config: tokio_postgres::Config, mut current: Listening, out: mpsc::Sender<IdentityChange>) {
        loop {
            loop {
                let change = tokio::select! {
                    _ = out.closed() => return,
                    m = current.messages.recv() => match m {
                        Some(i64::MIN) => IdentityChange::Resync,
                        Some(g) => IdentityChange::Generation(g),
                        None => break,
                    },
                };
                if out.send(change).await.is_err() {
                    return;
                }
            }
            tracing::warn!("lost the identity-change listener connection; reconnecting");
            current = loop {
                tokio::select! {
                    _ = out.closed() => return,
                    _ = tokio::time::sleep(RECONNECT_DELAY) => {}
                }
                match listen(&config).await {
                    Ok(l) => break l,
                    Err(e) => tracing::warn!(error = %e, "cannot reconnect the identity-change listener"),
                }
            };
            if out.send(IdentityChange::Resync).await.is_err() {
                return;
            }
        }
    }
}
