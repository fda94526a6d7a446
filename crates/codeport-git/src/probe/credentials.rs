//! The probe's credentials: which ones are presented, the one way they reach git (a pipe,
//! through `cmd::credential_from_pipe`: never git's command line, environment or the URL)
//! and their removal from whatever git says back.

use base64::Engine;

use super::{ProbeError, DEFAULT_USER_NAME};

/// A user name and password to present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Credentials<'a> {
    /// The user name; [`DEFAULT_USER_NAME`] when the caller gave none.
    pub username: &'a str,
    /// The password or token (never empty).
    pub password: &'a str,
}

impl Credentials<'_> {
    /// What must never appear in a message: the password, and the base64 form in which it
    /// travels in an `Authorization: Basic` header.
    pub fn secrets(&self) -> [String; 2] {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.username, self.password));
        [self.password.to_string(), basic]
    }
}

/// The credentials to present, `Ok(None)` for an anonymous probe (no password: a user name
/// alone authenticates nobody). A user name or password with a line break or NUL, which
/// git's credential protocol cannot carry, is refused as [`ProbeError::AuthenticationFailed`]
/// before anything connects: no server would accept it in a Basic header either.
pub(super) fn credentials<'a>(username: Option<&'a str>, password: Option<&'a str>) -> Result<Option<Credentials<'a>>, ProbeError> {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let username = username.filter(|u| !u.is_empty()).unwrap_or(DEFAULT_USER_NAME);
    if [username, password].iter().any(|v| v.contains(['\n', '\r', '\0'])) {
        return Err(ProbeError::AuthenticationFailed);
    }
    Ok(Some(Credentials { username, password }))
}

/// `text` with every secret replaced.
pub(super) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_from_git_messages() {
        let c = credentials(Some("alice"), Some("hunter2-token")).unwrap().unwrap();
        let [_, b64] = c.secrets();
        let text = format!("fatal: echo hunter2-token and Authorization: Basic {b64}");
        let out = scrub(&text, &c.secrets());
        assert!(!out.contains("hunter2-token") && !out.contains(&b64), "{out}");
    }

    #[test]
    fn credentials_get_a_default_user_and_never_carry_a_line_break() {
        let c = |u, p| credentials(u, p);
        assert_eq!(c(Some("alice"), Some("pw")), Ok(Some(Credentials { username: "alice", password: "pw" })));
        assert_eq!(c(None, Some("tok")), Ok(Some(Credentials { username: "git", password: "tok" })));
        assert_eq!(c(Some(""), Some("tok")), Ok(Some(Credentials { username: "git", password: "tok" })));
        assert_eq!(c(Some("alice"), None), Ok(None));
        assert_eq!(c(Some("alice"), Some("")), Ok(None));
        for (u, p) in [("alice", "pw\nusername=eve"), ("alice", "pw\r"), ("alice", "p\0w"), ("al\nice", "pw"), ("al\0ice", "pw")] {
            assert_eq!(c(Some(u), Some(p)), Err(ProbeError::AuthenticationFailed), "{u:?} {p:?}");
        }
        // The base64 secret is what a Basic header would carry.
        let [pw, b64] = credentials(None, Some("tok")).unwrap().unwrap().secrets();
        assert_eq!((pw.as_str(), b64.as_str()), ("tok", base64::engine::general_purpose::STANDARD.encode("git:tok").as_str()));
    }
}
