//! Identity and policy changes reach every replica: a second server over the same database
//! (its own caches and connections, as a second process would have) sees a policy attached,
//! a token revoked or an AccessKey disabled through the first one. The replica's backstop
//! poll is stretched to an hour, so only the per-request check (SQLite) or the pushed
//! notification (PostgreSQL) can carry the change.
//!
//! SQLite is asserted on the very next request. PostgreSQL's NOTIFY arrives asynchronously
//! after the commit, so there the test waits for it (bounded, far below the stretched poll)
//! and prints how long it took.

use codeport_testkit::{both_backends, Reply, TestServer};
use serde_json::json;
use std::time::{Duration, Instant};

const NO_POLL: Duration = Duration::from_secs(3600);
/// How long a pushed change may take before the test fails (it takes milliseconds).
const PUSH_LIMIT: Duration = Duration::from_secs(10);

fn is_postgres(s: &TestServer) -> bool {
    s.state.store.backend() == "postgres"
}

/// Sends `request` until `accept` holds: once on SQLite (the next request must see the
/// change), repeatedly up to PUSH_LIMIT on PostgreSQL. Returns the last reply.
async fn next_request<F, Fut>(s: &TestServer, what: &str, request: F, accept: impl Fn(&Reply) -> bool) -> Reply
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    let started = Instant::now();
    for attempt in 1.. {
        let r = request().await;
        if accept(&r) || !is_postgres(s) || started.elapsed() > PUSH_LIMIT {
            if is_postgres(s) {
                eprintln!("{what}: seen by the replica on request {attempt}, {:?} after the commit", started.elapsed());
            }
            return r;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    unreachable!()
}

async fn a_policy_attached_on_one_replica_applies_on_the_other(s: TestServer) {
    let b = s.replica(|c| c.identity_poll_interval = NO_POLL).await;
    let a = s.admin();
    let ws = a.create_workspace("replicated").await;
    let (uid, user) = s.user("replicated_user").await;
    a.add_member(&ws, &uid, &["PAI.AlgoDeveloper"]).await;
    let cs = user.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "src"})).await;
    let path = format!("/api/v1/codesources/{cs}");
    let on_b = user.at(&b.base_url);
    // Warm the replica's caches: key, principal and policy set.
    assert_eq!(on_b.get(&path, &[]).await.status, 200);
    assert_eq!(on_b.get(&path, &[]).await.status, 200);

    s.state
        .policies()
        .create_policy(
            "deny-src",
            "",
            &json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "paicodesource:GetCodeSource", "Resource": "*"}]}).to_string(),
        )
        .await
        .unwrap();
    s.state.policies().attach_policy("replicated_user", "deny-src").await.unwrap();
    let r = next_request(&s, "attach", || on_b.get(&path, &[]), |r| r.status == 403).await;
    assert_eq!((r.status, r.code()), (403, "NoPermission"), "{}", r.text);
    assert_eq!(r.json["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny", "{}", r.text);

    s.state.policies().detach_policy("replicated_user", "deny-src").await.unwrap();
    let r = next_request(&s, "detach", || on_b.get(&path, &[]), |r| r.status == 200).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // An AccessKey disabled on one replica stops signing on the other.
    s.state.identities().set_access_key_enabled(&user.access_key_id, false).await.unwrap();
    let r = next_request(&s, "disable key", || on_b.get(&path, &[]), |r| r.status != 200).await;
    assert_ne!(r.status, 200, "a disabled AccessKey still signs on the replica: {}", r.text);
    assert!(r.code().contains("AccessKey") || r.status == 403 || r.status == 401, "{}", r.text);
}

async fn a_token_revoked_on_one_replica_fails_on_the_other(s: TestServer) {
    let b = s.replica(|c| c.identity_poll_interval = NO_POLL).await;
    let scopes = codeport_core::values::TokenScopes::parse("").unwrap();
    s.state.identities().create_user("tokened", None).await.unwrap();
    let t = s.state.identities().create_token("tokened", None, &scopes).await.unwrap();
    let on_b = codeport_testkit::CodeupClient::new(&b.base_url, Some(t.token.expose()));
    assert_eq!(on_b.get("/oapi/v1/platform/user").await.status, 200);

    if is_postgres(&s) {
        // Lose the replica's listening connection (as a database restart or a network cut
        // would): it reconnects and resyncs, and the next change still arrives by push.
        s.postgres_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'codeport-identity-listener' AND datname = current_database()").await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    s.state.identities().revoke_token(&t.id).await.unwrap();
    let r = next_request(&s, "revoke token", || on_b.get("/oapi/v1/platform/user"), |r| r.status == 401).await;
    assert_eq!((r.status, r.error_code()), (401, "InvalidTokenError"), "{}", r.text);
}

both_backends!(a_policy_attached_on_one_replica_applies_on_the_other, a_token_revoked_on_one_replica_fails_on_the_other);
