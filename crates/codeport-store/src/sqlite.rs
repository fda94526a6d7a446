//! SQLite backend. Reads run inline on the calling thread through a read-only connection
//! kept per thread (a point read costs microseconds, far less than a hand-off to another
//! thread); writes run on one writer connection on tokio's blocking pool, each in an
//! IMMEDIATE transaction, with a busy timeout so the admin CLI can write while a server runs.

use crate::nonce::NonceCache;
use crate::sql::{self, RowLike, Stmt, P};
use crate::{Store, StoreError, StoreResult, UniqueViolation};
use async_trait::async_trait;
use codeport_core::entities::*;
use codeport_core::timefmt::Millis;
use codeport_core::values::{CodeVisibility, RoleSet};
use codeport_core::AccessLevel;
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const MIGRATIONS: &[(i64, &str)] = migrations!("sqlite");
const BUSY_TIMEOUT_MS: u64 = 10_000;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Read-only connections of this thread, one per open store.
    static READERS: RefCell<HashMap<u64, Connection>> = RefCell::new(HashMap::new());
}

/// The SQLite store: a database file in WAL mode.
pub struct SqliteStore {
    id: u64,
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    nonces: NonceCache,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Close this thread's reader; other threads' readers close when those threads end.
        let _ = READERS.try_with(|r| r.borrow_mut().remove(&self.id));
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::ToSqlConversionFailure(inner) = e {
        return match inner.downcast::<StoreError>() {
            Ok(tunnelled) => *tunnelled,
            Err(other) => StoreError::Backend(other.to_string()),
        };
    }
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation
            && matches!(f.extended_code, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
        {
            return StoreError::Unique(UniqueViolation::Constraint(msg.clone().unwrap_or_default()));
        }
    }
    StoreError::Backend(e.to_string())
}

/// Carries a [`StoreError`] (a corrupt row) through rusqlite's callbacks; [`backend`] takes it out again.
fn tunnel(e: StoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn to_values(params: Vec<P>) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    params
        .into_iter()
        .map(|p| match p {
            P::T(s) => V::Text(s),
            P::OT(o) => o.map_or(V::Null, V::Text),
            P::I(i) => V::Integer(i),
            P::OI(o) => o.map_or(V::Null, V::Integer),
            P::B(b) => V::Integer(b as i64),
            P::Bytes(o) => o.map_or(V::Null, V::Blob),
        })
        .collect()
}

impl RowLike for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> String {
        self.get(i).unwrap_or_default()
    }
    fn int(&self, i: usize) -> i64 {
        self.get(i).unwrap_or_default()
    }
    fn opt_int(&self, i: usize) -> Option<i64> {
        self.get(i).unwrap_or_default()
    }
    fn boolean(&self, i: usize) -> bool {
        self.get::<_, i64>(i).map(|v| v != 0).unwrap_or(false)
    }
    fn opt_bytes(&self, i: usize) -> Option<Vec<u8>> {
        self.get(i).unwrap_or_default()
    }
    fn opt_text(&self, i: usize) -> Option<String> {
        self.get(i).unwrap_or_default()
    }
}

/// SQLite numbers `$NNN` parameters by order of appearance but `?NNN` by their number, so
/// the shared `$n` text is bound as `?n`: order in the text never matters.
fn sqlite_text(sql: &str) -> String {
    sql.replace('$', "?")
}

/// Runs `s` through `run` with its SQLite text and values; a failure is classified as `s`
/// declared (see [`sql::declared`]).
fn run<T>(
    c: &Connection,
    s: Stmt,
    run: impl FnOnce(&mut rusqlite::CachedStatement<'_>, Vec<rusqlite::types::Value>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let Stmt { sql, params, unique } = s;
    c.prepare_cached(&sqlite_text(&sql)).and_then(|mut st| run(&mut st, to_values(params))).map_err(|e| tunnel(sql::declared(backend(e), unique)))
}

fn query_all<T>(c: &Connection, s: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> rusqlite::Result<Vec<T>> {
    run(c, s, |st, values| st.query_map(params_from_iter(values), |r| map(r).map_err(tunnel))?.collect())
}

fn query_one<T>(c: &Connection, s: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> rusqlite::Result<Option<T>> {
    run(c, s, |st, values| st.query_row(params_from_iter(values), |r| map(r).map_err(tunnel)).optional())
}

fn exec(c: &Connection, s: Stmt) -> rusqlite::Result<usize> {
    run(c, s, |st, values| st.execute(params_from_iter(values)))
}

/// Runs an identity-changing statement and bumps the identity generation (same transaction).
fn exec_identity(c: &Connection, s: Stmt) -> rusqlite::Result<usize> {
    let n = exec(c, s)?;
    exec(c, sql::bump_identity_generation())?;
    Ok(n)
}

fn count(c: &Connection, s: Stmt) -> rusqlite::Result<u64> {
    Ok(query_one(c, s, |r| Ok(r.int(0)))?.unwrap_or(0) as u64)
}

fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, enables WAL and runs migrations.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let path = path.to_path_buf();
        let p2 = path.clone();
        let writer = tokio::task::spawn_blocking(move || -> StoreResult<Connection> {
            if let Some(dir) = p2.parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", dir.display())))?;
                }
            }
            let mut c = Connection::open(&p2).map_err(backend)?;
            configure(&c).map_err(backend)?;
            c.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
            migrate(&mut c).map_err(backend)?;
            Ok(c)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))??;
        Ok(SqliteStore {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            path,
            writer: Arc::new(Mutex::new(writer)),
            nonces: NonceCache::default(),
        })
    }

    /// Runs `f` on this thread's read-only connection (opened on first use).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        READERS.with(|r| {
            let mut map = r.borrow_mut();
            let conn = match map.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let c = Connection::open_with_flags(
                        &self.path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
                    )
                    .map_err(backend)?;
                    configure(&c).map_err(backend)?;
                    // Readers map the file: page reads become memory reads instead of pread calls.
                    c.pragma_update(None, "mmap_size", 256i64 * 1024 * 1024).map_err(backend)?;
                    c.set_prepared_statement_cache_capacity(64);
                    v.insert(c)
                }
            };
            f(conn).map_err(backend)
        })
    }

    /// Runs a page query and its count in one read transaction, so the total matches the page.
    fn page<T>(&self, cnt: Stmt, page: Stmt, map: fn(&dyn RowLike) -> StoreResult<T>) -> StoreResult<(Vec<T>, u64)> {
        self.read(|c| {
            let tx = c.unchecked_transaction()?;
            let out = (query_all(&tx, page, map)?, count(&tx, cnt)?);
            tx.finish()?;
            Ok(out)
        })
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer connection, off the async workers.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static) -> StoreResult<T> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
            let out = f(&tx).map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }
}

fn migrate(c: &mut Connection) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")?;
    for (version, script) in MIGRATIONS {
        let done: Option<i64> = tx.query_row("SELECT version FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0)).optional()?;
        if done.is_none() {
            tx.execute_batch(script)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                rusqlite::params![version, codeport_core::timefmt::now_millis()],
            )?;
        }
    }
    tx.commit()
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        self.read(|c| count(c, sql::count_orgs())).map(|n| n == 0)
    }

    async fn bootstrap(
        &self,
        org: &Organization,
        owner: &User,
        owner_password_hash: Option<&str>,
        key: &AccessKey,
        token: &PersonalAccessToken,
    ) -> StoreResult<()> {
        let stmts = sql::bootstrap(org, owner, owner_password_hash, key, token);
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>> {
        self.read(|c| query_one(c, sql::org_by_name(name), sql::org_row))
    }

    async fn organization(&self, id: &str) -> StoreResult<Option<Organization>> {
        self.read(|c| query_one(c, sql::org_by_id(id), sql::org_row))
    }

    async fn create_user(&self, user: &User, role: OrgRole, password_hash: Option<&str>) -> StoreResult<()> {
        let stmts = sql::create_user(user, role, password_hash);
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn user(&self, id: &str) -> StoreResult<Option<User>> {
        self.read(|c| query_one(c, sql::user_by_id(id), sql::user_row))
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        self.read(|c| query_one(c, sql::user_by_name(name), sql::user_row))
    }

    async fn organizations_of_user(&self, user_id: &str) -> StoreResult<Vec<(Organization, OrgRole)>> {
        self.read(|c| query_all(c, sql::orgs_of_user(user_id), sql::org_with_role_row))
    }

    async fn org_member(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<OrgMember>> {
        self.read(|c| query_one(c, sql::org_member(organization_id, user_id), sql::org_member_row))
    }

    async fn list_org_members(&self, q: &OrgMemberQuery) -> StoreResult<(Vec<OrgMember>, u64)> {
        let (cnt, page) = sql::list_org_members(q);
        self.page(cnt, page, sql::org_member_row)
    }

    async fn org_role(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<OrgRole>> {
        self.read(|c| query_one(c, sql::org_role_of(organization_id, user_id), sql::org_role_row))
    }

    async fn create_access_key(&self, key: &AccessKey) -> StoreResult<()> {
        let s = sql::insert_key(key);
        self.write(move |c| exec_identity(c, s).map(drop)).await
    }

    async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>> {
        self.read(|c| query_one(c, sql::key_by_id(id), sql::key_row))
    }

    async fn list_access_keys(&self, user_id: &str) -> StoreResult<Vec<AccessKey>> {
        self.read(|c| query_all(c, sql::keys_of_user(user_id), sql::key_row))
    }

    async fn set_access_key_enabled(&self, id: &str, enabled: bool) -> StoreResult<bool> {
        let s = sql::set_key_enabled(id, enabled);
        self.write(move |c| exec_identity(c, s).map(|n| n > 0)).await
    }

    async fn delete_access_key(&self, id: &str) -> StoreResult<bool> {
        let s = sql::delete_key(id);
        self.write(move |c| exec_identity(c, s).map(|n| n > 0)).await
    }

    async fn create_token(&self, token: &PersonalAccessToken) -> StoreResult<()> {
        let s = sql::insert_token(token);
        self.write(move |c| exec_identity(c, s).map(drop)).await
    }

    async fn list_tokens(&self, user_id: &str) -> StoreResult<Vec<PersonalAccessToken>> {
        self.read(|c| query_all(c, sql::tokens_of_user(user_id), sql::token_row))
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<PersonalAccessToken>> {
        self.read(|c| query_one(c, sql::token_by_hash(hash), sql::token_row))
    }

    async fn revoke_token(&self, id: &str) -> StoreResult<bool> {
        let s = sql::revoke_token(id);
        self.write(move |c| exec_identity(c, s).map(|n| n > 0)).await
    }

    async fn identity_generation(&self) -> StoreResult<i64> {
        self.read(|c| Ok(query_one(c, sql::identity_generation(), |r| Ok(r.int(0)))?.unwrap_or(0)))
    }

    fn identity_generation_inline(&self) -> Option<StoreResult<i64>> {
        // About 2 µs on this thread's reader: cheap enough to run on every request, which
        // makes a change by the admin CLI visible to the very next request.
        Some(self.read(|c| {
            let mut st = c.prepare_cached(sql::IDENTITY_GENERATION)?;
            st.query_row([], |r| r.get::<_, i64>(0)).optional().map(Option::unwrap_or_default)
        }))
    }

    async fn remember_nonce(&self, access_key_id: &str, nonce: &str, now: Millis, expires_at: Millis) -> StoreResult<bool> {
        // One server process owns a SQLite database, so an in-memory cache is complete.
        let _ = expires_at;
        Ok(self.nonces.remember(access_key_id, nonce, now))
    }

    async fn user_with_password(&self, name: &str) -> StoreResult<Option<(User, Option<String>)>> {
        self.read(|c| query_one(c, sql::user_with_password(name), sql::user_with_password_row))
    }

    async fn set_password_hash(&self, user_id: &str, hash: Option<&str>) -> StoreResult<bool> {
        let stmts = sql::change_password(user_id, hash);
        self.write(move |c| stmts.into_iter().map(|s| exec(c, s)).collect::<rusqlite::Result<Vec<_>>>().map(|n| n[0] > 0)).await
    }

    async fn create_console_session(&self, session: &ConsoleSession, secret_hash: &str, now: Millis) -> StoreResult<()> {
        let stmts = [sql::delete_expired_sessions(now), sql::insert_session(session, secret_hash)];
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn console_session(&self, secret_hash: &str, now: Millis) -> StoreResult<Option<ConsoleSession>> {
        self.read(|c| query_one(c, sql::session_by_hash(secret_hash, now), sql::session_row))
    }

    async fn list_console_sessions(&self, user_id: Option<&str>, now: Millis, limit: u32) -> StoreResult<Vec<ConsoleSession>> {
        self.read(|c| query_all(c, sql::list_sessions(user_id, now, limit), sql::session_row))
    }

    async fn delete_console_session(&self, id: &str) -> StoreResult<bool> {
        let s = sql::delete_session(id);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn delete_console_session_by_hash(&self, secret_hash: &str) -> StoreResult<bool> {
        let s = sql::delete_session_by_hash(secret_hash);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn sign_in_failures(&self, keys: &[String]) -> StoreResult<Vec<SignInFailures>> {
        self.read(|c| query_all(c, sql::failures_of(keys), sql::failures_row))
    }

    async fn record_sign_in_failure(&self, key: &str, count: &FailureCount) -> StoreResult<SignInFailures> {
        let s = sql::record_failure(key, count);
        self.write(move |c| query_one(c, s, sql::failures_row)).await?.ok_or_else(|| StoreError::Backend("the failure upsert returned no row".into()))
    }

    async fn clear_sign_in_failures(&self, key: &str, window_start: Millis, now: Millis) -> StoreResult<()> {
        let stmts = [sql::delete_failures(key), sql::delete_stale_failures(window_start, now)];
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn namespace(&self, id: i64) -> StoreResult<Option<Namespace>> {
        self.read(|c| query_one(c, sql::ns_by_id(id), sql::ns_row))
    }

    async fn namespace_by_path(&self, organization_id: &str, full_path: &str) -> StoreResult<Option<Namespace>> {
        self.read(|c| query_one(c, sql::ns_by_path(organization_id, full_path), sql::ns_row))
    }

    async fn create_namespace(&self, ns: &Namespace, creator: &str, creator_level: AccessLevel) -> StoreResult<Namespace> {
        let (mut ns, creator) = (ns.clone(), creator.to_string());
        self.write(move |c| {
            ns.id = query_one(c, sql::insert_ns(&ns), |r| Ok(r.int(0)))?.unwrap_or_default();
            exec(c, sql::insert_ns_member(ns.id, &creator, creator_level, None, ns.created_at))?;
            Ok(ns)
        })
        .await
    }

    async fn namespace_access_level(&self, organization_id: &str, full_path: &str, user_id: &str, now: Millis) -> StoreResult<AccessLevel> {
        self.read(|c| Ok(query_one(c, sql::ns_access_level(organization_id, full_path, user_id, now), sql::level_row)?.unwrap_or_default()))
    }

    async fn update_namespace(&self, old: &Namespace, new: &Namespace, more_visible: &[CodeVisibility]) -> StoreResult<()> {
        let stmts = sql::update_ns_tree(old, new, more_visible);
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn max_subtree_depth(&self, ns: &Namespace) -> StoreResult<i64> {
        self.read(|c| Ok(query_one(c, sql::max_descendant_depth(ns), |r| Ok(r.opt_int(0)))?.flatten().unwrap_or(ns.depth)))
    }

    async fn count_descendants(&self, ns: &Namespace) -> StoreResult<u64> {
        self.read(|c| count(c, sql::count_descendants(&ns.organization_id, &ns.full_path)))
    }

    async fn delete_namespace_tree(&self, ns: &Namespace) -> StoreResult<DeletedTree> {
        let (org, path) = (ns.organization_id.clone(), ns.full_path.clone());
        self.write(move |c| {
            let repositories = query_all(c, sql::repo_ids_below(&org, &path), |r| Ok(r.int(0)))?;
            exec(c, sql::delete_repos_below(&org, &path))?;
            let groups = exec(c, sql::delete_ns_tree(&org, &path))? as u64;
            Ok(DeletedTree { groups, repositories })
        })
        .await
    }

    async fn namespace_members(&self, ns: &Namespace, min_level: AccessLevel, now: Millis) -> StoreResult<Vec<NamespaceMember>> {
        self.read(|c| query_all(c, sql::ns_members(&ns.organization_id, &ns.full_path, min_level, now), sql::ns_member_row))
    }

    async fn namespace_member(&self, namespace_id: i64, user_id: &str) -> StoreResult<Option<NamespaceMember>> {
        self.read(|c| query_one(c, sql::ns_member(namespace_id, user_id), sql::ns_member_row))
    }

    async fn add_namespace_members(
        &self,
        ns: &Namespace,
        user_ids: &[String],
        level: AccessLevel,
        expires_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()> {
        let stmts = sql::add_ns_members(ns, user_ids, level, expires_at, now);
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn set_namespace_member(&self, namespace_id: i64, user_id: &str, level: AccessLevel, expires_at: Option<Millis>) -> StoreResult<bool> {
        let s = sql::set_ns_member_level(namespace_id, user_id, level, expires_at);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn remove_namespace_member(&self, namespace_id: i64, user_id: &str) -> StoreResult<bool> {
        let s = sql::delete_ns_member(namespace_id, user_id);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn list_namespaces(&self, q: &NamespaceQuery, now: Millis) -> StoreResult<(Vec<Namespace>, u64)> {
        let (cnt, page) = sql::list_ns(q, now);
        self.page(cnt, page, sql::ns_row)
    }

    async fn create_policy(&self, p: &PolicyRecord) -> StoreResult<()> {
        let s = sql::insert_policy(p);
        self.write(move |c| exec_identity(c, s).map(drop)).await
    }

    async fn policy(&self, organization_id: &str, name: &str) -> StoreResult<Option<PolicyRecord>> {
        self.read(|c| query_one(c, sql::policy_by_name(organization_id, name), sql::policy_row))
    }

    async fn list_policies(&self, organization_id: &str) -> StoreResult<Vec<PolicyRecord>> {
        self.read(|c| query_all(c, sql::policies_of_org(organization_id), sql::policy_row))
    }

    async fn delete_policy(&self, organization_id: &str, name: &str) -> StoreResult<PolicyDeletion> {
        let (org, name) = (organization_id.to_string(), name.to_string());
        self.write(move |c| {
            let uses = count(c, sql::count_policy_uses(&org, &name))?;
            if uses > 0 {
                return Ok(PolicyDeletion::Attached(uses));
            }
            Ok(if exec_identity(c, sql::delete_policy(&org, &name))? > 0 { PolicyDeletion::Deleted } else { PolicyDeletion::NotFound })
        })
        .await
    }

    async fn attach_policy(&self, user: &User, p: &PolicyRef, now: Millis) -> StoreResult<()> {
        let s = sql::attach_policy(user, p, now);
        self.write(move |c| exec_identity(c, s).map(drop)).await
    }

    async fn detach_policy(&self, user_id: &str, p: &PolicyRef) -> StoreResult<bool> {
        let s = sql::detach_policy(user_id, p);
        self.write(move |c| exec_identity(c, s).map(|n| n > 0)).await
    }

    async fn attached_policies(&self, user_id: &str) -> StoreResult<Vec<AttachedPolicy>> {
        self.read(|c| query_all(c, sql::attached_policies(user_id), sql::attached_row))
    }

    async fn default_policies(&self, organization_id: &str) -> StoreResult<Vec<PolicyRef>> {
        self.read(|c| query_all(c, sql::default_policies(organization_id), sql::policy_ref_row))
    }

    async fn set_default_policies(&self, organization_id: &str, set: &[PolicyRef]) -> StoreResult<()> {
        let mut stmts = vec![sql::clear_default_policies(organization_id)];
        stmts.extend(set.iter().map(|p| sql::insert_default_policy(organization_id, p)));
        stmts.push(sql::bump_identity_generation());
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn create_repository(&self, repo: &Repository, creator: &str, creator_level: AccessLevel) -> StoreResult<Repository> {
        let (mut repo, creator) = (repo.clone(), creator.to_string());
        self.write(move |c| {
            repo.id = query_one(c, sql::insert_repo(&repo), |r| Ok(r.int(0)))?.unwrap_or_default();
            exec(c, sql::insert_repo_member(repo.id, &creator, creator_level, repo.created_at))?;
            Ok(repo)
        })
        .await
    }

    async fn activate_repository(&self, id: i64) -> StoreResult<bool> {
        self.write(move |c| exec(c, sql::activate_repo(id)).map(|n| n > 0)).await
    }

    async fn delete_repository(&self, id: i64) -> StoreResult<bool> {
        self.write(move |c| exec(c, sql::delete_repo(id)).map(|n| n > 0)).await
    }

    async fn repository(&self, id: i64) -> StoreResult<Option<Repository>> {
        self.read(|c| query_one(c, sql::repo_by_id(id), sql::repo_row))
    }

    async fn repository_by_path(&self, organization_id: &str, full_path: &str) -> StoreResult<Option<Repository>> {
        self.read(|c| query_one(c, sql::repo_by_path(organization_id, full_path), sql::repo_row))
    }

    async fn discard_unfinished_repositories(&self, before: Millis) -> StoreResult<Vec<i64>> {
        self.write(move |c| query_all(c, sql::discard_unfinished_repos(before), |r| Ok(r.int(0)))).await
    }

    async fn repository_ids(&self) -> StoreResult<Vec<i64>> {
        self.read(|c| query_all(c, sql::repo_ids(), |r| Ok(r.int(0))))
    }

    async fn repository_access_level(&self, repo: &Repository, user_id: &str, now: Millis) -> StoreResult<AccessLevel> {
        self.read(|c| Ok(query_one(c, sql::repo_access_level(repo, user_id, now), sql::level_row)?.unwrap_or_default()))
    }

    async fn update_repository(&self, repo: &Repository) -> StoreResult<bool> {
        let s = sql::update_repo(repo);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn touch_repository(&self, id: i64, now: Millis, default_branch: Option<&str>) -> StoreResult<()> {
        let s = sql::touch_repo(id, now, default_branch);
        self.write(move |c| exec(c, s).map(drop)).await
    }

    async fn count_repositories_below(&self, ns: &Namespace) -> StoreResult<u64> {
        self.read(|c| count(c, sql::count_repos_below(&ns.organization_id, &ns.full_path)))
    }

    async fn list_repositories(&self, q: &RepositoryQuery, now: Millis) -> StoreResult<(Vec<Repository>, u64)> {
        let (cnt, page) = sql::list_repos(q, now);
        self.page(cnt, page, sql::repo_row)
    }

    async fn create_workspace(&self, ws: &Workspace, owner: &WorkspaceMember) -> StoreResult<Workspace> {
        let (ws, owner) = (ws.clone(), owner.clone());
        self.write(move |c| {
            let mut ws = ws;
            ws.is_default = count(c, sql::count_default_ws(&ws.organization_id))? == 0;
            exec(c, sql::insert_ws(&ws))?;
            exec(c, sql::insert_member(&owner))?;
            Ok(ws)
        })
        .await
    }

    async fn workspace(&self, id: &str) -> StoreResult<Option<Workspace>> {
        self.read(|c| query_one(c, sql::ws_by_id(id), sql::ws_row))
    }

    async fn default_workspace(&self, organization_id: &str) -> StoreResult<Option<Workspace>> {
        self.read(|c| query_one(c, sql::default_ws(organization_id), sql::ws_row))
    }

    async fn list_workspaces(&self, q: &WorkspaceQuery) -> StoreResult<(Vec<Workspace>, u64)> {
        let (cnt, page) = sql::list_ws(q);
        self.page(cnt, page, sql::ws_row)
    }

    async fn update_workspace(&self, id: &str, display_name: &str, description: &str, now: Millis) -> StoreResult<bool> {
        let s = sql::update_ws(id, display_name, description, now);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn delete_workspace(&self, id: &str) -> StoreResult<bool> {
        let stmts = [sql::delete_ws_code_sources(id), sql::delete_ws_members(id), sql::delete_ws(id)];
        self.write(move |c| {
            let mut last = 0;
            for s in stmts {
                last = exec(c, s)?;
            }
            Ok(last > 0)
        })
        .await
    }

    async fn workspace_admin_names(&self, id: &str) -> StoreResult<Vec<String>> {
        self.read(|c| query_all(c, sql::ws_admin_names(id), |r| Ok(r.text(0))))
    }

    async fn member(&self, workspace_id: &str, user_id: &str) -> StoreResult<Option<MemberView>> {
        self.read(|c| query_one(c, sql::member(workspace_id, user_id), sql::member_row))
    }

    async fn add_members(&self, members: &[WorkspaceMember]) -> StoreResult<()> {
        let stmts: Vec<Stmt> = members.iter().map(sql::insert_member).collect();
        self.write(move |c| stmts.into_iter().try_for_each(|s| exec(c, s).map(drop))).await
    }

    async fn list_members(&self, q: &MemberQuery) -> StoreResult<(Vec<MemberView>, u64)> {
        let (cnt, page) = sql::list_members(q);
        self.page(cnt, page, sql::member_row)
    }

    async fn delete_members(&self, workspace_id: &str, user_ids: &[String]) -> StoreResult<u64> {
        let stmts: Vec<Stmt> = user_ids.iter().map(|u| sql::delete_member(workspace_id, u)).collect();
        self.write(move |c| stmts.into_iter().try_fold(0u64, |n, s| Ok(n + exec(c, s)? as u64))).await
    }

    async fn set_member_roles(&self, workspace_id: &str, user_id: &str, roles: &RoleSet) -> StoreResult<bool> {
        let s = sql::set_member_roles(workspace_id, user_id, roles);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn create_code_source(&self, cs: &CodeSource) -> StoreResult<()> {
        let s = sql::insert_cs(cs);
        self.write(move |c| exec(c, s).map(drop)).await
    }

    async fn code_source(&self, id: &str) -> StoreResult<Option<CodeSource>> {
        self.read(|c| query_one(c, sql::cs_by_id(id), sql::cs_row))
    }

    async fn code_source_access(&self, id: &str, user_id: &str) -> StoreResult<Option<CodeSourceAccess>> {
        self.read(|c| query_one(c, sql::cs_with_access(id, user_id), sql::cs_with_access_row))
    }

    async fn list_code_sources(&self, q: &CodeSourceQuery) -> StoreResult<(Vec<CodeSource>, u64)> {
        let (cnt, page) = sql::list_cs(q);
        self.page(cnt, page, sql::cs_row)
    }

    async fn update_code_source(&self, cs: &CodeSource) -> StoreResult<bool> {
        let s = sql::update_cs(cs);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }

    async fn delete_code_source(&self, id: &str) -> StoreResult<bool> {
        let s = sql::delete_cs(id);
        self.write(move |c| exec(c, s).map(|n| n > 0)).await
    }
}
