//! Console sign-in: passwords, server-side sessions behind an HttpOnly cookie, per-session
//! CSRF tokens, and the throttle on failed sign-ins. The console pages call these; the admin
//! CLI sets passwords and lists and revokes sessions.
//!
//! A session is proved by a cookie value of 256 random bits; the store keeps only its
//! SHA-256 (like personal access tokens: high entropy, so a fast hash suffices), and the
//! CSRF token is an HMAC keyed by the cookie value, so it is constant per session and
//! cannot be made without the cookie. Failed sign-ins are counted in the database under
//! `user:NAME` and `ip:ADDR`, so replicas agree (see [`SignInThrottle`]).

use super::{store_err, Principal, RequestFacts};
use crate::config::SignInThrottle;
use crate::state::AppState;
use codeport_core::entities::{FailureCount, SignInFailures, User};
use codeport_core::password::{self, Password};
use codeport_core::secret::{constant_time_eq, hmac_sha256_hex, token_hash, Secret};
use codeport_core::timefmt::{now_millis, Millis};
use codeport_core::values::UserName;
use codeport_core::{ids, Error, NotFoundKind, Result};
use std::sync::Arc;
use std::time::Duration;

pub use codeport_core::entities::ConsoleSession;

/// What the CSRF token is an HMAC of (keyed by the cookie value).
const CSRF_LABEL: &[u8] = b"codeport-console-csrf";
/// The longest User-Agent kept with a session, in characters.
const USER_AGENT_CHARS: usize = 256;
/// The most sessions one listing returns (newest first).
const SESSION_LIST_LIMIT: u32 = 1000;
/// A cookie value is 43 characters; anything much longer is not one of ours and is not hashed.
const MAX_COOKIE_CHARS: usize = 128;

/// A session just created by signing in: the cookie value to set (shown once, never stored)
/// and the session.
pub struct NewSession {
    /// The cookie value: 32 random bytes, base64url without padding.
    pub cookie_value: Secret,
    /// The session as stored.
    pub session: ConsoleSession,
}

/// Why a sign-in was refused. The console shows one message for `Invalid` whatever the
/// cause (unknown user, no password, wrong password), so it does not tell which users exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    /// The name and password do not match a user with a password.
    Invalid,
    /// Too many recent failures for this user name or address; the password was not checked.
    Locked {
        /// When sign-in may be tried again.
        retry_after: Duration,
    },
}

/// Hashes a password on a blocking thread (argon2id is CPU-heavy by design).
pub(crate) async fn hash_off_the_runtime(password: Password) -> Result<String> {
    tokio::task::spawn_blocking(move || password.hash()).await.map_err(|e| Error::internal(format!("password hashing failed: {e}")))
}

/// Verifies a password on a blocking thread; with no stored hash it costs the same and fails.
async fn verify_off_the_runtime(stored: Option<String>, password: &Secret) -> Result<bool> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &password))
        .await
        .map_err(|e| Error::internal(format!("password verification failed: {e}")))
}

fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// The throttling keys of a sign-in attempt: the user name (folded, as names are looked up)
/// and the peer address when there is one.
fn throttle_keys(user_name: &str, facts: &RequestFacts) -> Vec<String> {
    // Real names are at most 64 characters; a longer one is cut so it cannot bloat the table.
    let name: String = user_name.chars().take(64).collect::<String>().to_lowercase();
    let mut keys = vec![format!("user:{name}")];
    if let Some(ip) = facts.source_ip {
        keys.push(format!("ip:{ip}"));
    }
    keys
}

/// The throttle's reading of stored counters at `now`.
struct Standing {
    /// The latest lock in force.
    locked_until: Option<Millis>,
    /// The highest count still within the window.
    failures: i64,
}

impl Standing {
    fn of(rows: &[SignInFailures], now: Millis, window_start: Millis) -> Standing {
        Standing {
            locked_until: rows.iter().filter_map(|f| f.locked_until).filter(|&until| until > now).max(),
            failures: rows.iter().filter(|f| f.first_failure_at > window_start).map(|f| f.count).max().unwrap_or(0),
        }
    }
}

fn locked(until: Millis, now: Millis) -> SignInRefusal {
    SignInRefusal::Locked { retry_after: Duration::from_millis(u64::try_from(until - now).unwrap_or(0)) }
}

impl ConsoleAuth<'_> {
    fn throttle(&self) -> &SignInThrottle {
        &self.config.sign_in_throttle
    }

    /// Signs a user in with a password. Refused without checking the password while the user
    /// name or the address is locked; otherwise an unknown user, a user without a password
    /// and a wrong password are all [`SignInRefusal::Invalid`] and all cost one argon2
    /// verification. From `slow_after` recent failures on, the answer waits `delay`. A
    /// success clears the user name's failures and stores a new session (sweeping expired
    /// ones). The outer error is for backend failures only.
    pub async fn sign_in(&self, user_name: &str, password: &Secret, facts: &RequestFacts) -> Result<std::result::Result<NewSession, SignInRefusal>> {
        let throttle = *self.throttle();
        let now = now_millis();
        let window_start = now - millis(throttle.window);
        let keys = throttle_keys(user_name, facts);
        let before = Standing::of(&self.store.sign_in_failures(&keys).await.map_err(store_err)?, now, window_start);
        if let Some(until) = before.locked_until {
            return Ok(Err(locked(until, now)));
        }
        let slow = |failures: i64| failures >= i64::from(throttle.slow_after);

        // A name that cannot be a user name cannot sign in, but costs the same.
        let found = match UserName::parse(user_name) {
            Ok(name) => self.store.user_with_password(name.as_str()).await.map_err(store_err)?,
            Err(_) => None,
        };
        let (user, stored) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        let verified = verify_off_the_runtime(stored, password).await?;

        match user.filter(|_| verified) {
            Some(user) => {
                self.store.clear_sign_in_failures(&keys[0], window_start, now).await.map_err(store_err)?;
                if slow(before.failures) {
                    tokio::time::sleep(throttle.delay).await;
                }
                self.start_session(user, facts).await.map(Ok)
            }
            None => {
                let count =
                    FailureCount { now, window_start, lock_after: i64::from(throttle.lock_after), lock_until: now + millis(throttle.lock_for) };
                let mut after = Vec::with_capacity(keys.len());
                for key in &keys {
                    after.push(self.store.record_sign_in_failure(key, &count).await.map_err(store_err)?);
                }
                let after = Standing::of(&after, now, window_start);
                if slow(before.failures.max(after.failures)) {
                    tokio::time::sleep(throttle.delay).await;
                }
                Ok(Err(after.locked_until.map_or(SignInRefusal::Invalid, |until| locked(until, now))))
            }
        }
    }

    /// Creates and stores a session for a user who just proved who they are.
    async fn start_session(&self, user: User, facts: &RequestFacts) -> Result<NewSession> {
        let cookie_value = Secret::new(ids::new_console_cookie_value());
        let now = now_millis();
        let session = ConsoleSession {
            id: ids::new_console_session_id(),
            user_id: user.id,
            user_name: user.name,
            created_at: now,
            expires_at: now + millis(self.config.session_ttl),
            source_ip: facts.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            user_agent: facts
                .user_agent
                .as_ref()
                .map(|ua| String::from_utf8_lossy(ua.as_bytes()).chars().take(USER_AGENT_CHARS).collect())
                .unwrap_or_default(),
        };
        self.store.create_console_session(&session, &token_hash(cookie_value.expose()), now).await.map_err(store_err)?;
        Ok(NewSession { cookie_value, session })
    }

    /// The unexpired session a cookie value proves, with its user's principal; None for
    /// anything else (unknown, expired, signed out, revoked, or not a cookie of ours).
    pub async fn session(&self, cookie_value: &str) -> Result<Option<(ConsoleSession, Arc<Principal>)>> {
        if cookie_value.is_empty() || cookie_value.len() > MAX_COOKIE_CHARS {
            return Ok(None);
        }
        let Some(session) = self.store.console_session(&token_hash(cookie_value), now_millis()).await.map_err(store_err)? else {
            return Ok(None);
        };
        let principal = self.identities().principal(&session.user_id, None).await?;
        Ok(Some((session, Arc::new(principal))))
    }

    /// The CSRF token of the session a cookie value proves: hex HMAC-SHA256 keyed by the
    /// cookie value, constant for the session's life and not computable without the cookie.
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        hmac_sha256_hex(cookie_value.as_bytes(), CSRF_LABEL)
    }

    /// Whether a submitted CSRF token is the session's, compared in constant time.
    pub fn csrf_matches(&self, cookie_value: &str, submitted: &str) -> bool {
        constant_time_eq(self.csrf_token(cookie_value).as_bytes(), submitted.as_bytes())
    }

    /// Ends the session a cookie value proves (nothing to do if there is none).
    pub async fn sign_out(&self, cookie_value: &str) -> Result<()> {
        if cookie_value.is_empty() || cookie_value.len() > MAX_COOKIE_CHARS {
            return Ok(());
        }
        self.store.delete_console_session_by_hash(&token_hash(cookie_value)).await.map_err(store_err).map(drop)
    }

    /// Unexpired sessions, of one user (by login name) or of everyone, newest first.
    pub async fn list_sessions(&self, user_name: Option<&str>) -> Result<Vec<ConsoleSession>> {
        let user_id = match user_name {
            Some(name) => Some(self.identities().user_named(name).await?.id),
            None => None,
        };
        self.store.list_console_sessions(user_id.as_deref(), now_millis(), SESSION_LIST_LIMIT).await.map_err(store_err)
    }

    /// Ends a session by its public id.
    pub async fn revoke_session(&self, id: &str) -> Result<()> {
        if self.store.delete_console_session(id).await.map_err(store_err)? {
            Ok(())
        } else {
            Err(Error::not_found(NotFoundKind::ConsoleSession, id))
        }
    }

    /// Sets a user's password (12 to 1024 characters) and ends all their sessions, in one
    /// transaction.
    pub async fn set_password(&self, user_name: &str, password: &Secret) -> Result<()> {
        let password = Password::parse(password)?;
        let user = self.identities().user_named(user_name).await?;
        let hash = hash_off_the_runtime(password).await?;
        if self.store.set_password_hash(&user.id, Some(&hash)).await.map_err(store_err)? {
            Ok(())
        } else {
            Err(Error::not_found(NotFoundKind::User, user_name))
        }
    }

    /// Creates a user in the default organization with a password, in one transaction: a
    /// password that breaks the rule creates nothing.
    pub async fn create_user_with_password(&self, name: &str, email: Option<&str>, password: &Secret) -> Result<User> {
        let name = UserName::parse(name)?;
        let password = Password::parse(password)?;
        let hash = hash_off_the_runtime(password).await?;
        self.identities().create_user_with(&name, email, Some(&hash)).await
    }
}

/// The use cases of console sign-in and sessions: a view of the shared state, reached as
/// `state.console_auth()`.
#[derive(Clone, Copy)]
pub struct ConsoleAuth<'a>(&'a AppState);

impl std::ops::Deref for ConsoleAuth<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of console sign-in and sessions.
    pub fn console_auth(&self) -> ConsoleAuth<'_> {
        ConsoleAuth(self)
    }
}
