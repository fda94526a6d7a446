//! Verifying a code source's CodeRepo when it is not a repository hosted here.
//!
//! PAI stores whatever git URL a caller gives; a typo, a wrong branch or an expired token
//! then shows up only when a job fails to check the code out. When the operator turns on
//! `verify_external_repos`, creating or updating such a code source first lists the remote's
//! refs with [`codeport_git::probe`] (bounded by [`PROBE_TIMEOUT`], refusing loopback,
//! private and link-local addresses unless allowed, so the check cannot be turned into a
//! request forgery against codeport's own network) and refuses the code source with a 400
//! that names what is wrong. It is off by default because it makes codeport connect out.

use std::time::Duration;

use crate::state::AppState;
use codeport_core::{Error, Result};
use codeport_git::probe::{self, Network, ProbeError, ProbeRequest, RemoteRefs};

/// How long one verification may take, resolution and answer included.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The stable code of a CodeRepo whose remote refused CodeRepoUserName/CodeRepoAccessToken
/// (HTTP 400 on both wires), distinct from InvalidParameter so a client can tell "fix the
/// URL" from "fix the credentials".
pub const AUTHENTICATION_FAILED_CODE: &str = "CodeRepoAuthenticationFailed";

/// Parses the configured `probe_allowed_networks`. The CLI calls this when it resolves the
/// serve settings, so a bad entry stops the start with a message naming it instead of
/// failing every later verification.
pub fn parse_allowed_networks(entries: &[String]) -> std::result::Result<Vec<Network>, String> {
    entries.iter().map(|e| e.parse::<Network>().map_err(|err| err.to_string())).collect()
}

impl ExternalRepos<'_> {
    /// Verifies an external CodeRepo when `config.verify_external_repos` is on; `Ok(None)`
    /// when it is off. The caller decides that `url` is external (not hosted here) and passes
    /// empty optional fields as `None` (empty strings are treated as absent too).
    ///
    /// Checks, in this order: CodeCommit's form (before anything connects); the URL can be
    /// verified (http or https only: with the setting on, an ssh:// or scp-like CodeRepo is
    /// refused, since nothing about it could be checked) and reaches an allowed address;
    /// the remote answers and accepts the credentials; CodeBranch exists on it
    /// (`refs/heads/<branch>`); CodeCommit agrees with what the remote advertises.
    ///
    /// A commit cannot be proven to exist with `ls-remote`: git servers advertise only ref
    /// tips, never arbitrary commits. So CodeCommit is accepted when it is (or abbreviates)
    /// an advertised tip, and otherwise only when it is a full 40-hex (or 64-hex SHA-256)
    /// id, accepted without proof; an abbreviated id that is no tip is refused because it
    /// could be neither checked nor fetched by id later.
    ///
    /// Returns the branch the remote's HEAD names (its default branch), so the caller can
    /// default CodeBranch; `Ok(None)` also when the remote does not say (an empty
    /// repository, or a server that does not advertise HEAD).
    pub async fn verify_external_code_repo(
        &self,
        url: &str,
        branch: Option<&str>,
        commit: Option<&str>,
        username: Option<&str>,
        token: Option<&str>,
    ) -> Result<Option<String>> {
        if !self.config.verify_external_repos {
            return Ok(None);
        }
        let (branch, commit) = (given(branch), given(commit));
        // Checked once at start; a configuration built otherwise (tests) still gets a clear
        // message in the log.
        let allowed =
            parse_allowed_networks(&self.config.probe_allowed_networks).map_err(|e| Error::internal(format!("probe_allowed_networks: {e}")))?;
        if let Some(c) = commit {
            check_commit_syntax(c)?;
        }
        let request = ProbeRequest { url, username: given(username), password: given(token), allowed: &allowed, timeout: PROBE_TIMEOUT };
        let refs = match probe::probe(&request).await {
            Ok(refs) => refs,
            Err(e) => {
                // The URL is not logged: an unsupported one may carry a password.
                tracing::info!(error = %e, "external CodeRepo verification failed");
                return Err(probe_error(e));
            }
        };
        check_branch(&refs, branch)?;
        if let Some(c) = commit {
            check_commit(&refs, c)?;
        }
        Ok(refs.head_branch)
    }
}

/// The domain error for a failed probe: CodeRepo is invalid (400, InvalidParameter) with the
/// probe's one-line reason, except refused credentials (400, CodeRepoAuthenticationFailed)
/// and failures on this server's side (500). No message contains the token.
fn probe_error(e: ProbeError) -> Error {
    match e {
        ProbeError::AuthenticationFailed => Error::InvalidOperation {
            code: AUTHENTICATION_FAILED_CODE,
            message:
                "The repository named by CodeRepo refused CodeRepoUserName and CodeRepoAccessToken (or requires credentials that were not given)."
                    .into(),
        },
        ProbeError::Timeout => Error::invalid("CodeRepo", format!("the repository did not answer within {} seconds", PROBE_TIMEOUT.as_secs())),
        ProbeError::Internal(detail) => Error::internal(format!("verifying an external CodeRepo: {detail}")),
        ProbeError::UnsupportedUrl(_) => {
            Error::invalid("CodeRepo", format!("this server verifies external repositories, and this one cannot be verified: {e}"))
        }
        other => Error::invalid("CodeRepo", other),
    }
}

/// A commit id's form, before anything connects: hexadecimal, 4 to 64 digits (what the
/// wire accepts). Whether a short one is acceptable depends on the remote's tips.
fn check_commit_syntax(c: &str) -> Result<()> {
    if (4..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(Error::invalid("CodeCommit", format!("{c:?} is not a commit id (4 to 64 hexadecimal digits)")))
    }
}

/// An optional field with "" as absent (the wires send empty strings for unset fields).
fn given(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

fn is_full_commit_id(c: &str) -> bool {
    (c.len() == 40 || c.len() == 64) && c.bytes().all(|b| b.is_ascii_hexdigit())
}

/// CodeBranch must be a branch of the remote; the message lists a few that exist.
fn check_branch(refs: &RemoteRefs, branch: Option<&str>) -> Result<()> {
    let Some(b) = branch else { return Ok(()) };
    if refs.has_branch(b) {
        return Ok(());
    }
    let existing: Vec<&str> = refs.branches().take(10).collect();
    let known = if existing.is_empty() {
        "it has no branches (it is empty, or the URL is not a git repository)".to_string()
    } else {
        format!("its branches include {}", existing.join(", "))
    };
    Err(Error::invalid("CodeBranch", format!("branch {b} does not exist in the repository named by CodeRepo; {known}")))
}

/// See [`AppState::verify_external_code_repo`] for why an unadvertised full id passes.
fn check_commit(refs: &RemoteRefs, c: &str) -> Result<()> {
    let lower = c.to_ascii_lowercase();
    if is_full_commit_id(c) || refs.refs.iter().any(|(_, oid)| oid.starts_with(&lower)) {
        return Ok(());
    }
    Err(Error::invalid(
        "CodeCommit",
        format!("{c} is not the tip of any branch or tag of the repository; give the full 40-digit commit id (a remote advertises only its tips, so an abbreviated id can be neither checked nor fetched)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const MAIN: &str = "1111111111111111111111111111111111111111";
    const DEV: &str = "2222222222222222222222222222222222222222";

    fn refs() -> RemoteRefs {
        RemoteRefs {
            head_branch: Some("main".into()),
            refs: vec![("HEAD".into(), MAIN.into()), ("refs/heads/dev".into(), DEV.into()), ("refs/heads/main".into(), MAIN.into())],
        }
    }

    #[test]
    fn allowed_networks_parse_or_name_the_bad_entry() {
        let ok = parse_allowed_networks(&["127.0.0.0/8".into(), "fd00::/8".into(), "10.1.2.3".into()]).unwrap();
        assert_eq!(ok.len(), 3);
        let e = parse_allowed_networks(&["127.0.0.0/8".into(), "10.0.0.0/40".into()]).unwrap_err();
        assert!(e.starts_with("\"10.0.0.0/40\" is not a network in CIDR notation"), "{e}");
        assert!(parse_allowed_networks(&[]).unwrap().is_empty());
    }

    #[test]
    fn probe_errors_map_to_codes_that_the_wires_answer_with_400() {
        let auth = probe_error(ProbeError::AuthenticationFailed);
        assert_eq!(auth.code(), "CodeRepoAuthenticationFailed");
        assert!(matches!(auth, Error::InvalidOperation { .. }));
        assert!(auth.to_string().contains("CodeRepoAccessToken"));
        // Both wire families answer it with 400 and this code.
        assert_eq!(crate::http::pai::wire::status_and_code(&auth).0, http::StatusCode::BAD_REQUEST);
        assert_eq!(crate::http::codeup::wire::status_and_code(&auth), (http::StatusCode::BAD_REQUEST, "CodeRepoAuthenticationFailed"));
        for e in [
            ProbeError::UnsupportedUrl("only http:// and https:// repositories can be checked, not ssh://".into()),
            ProbeError::ForbiddenAddress { host: "localhost".into(), addr: "127.0.0.1".parse().unwrap() },
            ProbeError::Resolve("nowhere.invalid: failed".into()),
            ProbeError::NotFound,
            ProbeError::Timeout,
            ProbeError::Network("unable to access".into()),
            ProbeError::Git("protocol error".into()),
        ] {
            let mapped = probe_error(e.clone());
            assert_eq!(mapped.code(), "InvalidParameter", "{e:?}");
            assert!(matches!(&mapped, Error::InvalidParameter { field, .. } if field == "CodeRepo"), "{e:?}");
            assert_eq!(crate::http::pai::wire::status_and_code(&mapped).0, http::StatusCode::BAD_REQUEST);
        }
        assert!(probe_error(ProbeError::Timeout).to_string().contains("within 10 seconds"));
        assert!(probe_error(ProbeError::NotFound).to_string().contains("no git repository exists at that URL"));
        assert!(probe_error(ProbeError::ForbiddenAddress { host: "localhost".into(), addr: "127.0.0.1".parse().unwrap() })
            .to_string()
            .contains("loopback"));
        assert_eq!(probe_error(ProbeError::Internal("cannot start git".into())).code(), "InternalError");
    }

    #[test]
    fn the_branch_must_exist_on_the_remote() {
        assert!(check_branch(&refs(), None).is_ok());
        assert!(check_branch(&refs(), Some("dev")).is_ok());
        let e = check_branch(&refs(), Some("feature")).unwrap_err();
        assert!(matches!(&e, Error::InvalidParameter { field, .. } if field == "CodeBranch"));
        assert!(e.to_string().contains("branch feature does not exist") && e.to_string().contains("dev, main"), "{e}");
        let e = check_branch(&RemoteRefs::default(), Some("main")).unwrap_err();
        assert!(e.to_string().contains("it has no branches"), "{e}");
    }

    #[test]
    fn commits_are_accepted_when_advertised_or_given_in_full() {
        assert!(check_commit(&refs(), DEV).is_ok(), "an advertised tip");
        assert!(check_commit(&refs(), "22222222").is_ok(), "abbreviates an advertised tip");
        assert!(check_commit(&refs(), &DEV.to_uppercase()).is_ok());
        assert!(check_commit(&refs(), "abcdefabcdefabcdefabcdefabcdefabcdefabcd").is_ok(), "a full id, unproven");
        assert!(check_commit(&refs(), &"ab".repeat(32)).is_ok(), "a full SHA-256 id, unproven");
        let e = check_commit(&refs(), "abcdef1").unwrap_err();
        assert!(matches!(&e, Error::InvalidParameter { field, .. } if field == "CodeCommit"));
        assert!(e.to_string().contains("full 40-digit commit id"), "{e}");
        assert!(check_commit_syntax("abc1").is_ok());
        assert!(check_commit_syntax("xyz123").is_err());
        assert!(check_commit_syntax("abc").is_err());
        assert!(check_commit_syntax(&"a".repeat(65)).is_err());
    }

    async fn state(verify: bool, allowed: &[&str]) -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path());
        config.verify_external_repos = verify;
        config.probe_allowed_networks = allowed.iter().map(|s| s.to_string()).collect();
        let state = crate::open_state(config, true).await.unwrap();
        (dir, state)
    }

    /// The error for a URL given without branch, commit or credentials.
    async fn refusal(s: &AppState, url: &str) -> Error {
        s.external_repos().verify_external_code_repo(url, None, None, None, None).await.unwrap_err()
    }

    #[tokio::test]
    async fn nothing_is_checked_when_the_setting_is_off() {
        let (_d, s) = state(false, &[]).await;
        let r = s.external_repos().verify_external_code_repo("ssh://git@127.0.0.1/x.git", Some("nope"), Some("zz"), None, Some("t")).await;
        assert_eq!(r, Ok(None));
    }

    #[tokio::test]
    async fn when_on_the_url_and_address_are_checked_before_anything_connects() {
        let (_d, s) = state(true, &[]).await;
        let e = refusal(&s, "ssh://git@example.com/x.git").await;
        assert!(matches!(&e, Error::InvalidParameter { field, reason } if field == "CodeRepo" && reason.contains("not ssh://")), "{e:?}");
        let e =
            s.external_repos().verify_external_code_repo("http://127.0.0.1:9/x.git", None, None, Some("u"), Some("tok-secret")).await.unwrap_err();
        assert!(e.to_string().contains("127.0.0.1") && e.to_string().contains("loopback"), "{e}");
        assert!(!e.to_string().contains("tok-secret"));
        let e = refusal(&s, "https://u:tok-secret@example.com/x.git").await;
        assert!(e.to_string().contains("credentials embedded") && !e.to_string().contains("tok-secret"), "{e}");
        let e = s.external_repos().verify_external_code_repo("https://example.com/x.git", None, Some("not-hex"), None, None).await.unwrap_err();
        assert!(matches!(&e, Error::InvalidParameter { field, .. } if field == "CodeCommit"), "{e:?}");
    }

    #[tokio::test]
    async fn an_allowed_network_is_probed_and_a_closed_port_is_reported() {
        let (_d, s) = state(true, &["127.0.0.0/8"]).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let e = refusal(&s, &format!("http://127.0.0.1:{port}/x.git")).await;
        assert!(
            matches!(&e, Error::InvalidParameter { field, reason } if field == "CodeRepo" && reason.contains("cannot reach the repository")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_allowed_network_is_an_internal_error() {
        let (_d, s) = state(true, &["nonsense"]).await;
        let e = refusal(&s, "https://example.com/x.git").await;
        assert_eq!(e.code(), "InternalError");
    }
}

/// The use cases of checks of CodeRepos hosted elsewhere: a view of the shared state, so a handler reaches them by name
/// (`state.external_repos().…`).
#[derive(Clone, Copy)]
pub struct ExternalRepos<'a>(&'a AppState);

impl std::ops::Deref for ExternalRepos<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of checks of CodeRepos hosted elsewhere.
    pub fn external_repos(&self) -> ExternalRepos<'_> {
        ExternalRepos(self)
    }
}
