//! Code sources whose CodeRepo is a repository hosted here, and the checkout credential that
//! lets a workspace member check a code source out without ever seeing the credential
//! stored in it.
//!
//! A hosted CodeRepo is `{external-url}/{fullPath}.git`. Creating or updating such a code
//! source checks, as the caller, that the repository exists and may be read, that
//! CodeBranch exists (it defaults to the repository's default branch) and that CodeCommit
//! exists (stored as the full commit id, so the pin is exact and can be fetched by id).
//!
//! The checkout credential for a hosted repository is minted, not stored: a short-lived,
//! read-only grant for exactly one repository, sealed with the master key (so every replica
//! can verify it and none has to store it). It is minted only after the code source's
//! stored CodeRepoAccessToken still authenticates a user who may read the repository, and
//! git re-checks that on every request it serves with it, so revoking that token or that
//! user's access stops checkouts at once. The stored token itself never leaves the server.
//! For an external repository the stored credentials are what a job runtime needs, and they
//! go to callers who may read the code source (RAM action
//! `paicodesource:GetCodeSourceCheckoutCredential`) and to no one else.

use super::repositories::Need;
use super::repositories::RepoAccess;
use super::{store_err, Call, RequestFacts};
use crate::state::AppState;
use base64::Engine;
use codeport_core::actions::Operation;
use codeport_core::entities::{CodeSource, Repository};
use codeport_core::error::AuthFailure;
use codeport_core::secret::Secret;
use codeport_core::timefmt::{now_millis, Millis};
use codeport_core::{AccessLevel, Error, NotFoundKind, Result};
use serde::{Deserialize, Serialize};

/// Marks a password as a minted checkout credential (and not a personal access token).
pub const CREDENTIAL_PREFIX: &str = "cpc-";
/// The user name that goes with a minted credential; git needs one, the server ignores it.
pub const CHECKOUT_USER_NAME: &str = "codeport-checkout";

/// What a job runtime (or `codeport checkout`) needs to check a code source out.
pub struct CheckoutCredential {
    /// The clone URL.
    pub code_repo: String,
    /// The branch ("" if none).
    pub code_branch: String,
    /// The pinned commit ("" if none); it takes priority over the branch.
    pub code_commit: String,
    /// The user name to present.
    pub user_name: String,
    /// The password: a minted credential (hosted) or the stored token (external; may be empty).
    pub password: Secret,
    /// When a minted credential stops working; None for stored external credentials.
    pub expire_time: Option<Millis>,
}

/// A hosted repository's checked branch and commit, as a code source should store them.
pub struct HostedRef {
    /// The branch (the repository's default branch when none was given).
    pub branch: String,
    /// The full commit id, when a commit was given.
    pub commit: Option<String>,
}

/// The sealed content of a minted credential.
#[derive(Serialize, Deserialize)]
struct Grant {
    /// The code source it was minted for.
    cs: String,
    /// The repository it opens.
    repo: i64,
    /// Expiry (ms since the epoch).
    exp: Millis,
}

fn repo_auth_failed(message: String) -> Error {
    Error::InvalidOperation { code: "CodeRepoAuthenticationFailed", message }
}

impl Checkout<'_> {
    /// The full path of the repository a CodeRepo URL names, when it is hosted here
    /// (`{external-url}/{fullPath}` with or without `.git`; scheme and host compare
    /// case-insensitively).
    pub fn hosted_repository_path(&self, url: &str) -> Option<String> {
        let base = self.config.external_url.trim_end_matches('/');
        let head = url.get(..base.len())?;
        if !head.eq_ignore_ascii_case(base) {
            return None;
        }
        let rest = url[base.len()..].strip_prefix('/')?.trim_end_matches('/');
        let path = rest.strip_suffix(".git").unwrap_or(rest);
        (!path.is_empty() && !path.contains(['?', '#', '\\']) && path.contains('/')).then(|| path.to_string())
    }

    /// Checks a hosted CodeRepo for a code source the principal creates or updates: the
    /// repository exists and the principal may read it, the branch and the commit exist.
    /// Every refusal is an InvalidParameter (400) naming the repository, branch or commit.
    pub async fn check_hosted_code_repo(&self, p: &Call, path: &str, branch: Option<&str>, commit: Option<&str>) -> Result<HostedRef> {
        let found = match self.repositories().repository_at_path(p, path, Need::Read).await {
            Ok(found) => found,
            Err(e @ Error::Internal { .. }) => return Err(e),
            Err(Error::NotFound { .. }) => {
                return Err(Error::invalid("CodeRepo", format!("repository {path} does not exist on this server, or you cannot see it")))
            }
            Err(other) => return Err(Error::invalid("CodeRepo", format!("you may not read repository {path}: {other}"))),
        };
        let git = &found.git;
        let branch = match branch {
            Some(b) => {
                let exists = git.branch(b).await.map_err(|e| git_input_err("CodeBranch", e))?.is_some();
                if !exists {
                    return Err(Error::invalid("CodeBranch", format!("branch {b} does not exist in repository {path}")));
                }
                b.to_string()
            }
            None => match git.head_branch().await.map_err(super::repositories::git_err)? {
                Some(b) if git.branch(&b).await.map_err(super::repositories::git_err)?.is_some() => b,
                _ => return Err(Error::invalid("CodeRepo", format!("repository {path} has no commits yet: push a branch first"))),
            },
        };
        let commit = match commit {
            Some(c) => match git.resolve_commit(c).await.map_err(|e| git_input_err("CodeCommit", e))? {
                // A hex prefix must resolve to a commit, not to a branch or tag of that name.
                Some(full) if full.starts_with(c) => Some(full),
                _ => return Err(Error::invalid("CodeCommit", format!("commit {c} does not exist in repository {path}"))),
            },
            None => None,
        };
        Ok(HostedRef { branch, commit })
    }

    /// Checks and completes a code source's CodeBranch and CodeCommit against its CodeRepo
    /// before it is stored: for a repository hosted here, as the caller sees it (default
    /// branch, full commit id); for an external one, by the bounded probe when the server is
    /// configured to (`verify_external_repos`), defaulting the branch to the remote's HEAD.
    pub async fn complete_code_repo_ref(&self, p: &Call, cs: &mut CodeSource) -> Result<()> {
        if cs.code_repo.is_empty() {
            return Ok(());
        }
        let given = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
        let (branch, commit) = (given(&cs.code_branch), given(&cs.code_commit));
        if let Some(path) = self.hosted_repository_path(&cs.code_repo) {
            let hosted = self.check_hosted_code_repo(p, &path, branch.as_deref(), commit.as_deref()).await?;
            cs.code_branch = hosted.branch;
            cs.code_commit = hosted.commit.unwrap_or_default();
            return Ok(());
        }
        if !self.config.verify_external_repos {
            return Ok(());
        }
        let token = match &cs.sealed_repo_token {
            Some(sealed) => Some(self.master_key.open(sealed).map_err(|e| Error::internal(format!("code source {}: {e}", cs.id)))?),
            None => None,
        };
        let user = given(&cs.code_repo_user_name);
        let head = self
            .external_repos()
            .verify_external_code_repo(&cs.code_repo, branch.as_deref(), commit.as_deref(), user.as_deref(), token.as_ref().map(Secret::expose))
            .await?;
        if branch.is_none() {
            if let Some(head) = head {
                cs.code_branch = head;
            }
        }
        Ok(())
    }

    /// GetCodeSourceCheckoutCredential: for a caller who may read the code source.
    pub async fn checkout_credential(&self, p: &Call, id: &str) -> Result<CheckoutCredential> {
        let (cs, _) = self.code_sources().readable_code_source(p, id).await?;
        if cs.code_repo.is_empty() {
            return Err(Error::InvalidOperation { code: "CodeRepoNotSet", message: format!("Code source {id} has no CodeRepo to check out.") });
        }
        let base = |user_name: String, password: Secret, expire_time: Option<Millis>| CheckoutCredential {
            code_repo: cs.code_repo.clone(),
            code_branch: cs.code_branch.clone(),
            code_commit: cs.code_commit.clone(),
            user_name,
            password,
            expire_time,
        };
        let Some(path) = self.hosted_repository_path(&cs.code_repo) else {
            let password = match &cs.sealed_repo_token {
                Some(sealed) => self.master_key.open(sealed).map_err(|e| Error::internal(format!("code source {id}: {e}")))?,
                None => Secret::new(String::new()),
            };
            return Ok(base(cs.code_repo_user_name.clone(), password, None));
        };
        let repo = self.hosted_checkout_authority(&cs, &path, &p.facts).await?;
        let ttl = self.config.checkout_credential_ttl.min(crate::config::MAX_CHECKOUT_CREDENTIAL_TTL);
        let exp = now_millis() + ttl.as_millis() as Millis;
        let grant = serde_json::to_string(&Grant { cs: cs.id.clone(), repo: repo.id, exp }).map_err(Error::internal)?;
        let sealed = self.master_key.seal(&grant);
        let password = format!("{CREDENTIAL_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed));
        Ok(base(CHECKOUT_USER_NAME.to_string(), Secret::new(password), Some(exp)))
    }

    /// Confirms that a code source's stored CodeRepoAccessToken still authenticates a user
    /// who may read the hosted repository at `path`; returns the repository.
    async fn hosted_checkout_authority(&self, cs: &CodeSource, path: &str, facts: &RequestFacts) -> Result<Repository> {
        let org_id = path.split('/').next().unwrap_or_default();
        if self.store.repository_by_path(org_id, path).await.map_err(store_err)?.is_none() {
            return Err(Error::InvalidOperation {
                code: "CodeRepoNotFound",
                message: format!("The repository {path} of code source {} no longer exists.", cs.id),
            });
        }
        let Some(sealed) = &cs.sealed_repo_token else {
            return Err(repo_auth_failed(format!("Code source {} stores no CodeRepoAccessToken for repository {path}.", cs.id)));
        };
        let token = self.master_key.open(sealed).map_err(|e| Error::internal(format!("code source {}: {e}", cs.id)))?;
        let caller = match self.platform().authenticate_token(Some(token.expose()), Operation::GetRepositoryContent, facts.clone()).await {
            Ok(caller) => caller,
            Err(Error::Auth(_)) => {
                return Err(repo_auth_failed(format!(
                    "The CodeRepoAccessToken of code source {} no longer authenticates (revoked, expired or wrong).",
                    cs.id
                )))
            }
            Err(other) => return Err(other),
        };
        match self.repositories().git_repository(&caller, path, Need::Read).await {
            Ok(found) => Ok(found.repo),
            Err(e @ (Error::Internal { .. } | Error::TooManyRequests { .. })) => Err(e),
            Err(_) => {
                Err(repo_auth_failed(format!("The CodeRepoAccessToken of code source {} no longer gives read access to repository {path}.", cs.id)))
            }
        }
    }

    /// Git over HTTP with a minted checkout credential: read-only, the one repository it was
    /// minted for, until it expires, and only while the code source's stored token still
    /// reads that repository. Anything else is refused like a bad token or a missing repository.
    pub async fn git_checkout_access(&self, credential: &str, full_path: &str, need: Need, facts: RequestFacts) -> Result<RepoAccess> {
        let invalid = || Error::Auth(AuthFailure::InvalidToken);
        let encoded = credential.strip_prefix(CREDENTIAL_PREFIX).ok_or_else(invalid)?;
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).map_err(|_| invalid())?;
        let plain = self.master_key.open(&sealed).map_err(|_| invalid())?;
        let grant: Grant = serde_json::from_str(plain.expose()).map_err(|_| invalid())?;
        if grant.exp <= now_millis() {
            return Err(Error::Auth(AuthFailure::ExpiredToken));
        }
        if need != Need::Read {
            return Err(Error::Forbidden { action: format!("push to {full_path} with a checkout credential; it is read-only") });
        }
        let cs = self.store.code_source(&grant.cs).await.map_err(store_err)?.ok_or_else(invalid)?;
        let path = self.hosted_repository_path(&cs.code_repo).ok_or_else(invalid)?;
        let repo = self.hosted_checkout_authority(&cs, &path, &facts).await.map_err(|e| match e {
            e @ (Error::Internal { .. } | Error::TooManyRequests { .. }) => e,
            _ => invalid(),
        })?;
        if repo.id != grant.repo || !repo.full_path.eq_ignore_ascii_case(full_path) {
            return Err(Error::not_found(NotFoundKind::Repository, full_path));
        }
        let git = self.repos.open(repo.id);
        Ok(RepoAccess { repo, level: AccessLevel::Read, git })
    }
}

/// A git error about a caller-supplied name (malformed ref) is the caller's; the rest is ours.
fn git_input_err(field: &str, e: codeport_git::GitError) -> Error {
    if e.is_client_error() {
        Error::invalid(field, e)
    } else {
        super::repositories::git_err(e)
    }
}

/// The use cases of checking out code sources: checkout credentials and hosted CodeRepo checks: a view of the shared state, so a handler reaches them by name
/// (`state.checkout().…`).
#[derive(Clone, Copy)]
pub struct Checkout<'a>(&'a AppState);

impl std::ops::Deref for Checkout<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of checking out code sources: checkout credentials and hosted CodeRepo checks.
    pub fn checkout(&self) -> Checkout<'_> {
        Checkout(self)
    }
}
