//! Console sign-in: password hashes, console sessions (stored by the hash of their cookie
//! value) and the sign-in failure counters that throttle guessing across replicas.

use super::*;

/// A user by login name with their password hash (NULL: no password).
pub fn user_with_password(name: &str) -> Stmt {
    stmt(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE lower(name) = lower($1)"), vec![t(name)])
}
pub fn user_with_password_row(r: &dyn RowLike) -> StoreResult<(User, Option<String>)> {
    Ok((user_at(r, 0), r.opt_text(6)))
}
/// Sets (or clears) a user's password hash.
pub fn set_password_hash(user: &str, hash: Option<&str>) -> Stmt {
    stmt("UPDATE users SET password_hash = $1 WHERE id = $2", vec![P::OT(hash.map(str::to_string)), t(user)])
}
/// Deletes every console session of a user (a new password signs them out everywhere).
pub fn delete_sessions_of_user(user: &str) -> Stmt {
    stmt("DELETE FROM console_sessions WHERE user_id = $1", vec![t(user)])
}
/// Every statement of changing a password (one transaction): the hash, then the sessions.
pub fn change_password(user: &str, hash: Option<&str>) -> Vec<Stmt> {
    vec![set_password_hash(user, hash), delete_sessions_of_user(user)]
}

const SESSION_SELECT: &str = "SELECT s.id, s.user_id, u.name, s.created_at, s.expires_at, s.source_ip, s.user_agent \
     FROM console_sessions s JOIN users u ON u.id = s.user_id";
pub fn session_row(r: &dyn RowLike) -> StoreResult<ConsoleSession> {
    Ok(ConsoleSession {
        id: r.text(0),
        user_id: r.text(1),
        user_name: r.text(2),
        created_at: r.int(3),
        expires_at: r.int(4),
        source_ip: r.text(5),
        user_agent: r.text(6),
    })
}
pub fn insert_session(s: &ConsoleSession, secret_hash: &str) -> Stmt {
    stmt(
        "INSERT INTO console_sessions (id, secret_hash, user_id, created_at, expires_at, source_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![t(&s.id), t(secret_hash), t(&s.user_id), P::I(s.created_at), P::I(s.expires_at), t(&s.source_ip), t(&s.user_agent)],
    )
}
/// Deletes sessions that have expired (through the expiry index; run at sign-in, not per request).
pub fn delete_expired_sessions(now: Millis) -> Stmt {
    stmt("DELETE FROM console_sessions WHERE expires_at <= $1", vec![P::I(now)])
}
/// The unexpired session whose cookie value hashes to `secret_hash`.
pub fn session_by_hash(secret_hash: &str, now: Millis) -> Stmt {
    stmt(&format!("{SESSION_SELECT} WHERE s.secret_hash = $1 AND s.expires_at > $2"), vec![t(secret_hash), P::I(now)])
}
/// Unexpired sessions, of one user or of everyone, newest first, at most `limit`.
pub fn list_sessions(user: Option<&str>, now: Millis, limit: u32) -> Stmt {
    let mut b = Builder::new(SESSION_SELECT);
    b.push(" WHERE s.expires_at > ").bind(P::I(now));
    if let Some(user) = user {
        b.push(" AND s.user_id = ").bind(t(user));
    }
    b.push(" ORDER BY s.created_at DESC, s.id DESC LIMIT ").bind(P::I(limit.into()));
    b.build()
}
pub fn delete_session(id: &str) -> Stmt {
    stmt("DELETE FROM console_sessions WHERE id = $1", vec![t(id)])
}
pub fn delete_session_by_hash(secret_hash: &str) -> Stmt {
    stmt("DELETE FROM console_sessions WHERE secret_hash = $1", vec![t(secret_hash)])
}

const FAILURE_COLS: &str = "key, count, first_failure_at, locked_until";
pub fn failures_row(r: &dyn RowLike) -> StoreResult<SignInFailures> {
    Ok(SignInFailures { key: r.text(0), count: r.int(1), first_failure_at: r.int(2), locked_until: r.opt_int(3) })
}
/// The failure counters of these keys (keys without failures have no row).
pub fn failures_of(keys: &[String]) -> Stmt {
    let mut b = Builder::new(&format!("SELECT {FAILURE_COLS} FROM sign_in_failures WHERE key IN "));
    b.list(keys.iter().map(|k| t(k)));
    b.build()
}
/// Counts one failure in one statement, so concurrent failures on several replicas all
/// count: a run whose first failure is at or before the window start, or whose lock has
/// expired, starts over at 1; the key is locked once its count reaches `lock_after`.
/// Returns the row as it now is.
pub fn record_failure(key: &str, c: &FailureCount) -> Stmt {
    // Integer parameters are cast where nothing else gives PostgreSQL their type.
    let fresh = "(sign_in_failures.first_failure_at <= $3 OR (sign_in_failures.locked_until IS NOT NULL AND sign_in_failures.locked_until <= $2))";
    let next = format!("CASE WHEN {fresh} THEN 1 ELSE sign_in_failures.count + 1 END");
    stmt(
        &format!(
            "INSERT INTO sign_in_failures ({FAILURE_COLS}) VALUES ($1, 1, $2, CASE WHEN 1 >= CAST($4 AS BIGINT) THEN CAST($5 AS BIGINT) ELSE NULL END) \
             ON CONFLICT (key) DO UPDATE SET count = {next}, \
             first_failure_at = CASE WHEN {fresh} THEN $2 ELSE sign_in_failures.first_failure_at END, \
             locked_until = CASE WHEN {next} >= CAST($4 AS BIGINT) THEN CAST($5 AS BIGINT) ELSE NULL END \
             RETURNING {FAILURE_COLS}"
        ),
        vec![t(key), P::I(c.now), P::I(c.window_start), P::I(c.lock_after), P::I(c.lock_until)],
    )
}
/// Forgets one key's failures (a successful sign-in clears its user's key).
pub fn delete_failures(key: &str) -> Stmt {
    stmt("DELETE FROM sign_in_failures WHERE key = $1", vec![t(key)])
}
/// Deletes counters that no longer count: their run began at or before `window_start` and
/// they are not locked at `now`.
pub fn delete_stale_failures(window_start: Millis, now: Millis) -> Stmt {
    stmt(
        "DELETE FROM sign_in_failures WHERE first_failure_at <= $1 AND (locked_until IS NULL OR locked_until <= $2)",
        vec![P::I(window_start), P::I(now)],
    )
}
