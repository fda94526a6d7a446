//! A bounded, SSRF-safe `git ls-remote` of a repository codeport does not host.
//!
//! PAI code sources name any git URL. When the operator asks for it, codeport checks such a
//! URL before storing it, which means codeport itself connects to an address a caller chose.
//! Without care that is a server-side request forgery: a caller could make codeport talk to
//! its own loopback services, the cloud metadata endpoint (169.254.169.254) or anything on
//! the private network behind it, and learn from the answer. So [`probe`]:
//!
//! 1. accepts only `http://` and `https://` URLs without embedded credentials, query or
//!    fragment, and hands git the URL as re-serialized by one strict parser (so git never
//!    reads a different host out of it than the one checked);
//! 2. resolves the host itself and refuses the probe if any address is loopback, private,
//!    link-local, multicast, reserved and so on ([`forbidden_class`]) unless the operator
//!    allowed that network;
//! 3. pins git's connection to exactly the checked addresses (`http.curloptResolve`), so a
//!    second DNS answer cannot rebind the name between the check and the connection, and
//!    turns redirects off, since a redirect could point anywhere;
//! 4. runs git as every git command codeport starts (`cmd::git_for_remote`): no system,
//!    global or repository configuration, no credential helpers, no prompts and an empty
//!    `HOME` (no `.netrc`); hands credentials to git only over a pipe, read by the one
//!    credential helper it is given (never on the command line, which `ps` shows, nor in
//!    the environment, nor in the URL), and kills git and its remote helper when the time
//!    bound runs out or the caller gives up;
//! 5. reports failures as a few classes ([`ProbeError`]) whose messages never contain the
//!    password, scrubbing git's own messages of it before reading them.
//!
//! Each rule has one home: `target` the URL rules (1), `address` the address rules and the
//! checked resolution (2), `ls_remote` the git command line and its bounded run (3, 4),
//! `credentials` how the secret reaches git and is scrubbed from its answer (4, 5), and
//! `answer` what git's output and messages mean (5). This file holds the public API and
//! puts the steps in order.

mod address;
mod answer;
mod credentials;
mod ls_remote;
mod target;

use std::net::IpAddr;
use std::time::Duration;

pub use address::{forbidden_class, is_forbidden_by_default, InvalidNetwork, Network};
pub use ls_remote::{check_git_for_probe, MIN_GIT_FOR_PROBE};

/// User name sent with a password or token when the caller gave none: Codeup, GitHub and
/// GitLab accept any user name with a token as the password.
pub const DEFAULT_USER_NAME: &str = "git";

/// What to probe and how.
#[derive(Debug, Clone, Copy)]
pub struct ProbeRequest<'a> {
    /// The repository URL (`http://` or `https://` only).
    pub url: &'a str,
    /// The user name to present; [`DEFAULT_USER_NAME`] when only a password is given.
    pub username: Option<&'a str>,
    /// The password or access token. Without one (or with an empty one) the probe is
    /// anonymous: a user name alone authenticates nobody.
    pub password: Option<&'a str>,
    /// Networks the operator allows although [`is_forbidden_by_default`] refuses them.
    pub allowed: &'a [Network],
    /// Bound on the whole probe: resolution, connection, the answer.
    pub timeout: Duration,
}

/// What the remote advertises.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteRefs {
    /// The branch the remote's HEAD points to (e.g. "main"): the default branch a clone
    /// checks out. `None` when the server does not say (or the repository is empty).
    pub head_branch: Option<String>,
    /// Every advertised ref as (full ref name, object id), in the remote's order, including
    /// `HEAD` and peeled tags (`refs/tags/v1^{}`, whose id is the tagged commit).
    pub refs: Vec<(String, String)>,
}

impl RemoteRefs {
    /// Whether branch `name` (without `refs/heads/`) exists on the remote.
    pub fn has_branch(&self, name: &str) -> bool {
        self.branch_oid(name).is_some()
    }

    /// The commit branch `name` (without `refs/heads/`) points to.
    pub fn branch_oid(&self, name: &str) -> Option<&str> {
        self.refs.iter().find(|(r, _)| r.strip_prefix("refs/heads/") == Some(name)).map(|(_, oid)| oid.as_str())
    }

    /// The branch names (without `refs/heads/`), for messages that list what exists.
    pub fn branches(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().filter_map(|(r, _)| r.strip_prefix("refs/heads/"))
    }

    /// Whether `oid` (a full object id) is the tip of some advertised ref: the only commits
    /// a remote says anything about without a fetch.
    pub fn is_advertised(&self, oid: &str) -> bool {
        self.refs.iter().any(|(_, o)| o.eq_ignore_ascii_case(oid))
    }
}

/// Why a probe failed. Every message is one line and never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The URL is not one the probe will use (scheme, embedded credentials, query ...); the
    /// reason says which and never repeats the URL (it might carry a password).
    #[error("unsupported repository URL: {0}")]
    UnsupportedUrl(String),
    /// The host resolves to an address the probe may not reach (SSRF protection).
    #[error("{host} resolves to {addr}, a {} address, which codeport does not connect to unless the operator allows its network", forbidden_class(*addr).unwrap_or("forbidden"))]
    ForbiddenAddress {
        /// The host as written in the URL.
        host: String,
        /// The first address refused.
        addr: IpAddr,
    },
    /// The host name could not be resolved.
    #[error("cannot resolve the repository's host: {0}")]
    Resolve(String),
    /// The remote refused the credentials, or wants some and none were given, or they
    /// cannot be sent at all (a line break or NUL in the user name or password).
    #[error("the repository refused the credentials (or requires credentials that were not given)")]
    AuthenticationFailed,
    /// There is no repository at that URL (or the credentials may not see it).
    #[error("no git repository exists at that URL (or it is not visible with these credentials)")]
    NotFound,
    /// No answer within [`ProbeRequest::timeout`].
    #[error("the repository did not answer within the time limit")]
    Timeout,
    /// The connection failed, the server failed (5xx) or answered with a redirect.
    #[error("cannot reach the repository: {0}")]
    Network(String),
    /// The remote answered, but not as a git server should.
    #[error("git could not list the repository's refs: {0}")]
    Git(String),
    /// Running git failed on codeport's side; not the remote's fault.
    #[error("cannot run git: {0}")]
    Internal(String),
}

/// Lists the refs of the repository at `req.url` with the protections described in the
/// module documentation, the whole of it (resolution included) bounded by `req.timeout`.
pub async fn probe(req: &ProbeRequest<'_>) -> Result<RemoteRefs, ProbeError> {
    let target = target::parse_target(req.url)?;
    match tokio::time::timeout(req.timeout, probe_target(req, &target)).await {
        Ok(result) => result,
        // Dropping the inner future killed git's process group.
        Err(_) => Err(ProbeError::Timeout),
    }
}

/// The steps after the URL check, in order; dropped (git killed) when the bound runs out.
async fn probe_target(req: &ProbeRequest<'_>, target: &target::Target) -> Result<RemoteRefs, ProbeError> {
    let credentials = credentials::credentials(req.username, req.password)?;
    let addrs = address::resolve_checked(target, req.allowed).await?;
    let home = tempfile::Builder::new()
        .prefix("codeport-probe-")
        .tempdir()
        .map_err(|e| ProbeError::Internal(format!("cannot create a temporary directory: {e}")))?;
    let finished = ls_remote::ls_remote(target, &addrs, credentials, home.path(), req.timeout).await?;
    if finished.success {
        return answer::parse_ls_remote(&String::from_utf8_lossy(&finished.stdout));
    }
    let secrets = credentials.map(|c| c.secrets()).unwrap_or_default();
    let message = credentials::scrub(&String::from_utf8_lossy(&finished.stderr), &secrets);
    Err(answer::classify_failure(&message))
}
