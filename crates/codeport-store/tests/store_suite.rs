//! One behavioural suite for every `Store` backend.
//!
//! Each check is an `async fn check_xxx(store: &dyn Store)` written once against the trait;
//! `on_both_backends!` turns it into `sqlite_xxx` (always run, on a fresh database file in a
//! temporary directory) and `postgres_xxx` (run only when `CODEPORT_TEST_POSTGRES_URL` names
//! a server, e.g. `postgres://postgres@127.0.0.1:5432/postgres`; each test creates its own
//! `codeport_t_<hex>` database there and drops it afterwards, pass or fail).
//!
//! Name orders asserted here are chosen to be the same under byte order (SQLite, PostgreSQL
//! with the C collation) and under linguistic collations, so the suite does not depend on the
//! PostgreSQL server's default collation.

use codeport_core::entities::*;
use codeport_core::timefmt::Millis;
use codeport_core::values::{Accessibility, CloneType, CodeVisibility, EnvTypes, Page, RoleSet, SortOrder, WorkspaceRole};
use codeport_core::AccessLevel;
use codeport_store::*;
use std::future::Future;
use std::sync::Arc;

const PG_ENV: &str = "CODEPORT_TEST_POSTGRES_URL";

// --- harness ---------------------------------------------------------------------------

/// Runs `check` on a store opened on a fresh SQLite file; `url` is what opened it.
async fn run_sqlite<F, Fut>(check: F)
where
    F: FnOnce(Arc<dyn Store>, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = dir.path().join("codeport.db").to_str().expect("utf-8 temp path").to_string();
    let store = codeport_store::open(&url).await.expect("open sqlite store");
    assert_eq!(store.backend(), "sqlite");
    check(store, url).await;
}

/// `url` with its database name replaced by `db` (query string kept).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    format!("{}/{db}{query}", &base[..path])
}

async fn pg_admin(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Runs `check` on a store opened on a new database of the server `CODEPORT_TEST_POSTGRES_URL`
/// names, then drops that database (also when the check panics). Skips without the variable.
async fn run_postgres<F, Fut>(test: &str, check: F)
where
    F: FnOnce(Arc<dyn Store>, String) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(server) = std::env::var(PG_ENV) else {
        eprintln!("note: {PG_ENV} is not set; skipping {test}");
        return;
    };
    let admin = pg_admin(&server).await;
    let db = format!("codeport_t_{:016x}", rand::random::<u64>());
    admin.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap_or_else(|e| panic!("CREATE DATABASE {db}: {e}"));
    let url = with_database(&server, &db);
    // In a task, so a failed assertion still reaches the cleanup below.
    let outcome = tokio::spawn(async move {
        let store = codeport_store::open(&url).await.expect("open postgres store");
        assert_eq!(store.backend(), "postgres");
        check(store, url).await;
    })
    .await;
    if let Err(e) = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await {
        eprintln!("note: could not drop {db}: {e}");
    }
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("{test}: {e}"),
        }
    }
}

/// `check_xxx: sqlite_xxx, postgres_xxx;` generates both tests for `check_xxx(&dyn Store)`;
/// `check_xxx(url): ...` passes the URL the store was opened on too.
macro_rules! on_both_backends {
    () => {};
    ($check:ident(url): $sqlite:ident, $postgres:ident; $($rest:tt)*) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            run_sqlite(|store, url| async move { $check(&*store, &url).await }).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            run_postgres(stringify!($postgres), |store, url| async move { $check(&*store, &url).await }).await
        }
        on_both_backends!($($rest)*);
    };
    ($check:ident: $sqlite:ident, $postgres:ident; $($rest:tt)*) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            run_sqlite(|store, _url| async move { $check(&*store).await }).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            run_postgres(stringify!($postgres), |store, _url| async move { $check(&*store).await }).await
        }
        on_both_backends!($($rest)*);
    };
}

on_both_backends! {
    check_migrations_are_idempotent(url): sqlite_migrations_are_idempotent, postgres_migrations_are_idempotent;
    check_bootstrap_and_identity: sqlite_bootstrap_and_identity, postgres_bootstrap_and_identity;
    check_create_user_unique_and_atomic: sqlite_create_user_unique_and_atomic, postgres_create_user_unique_and_atomic;
    check_access_keys: sqlite_access_keys, postgres_access_keys;
    check_tokens: sqlite_tokens, postgres_tokens;
    check_nonces: sqlite_nonces, postgres_nonces;
    check_workspace_default_and_update: sqlite_workspace_default_and_update, postgres_workspace_default_and_update;
    check_workspace_listing: sqlite_workspace_listing, postgres_workspace_listing;
    check_workspace_delete_cascades: sqlite_workspace_delete_cascades, postgres_workspace_delete_cascades;
    check_workspace_admin_names: sqlite_workspace_admin_names, postgres_workspace_admin_names;
    check_members: sqlite_members, postgres_members;
    check_code_source_crud: sqlite_code_source_crud, postgres_code_source_crud;
    check_code_source_listing: sqlite_code_source_listing, postgres_code_source_listing;
    check_concurrent_writes: sqlite_concurrent_writes, postgres_concurrent_writes;
    check_identity_generation: sqlite_identity_generation, postgres_identity_generation;
    check_code_source_access: sqlite_code_source_access, postgres_code_source_access;
    check_repositories: sqlite_repositories, postgres_repositories;
    check_policies: sqlite_policies, postgres_policies;
    check_passwords: sqlite_passwords, postgres_passwords;
    check_console_sessions: sqlite_console_sessions, postgres_console_sessions;
    check_sign_in_failures: sqlite_sign_in_failures, postgres_sign_in_failures;
}

/// Every identity-changing write bumps the generation other processes poll; other writes do not.
async fn check_identity_generation(store: &dyn Store) {
    let g0 = store.identity_generation().await.unwrap();
    let base = bootstrap(store).await;
    let mut last = store.identity_generation().await.unwrap();
    assert!(last > g0, "bootstrap bumps");
    let owner = base.owner.id.clone();
    let key = access_key("LTAIgen0000000000000000", &owner, b"s", true, T0);
    let tok = token("tok-gen", &owner, &format!("{:0>64}", "9"), None, T0);
    type Step<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
    let steps: Vec<(&str, Step<'_>)> = vec![
        ("create user", Box::pin(async { store.create_user(&user("3001", "gen_user", "G", ORG_ID), OrgRole::Member, None).await.unwrap() })),
        ("create key", Box::pin(async { store.create_access_key(&key).await.unwrap() })),
        ("disable key", Box::pin(async { assert!(store.set_access_key_enabled(&key.id, false).await.unwrap()) })),
        ("delete key", Box::pin(async { assert!(store.delete_access_key(&key.id).await.unwrap()) })),
        ("create token", Box::pin(async { store.create_token(&tok).await.unwrap() })),
        ("revoke token", Box::pin(async { assert!(store.revoke_token(&tok.id).await.unwrap()) })),
    ];
    for (what, step) in steps {
        step.await;
        let now = store.identity_generation().await.unwrap();
        assert!(now > last, "{what} bumps the identity generation");
        last = now;
    }
    create_ws(store, &workspace("101", ORG_ID, "gen_ws", &owner, T0, T0)).await;
    assert_eq!(store.identity_generation().await.unwrap(), last, "workspace writes do not invalidate identities");
    assert_unique(store.create_user(&user("3001", "gen_user", "G", ORG_ID), OrgRole::Member, None).await, "duplicate user");
    assert_eq!(store.identity_generation().await.unwrap(), last, "a failed write bumps nothing");
}

/// The hot-path read returns the code source, its organization and exactly the caller's roles.
async fn check_code_source_access(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = base.owner.id.clone();
    let bob = users(store, &[("2001", "bob", "Bob")]).await.remove(0);
    let ws = create_ws(store, &workspace("101", ORG_ID, "main", &alice, T0, T0)).await.id;
    let cs = code_source("code-hot", &ws, "Hot", &alice, "PRIVATE", T0, T0);
    store.create_code_source(&cs).await.unwrap();
    let got = store.code_source_access("code-hot", &alice).await.unwrap().expect("found");
    assert_eq!(got.source, cs);
    assert_eq!(got.organization_id, ORG_ID);
    assert!(got.roles.as_ref().is_some_and(|r| r.contains(WorkspaceRole::Owner)), "{:?}", got.roles);
    let for_bob = store.code_source_access("code-hot", &bob.id).await.unwrap().expect("found");
    assert_eq!(for_bob.roles, None, "bob is not a member");
    store.add_members(&[membership(&ws, &bob.id, ",PAI.AlgoDeveloper,", T0)]).await.unwrap();
    assert_eq!(store.code_source_access("code-hot", &bob.id).await.unwrap().unwrap().roles, Some(RoleSet::from_stored(",PAI.AlgoDeveloper,")));
    assert_eq!(store.code_source_access("code-none", &alice).await.unwrap(), None);
}

#[test]
fn database_name_is_swapped_in_urls() {
    assert_eq!(with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"), "postgres://postgres@127.0.0.1:5432/x");
    assert_eq!(with_database("postgresql://u:p@h/db?sslmode=disable", "x"), "postgresql://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
}

// --- fixtures --------------------------------------------------------------------------

const T0: Millis = 1_700_000_000_000;
const ORG_ID: &str = "0123456789abcdef01234567";
const OWNER_ROLES: &str = ",PAI.WorkspaceOwner,";
const DEV_ROLES: &str = ",PAI.AlgoDeveloper,";
const ADMIN_ROLES: &str = ",PAI.AlgoDeveloper,PAI.WorkspaceAdmin,";

fn page(number: i64, size: i64) -> Page {
    Page::parse(Some(number), Some(size)).unwrap()
}

fn s(v: &str) -> String {
    v.to_string()
}

fn user(id: &str, name: &str, display_name: &str, org: &str) -> User {
    User {
        id: s(id),
        name: s(name),
        display_name: s(display_name),
        email: format!("{}@example.com", name.to_lowercase()),
        default_organization_id: s(org),
        created_at: T0 + 1,
    }
}

fn access_key(id: &str, user_id: &str, secret: &[u8], enabled: bool, created_at: Millis) -> AccessKey {
    AccessKey { id: s(id), user_id: s(user_id), sealed_secret: secret.to_vec(), enabled, created_at }
}

fn token(id: &str, user_id: &str, hash: &str, expires_at: Option<Millis>, created_at: Millis) -> PersonalAccessToken {
    PersonalAccessToken { id: s(id), user_id: s(user_id), token_hash: s(hash), scopes: s("codesource:read"), expires_at, revoked: false, created_at }
}

/// What `bootstrap` created.
struct Base {
    org: Organization,
    owner: User,
    key: AccessKey,
    token: PersonalAccessToken,
}

fn base_records(org_id: &str, org_name: &str, owner_id: &str, owner_name: &str) -> Base {
    let org = Organization { id: s(org_id), name: s(org_name), created_at: T0 };
    let owner = user(owner_id, owner_name, &format!("{owner_name} (owner)"), org_id);
    let key = access_key(&format!("LTAI{owner_id}"), owner_id, &[0, 1, 2, 0x7f, 0x80, 0xff], true, T0);
    let token = token(&format!("tok-{owner_id}"), owner_id, &format!("{owner_id:0>64}"), None, T0);
    Base { org, owner, key, token }
}

/// Bootstraps organization "default" owned by "alice".
async fn bootstrap(store: &dyn Store) -> Base {
    let b = base_records(ORG_ID, "default", "1000000000000001", "alice");
    store.bootstrap(&b.org, &b.owner, None, &b.key, &b.token).await.expect("bootstrap");
    b
}

/// Creates users in the base organization with the member role.
async fn users(store: &dyn Store, list: &[(&str, &str, &str)]) -> Vec<User> {
    let mut out = Vec::new();
    for (id, name, display) in list {
        let u = user(id, name, display, ORG_ID);
        store.create_user(&u, OrgRole::Member, None).await.expect("create user");
        out.push(u);
    }
    out
}

fn workspace(id: &str, org: &str, name: &str, creator: &str, created_at: Millis, modified_at: Millis) -> Workspace {
    Workspace {
        resource_group_id: String::new(),
        id: s(id),
        organization_id: s(org),
        name: s(name),
        display_name: format!("{name} shown"),
        description: format!("about {name}"),
        env_types: EnvTypes::from_stored("dev,prod").unwrap(),
        creator_id: s(creator),
        is_default: false,
        status: s("ENABLED"),
        created_at,
        modified_at,
    }
}

fn membership(ws: &str, user: &str, roles: &str, created_at: Millis) -> WorkspaceMember {
    WorkspaceMember { workspace_id: s(ws), user_id: s(user), roles: RoleSet::from_stored(roles), created_at }
}

/// Creates a workspace owned by its creator; returns the stored record.
async fn create_ws(store: &dyn Store, ws: &Workspace) -> Workspace {
    let owner = membership(&ws.id, &ws.creator_id, OWNER_ROLES, ws.created_at);
    store.create_workspace(ws, &owner).await.expect("create workspace")
}

fn code_source(id: &str, ws: &str, display_name: &str, creator: &str, accessibility: &str, created_at: Millis, modified_at: Millis) -> CodeSource {
    CodeSource {
        id: s(id),
        workspace_id: s(ws),
        display_name: s(display_name),
        description: format!("{display_name} description"),
        code_repo: format!("https://git.example.com/team/{id}.git"),
        code_branch: s("main"),
        code_commit: s("0123456789abcdef0123456789abcdef01234567"),
        code_repo_user_name: s("git-user"),
        sealed_repo_token: None,
        mount_path: format!("/mnt/data/{id}"),
        accessibility: Accessibility::parse(accessibility).unwrap(),
        clone_type: CloneType::TILED,
        creator_id: s(creator),
        created_at,
        modified_at,
    }
}

fn ws_query(org: &str) -> WorkspaceQuery {
    WorkspaceQuery {
        resource_group_id: None,
        organization_id: s(org),
        visibility: Visibility::All,
        name_contains: None,
        ids: None,
        status: None,
        sort: WorkspaceSort::Created,
        order: SortOrder::Asc,
        page: page(1, 100),
    }
}

fn member_query(ws: &str) -> MemberQuery {
    MemberQuery { workspace_id: s(ws), name_contains: None, any_role: vec![], user_id: None, page: page(1, 100) }
}

fn cs_query(ws: &str) -> CodeSourceQuery {
    CodeSourceQuery {
        workspace_id: s(ws),
        visibility: Visibility::All,
        display_name_contains: None,
        sort: CodeSourceSort::Created,
        order: SortOrder::Asc,
        page: page(1, 100),
    }
}

async fn ws_ids(store: &dyn Store, q: &WorkspaceQuery) -> (Vec<String>, u64) {
    let (rows, total) = store.list_workspaces(q).await.expect("list workspaces");
    (rows.into_iter().map(|w| w.id).collect(), total)
}

async fn member_ids(store: &dyn Store, q: &MemberQuery) -> (Vec<String>, u64) {
    let (rows, total) = store.list_members(q).await.expect("list members");
    (rows.into_iter().map(|m| m.member.user_id).collect(), total)
}

async fn cs_ids(store: &dyn Store, q: &CodeSourceQuery) -> (Vec<String>, u64) {
    let (rows, total) = store.list_code_sources(q).await.expect("list code sources");
    (rows.into_iter().map(|c| c.id).collect(), total)
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn reversed(v: &[&str]) -> Vec<String> {
    v.iter().rev().map(|x| x.to_string()).collect()
}

fn assert_unique<T: std::fmt::Debug>(r: StoreResult<T>, what: &str) {
    match r {
        Err(StoreError::Unique(_)) => {}
        other => panic!("{what}: expected StoreError::Unique, got {other:?}"),
    }
}

/// A unique violation that says what collided.
fn assert_collision<T: std::fmt::Debug>(r: StoreResult<T>, expected: UniqueViolation) {
    match r {
        Err(StoreError::Unique(v)) => assert_eq!(v, expected),
        other => panic!("expected StoreError::Unique({expected:?}), got {other:?}"),
    }
}

// --- identity --------------------------------------------------------------------------

async fn check_migrations_are_idempotent(store: &dyn Store, url: &str) {
    assert!(store.is_empty().await.unwrap());
    let base = bootstrap(store).await;

    // Opening again runs the migrations again on a migrated database: a no-op that keeps data.
    let second = codeport_store::open(url).await.expect("second open of the same database");
    assert_eq!(second.backend(), store.backend());
    assert!(!second.is_empty().await.unwrap());
    assert_eq!(second.organization_by_name("default").await.unwrap(), Some(base.org.clone()));
    assert_eq!(second.access_key(&base.key.id).await.unwrap(), Some(base.key.clone()));

    // Both handles work on the same data.
    let bob = user("2001", "bob", "Bob", ORG_ID);
    second.create_user(&bob, OrgRole::Member, None).await.unwrap();
    assert_eq!(store.user_by_name("bob").await.unwrap(), Some(bob.clone()));
    drop(second);

    let third = codeport_store::open(url).await.expect("third open of the same database");
    assert_eq!(third.user(&bob.id).await.unwrap(), Some(bob));
    assert_eq!(third.org_role(ORG_ID, &base.owner.id).await.unwrap(), Some(OrgRole::Owner));
}

async fn check_bootstrap_and_identity(store: &dyn Store) {
    assert!(store.is_empty().await.unwrap());
    assert_eq!(store.organization_by_name("default").await.unwrap(), None);

    // A bootstrap failing on its last statement (token of an unknown user) leaves nothing.
    let mut bad = base_records(ORG_ID, "default", "1000000000000001", "alice");
    bad.token.user_id = s("no-such-user");
    assert!(store.bootstrap(&bad.org, &bad.owner, None, &bad.key, &bad.token).await.is_err());
    assert!(store.is_empty().await.unwrap(), "a failed bootstrap must not leave an organization");
    assert_eq!(store.organization(ORG_ID).await.unwrap(), None);
    assert_eq!(store.user(&bad.owner.id).await.unwrap(), None);
    assert_eq!(store.user_by_name("alice").await.unwrap(), None);
    assert_eq!(store.org_role(ORG_ID, &bad.owner.id).await.unwrap(), None);
    assert_eq!(store.access_key(&bad.key.id).await.unwrap(), None);
    assert_eq!(store.token_by_hash(&bad.token.token_hash).await.unwrap(), None);

    let base = bootstrap(store).await;
    assert!(!store.is_empty().await.unwrap());
    assert_eq!(store.organization_by_name("default").await.unwrap(), Some(base.org.clone()));
    assert_eq!(store.organization(ORG_ID).await.unwrap(), Some(base.org.clone()));
    assert_eq!(store.organization_by_name("nope").await.unwrap(), None);
    assert_eq!(store.organization("fedcba9876543210fedcba98").await.unwrap(), None);
    assert_eq!(store.user(&base.owner.id).await.unwrap(), Some(base.owner.clone()));
    assert_eq!(store.user("999").await.unwrap(), None);
    for name in ["alice", "ALICE", "Alice"] {
        assert_eq!(store.user_by_name(name).await.unwrap(), Some(base.owner.clone()), "{name}");
    }
    assert_eq!(store.user_by_name("alic").await.unwrap(), None);
    assert_eq!(store.org_role(ORG_ID, &base.owner.id).await.unwrap(), Some(OrgRole::Owner));
    assert_eq!(store.access_key(&base.key.id).await.unwrap(), Some(base.key.clone()));
    assert_eq!(store.token_by_hash(&base.token.token_hash).await.unwrap(), Some(base.token.clone()));

    let bob = user("2001", "Bob", "Bob Builder", ORG_ID);
    let carol = user("2002", "carol", "Carol", ORG_ID);
    store.create_user(&bob, OrgRole::Member, None).await.unwrap();
    store.create_user(&carol, OrgRole::Admin, None).await.unwrap();
    assert_eq!(store.user_by_name("bob").await.unwrap(), Some(bob.clone()));
    assert_eq!(store.user(&carol.id).await.unwrap(), Some(carol.clone()));
    assert_eq!(store.org_role(ORG_ID, &bob.id).await.unwrap(), Some(OrgRole::Member));
    assert_eq!(store.org_role(ORG_ID, &carol.id).await.unwrap(), Some(OrgRole::Admin));
    assert_eq!(store.org_role(ORG_ID, "999").await.unwrap(), None);
    assert_eq!(store.org_role("fedcba9876543210fedcba98", &bob.id).await.unwrap(), None);

    // A second organization can be bootstrapped next to the first; names stay unique.
    let other = base_records("fedcba9876543210fedcba98", "other", "1000000000000002", "zed");
    store.bootstrap(&other.org, &other.owner, None, &other.key, &other.token).await.unwrap();
    assert_eq!(store.org_role(&other.org.id, &other.owner.id).await.unwrap(), Some(OrgRole::Owner));
    assert_eq!(store.org_role(ORG_ID, &other.owner.id).await.unwrap(), None);
    let clash = base_records("aaaaaaaaaaaaaaaaaaaaaaaa", "third", "1000000000000003", "ALICE");
    assert_unique(store.bootstrap(&clash.org, &clash.owner, None, &clash.key, &clash.token).await, "bootstrap with a taken owner name");
    assert_eq!(store.organization_by_name("third").await.unwrap(), None);
    assert_eq!(store.organization(&clash.org.id).await.unwrap(), None);
}

async fn check_create_user_unique_and_atomic(store: &dyn Store) {
    let base = bootstrap(store).await;
    let bob = user("2001", "bob", "Bob", ORG_ID);
    store.create_user(&bob, OrgRole::Member, None).await.unwrap();

    // Same name in another case: Unique, and neither the user nor its membership exists.
    let dup = user("2002", "BoB", "Other Bob", ORG_ID);
    assert_collision(store.create_user(&dup, OrgRole::Admin, None).await, UniqueViolation::UserName(dup.name.clone()));
    assert_eq!(store.user(&dup.id).await.unwrap(), None);
    assert_eq!(store.org_role(ORG_ID, &dup.id).await.unwrap(), None);
    assert_eq!(store.user_by_name("BOB").await.unwrap(), Some(bob.clone()));

    // Clash with the bootstrap owner as well.
    let dup_owner = user("2003", "Alice", "Alice 2", ORG_ID);
    assert_unique(store.create_user(&dup_owner, OrgRole::Member, None).await, "owner name in another case");
    assert_eq!(store.org_role(ORG_ID, &dup_owner.id).await.unwrap(), None);

    // Same id under a new name: Unique, and the existing membership is untouched.
    let same_id = User { name: s("robert"), ..bob.clone() };
    assert_unique(store.create_user(&same_id, OrgRole::Admin, None).await, "duplicate id");
    assert_eq!(store.user_by_name("robert").await.unwrap(), None);
    assert_eq!(store.user(&bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(store.org_role(ORG_ID, &bob.id).await.unwrap(), Some(OrgRole::Member));
    assert_eq!(store.org_role(ORG_ID, &base.owner.id).await.unwrap(), Some(OrgRole::Owner));

    // The store still accepts the next valid user.
    let carol = user("2004", "carol", "Carol", ORG_ID);
    store.create_user(&carol, OrgRole::Member, None).await.unwrap();
    assert_eq!(store.user_by_name("Carol").await.unwrap(), Some(carol));
}

async fn check_access_keys(store: &dyn Store) {
    let base = bootstrap(store).await;
    let owner = &base.owner.id;
    let bob = &users(store, &[("2001", "bob", "Bob")]).await[0];

    // Listing is by creation time, not insertion order.
    let late = access_key("LTAIlate000000000000000", owner, b"late secret", true, T0 + 20);
    let early = access_key("LTAIearly00000000000000", owner, &[0xff, 0, 0xfe], false, T0 + 10);
    let bobs = access_key("LTAIbob0000000000000000", &bob.id, b"bob", true, T0 + 5);
    for k in [&late, &early, &bobs] {
        store.create_access_key(k).await.unwrap();
    }
    assert_eq!(store.list_access_keys(owner).await.unwrap(), vec![base.key.clone(), early.clone(), late.clone()]);
    assert_eq!(store.list_access_keys(&bob.id).await.unwrap(), vec![bobs.clone()]);
    assert_eq!(store.list_access_keys("999").await.unwrap(), vec![]);
    assert_eq!(store.access_key(&early.id).await.unwrap(), Some(early.clone()));
    assert_eq!(store.access_key("LTAInope").await.unwrap(), None);
    // No statement declares what an AccessKey id clash means: the backend's constraint is named.
    assert!(matches!(
        store.create_access_key(&access_key(&late.id, &bob.id, b"x", true, T0)).await,
        Err(StoreError::Unique(UniqueViolation::Constraint(_)))
    ));
    assert_eq!(store.access_key(&late.id).await.unwrap(), Some(late.clone()));

    // Enable / disable.
    assert!(store.set_access_key_enabled(&early.id, true).await.unwrap());
    assert!(store.access_key(&early.id).await.unwrap().unwrap().enabled);
    assert!(store.set_access_key_enabled(&late.id, false).await.unwrap());
    assert_eq!(store.access_key(&late.id).await.unwrap(), Some(AccessKey { enabled: false, ..late.clone() }));
    assert!(store.set_access_key_enabled(&late.id, true).await.unwrap());
    assert!(store.access_key(&late.id).await.unwrap().unwrap().enabled);
    assert!(!store.set_access_key_enabled("LTAInope", true).await.unwrap());

    // Delete.
    assert!(store.delete_access_key(&late.id).await.unwrap());
    assert!(!store.delete_access_key(&late.id).await.unwrap());
    assert_eq!(store.access_key(&late.id).await.unwrap(), None);
    assert_eq!(store.list_access_keys(owner).await.unwrap(), vec![base.key.clone(), AccessKey { enabled: true, ..early }]);
    assert_eq!(store.list_access_keys(&bob.id).await.unwrap(), vec![bobs]);
}

async fn check_tokens(store: &dyn Store) {
    let base = bootstrap(store).await;
    let owner = &base.owner.id;
    let bob = &users(store, &[("2001", "bob", "Bob")]).await[0];

    let expiring = token("tok-expiring", owner, &"b".repeat(64), Some(T0 + 86_400_000), T0 + 20);
    let forever = token("tok-forever", owner, &"c".repeat(64), None, T0 + 10);
    let bobs = token("tok-bob", &bob.id, &"d".repeat(64), Some(T0 + 1), T0 + 30);
    for t in [&expiring, &forever, &bobs] {
        store.create_token(t).await.unwrap();
    }
    assert_eq!(store.token_by_hash(&expiring.token_hash).await.unwrap(), Some(expiring.clone()));
    assert_eq!(store.token_by_hash(&forever.token_hash).await.unwrap(), Some(forever.clone()));
    assert_eq!(store.token_by_hash(&"e".repeat(64)).await.unwrap(), None);
    assert_eq!(store.list_tokens(owner).await.unwrap(), vec![base.token.clone(), forever.clone(), expiring.clone()]);
    assert_eq!(store.list_tokens(&bob.id).await.unwrap(), vec![bobs.clone()]);
    assert_eq!(store.list_tokens("999").await.unwrap(), vec![]);
    assert_unique(store.create_token(&token("tok-other", owner, &forever.token_hash, None, T0)).await, "duplicate token hash");
    assert_unique(store.create_token(&token("tok-forever", owner, &"f".repeat(64), None, T0)).await, "duplicate token id");

    assert!(store.revoke_token(&expiring.id).await.unwrap());
    let revoked = PersonalAccessToken { revoked: true, ..expiring.clone() };
    assert_eq!(store.token_by_hash(&expiring.token_hash).await.unwrap(), Some(revoked.clone()));
    assert!(store.revoke_token(&expiring.id).await.unwrap(), "revoking again still finds the token");
    assert!(!store.revoke_token("tok-nope").await.unwrap());
    assert_eq!(store.list_tokens(owner).await.unwrap(), vec![base.token, forever, revoked]);
    assert_eq!(store.token_by_hash(&bobs.token_hash).await.unwrap(), Some(bobs));
}

async fn check_nonces(store: &dyn Store) {
    assert!(store.remember_nonce("LTAIk1", "n1", 1_000, 2_000).await.unwrap(), "first use");
    assert!(!store.remember_nonce("LTAIk1", "n1", 1_500, 2_500).await.unwrap(), "replay");
    assert!(!store.remember_nonce("LTAIk1", "n1", 1_999, 2_999).await.unwrap(), "replay just before expiry");
    assert!(store.remember_nonce("LTAIk2", "n1", 1_500, 2_500).await.unwrap(), "same nonce, other key");
    assert!(store.remember_nonce("LTAIk1", "n2", 1_500, 2_500).await.unwrap(), "other nonce, same key");
    assert!(!store.remember_nonce("LTAIk2", "n1", 1_600, 2_600).await.unwrap(), "replay under the other key");
    // After expiry a backend may forget the nonce or keep it longer (the signature's date
    // check refuses such a request anyway); only refusals within the window are the contract.
}

// --- workspaces ------------------------------------------------------------------------

async fn check_workspace_default_and_update(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;
    assert_eq!(store.default_workspace(ORG_ID).await.unwrap(), None);

    // The first workspace of an organization becomes its default, whatever the caller passed.
    let first = create_ws(store, &workspace("100001", ORG_ID, "alpha", alice, T0 + 10, T0 + 10)).await;
    assert!(first.is_default);
    let second = create_ws(store, &Workspace { is_default: true, ..workspace("100002", ORG_ID, "beta", alice, T0 + 20, T0 + 20) }).await;
    assert!(!second.is_default);
    assert_eq!(store.workspace(&first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(store.workspace(&second.id).await.unwrap(), Some(second.clone()));
    assert_eq!(store.workspace("999").await.unwrap(), None);
    assert_eq!(store.default_workspace(ORG_ID).await.unwrap(), Some(first.clone()));
    let owner_view = store.member(&first.id, alice).await.unwrap().expect("creator is a member");
    assert_eq!(owner_view.member, membership(&first.id, alice, OWNER_ROLES, T0 + 10));

    // Defaults are per organization.
    let other = base_records("fedcba9876543210fedcba98", "other", "1000000000000002", "zed");
    store.bootstrap(&other.org, &other.owner, None, &other.key, &other.token).await.unwrap();
    assert_eq!(store.default_workspace(&other.org.id).await.unwrap(), None);
    let theirs = create_ws(store, &workspace("200001", &other.org.id, "alpha", &other.owner.id, T0 + 30, T0 + 30)).await;
    assert!(theirs.is_default, "same name in another organization is fine, and it is that organization's first");
    assert_eq!(store.default_workspace(&other.org.id).await.unwrap(), Some(theirs));
    assert_eq!(store.default_workspace(ORG_ID).await.unwrap(), Some(first.clone()));

    // Names are unique per organization ignoring case; a failed create leaves no member.
    let clash = workspace("100003", ORG_ID, "ALPHA", alice, T0 + 40, T0 + 40);
    assert_collision(
        store.create_workspace(&clash, &membership(&clash.id, alice, OWNER_ROLES, T0 + 40)).await,
        UniqueViolation::WorkspaceName(clash.name.clone()),
    );
    assert_eq!(store.workspace(&clash.id).await.unwrap(), None);
    assert_eq!(store.member(&clash.id, alice).await.unwrap(), None);
    let same_id = workspace(&first.id, ORG_ID, "gamma", alice, T0 + 40, T0 + 40);
    assert_unique(store.create_workspace(&same_id, &membership(&first.id, alice, OWNER_ROLES, T0 + 40)).await, "duplicate workspace id");
    assert_eq!(store.workspace(&first.id).await.unwrap(), Some(first.clone()));

    // Update changes display name, description and modification time only.
    assert!(store.update_workspace(&second.id, "Beta Renamed", "new words", T0 + 500).await.unwrap());
    let updated = Workspace { display_name: s("Beta Renamed"), description: s("new words"), modified_at: T0 + 500, ..second.clone() };
    assert_eq!(store.workspace(&second.id).await.unwrap(), Some(updated));
    assert_eq!(store.workspace(&first.id).await.unwrap(), Some(first));
    assert!(!store.update_workspace("999", "x", "y", T0).await.unwrap());
}

async fn check_workspace_listing(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;
    let us = users(store, &[("2001", "bob", "Bob"), ("2002", "carol", "Carol")]).await;
    let (bob, carol) = (&us[0].id, &us[1].id);

    // (id, name, creator, created, modified, status)
    let rows: [(&str, &str, &str, i64, i64, &str); 9] = [
        ("101", "alpha", alice, 10, 60, "ENABLED"),
        ("102", "delta", alice, 20, 30, "ENABLED"),
        ("103", "charlie", alice, 30, 50, "ENABLED"),
        ("104", "bravo", alice, 40, 10, "ENABLED"),
        ("105", "echo", alice, 50, 40, "DISABLED"),
        ("106", "team_a", alice, 60, 60, "ENABLED"),
        ("107", "teamxa", alice, 70, 70, "ENABLED"),
        ("108", "Pct%Team", alice, 80, 80, "ENABLED"),
        ("109", "pctxteam", carol, 90, 90, "ENABLED"),
    ];
    for (id, name, creator, created, modified, status) in rows {
        let w = Workspace { status: s(status), ..workspace(id, ORG_ID, name, creator, T0 + created, T0 + modified) };
        create_ws(store, &w).await;
    }
    for ws in ["102", "104", "106"] {
        store.add_members(&[membership(ws, bob, DEV_ROLES, T0 + 100)]).await.unwrap();
    }
    let all = ["101", "102", "103", "104", "105", "106", "107", "108", "109"];
    let q = ws_query(ORG_ID);

    // Full records come back.
    let (listed, total) = store.list_workspaces(&WorkspaceQuery { ids: Some(strs(&["101"])), ..q.clone() }).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(listed, vec![store.workspace("101").await.unwrap().unwrap()]);

    // Visibility.
    assert_eq!(ws_ids(store, &q).await, (strs(&all), 9));
    assert_eq!(ws_ids(store, &WorkspaceQuery { visibility: Visibility::User(bob.clone()), ..q.clone() }).await, (strs(&["102", "104", "106"]), 3));
    assert_eq!(ws_ids(store, &WorkspaceQuery { visibility: Visibility::User(alice.clone()), ..q.clone() }).await, (strs(&all[..8]), 8));
    assert_eq!(ws_ids(store, &WorkspaceQuery { visibility: Visibility::User(carol.clone()), ..q.clone() }).await, (strs(&["109"]), 1));
    assert_eq!(ws_ids(store, &WorkspaceQuery { visibility: Visibility::User(s("999")), ..q.clone() }).await, (vec![], 0));
    assert_eq!(ws_ids(store, &WorkspaceQuery { visibility: Visibility::PublicOnly, ..q.clone() }).await, (vec![], 0));
    assert_eq!(ws_ids(store, &ws_query("fedcba9876543210fedcba98")).await, (vec![], 0));

    // Name filter: case-insensitive substring; `_` and `%` are literal characters.
    let named = |n: &str| WorkspaceQuery { name_contains: Some(s(n)), ..q.clone() };
    assert_eq!(ws_ids(store, &named("TEAM")).await, (strs(&["106", "107", "108", "109"]), 4));
    assert_eq!(ws_ids(store, &named("TEAM_A")).await, (strs(&["106"]), 1));
    assert_eq!(ws_ids(store, &named("_")).await, (strs(&["106"]), 1));
    assert_eq!(ws_ids(store, &named("%")).await, (strs(&["108"]), 1));
    assert_eq!(ws_ids(store, &named("pct%")).await, (strs(&["108"]), 1));
    assert_eq!(ws_ids(store, &named("\\")).await, (vec![], 0));
    assert_eq!(ws_ids(store, &named("zulu")).await, (vec![], 0));
    let bob_team = WorkspaceQuery { visibility: Visibility::User(bob.clone()), ..named("team") };
    assert_eq!(ws_ids(store, &bob_team).await, (strs(&["106"]), 1));

    // Id and status filters.
    let ids = |v: &[&str]| WorkspaceQuery { ids: Some(strs(v)), ..q.clone() };
    assert_eq!(ws_ids(store, &ids(&["103", "101", "999"])).await, (strs(&["101", "103"]), 2));
    assert_eq!(ws_ids(store, &ids(&[])).await, (vec![], 0));
    assert_eq!(ws_ids(store, &WorkspaceQuery { status: Some(s("DISABLED")), ..q.clone() }).await, (strs(&["105"]), 1));
    assert_eq!(ws_ids(store, &WorkspaceQuery { status: Some(s("ENABLED")), ..q.clone() }).await.1, 8);

    // Sorting (on the first five, whose names sort the same under any collation).
    let five = ids(&all[..5]);
    let sorted = |sort, order| WorkspaceQuery { sort, order, ..five.clone() };
    let cases: [(WorkspaceSort, [&str; 5]); 3] = [
        (WorkspaceSort::Created, ["101", "102", "103", "104", "105"]),
        (WorkspaceSort::Name, ["101", "104", "103", "102", "105"]),
        (WorkspaceSort::Modified, ["104", "102", "105", "103", "101"]),
    ];
    for (sort, asc) in cases {
        assert_eq!(ws_ids(store, &sorted(sort, SortOrder::Asc)).await, (strs(&asc), 5), "{sort:?} asc");
        assert_eq!(ws_ids(store, &sorted(sort, SortOrder::Desc)).await, (reversed(&asc), 5), "{sort:?} desc");
    }

    // Paging keeps the total of all matches.
    let paged = |n, size, order| WorkspaceQuery { page: page(n, size), order, ..q.clone() };
    assert_eq!(ws_ids(store, &paged(1, 4, SortOrder::Asc)).await, (strs(&all[0..4]), 9));
    assert_eq!(ws_ids(store, &paged(2, 4, SortOrder::Asc)).await, (strs(&all[4..8]), 9));
    assert_eq!(ws_ids(store, &paged(3, 4, SortOrder::Asc)).await, (strs(&all[8..]), 9));
    assert_eq!(ws_ids(store, &paged(4, 4, SortOrder::Asc)).await, (vec![], 9));
    assert_eq!(ws_ids(store, &paged(1, 2, SortOrder::Desc)).await, (strs(&["109", "108"]), 9));
    let bob_page2 = WorkspaceQuery { visibility: Visibility::User(bob.clone()), page: page(2, 2), ..q.clone() };
    assert_eq!(ws_ids(store, &bob_page2).await, (strs(&["106"]), 3));
}

async fn check_workspace_delete_cascades(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;
    let bob = users(store, &[("2001", "bob", "Bob")]).await.remove(0);
    let doomed = create_ws(store, &workspace("101", ORG_ID, "doomed", alice, T0 + 1, T0 + 1)).await;
    let kept = create_ws(store, &workspace("102", ORG_ID, "kept", alice, T0 + 2, T0 + 2)).await;
    assert!(doomed.is_default && !kept.is_default);
    store.add_members(&[membership(&doomed.id, &bob.id, DEV_ROLES, T0 + 3), membership(&kept.id, &bob.id, DEV_ROLES, T0 + 3)]).await.unwrap();
    for (id, ws) in [("code-d1", &doomed.id), ("code-d2", &doomed.id), ("code-k1", &kept.id)] {
        store.create_code_source(&code_source(id, ws, id, &bob.id, "PUBLIC", T0 + 4, T0 + 4)).await.unwrap();
    }

    assert!(store.delete_workspace(&doomed.id).await.unwrap());
    assert_eq!(store.workspace(&doomed.id).await.unwrap(), None);
    assert_eq!(store.member(&doomed.id, alice).await.unwrap(), None);
    assert_eq!(store.member(&doomed.id, &bob.id).await.unwrap(), None);
    assert_eq!(member_ids(store, &member_query(&doomed.id)).await, (vec![], 0));
    assert_eq!(store.code_source("code-d1").await.unwrap(), None);
    assert_eq!(store.code_source("code-d2").await.unwrap(), None);
    assert_eq!(cs_ids(store, &cs_query(&doomed.id)).await, (vec![], 0));
    assert_eq!(store.workspace_admin_names(&doomed.id).await.unwrap(), Vec::<String>::new());
    assert!(!store.delete_workspace(&doomed.id).await.unwrap());
    assert!(!store.delete_workspace("999").await.unwrap());

    // Everything else stays.
    assert_eq!(store.workspace(&kept.id).await.unwrap(), Some(kept.clone()));
    assert!(store.member(&kept.id, &bob.id).await.unwrap().is_some());
    assert!(store.code_source("code-k1").await.unwrap().is_some());
    assert_eq!(store.user(&bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(ws_ids(store, &ws_query(ORG_ID)).await, (strs(&["102"]), 1));

    // The organization has no default now (the survivor is not promoted)...
    assert_eq!(store.default_workspace(ORG_ID).await.unwrap(), None);
    assert!(!store.workspace(&kept.id).await.unwrap().unwrap().is_default);

    // ...so the next workspace becomes it; the deleted one's name and id are free again.
    let again = create_ws(store, &workspace("101", ORG_ID, "DOOMED", alice, T0 + 5, T0 + 5)).await;
    assert!(again.is_default);
    assert_eq!(store.default_workspace(ORG_ID).await.unwrap(), Some(again.clone()));
    assert_eq!(store.member(&again.id, &bob.id).await.unwrap(), None);
    assert_eq!(member_ids(store, &member_query(&again.id)).await, (vec![alice.clone()], 1));
}

async fn check_workspace_admin_names(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;
    let us = users(store, &[("2001", "bob", "Bob"), ("2002", "carol", "Carol"), ("2003", "dave", "Dave")]).await;
    let ws = create_ws(store, &workspace("101", ORG_ID, "main", alice, T0, T0)).await;
    let other = create_ws(store, &workspace("102", ORG_ID, "other", &us[2].id, T0, T0)).await;
    store
        .add_members(&[
            membership(&ws.id, &us[0].id, DEV_ROLES, T0 + 1),
            membership(&ws.id, &us[1].id, ADMIN_ROLES, T0 + 2),
            membership(&ws.id, &us[2].id, ",PAI.WorkspaceGuest,", T0 + 3),
        ])
        .await
        .unwrap();
    assert_eq!(store.workspace_admin_names(&ws.id).await.unwrap(), strs(&["alice", "carol"]));
    assert!(store.set_member_roles(&ws.id, &us[0].id, &RoleSet::from_stored(",PAI.WorkspaceAdmin,")).await.unwrap());
    assert_eq!(store.workspace_admin_names(&ws.id).await.unwrap(), strs(&["alice", "bob", "carol"]));
    assert_eq!(store.workspace_admin_names(&other.id).await.unwrap(), strs(&["dave"]));
    assert_eq!(store.workspace_admin_names("999").await.unwrap(), Vec::<String>::new());
}

// --- members ---------------------------------------------------------------------------

async fn check_members(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;
    let us = users(
        store,
        &[
            ("2001", "bob", "Bob Builder"),
            ("2002", "carol", "Carol Danvers"),
            ("2003", "dave", "Dave Grohl"),
            ("2004", "erin", "Erin_Brock"),
            ("2005", "frank", "ErinxBrock"),
        ],
    )
    .await;
    let [bob, carol, dave, erin, frank] = [0, 1, 2, 3, 4].map(|i| us[i].id.clone());
    let ws = create_ws(store, &workspace("101", ORG_ID, "main", alice, T0 + 100, T0 + 100)).await.id;
    let other = create_ws(store, &workspace("102", ORG_ID, "other", alice, T0, T0)).await.id;

    let bob_m = membership(&ws, &bob, DEV_ROLES, T0 + 101);
    store.add_members(&[bob_m.clone(), membership(&ws, &carol, ADMIN_ROLES, T0 + 102)]).await.unwrap();
    store.add_members(&[membership(&other, &bob, DEV_ROLES, T0 + 1)]).await.unwrap();

    // All or none: a batch containing an existing member, or the same user twice, adds nothing.
    assert_unique(
        store.add_members(&[membership(&ws, &dave, DEV_ROLES, T0 + 103), membership(&ws, &bob, ADMIN_ROLES, T0 + 103)]).await,
        "batch with an existing member",
    );
    assert_eq!(store.member(&ws, &dave).await.unwrap(), None);
    assert_eq!(store.member(&ws, &bob).await.unwrap().unwrap().member, bob_m, "the existing member is unchanged");
    assert_unique(
        store.add_members(&[membership(&ws, &erin, DEV_ROLES, T0 + 103), membership(&ws, &erin, DEV_ROLES, T0 + 103)]).await,
        "batch with a duplicate",
    );
    assert_eq!(store.member(&ws, &erin).await.unwrap(), None);
    store.add_members(&[]).await.unwrap();
    store
        .add_members(&[
            membership(&ws, &dave, ",PAI.WorkspaceGuest,", T0 + 104),
            membership(&ws, &erin, ",PAI.AlgoOperator,", T0 + 105),
            membership(&ws, &frank, ",PAI.LabelManager,", T0 + 106),
        ])
        .await
        .unwrap();

    // One member.
    let view = store.member(&ws, &bob).await.unwrap();
    assert_eq!(view, Some(MemberView { member: bob_m.clone(), user_name: s("bob"), display_name: s("Bob Builder") }));
    assert_eq!(store.member(&ws, "999").await.unwrap(), None);
    assert_eq!(store.member("999", &bob).await.unwrap(), None);
    assert_eq!(store.member(&other, &carol).await.unwrap(), None);

    // Listing, in joining order.
    let q = member_query(&ws);
    let everyone = [alice.as_str(), &bob, &carol, &dave, &erin, &frank];
    assert_eq!(member_ids(store, &q).await, (strs(&everyone), 6));
    let (rows, _) = store.list_members(&MemberQuery { user_id: Some(bob.clone()), ..q.clone() }).await.unwrap();
    assert_eq!(rows, vec![view.unwrap()]);
    assert_eq!(member_ids(store, &member_query(&other)).await, (strs(&[alice.as_str(), &bob]), 2));
    assert_eq!(member_ids(store, &member_query("999")).await, (vec![], 0));

    // Name filter: user name or display name, case-insensitive, `_`/`%` literal.
    let named = |n: &str| MemberQuery { name_contains: Some(s(n)), ..q.clone() };
    assert_eq!(member_ids(store, &named("BUILD")).await, (vec![bob.clone()], 1));
    assert_eq!(member_ids(store, &named("CAR")).await, (vec![carol.clone()], 1));
    assert_eq!(member_ids(store, &named("erin")).await, (vec![erin.clone(), frank.clone()], 2));
    assert_eq!(member_ids(store, &named("N_B")).await, (vec![erin.clone()], 1));
    assert_eq!(member_ids(store, &named("%")).await, (vec![], 0));
    // Non-ASCII display names are found as spelled (ASCII letters still ignore case).
    store.create_user(&user("2006", "gina", "Gina Ärger", ORG_ID), OrgRole::Member, None).await.unwrap();
    store.add_members(&[membership(&other, "2006", DEV_ROLES, T0 + 2)]).await.unwrap();
    for needle in ["Ärger", "ÄRGER", "a Är"] {
        let q = MemberQuery { name_contains: Some(s(needle)), ..member_query(&other) };
        assert_eq!(member_ids(store, &q).await, (strs(&["2006"]), 1), "{needle}");
    }

    // Role filter: any of the given roles.
    let roles = |r: &[&str]| MemberQuery { any_role: r.iter().map(|n| WorkspaceRole::parse("role", n).unwrap()).collect(), ..q.clone() };
    assert_eq!(member_ids(store, &roles(&["PAI.WorkspaceAdmin"])).await, (vec![carol.clone()], 1));
    assert_eq!(member_ids(store, &roles(&["PAI.WorkspaceAdmin", "PAI.WorkspaceOwner"])).await, (vec![alice.clone(), carol.clone()], 2));
    assert_eq!(member_ids(store, &roles(&["PAI.AlgoDeveloper"])).await, (vec![bob.clone(), carol.clone()], 2));
    assert_eq!(member_ids(store, &roles(&["PAI.WorkspaceGuest"])).await, (vec![dave.clone()], 1));
    assert_eq!(member_ids(store, &roles(&["PAI.MaxComputeDeveloper"])).await, (vec![], 0));

    // User filter, alone and combined.
    assert_eq!(member_ids(store, &MemberQuery { user_id: Some(dave.clone()), ..q.clone() }).await, (vec![dave.clone()], 1));
    assert_eq!(member_ids(store, &MemberQuery { user_id: Some(dave.clone()), ..roles(&["PAI.WorkspaceAdmin"]) }).await, (vec![], 0));
    assert_eq!(member_ids(store, &MemberQuery { user_id: Some(s("999")), ..q.clone() }).await, (vec![], 0));

    // Paging.
    let paged = |n, size| MemberQuery { page: page(n, size), ..q.clone() };
    assert_eq!(member_ids(store, &paged(1, 4)).await, (strs(&everyone[..4]), 6));
    assert_eq!(member_ids(store, &paged(2, 4)).await, (strs(&everyone[4..]), 6));
    assert_eq!(member_ids(store, &paged(3, 4)).await, (vec![], 6));
    assert_eq!(member_ids(store, &MemberQuery { page: page(2, 1), ..roles(&["PAI.AlgoDeveloper"]) }).await, (vec![carol.clone()], 2));

    // Roles.
    assert!(store.set_member_roles(&ws, &bob, &RoleSet::from_stored(",PAI.WorkspaceAdmin,")).await.unwrap());
    assert_eq!(
        store.member(&ws, &bob).await.unwrap().unwrap().member,
        WorkspaceMember { roles: RoleSet::from_stored(",PAI.WorkspaceAdmin,"), ..bob_m.clone() }
    );
    assert_eq!(store.member(&other, &bob).await.unwrap().unwrap().member.roles, RoleSet::from_stored(DEV_ROLES), "other workspaces keep their roles");
    assert_eq!(member_ids(store, &roles(&["PAI.WorkspaceAdmin"])).await, (vec![bob.clone(), carol.clone()], 2));
    assert!(!store.set_member_roles(&other, &carol, &RoleSet::from_stored(ADMIN_ROLES)).await.unwrap());
    assert!(!store.set_member_roles("999", &bob, &RoleSet::from_stored(ADMIN_ROLES)).await.unwrap());

    // Removal counts what was removed and touches only this workspace.
    assert_eq!(store.delete_members(&ws, &[bob.clone(), carol.clone(), s("999")]).await.unwrap(), 2);
    assert_eq!(store.member(&ws, &bob).await.unwrap(), None);
    assert_eq!(store.member(&ws, &carol).await.unwrap(), None);
    assert!(store.member(&other, &bob).await.unwrap().is_some());
    assert_eq!(store.delete_members(&ws, std::slice::from_ref(&bob)).await.unwrap(), 0);
    assert_eq!(store.delete_members(&ws, &[]).await.unwrap(), 0);
    assert_eq!(member_ids(store, &q).await, (strs(&[alice.as_str(), &dave, &erin, &frank]), 4));
}

// --- code sources ----------------------------------------------------------------------

async fn check_code_source_crud(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;
    let ws = create_ws(store, &workspace("101", ORG_ID, "main", alice, T0, T0)).await.id;

    let plain = code_source("code-plain", &ws, "Plain", alice, "PRIVATE", T0 + 1, T0 + 1);
    let secret: Vec<u8> = vec![0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0];
    let sealed = CodeSource {
        sealed_repo_token: Some(secret.clone()),
        clone_type: CloneType::SUBDIRECTORY,
        ..code_source("code-sealed", &ws, "Sealed", alice, "PUBLIC", T0 + 2, T0 + 3)
    };
    let empty = CodeSource {
        sealed_repo_token: Some(vec![]),
        code_repo: s(""),
        code_branch: s(""),
        code_commit: s(""),
        ..code_source("code-empty", &ws, "Empty", alice, "PUBLIC", T0 + 4, T0 + 4)
    };
    for c in [&plain, &sealed, &empty] {
        store.create_code_source(c).await.unwrap();
    }
    assert_eq!(store.code_source(&plain.id).await.unwrap(), Some(plain.clone()));
    assert_eq!(store.code_source(&sealed.id).await.unwrap(), Some(sealed.clone()));
    assert_eq!(store.code_source(&empty.id).await.unwrap(), Some(empty.clone()));
    assert_eq!(store.code_source("code-nope").await.unwrap(), None);
    assert_unique(store.create_code_source(&code_source(&plain.id, &ws, "Again", alice, "PUBLIC", T0, T0)).await, "duplicate code source id");
    assert_eq!(store.code_source(&plain.id).await.unwrap(), Some(plain.clone()));
    assert!(store.create_code_source(&code_source("code-orphan", "999", "Orphan", alice, "PUBLIC", T0, T0)).await.is_err(), "unknown workspace");
    assert_eq!(store.code_source("code-orphan").await.unwrap(), None);

    // Update overwrites the mutable fields; id, workspace, creator and creation time stay.
    let token = b"sealed-token-\x00\xff".to_vec();
    let changes = CodeSource {
        id: plain.id.clone(),
        workspace_id: s("999"),
        display_name: s("Plain v2"),
        description: s("changed"),
        code_repo: s("git@git.example.com:team/v2.git"),
        code_branch: s("dev"),
        code_commit: s("fedcba9876543210fedcba9876543210fedcba98"),
        code_repo_user_name: s("someone"),
        sealed_repo_token: Some(token.clone()),
        mount_path: s("/mnt/v2"),
        accessibility: Accessibility::Public,
        clone_type: CloneType::SUBDIRECTORY,
        creator_id: s("999"),
        created_at: T0 + 999,
        modified_at: T0 + 50,
    };
    assert!(store.update_code_source(&changes).await.unwrap());
    let expected = CodeSource {
        workspace_id: plain.workspace_id.clone(),
        creator_id: plain.creator_id.clone(),
        created_at: plain.created_at,
        ..changes.clone()
    };
    assert_eq!(store.code_source(&plain.id).await.unwrap(), Some(expected));

    // Tokens can be removed again.
    assert!(store.update_code_source(&CodeSource { sealed_repo_token: None, modified_at: T0 + 60, ..sealed.clone() }).await.unwrap());
    assert_eq!(store.code_source(&sealed.id).await.unwrap(), Some(CodeSource { sealed_repo_token: None, modified_at: T0 + 60, ..sealed.clone() }));
    assert!(!store.update_code_source(&code_source("code-nope", &ws, "x", alice, "PUBLIC", T0, T0)).await.unwrap());
    assert_eq!(store.code_source("code-nope").await.unwrap(), None);

    assert!(store.delete_code_source(&plain.id).await.unwrap());
    assert!(!store.delete_code_source(&plain.id).await.unwrap());
    assert_eq!(store.code_source(&plain.id).await.unwrap(), None);
    assert_eq!(cs_ids(store, &cs_query(&ws)).await, (strs(&["code-sealed", "code-empty"]), 2));
}

async fn check_code_source_listing(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = base.owner.id.clone();
    let us = users(store, &[("2001", "bob", "Bob"), ("2002", "carol", "Carol")]).await;
    let (bob, carol) = (us[0].id.clone(), us[1].id.clone());
    let ws = create_ws(store, &workspace("101", ORG_ID, "main", &alice, T0, T0)).await.id;
    let other = create_ws(store, &workspace("102", ORG_ID, "other", &alice, T0, T0)).await.id;

    // Every sort key gives a different order. Display names sort the same under any collation.
    // (id, display name, creator, accessibility, created, modified)
    let rows = [
        ("code-a", "gamma", &alice, "PUBLIC", 3, 50),
        ("code-b", "Alpha_One", &bob, "PRIVATE", 5, 10),
        ("code-c", "beta", &alice, "PRIVATE", 1, 40),
        ("code-d", "delta", &bob, "PUBLIC", 4, 20),
        ("code-e", "alphaxone", &carol, "PRIVATE", 2, 30),
    ];
    for (id, name, creator, access, created, modified) in rows {
        store.create_code_source(&code_source(id, &ws, name, creator, access, T0 + created, T0 + modified)).await.unwrap();
    }
    store.create_code_source(&code_source("code-z", &other, "alpha elsewhere", &bob, "PUBLIC", T0, T0)).await.unwrap();
    let q = CodeSourceQuery { sort: CodeSourceSort::Id, ..cs_query(&ws) };

    // Full records come back.
    let (listed, _) = store.list_code_sources(&q).await.unwrap();
    let mut expected = Vec::new();
    for id in ["code-a", "code-b", "code-c", "code-d", "code-e"] {
        expected.push(store.code_source(id).await.unwrap().unwrap());
    }
    assert_eq!(listed, expected);

    // Visibility: everything; public plus one's own; public only.
    let vis = |v: Visibility| CodeSourceQuery { visibility: v, ..q.clone() };
    assert_eq!(cs_ids(store, &q).await, (strs(&["code-a", "code-b", "code-c", "code-d", "code-e"]), 5));
    assert_eq!(cs_ids(store, &vis(Visibility::User(bob.clone()))).await, (strs(&["code-a", "code-b", "code-d"]), 3));
    assert_eq!(cs_ids(store, &vis(Visibility::User(alice.clone()))).await, (strs(&["code-a", "code-c", "code-d"]), 3));
    assert_eq!(cs_ids(store, &vis(Visibility::User(carol.clone()))).await, (strs(&["code-a", "code-d", "code-e"]), 3));
    assert_eq!(cs_ids(store, &vis(Visibility::User(s("999")))).await, (strs(&["code-a", "code-d"]), 2));
    assert_eq!(cs_ids(store, &vis(Visibility::PublicOnly)).await, (strs(&["code-a", "code-d"]), 2));
    assert_eq!(cs_ids(store, &cs_query("999")).await, (vec![], 0));

    // Display name filter: case-insensitive substring, `_`/`%` literal.
    let named = |n: &str| CodeSourceQuery { display_name_contains: Some(s(n)), ..q.clone() };
    assert_eq!(cs_ids(store, &named("ALPHA")).await, (strs(&["code-b", "code-e"]), 2));
    assert_eq!(cs_ids(store, &named("a_O")).await, (strs(&["code-b"]), 1));
    assert_eq!(cs_ids(store, &named("_")).await, (strs(&["code-b"]), 1));
    assert_eq!(cs_ids(store, &named("%")).await, (vec![], 0));
    assert_eq!(cs_ids(store, &named("elsewhere")).await, (vec![], 0));
    assert_eq!(cs_ids(store, &CodeSourceQuery { visibility: Visibility::User(bob.clone()), ..named("alpha") }).await, (strs(&["code-b"]), 1));

    // Non-ASCII display names are found as spelled, and ASCII letters in them ignore case.
    // (Case folding of non-ASCII letters is left to the database: SQLite's lower() is
    // ASCII-only, so it is not asserted here.)
    let intl = create_ws(store, &workspace("103", ORG_ID, "intl", &alice, T0, T0)).await.id;
    store.create_code_source(&code_source("code-u", &intl, "Проект Ärger", &alice, "PUBLIC", T0, T0)).await.unwrap();
    let intl_named = |n: &str| CodeSourceQuery { display_name_contains: Some(s(n)), ..cs_query(&intl) };
    for needle in ["Проект", "Ärger", "ÄRGER", "Проект Ä"] {
        assert_eq!(cs_ids(store, &intl_named(needle)).await, (strs(&["code-u"]), 1), "{needle}");
    }
    assert_eq!(cs_ids(store, &intl_named("Проектт")).await, (vec![], 0));

    // Every sort key, both directions.
    let cases: [(CodeSourceSort, [&str; 5]); 4] = [
        (CodeSourceSort::Created, ["code-c", "code-e", "code-a", "code-d", "code-b"]),
        (CodeSourceSort::Modified, ["code-b", "code-d", "code-e", "code-c", "code-a"]),
        (CodeSourceSort::DisplayName, ["code-b", "code-e", "code-c", "code-d", "code-a"]),
        (CodeSourceSort::Id, ["code-a", "code-b", "code-c", "code-d", "code-e"]),
    ];
    for (sort, asc) in cases {
        let sorted = |order| CodeSourceQuery { sort, order, ..q.clone() };
        assert_eq!(cs_ids(store, &sorted(SortOrder::Asc)).await, (strs(&asc), 5), "{sort:?} asc");
        assert_eq!(cs_ids(store, &sorted(SortOrder::Desc)).await, (reversed(&asc), 5), "{sort:?} desc");
    }

    // Paging keeps the total of all matches.
    let paged = |n, size| CodeSourceQuery { page: page(n, size), ..q.clone() };
    assert_eq!(cs_ids(store, &paged(1, 2)).await, (strs(&["code-a", "code-b"]), 5));
    assert_eq!(cs_ids(store, &paged(2, 2)).await, (strs(&["code-c", "code-d"]), 5));
    assert_eq!(cs_ids(store, &paged(3, 2)).await, (strs(&["code-e"]), 5));
    assert_eq!(cs_ids(store, &paged(4, 2)).await, (vec![], 5));
    let bob_page = CodeSourceQuery { visibility: Visibility::User(bob.clone()), page: page(2, 2), order: SortOrder::Desc, ..q.clone() };
    assert_eq!(cs_ids(store, &bob_page).await, (strs(&["code-a"]), 3));
    let modified_page = CodeSourceQuery { sort: CodeSourceSort::Modified, page: page(2, 3), ..q.clone() };
    assert_eq!(cs_ids(store, &modified_page).await, (strs(&["code-c", "code-a"]), 5));
}

// --- concurrency -----------------------------------------------------------------------

async fn check_concurrent_writes(store: &dyn Store) {
    let base = bootstrap(store).await;
    let alice = &base.owner.id;

    // Racing creations in an organization without workspaces: exactly one becomes default.
    let w: Vec<Workspace> = (1..=6).map(|i| workspace(&format!("10{i}"), ORG_ID, &format!("race{i}"), alice, T0 + i, T0 + i)).collect();
    let (r1, r2, r3, r4, r5, r6) = tokio::join!(
        create_ws(store, &w[0]),
        create_ws(store, &w[1]),
        create_ws(store, &w[2]),
        create_ws(store, &w[3]),
        create_ws(store, &w[4]),
        create_ws(store, &w[5]),
    );
    let created = [r1, r2, r3, r4, r5, r6];
    let defaults: Vec<&Workspace> = created.iter().filter(|w| w.is_default).collect();
    assert_eq!(defaults.len(), 1, "exactly one default among {created:?}");
    assert_eq!(store.default_workspace(ORG_ID).await.unwrap().as_ref(), Some(defaults[0]));
    let (listed, total) = store.list_workspaces(&ws_query(ORG_ID)).await.unwrap();
    assert_eq!(total, 6);
    assert_eq!(listed.iter().filter(|w| w.is_default).count(), 1);

    // Racing uses of one nonce: exactly one is fresh.
    let n = || store.remember_nonce("LTAIrace", "nonce", 1_000, 61_000);
    let (a, b, c, d, e, f) = tokio::join!(n(), n(), n(), n(), n(), n());
    let fresh = [a, b, c, d, e, f].into_iter().map(|r| r.unwrap()).filter(|fresh| *fresh).count();
    assert_eq!(fresh, 1);

    // Racing sign-ups for one name in different cases: exactly one wins, the rest are Unique.
    let u: Vec<User> = ["race", "RACE", "Race", "rAcE"].iter().enumerate().map(|(i, n)| user(&format!("300{i}"), n, n, ORG_ID)).collect();
    let (a, b, c, d) = tokio::join!(
        store.create_user(&u[0], OrgRole::Member, None),
        store.create_user(&u[1], OrgRole::Member, None),
        store.create_user(&u[2], OrgRole::Member, None),
        store.create_user(&u[3], OrgRole::Member, None),
    );
    let results = [a, b, c, d];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok() || matches!(r, Err(StoreError::Unique(_)))), "{results:?}");
    let winner = results.iter().position(|r| r.is_ok()).unwrap();
    assert_eq!(store.user_by_name("race").await.unwrap(), Some(u[winner].clone()));
    for (i, loser) in u.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(store.org_role(ORG_ID, &loser.id).await.unwrap(), None, "loser {i}");
    }
}

fn group(org: &str, parent: &Namespace, path: &str, visibility: &str) -> Namespace {
    Namespace {
        id: 0,
        organization_id: s(org),
        parent_id: Some(parent.id),
        kind: NamespaceKind::Group,
        name: s(path),
        path: s(path),
        full_path: format!("{}/{path}", parent.full_path),
        full_name: format!("{} / {path}", parent.full_name),
        description: String::new(),
        visibility: CodeVisibility::parse("visibility", visibility).unwrap(),
        avatar_url: String::new(),
        owner_id: String::new(),
        depth: parent.depth + 1,
        created_at: T0,
        updated_at: T0,
    }
}

fn repository(ns: &Namespace, path: &str, visibility: &str, creator: &str, created_at: Millis) -> Repository {
    Repository {
        id: 0,
        organization_id: ns.organization_id.clone(),
        namespace_id: ns.id,
        name: s(path),
        path: s(path),
        full_path: format!("{}/{path}", ns.full_path),
        full_name: format!("{} / {path}", ns.full_name),
        description: String::new(),
        visibility: CodeVisibility::parse("visibility", visibility).unwrap(),
        default_branch: s("master"),
        avatar_url: String::new(),
        creator_id: s(creator),
        archived: false,
        created_at,
        updated_at: created_at,
        last_activity_at: created_at,
    }
}

async fn repo_paths(store: &dyn Store, q: &RepositoryQuery) -> (Vec<String>, u64) {
    let (items, total) = store.list_repositories(q, T0).await.expect("list repositories");
    (items.into_iter().map(|r| r.path).collect(), total)
}

/// Repositories: invisible until activated, unique per path ignoring case, access inherited
/// from the groups above (prefix tests that treat `_` literally), private ones hidden from
/// non-members in listings, moved with their group, and deleted with its tree.
async fn check_repositories(store: &dyn Store) {
    let b = bootstrap(store).await;
    let us = users(store, &[("2000000000000001", "bob", "Bob"), ("2000000000000002", "carol", "Carol")]).await;
    let (bob, carol) = (&us[0].id, &us[1].id);
    let root = store.namespace_by_path(ORG_ID, ORG_ID).await.unwrap().expect("root namespace");
    let team = store.create_namespace(&group(ORG_ID, &root, "team_a", "private"), bob, AccessLevel::Admin).await.expect("group");
    // A sibling whose path matches team_a only if `_` were a wildcard.
    let lookalike = store.create_namespace(&group(ORG_ID, &root, "teamXa", "private"), carol, AccessLevel::Admin).await.expect("group");

    let created = store.create_repository(&repository(&team, "app", "private", bob, T0), bob, AccessLevel::Admin).await.expect("create");
    assert!(created.id > 0);
    assert_eq!(store.repository(created.id).await.unwrap(), None, "invisible while creating");
    assert!(store.repository_ids().await.unwrap().contains(&created.id), "the sweep sees rows in every state");
    assert_eq!(store.discard_unfinished_repositories(T0).await.unwrap(), Vec::<i64>::new(), "a creation in progress is left alone");
    let stuck = store.create_repository(&repository(&team, "stuck", "private", bob, T0 - 1), bob, AccessLevel::Admin).await.unwrap();
    assert_eq!(store.discard_unfinished_repositories(T0).await.unwrap(), vec![stuck.id], "an unfinished creation from before is discarded");
    assert!(store.activate_repository(created.id).await.unwrap());
    assert_eq!(store.discard_unfinished_repositories(T0 + 1).await.unwrap(), Vec::<i64>::new(), "active rows are never discarded");
    let got = store.repository_by_path(ORG_ID, &format!("{ORG_ID}/TEAM_A/App")).await.unwrap().expect("by path, any case");
    assert_eq!(got, created);
    let again = repository(&team, "APP", "private", bob, T0);
    assert_collision(store.create_repository(&again, bob, AccessLevel::Admin).await, UniqueViolation::RepositoryPath(again.full_path.clone()));
    // Adding a member again adds nobody and names the group and the users.
    assert_collision(
        store.add_namespace_members(&team, &[carol.clone(), bob.clone()], AccessLevel::Read, None, T0).await,
        UniqueViolation::GroupMembers { full_path: team.full_path.clone(), user_ids: vec![carol.clone(), bob.clone()] },
    );
    assert!(store.namespace_member(team.id, carol).await.unwrap().is_none(), "all or none");

    // Access: bob is admin of the group; carol only of the look-alike group.
    assert_eq!(store.repository_access_level(&got, bob, T0).await.unwrap(), AccessLevel::from_codeup(40).unwrap());
    assert_eq!(store.repository_access_level(&got, carol, T0).await.unwrap(), AccessLevel::None);
    let other = store.create_repository(&repository(&lookalike, "tool", "internal", carol, T0 + 1), carol, AccessLevel::Admin).await.unwrap();
    store.activate_repository(other.id).await.unwrap();
    assert_eq!(
        store.repository_access_level(&other, carol, T0).await.unwrap(),
        AccessLevel::from_codeup(40).unwrap(),
        "the creator is the repository's member"
    );

    // Listings: carol sees her repository and none of bob's private ones; admins see all.
    let mut q = RepositoryQuery {
        organization_id: s(ORG_ID),
        scope: RepositoryScope::Organization,
        viewer: NamespaceViewer::Member(carol.clone()),
        search: None,
        archived: None,
        sort: RepositorySort::Created,
        order: SortOrder::Asc,
        page: page(1, 10),
    };
    assert_eq!(repo_paths(store, &q).await, (strs(&["tool"]), 1));
    q.viewer = NamespaceViewer::All;
    assert_eq!(repo_paths(store, &q).await, (strs(&["app", "tool"]), 2));
    q.scope = RepositoryScope::Subtree(team.full_path.clone());
    assert_eq!(repo_paths(store, &q).await, (strs(&["app"]), 1));
    q.scope = RepositoryScope::Namespace(lookalike.id);
    assert_eq!(repo_paths(store, &q).await, (strs(&["tool"]), 1));
    q.scope = RepositoryScope::Organization;
    q.search = Some(s("PP"));
    assert_eq!(repo_paths(store, &q).await, (strs(&["app"]), 1));

    // Renaming the group moves its repositories and lowers their visibility with it.
    let mut renamed = team.clone();
    renamed.path = s("team_b");
    renamed.full_path = format!("{ORG_ID}/team_b");
    renamed.full_name = format!("{ORG_ID} / team_b");
    store.update_namespace(&team, &renamed, &[CodeVisibility::Internal, CodeVisibility::Public]).await.unwrap();
    let moved = store.repository(created.id).await.unwrap().unwrap();
    assert_eq!(
        (moved.full_path.as_str(), moved.full_name.as_str()),
        (format!("{ORG_ID}/team_b/app").as_str(), format!("{ORG_ID} / team_b / app").as_str())
    );
    assert_eq!(store.repository_by_path(ORG_ID, &format!("{ORG_ID}/team_a/app")).await.unwrap(), None, "the old path stops resolving");
    assert_eq!(store.repository(other.id).await.unwrap().unwrap().full_path, format!("{ORG_ID}/teamXa/tool"), "the look-alike stays put");

    // Activity and the default branch.
    store.touch_repository(created.id, T0 + 50, Some("main")).await.unwrap();
    let touched = store.repository(created.id).await.unwrap().unwrap();
    assert_eq!((touched.last_activity_at, touched.default_branch.as_str()), (T0 + 50, "main"));
    let mut edited = touched.clone();
    edited.description = s("edited");
    edited.updated_at = T0 + 60;
    assert!(store.update_repository(&edited).await.unwrap());
    assert_eq!(store.repository(created.id).await.unwrap().unwrap(), edited);

    // Deleting the tree deletes its repositories and says which.
    assert_eq!(store.count_repositories_below(&renamed).await.unwrap(), 1);
    let gone = store.delete_namespace_tree(&renamed).await.unwrap();
    assert_eq!(gone, DeletedTree { groups: 1, repositories: vec![created.id] });
    assert_eq!(store.repository(created.id).await.unwrap(), None);
    assert!(store.delete_repository(other.id).await.unwrap());
    assert!(!store.delete_repository(other.id).await.unwrap());
    // Ids are never reused.
    let again = store.create_repository(&repository(&root, "again", "private", &b.owner.id, T0), &b.owner.id, AccessLevel::Admin).await.unwrap();
    assert!(again.id > other.id);
}

fn system(name: &str) -> PolicyRef {
    PolicyRef { policy_type: s("System"), policy_name: s(name) }
}

fn custom(name: &str) -> PolicyRef {
    PolicyRef { policy_type: s("Custom"), policy_name: s(name) }
}

/// Policies: the owner and new users get the default set (AdministratorAccess out of the
/// box); custom policies are unique ignoring case and cannot be deleted while in use; every
/// change bumps the identity generation that replicas poll.
async fn check_policies(store: &dyn Store) {
    let b = bootstrap(store).await;
    assert_eq!(store.default_policies(ORG_ID).await.unwrap(), vec![system("AdministratorAccess")]);
    let attached = store.attached_policies(&b.owner.id).await.unwrap();
    assert_eq!(attached, vec![AttachedPolicy { policy: system("AdministratorAccess"), document: None }]);

    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"codeup:Get*","Resource":"*"}]}"#;
    let p = PolicyRecord { organization_id: s(ORG_ID), name: s("ReadCode"), description: s("d"), document: s(doc), created_at: T0, updated_at: T0 };
    let g0 = store.identity_generation().await.unwrap();
    store.create_policy(&p).await.unwrap();
    assert!(store.identity_generation().await.unwrap() > g0);
    assert_collision(store.create_policy(&PolicyRecord { name: s("readcode"), ..p.clone() }).await, UniqueViolation::PolicyName(s("readcode")));
    assert_eq!(store.policy(ORG_ID, "READCODE").await.unwrap(), Some(p.clone()));
    assert_eq!(store.list_policies(ORG_ID).await.unwrap(), vec![p.clone()]);

    // A new default set applies to users created afterwards.
    store.set_default_policies(ORG_ID, &[custom("ReadCode"), system("ReadOnlyAccess")]).await.unwrap();
    let us = users(store, &[("2000000000000001", "bob", "Bob")]).await;
    let (bob, bob_user) = (&us[0].id, &us[0]);
    let got = store.attached_policies(bob).await.unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.contains(&AttachedPolicy { policy: custom("ReadCode"), document: Some(s(doc)) }), "custom documents are joined in: {got:?}");
    assert!(got.contains(&AttachedPolicy { policy: system("ReadOnlyAccess"), document: None }));
    assert_eq!(store.attached_policies(&b.owner.id).await.unwrap().len(), 1, "existing users keep theirs");

    // In use: refused; detached and out of the default set: deleted.
    assert_eq!(store.delete_policy(ORG_ID, "ReadCode").await.unwrap(), PolicyDeletion::Attached(2));
    assert_collision(
        store.attach_policy(bob_user, &custom("ReadCode"), T0).await,
        UniqueViolation::PolicyAttachment { policy_name: s("ReadCode"), user_name: s("bob") },
    );
    let g1 = store.identity_generation().await.unwrap();
    assert!(store.detach_policy(bob, &custom("readcode")).await.unwrap());
    assert!(store.identity_generation().await.unwrap() > g1);
    assert!(!store.detach_policy(bob, &custom("ReadCode")).await.unwrap());
    assert_eq!(store.delete_policy(ORG_ID, "ReadCode").await.unwrap(), PolicyDeletion::Attached(1), "the default set still names it");
    store.set_default_policies(ORG_ID, &[system("AdministratorAccess")]).await.unwrap();
    assert_eq!(store.delete_policy(ORG_ID, "ReadCode").await.unwrap(), PolicyDeletion::Deleted);
    assert_eq!(store.delete_policy(ORG_ID, "ReadCode").await.unwrap(), PolicyDeletion::NotFound);
    store.attach_policy(bob_user, &system("AliyunRDCFullAccess"), i64::MAX / 2).await.unwrap();
    let names: Vec<_> = store.attached_policies(bob).await.unwrap().into_iter().map(|a| a.policy.policy_name).collect();
    assert_eq!(names, ["ReadOnlyAccess", "AliyunRDCFullAccess"], "attachment order");
}

// --- console sign-in -------------------------------------------------------------------

fn console_session(id: &str, user: &User, created_at: Millis, expires_at: Millis) -> ConsoleSession {
    ConsoleSession {
        id: s(id),
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        created_at,
        expires_at,
        source_ip: s("192.0.2.7"),
        user_agent: s("Mozilla/5.0 (test)"),
    }
}

/// Password hashes are written with the user (bootstrap, create) or later; setting one
/// signs the user out everywhere, in the same transaction.
async fn check_passwords(store: &dyn Store) {
    let b = base_records(ORG_ID, "default", "1000000000000001", "alice");
    store.bootstrap(&b.org, &b.owner, Some("$argon2id$alice"), &b.key, &b.token).await.unwrap();
    assert_eq!(store.user_with_password("ALICE").await.unwrap(), Some((b.owner.clone(), Some(s("$argon2id$alice")))));
    let bob = user("2001", "bob", "Bob", ORG_ID);
    store.create_user(&bob, OrgRole::Member, Some("$argon2id$bob")).await.unwrap();
    assert_eq!(store.user_with_password("bob").await.unwrap(), Some((bob.clone(), Some(s("$argon2id$bob")))));
    let carol = user("2002", "carol", "Carol", ORG_ID);
    store.create_user(&carol, OrgRole::Member, None).await.unwrap();
    assert_eq!(store.user_with_password("carol").await.unwrap(), Some((carol.clone(), None)));
    assert_eq!(store.user_with_password("nobody").await.unwrap(), None);
    // A failed create writes no hash either.
    let clash = user("2003", "BOB", "Bob again", ORG_ID);
    assert_unique(store.create_user(&clash, OrgRole::Member, Some("$argon2id$clash")).await, "duplicate name with a password");
    assert_eq!(store.user_with_password("bob").await.unwrap(), Some((bob.clone(), Some(s("$argon2id$bob")))));

    // Setting a password deletes that user's sessions and no one else's.
    let now = T0 + 1_000;
    store.create_console_session(&console_session("cs-b1", &bob, now, now + 60_000), &"b1".repeat(32), now).await.unwrap();
    store.create_console_session(&console_session("cs-b2", &bob, now + 1, now + 60_000), &"b2".repeat(32), now).await.unwrap();
    store.create_console_session(&console_session("cs-a1", &b.owner, now + 2, now + 60_000), &"a1".repeat(32), now).await.unwrap();
    assert!(store.set_password_hash(&bob.id, Some("$argon2id$bob2")).await.unwrap());
    assert_eq!(store.user_with_password("bob").await.unwrap().unwrap().1.as_deref(), Some("$argon2id$bob2"));
    assert_eq!(store.console_session(&"b1".repeat(32), now).await.unwrap(), None);
    assert!(store.list_console_sessions(Some(&bob.id), now, 100).await.unwrap().is_empty());
    assert_eq!(store.list_console_sessions(None, now, 100).await.unwrap().len(), 1, "alice's session stays");
    // Clearing works the same way; an unknown user is reported.
    assert!(store.set_password_hash(&b.owner.id, None).await.unwrap());
    assert_eq!(store.user_with_password("alice").await.unwrap().unwrap().1, None);
    assert!(store.list_console_sessions(None, now, 100).await.unwrap().is_empty());
    assert!(!store.set_password_hash("999", Some("$argon2id$x")).await.unwrap());
}

/// Sessions are found by the hash of their cookie value until they expire, listed newest
/// first, and deleted by id or by hash; creating one sweeps expired ones.
async fn check_console_sessions(store: &dyn Store) {
    let base = bootstrap(store).await;
    let bob = users(store, &[("2001", "bob", "Bob")]).await.remove(0);
    let now = T0 + 10_000;
    let a1 = console_session("cs-0000000000000001", &base.owner, now, now + 1_000);
    let b1 = console_session("cs-0000000000000002", &bob, now + 1, now + 5_000);
    let b2 = console_session("cs-0000000000000003", &bob, now + 2, now + 5_000);
    for (sess, hash) in [(&a1, "aa"), (&b1, "bb"), (&b2, "cc")] {
        store.create_console_session(sess, &hash.repeat(32), now).await.unwrap();
    }
    assert_eq!(store.console_session(&"aa".repeat(32), now).await.unwrap(), Some(a1.clone()));
    assert_eq!(store.console_session(&"bb".repeat(32), now + 4_999).await.unwrap(), Some(b1.clone()));
    assert_eq!(store.console_session(&"dd".repeat(32), now).await.unwrap(), None);
    // Expiry: at expires_at the session is gone from lookups and lists.
    assert_eq!(store.console_session(&"aa".repeat(32), now + 1_000).await.unwrap(), None);
    let ids = |v: Vec<ConsoleSession>| v.into_iter().map(|x| x.id).collect::<Vec<_>>();
    assert_eq!(ids(store.list_console_sessions(None, now, 100).await.unwrap()), [b2.id.clone(), b1.id.clone(), a1.id.clone()]);
    assert_eq!(ids(store.list_console_sessions(None, now + 1_000, 100).await.unwrap()), [b2.id.clone(), b1.id.clone()]);
    assert_eq!(ids(store.list_console_sessions(Some(&base.owner.id), now, 100).await.unwrap()), vec![a1.id.clone()]);
    assert_eq!(ids(store.list_console_sessions(None, now, 2).await.unwrap()), [b2.id.clone(), b1.id.clone()], "the limit keeps the newest");
    // A new session sweeps expired rows: a1 is gone even for a lookup at an earlier time.
    let a2 = console_session("cs-0000000000000004", &base.owner, now + 2_000, now + 9_000);
    store.create_console_session(&a2, &"ee".repeat(32), now + 2_000).await.unwrap();
    assert_eq!(store.console_session(&"aa".repeat(32), now).await.unwrap(), None, "expired session swept");
    // Revoke by id, sign out by hash.
    assert!(store.delete_console_session(&b1.id).await.unwrap());
    assert!(!store.delete_console_session(&b1.id).await.unwrap());
    assert_eq!(store.console_session(&"bb".repeat(32), now).await.unwrap(), None);
    assert!(store.delete_console_session_by_hash(&"cc".repeat(32)).await.unwrap());
    assert!(!store.delete_console_session_by_hash(&"cc".repeat(32)).await.unwrap());
    assert_eq!(ids(store.list_console_sessions(None, now, 100).await.unwrap()), vec![a2.id.clone()]);
    // The same id twice is refused.
    assert_unique(store.create_console_session(&a2, &"ff".repeat(32), now).await, "duplicate session id");
}

/// Failures count within the window, lock at `lock_after`, start over after the window or
/// the lock, and are cleared per key.
async fn check_sign_in_failures(store: &dyn Store) {
    let rule = |now: Millis| FailureCount { now, window_start: now - 900_000, lock_after: 3, lock_until: now + 60_000 };
    let keys = vec![s("user:bob"), s("ip:192.0.2.7")];
    assert!(store.sign_in_failures(&keys).await.unwrap().is_empty());
    let f1 = store.record_sign_in_failure("user:bob", &rule(T0)).await.unwrap();
    assert_eq!(f1, SignInFailures { key: s("user:bob"), count: 1, first_failure_at: T0, locked_until: None });
    assert_eq!(store.record_sign_in_failure("user:bob", &rule(T0 + 10)).await.unwrap().count, 2);
    store.record_sign_in_failure("ip:192.0.2.7", &rule(T0 + 10)).await.unwrap();
    let f3 = store.record_sign_in_failure("user:bob", &rule(T0 + 20)).await.unwrap();
    assert_eq!(f3, SignInFailures { key: s("user:bob"), count: 3, first_failure_at: T0, locked_until: Some(T0 + 20 + 60_000) });
    let mut read = store.sign_in_failures(&keys).await.unwrap();
    read.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(read.iter().map(|f| (f.key.as_str(), f.count)).collect::<Vec<_>>(), [("ip:192.0.2.7", 1), ("user:bob", 3)]);
    // After the lock expires, the next failure starts a new run.
    let after_lock = T0 + 20 + 60_000;
    assert_eq!(
        store.record_sign_in_failure("user:bob", &rule(after_lock)).await.unwrap(),
        SignInFailures { key: s("user:bob"), count: 1, first_failure_at: after_lock, locked_until: None }
    );
    // A failure older than the window no longer counts.
    let later = after_lock + 900_000;
    assert_eq!(store.record_sign_in_failure("user:bob", &rule(later)).await.unwrap().count, 1);
    // Concurrent failures all count.
    let count = rule(later);
    let concurrent: Vec<_> = (0..8).map(|_| store.record_sign_in_failure("ip:198.51.100.1", &count)).collect();
    for r in futures_util::future::join_all(concurrent).await {
        r.unwrap();
    }
    assert_eq!(store.sign_in_failures(&[s("ip:198.51.100.1")]).await.unwrap()[0].count, 8);
    // Clearing removes the key and every stale counter, but not a live one.
    store.clear_sign_in_failures("user:bob", later - 900_000, later).await.unwrap();
    let left = store.sign_in_failures(&[s("user:bob"), s("ip:192.0.2.7"), s("ip:198.51.100.1")]).await.unwrap();
    assert_eq!(left.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), ["ip:198.51.100.1"], "ip:192.0.2.7 was stale");
}
