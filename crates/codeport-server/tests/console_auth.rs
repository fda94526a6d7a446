//! Console sign-in through the real services on a real server's state (SQLite, and
//! PostgreSQL when CODEPORT_TEST_POSTGRES_URL is set): passwords, sessions, CSRF tokens and
//! the sign-in throttle.

use codeport_core::secret::Secret;
use codeport_server::config::SignInThrottle;
use codeport_server::services::console_auth::{NewSession, SignInRefusal};
use codeport_server::services::RequestFacts;
use codeport_testkit::{both_backends, Backend, TestServer};
use std::time::{Duration, Instant};

const GOOD: &str = "correct horse battery staple";

fn facts(ip: &str) -> RequestFacts {
    RequestFacts {
        source_ip: Some(ip.parse().unwrap()),
        user_agent: Some(http::HeaderValue::from_str(&"A".repeat(300)).unwrap()),
        secure_transport: false,
    }
}

fn secret(s: &str) -> Secret {
    Secret::new(s)
}

async fn signed_in(s: &TestServer, name: &str, password: &str, ip: &str) -> NewSession {
    match s.state.console_auth().sign_in(name, &secret(password), &facts(ip)).await.expect("backend") {
        Ok(new) => new,
        Err(refusal) => panic!("sign-in of {name} refused: {refusal:?}"),
    }
}

async fn a_short_password_is_rejected_and_creates_nothing(s: TestServer) {
    let auth = s.state.console_auth();
    let e = auth.create_user_with_password("shorty", None, &secret("elevenchars")).await.unwrap_err();
    assert!(matches!(&e, codeport_core::Error::InvalidParameter { field, .. } if field == "password"), "{e:?}");
    assert!(!e.to_string().contains("elevenchars"), "the error echoes the password: {e}");
    assert!(s.state.identities().user_named("shorty").await.is_err(), "a refused password created the user");
    let u = auth.create_user_with_password("longy", Some("l@example.com"), &secret(GOOD)).await.unwrap();
    assert_eq!(u.name, "longy");
    signed_in(&s, "LONGY", GOOD, "192.0.2.1").await;
}

async fn bootstrap_password_signs_in_and_the_session_is_found_until_sign_out(s: TestServer) {
    let password = s.bootstrap["adminPassword"].as_str().expect("adminPassword in bootstrap.json");
    assert!(password.len() >= 20 && password.bytes().all(|c| c.is_ascii_alphanumeric()), "{password}");
    let auth = s.state.console_auth();
    let new = signed_in(&s, "admin", password, "192.0.2.1").await;
    let cookie = new.cookie_value.expose().to_string();
    assert_eq!(cookie.len(), 43);
    assert!(new.session.id.starts_with("cs-") && new.session.id.len() == 19, "{}", new.session.id);
    assert_eq!(new.session.source_ip, "192.0.2.1");
    assert_eq!(new.session.user_agent.chars().count(), 256, "User-Agent truncated to 256 characters");
    let ttl = new.session.expires_at - new.session.created_at;
    assert_eq!(ttl, 12 * 3600 * 1000, "default session lifetime");

    let (found, principal) = auth.session(&cookie).await.unwrap().expect("session found by its cookie");
    assert_eq!(found, new.session);
    assert_eq!(principal.user.name, "admin");
    assert!(principal.is_org_admin());
    assert!(auth.session("not-a-cookie").await.unwrap().is_none());
    assert!(auth.session("").await.unwrap().is_none());

    // CSRF: constant per session, differs between sessions, compared exactly.
    let token = auth.csrf_token(&cookie);
    assert_eq!(token.len(), 64);
    assert_eq!(token, auth.csrf_token(&cookie));
    assert!(auth.csrf_matches(&cookie, &token));
    assert!(!auth.csrf_matches(&cookie, &token[..63]));
    assert!(!auth.csrf_matches(&cookie, ""));
    let other = signed_in(&s, "admin", password, "192.0.2.1").await;
    assert_ne!(auth.csrf_token(other.cookie_value.expose()), token);
    assert!(!auth.csrf_matches(other.cookie_value.expose(), &token));

    let listed: Vec<String> = auth.list_sessions(Some("admin")).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, [other.session.id.clone(), new.session.id.clone()], "newest first");
    auth.sign_out(&cookie).await.unwrap();
    assert!(auth.session(&cookie).await.unwrap().is_none(), "signed out");
    assert!(auth.session(other.cookie_value.expose()).await.unwrap().is_some(), "the other session stays");
    auth.revoke_session(&other.session.id).await.unwrap();
    assert!(auth.session(other.cookie_value.expose()).await.unwrap().is_none(), "revoked");
    let e = auth.revoke_session(&other.session.id).await.unwrap_err();
    assert!(matches!(e, codeport_core::Error::NotFound { .. }), "{e:?}");
}

async fn wrong_password_unknown_user_and_no_password_are_all_invalid(s: TestServer) {
    let auth = s.state.console_auth();
    auth.create_user_with_password("bob", None, &secret(GOOD)).await.unwrap();
    s.state.identities().create_user("nopass", None).await.unwrap();
    for (name, password) in [("bob", "wrong password here"), ("nobody", GOOD), ("nopass", GOOD), ("bad name!", GOOD), ("", "")] {
        let r = auth.sign_in(name, &secret(password), &facts("192.0.2.2")).await.unwrap();
        assert!(matches!(r, Err(SignInRefusal::Invalid)), "{name}: {:?}", r.map(|n| n.session));
    }
    signed_in(&s, "bob", GOOD, "192.0.2.3").await;
}

/// A server whose throttle slows from 2 failures and locks at 4 for a minute.
async fn throttled(backend: Backend) -> Option<TestServer> {
    TestServer::start_with(backend, |c| {
        c.sign_in_throttle = SignInThrottle {
            window: Duration::from_secs(900),
            slow_after: 2,
            delay: Duration::from_millis(300),
            lock_after: 4,
            lock_for: Duration::from_secs(60),
        };
    })
    .await
}

async fn locking_refuses_even_the_right_password(backend: Backend) {
    let Some(s) = throttled(backend).await else { return eprintln!("CODEPORT_TEST_POSTGRES_URL is not set; skipped") };
    let auth = s.state.console_auth();
    auth.create_user_with_password("carol", None, &secret(GOOD)).await.unwrap();
    let bad = secret("not the password");
    let ips: Vec<RequestFacts> = (1..=4).map(|i| facts(&format!("198.51.100.{i}"))).collect();
    let wrong = |ip: &'static str| {
        let f = &ips[ip.rsplit('.').next().unwrap().parse::<usize>().unwrap() - 1];
        auth.sign_in("carol", &bad, f)
    };
    // Failures 1..3 from different addresses (so only the user key counts): Invalid; the
    // third answer is slowed down (two failures were already on record).
    assert_eq!(wrong("198.51.100.1").await.unwrap().err(), Some(SignInRefusal::Invalid));
    assert_eq!(wrong("198.51.100.2").await.unwrap().err(), Some(SignInRefusal::Invalid));
    let t = Instant::now();
    assert_eq!(wrong("198.51.100.3").await.unwrap().err(), Some(SignInRefusal::Invalid));
    assert!(t.elapsed() >= Duration::from_millis(300), "the answer after slow_after failures waits the delay");
    // The fourth failure locks the user name.
    match wrong("198.51.100.4").await.unwrap() {
        Err(SignInRefusal::Locked { retry_after }) => {
            assert!(retry_after > Duration::from_secs(55) && retry_after <= Duration::from_secs(60), "{retry_after:?}")
        }
        other => panic!("expected a lock, got {:?}", other.map(|n| n.session)),
    }
    // Locked: the right password is refused too, from any address, without a delay.
    let t = Instant::now();
    match auth.sign_in("CAROL", &secret(GOOD), &facts("203.0.113.9")).await.unwrap() {
        Err(SignInRefusal::Locked { retry_after }) => assert!(retry_after <= Duration::from_secs(60) && retry_after > Duration::ZERO),
        other => panic!("a locked user signed in: {:?}", other.map(|n| n.session)),
    }
    assert!(t.elapsed() < Duration::from_millis(300), "a locked answer checks no password and waits no delay");
    // Another user is not affected by carol's lock.
    auth.create_user_with_password("dave", None, &secret(GOOD)).await.unwrap();
    signed_in(&s, "dave", GOOD, "203.0.113.9").await;
}

async fn an_address_is_locked_across_user_names(backend: Backend) {
    let Some(s) = throttled(backend).await else { return eprintln!("CODEPORT_TEST_POSTGRES_URL is not set; skipped") };
    let auth = s.state.console_auth();
    auth.create_user_with_password("erin", None, &secret(GOOD)).await.unwrap();
    for name in ["u1", "u2", "u3", "u4"] {
        auth.sign_in(name, &secret(GOOD), &facts("198.51.100.77")).await.unwrap().err().expect("unknown users are refused");
    }
    let r = auth.sign_in("erin", &secret(GOOD), &facts("198.51.100.77")).await.unwrap();
    assert!(matches!(r, Err(SignInRefusal::Locked { .. })), "the address is locked");
    // A success from elsewhere clears only erin's user key; the address stays locked.
    signed_in(&s, "erin", GOOD, "198.51.100.78").await;
    let r = auth.sign_in("erin", &secret(GOOD), &facts("198.51.100.77")).await.unwrap();
    assert!(matches!(r, Err(SignInRefusal::Locked { .. })), "a success does not clear the ip key");
}

async fn set_password_ends_every_session_of_that_user(s: TestServer) {
    let auth = s.state.console_auth();
    auth.create_user_with_password("frank", None, &secret(GOOD)).await.unwrap();
    auth.create_user_with_password("grace", None, &secret(GOOD)).await.unwrap();
    let f1 = signed_in(&s, "frank", GOOD, "192.0.2.10").await;
    let f2 = signed_in(&s, "frank", GOOD, "192.0.2.11").await;
    let g1 = signed_in(&s, "grace", GOOD, "192.0.2.12").await;
    assert_eq!(auth.list_sessions(None).await.unwrap().len(), 3);
    let e = auth.set_password("frank", &secret("too short")).await.unwrap_err();
    assert!(matches!(&e, codeport_core::Error::InvalidParameter { field, .. } if field == "password"), "{e:?}");
    assert!(auth.session(f1.cookie_value.expose()).await.unwrap().is_some(), "a refused password changes nothing");
    auth.set_password("frank", &secret("a brand new passphrase")).await.unwrap();
    for f in [&f1, &f2] {
        assert!(auth.session(f.cookie_value.expose()).await.unwrap().is_none(), "frank's session survived a new password");
    }
    assert!(auth.session(g1.cookie_value.expose()).await.unwrap().is_some(), "grace's session stays");
    assert_eq!(auth.sign_in("frank", &secret(GOOD), &facts("192.0.2.10")).await.unwrap().err(), Some(SignInRefusal::Invalid));
    signed_in(&s, "frank", "a brand new passphrase", "192.0.2.10").await;
    assert!(auth.set_password("nobody", &secret(GOOD)).await.is_err());
    assert!(auth.list_sessions(Some("nobody")).await.is_err());
}

async fn sessions_expire(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |c| c.session_ttl = Duration::from_millis(400)).await else {
        return eprintln!("CODEPORT_TEST_POSTGRES_URL is not set; skipped");
    };
    let auth = s.state.console_auth();
    auth.create_user_with_password("hank", None, &secret(GOOD)).await.unwrap();
    let new = signed_in(&s, "hank", GOOD, "192.0.2.20").await;
    assert!(auth.session(new.cookie_value.expose()).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(auth.session(new.cookie_value.expose()).await.unwrap().is_none(), "an expired session is not returned");
    assert!(auth.list_sessions(None).await.unwrap().is_empty(), "nor listed");
}

both_backends!(
    a_short_password_is_rejected_and_creates_nothing,
    bootstrap_password_signs_in_and_the_session_is_found_until_sign_out,
    wrong_password_unknown_user_and_no_password_are_all_invalid,
    set_password_ends_every_session_of_that_user,
);

mod throttle {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_locking_refuses_even_the_right_password() {
        locking_refuses_even_the_right_password(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_locking_refuses_even_the_right_password() {
        locking_refuses_even_the_right_password(Backend::Postgres).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_an_address_is_locked_across_user_names() {
        an_address_is_locked_across_user_names(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_an_address_is_locked_across_user_names() {
        an_address_is_locked_across_user_names(Backend::Postgres).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_sessions_expire() {
        sessions_expire(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_sessions_expire() {
        sessions_expire(Backend::Postgres).await
    }
}
