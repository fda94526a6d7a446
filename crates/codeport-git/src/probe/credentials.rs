//! The probe's credentials: the one form in which they reach git (an `Authorization` header
//! passed through git's environment, never its command line or the URL) and their removal
//! from whatever git says back.

use base64::Engine;

use super::DEFAULT_USER_NAME;

/// The credentials as an `Authorization` header value, or `None` for an anonymous probe.
pub(super) fn authorization(username: Option<&str>, password: Option<&str>) -> Option<String> {
    let password = password.filter(|p| !p.is_empty())?;
    let user = username.filter(|u| !u.is_empty()).unwrap_or(DEFAULT_USER_NAME);
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    Some(format!("Authorization: Basic {token}"))
}

/// `text` with every secret (and its base64 form inside the header) replaced.
pub(super) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        out = out.replace(s, "***");
        if let Some(b64) = s.strip_prefix("Authorization: Basic ") {
            out = out.replace(b64, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_from_git_messages() {
        let header = authorization(Some("alice"), Some("hunter2-token")).unwrap();
        let b64 = header.strip_prefix("Authorization: Basic ").unwrap().to_string();
        let text = format!("fatal: echo hunter2-token and {header} and {b64}");
        let out = scrub(&text, &["hunter2-token", &header]);
        assert!(!out.contains("hunter2-token") && !out.contains(&b64), "{out}");
    }

    #[test]
    fn credentials_become_a_basic_header_with_a_default_user() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(authorization(Some("alice"), Some("pw")), Some(format!("Authorization: Basic {}", b64("alice:pw"))));
        assert_eq!(authorization(None, Some("tok")), Some(format!("Authorization: Basic {}", b64("git:tok"))));
        assert_eq!(authorization(Some(""), Some("tok")), Some(format!("Authorization: Basic {}", b64("git:tok"))));
        assert_eq!(authorization(Some("alice"), None), None);
        assert_eq!(authorization(Some("alice"), Some("")), None);
    }
}
