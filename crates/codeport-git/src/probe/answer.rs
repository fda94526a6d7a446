//! What git's answer means: the refs in `ls-remote --symref` output, or the [`ProbeError`]
//! class of its (already scrubbed) standard error.

use super::{ProbeError, RemoteRefs};
use crate::cmd::excerpt;

/// Longest excerpt of git's message put into an error.
const MAX_MESSAGE: usize = 300;

/// Turns git's (already scrubbed) standard error into a [`ProbeError`]. git 2.x in the C
/// locale says, for example, `could not read Username for '...': terminal prompts disabled`
/// (a 401: it wanted credentials and may not ask), `Authentication failed for '...'`,
/// `unable to access '...': The requested URL returned error: 403`, `repository '...' not
/// found` (404), `Failed to connect to ... Couldn't connect to server`.
pub(super) fn classify_failure(stderr: &str) -> ProbeError {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("git failed without a message")
        .trim();
    let line = line.strip_prefix("fatal:").or_else(|| line.strip_prefix("error:")).unwrap_or(line).trim();
    let message = excerpt(line, MAX_MESSAGE);
    let lower = stderr.to_ascii_lowercase();
    let status = http_status(&lower);
    if lower.contains("authentication failed")
        || lower.contains("could not read username")
        || lower.contains("could not read password")
        || matches!(status, Some(401 | 403))
    {
        ProbeError::AuthenticationFailed
    } else if matches!(status, Some(404 | 410)) || (lower.contains("repository '") && lower.contains("' not found")) {
        ProbeError::NotFound
    } else if let Some(code @ 300..=399) = status {
        ProbeError::Network(format!(
            "the server answered with a redirect (HTTP {code}), which codeport does not follow: give the repository's final URL"
        ))
    } else if status.is_some_and(|s| s >= 500)
        || [
            "could not resolve",
            "couldn't resolve",
            "failed to connect",
            "couldn't connect",
            "connection refused",
            "connection reset",
            "timed out",
            "operation too slow",
            "ssl",
            "certificate",
            "recv failure",
            "send failure",
            "empty reply",
        ]
        .iter()
        .any(|w| lower.contains(w))
    {
        ProbeError::Network(message)
    } else {
        ProbeError::Git(message)
    }
}

/// The status in curl's `The requested URL returned error: NNN`.
fn http_status(lower: &str) -> Option<u16> {
    let rest = lower.split("returned error: ").nth(1)?;
    rest.get(..3)?.parse().ok()
}

/// Parses `git ls-remote --symref` output: `ref: refs/heads/main<TAB>HEAD` for a symbolic
/// ref, then `<oid><TAB><ref>` lines.
pub(super) fn parse_ls_remote(out: &str) -> Result<RemoteRefs, ProbeError> {
    let mut refs = RemoteRefs::default();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let bad = || ProbeError::Git(format!("unexpected ls-remote output line {:?}", excerpt(line, 120)));
        let (left, name) = line.split_once('\t').ok_or_else(bad)?;
        if let Some(target) = left.strip_prefix("ref: ") {
            if name == "HEAD" {
                refs.head_branch = target.strip_prefix("refs/heads/").map(str::to_string);
            }
            continue;
        }
        let oid_ok = (left.len() == 40 || left.len() == 64) && left.bytes().all(|b| b.is_ascii_hexdigit());
        if !oid_ok || name.is_empty() {
            return Err(bad());
        }
        refs.refs.push((name.to_string(), left.to_ascii_lowercase()));
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_remote_output_is_parsed() {
        let out = "ref: refs/heads/main\tHEAD\n\
                   1111111111111111111111111111111111111111\tHEAD\n\
                   2222222222222222222222222222222222222222\trefs/heads/dev\n\
                   1111111111111111111111111111111111111111\trefs/heads/main\n\
                   3333333333333333333333333333333333333333\trefs/tags/v1\n\
                   4444444444444444444444444444444444444444\trefs/tags/v1^{}\n";
        let r = parse_ls_remote(out).unwrap();
        assert_eq!(r.head_branch.as_deref(), Some("main"));
        assert_eq!(r.refs.len(), 5);
        assert!(r.has_branch("main") && r.has_branch("dev") && !r.has_branch("v1") && !r.has_branch("HEAD"));
        assert_eq!(r.branch_oid("dev"), Some("2222222222222222222222222222222222222222"));
        assert_eq!(r.branches().collect::<Vec<_>>(), ["dev", "main"]);
        assert!(r.is_advertised("4444444444444444444444444444444444444444"));
        assert!(!r.is_advertised("5555555555555555555555555555555555555555"));

        let empty = parse_ls_remote("").unwrap();
        assert_eq!(empty, RemoteRefs::default());
        let sha256 = format!("{}\trefs/heads/main\n", "a".repeat(64));
        assert!(parse_ls_remote(&sha256).unwrap().has_branch("main"));
        // A symref HEAD to something that is not a branch is no default branch.
        assert_eq!(parse_ls_remote("ref: refs/remotes/x\tHEAD\n").unwrap().head_branch, None);
        assert!(matches!(parse_ls_remote("garbage\n"), Err(ProbeError::Git(_))));
        assert!(matches!(parse_ls_remote("1234\trefs/heads/main\n"), Err(ProbeError::Git(_))));
    }

    #[test]
    fn git_messages_map_to_error_classes() {
        let c = classify_failure;
        assert_eq!(c("fatal: could not read Username for 'https://h': terminal prompts disabled\n"), ProbeError::AuthenticationFailed);
        assert_eq!(c("remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://h/x.git/'\n"), ProbeError::AuthenticationFailed);
        assert_eq!(c("fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403\n"), ProbeError::AuthenticationFailed);
        assert_eq!(c("remote: Repository not found.\nfatal: repository 'https://h/x.git/' not found\n"), ProbeError::NotFound);
        assert_eq!(c("fatal: unable to access 'https://h/x.git/': The requested URL returned error: 404\n"), ProbeError::NotFound);
        assert!(
            matches!(c("fatal: unable to access 'http://h/x.git/': The requested URL returned error: 302\n"), ProbeError::Network(m) if m.contains("redirect (HTTP 302)"))
        );
        assert!(
            matches!(c("fatal: unable to access 'http://h/x.git/': The requested URL returned error: 502\n"), ProbeError::Network(m) if m.contains("502"))
        );
        assert!(
            matches!(c("fatal: unable to access 'http://h/x.git/': Failed to connect to h port 1 after 0 ms: Couldn't connect to server\n"), ProbeError::Network(m) if m.starts_with("unable to access"))
        );
        assert!(matches!(c("fatal: unable to access 'https://h/': SSL certificate problem: self-signed certificate\n"), ProbeError::Network(_)));
        assert!(
            matches!(c("fatal: protocol error: bad line length character: <htm\n"), ProbeError::Git(m) if m == "protocol error: bad line length character: <htm")
        );
        assert!(matches!(c(""), ProbeError::Git(_)));
    }
}
