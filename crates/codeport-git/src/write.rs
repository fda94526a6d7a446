//! Changes made through the API: single-file commits, branches and tags.
//! Every ref update is a compare-and-swap so concurrent writers can never
//! silently overwrite each other.

use std::path::PathBuf;

use crate::cmd::{run_ok, trimmed};
use crate::error::{GitError, Result};
use crate::read::RawEntry;
use crate::store::{random_suffix, Repo};
use crate::types::*;
use crate::validate::{normalize_path, validate_branch_name, validate_tag_name};

/// The all-zero object id git uses for "ref must not exist".
pub const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// The refs the API creates and deletes by short name; `Display` is the
/// noun used in messages ("branch 'x' ...").
#[derive(Clone, Copy)]
enum RefKind {
    Branch,
    Tag,
}

impl RefKind {
    /// The full ref name of `name` (`refs/heads/name`, `refs/tags/name`).
    fn full(self, name: &str) -> String {
        match self {
            RefKind::Branch => format!("refs/heads/{name}"),
            RefKind::Tag => format!("refs/tags/{name}"),
        }
    }
}

impl std::fmt::Display for RefKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefKind::Branch => "branch",
            RefKind::Tag => "tag",
        })
    }
}

/// Removes the temporary index (and its lock) however the commit ends.
struct TempIndex(PathBuf);

impl Drop for TempIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let mut lock = self.0.clone().into_os_string();
        lock.push(".lock");
        let _ = std::fs::remove_file(lock);
    }
}

/// Strip what git's ident format cannot carry and refuse what is left
/// empty, so a hostile name cannot forge ident lines.
fn clean_ident(s: &str, what: &str) -> Result<String> {
    let cleaned: String = s.chars().filter(|c| !matches!(c, '<' | '>' | '\n' | '\r' | '\0')).collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        return Err(GitError::InvalidArgument { what: what.to_string(), reason: "empty after removing forbidden characters".into() });
    }
    Ok(cleaned)
}

fn git_date(ms: i64) -> String {
    format!("@{} +0000", ms.div_euclid(1000))
}

fn signature_env(cmd: &mut tokio::process::Command, sig: &Signature) -> Result<()> {
    let name = clean_ident(&sig.name, "signature name")?;
    let email = clean_ident(&sig.email, "signature email")?;
    let date = git_date(sig.when);
    cmd.env("GIT_AUTHOR_NAME", &name)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_NAME", &name)
        .env("GIT_COMMITTER_EMAIL", &email)
        .env("GIT_COMMITTER_DATE", &date);
    Ok(())
}

impl Repo {
    /// Commit one file change on `branch` as the API caller.
    ///
    /// Works on a private temporary index so concurrent commits and pushes
    /// never see half-built state, and finishes with a compare-and-swap of
    /// the branch: if the branch moved meanwhile the result is
    /// [`GitError::Conflict`] and the ref is untouched. Refusals:
    /// missing branch → `NotFound` (except `Create` on the unborn default
    /// branch of an empty repository, which makes the root commit);
    /// `Create` on an existing file → `AlreadyExists`; `Create` where a
    /// parent component is a file or the path is a directory → `Conflict`;
    /// `Update`/`Delete` of a missing file → `NotFound`.
    pub async fn commit_change(&self, c: FileCommit) -> Result<CommitResult> {
        validate_branch_name(&c.branch)?;
        self.ensure_exists()?;
        let full_ref = format!("refs/heads/{}", c.branch);
        let head = self.ref_target(&full_ref).await?;
        self.commit_change_at(c, head).await
    }

    /// [`Repo::commit_change`] against an explicitly expected branch head
    /// (`None` = the branch must not exist yet), for callers that already
    /// showed the user a version and want a stale edit to fail with
    /// [`GitError::Conflict`] instead of overwriting newer work.
    pub async fn commit_change_at(&self, c: FileCommit, expected_head: Option<String>) -> Result<CommitResult> {
        validate_branch_name(&c.branch)?;
        self.ensure_exists()?;
        let full_ref = format!("refs/heads/{}", c.branch);
        let (path, content) = match &c.change {
            FileChange::Create { path, content } | FileChange::Update { path, content } => (normalize_path(path)?, Some(content.as_slice())),
            FileChange::Delete { path } => (normalize_path(path)?, None),
        };
        if let Some(h) = &expected_head {
            if !(h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Err(GitError::invalid_ref(h, "expected head must be a full sha"));
            }
        }
        let head = match &expected_head {
            Some(h) => Some(h.clone()),
            None => {
                let creating = matches!(c.change, FileChange::Create { .. });
                let unborn_default = self.head_branch().await?.as_deref() == Some(&c.branch) && self.is_empty().await?;
                if !(creating && unborn_default) {
                    return Err(GitError::not_found(format!("branch '{}'", c.branch)));
                }
                None
            }
        };

        // Check the path against the current tree.
        let mut mode = "100644".to_string();
        if let Some(head) = &head {
            let mut prefixes: Vec<String> = Vec::new();
            for (i, ch) in path.char_indices() {
                if ch == '/' {
                    prefixes.push(path[..i].to_string());
                }
            }
            prefixes.push(path.clone());
            let entries = self.entries_at(head, &prefixes).await.map_err(|e| match e {
                GitError::Git { .. } => GitError::not_found(format!("commit '{head}'")),
                other => other,
            })?;
            let parent_file = prefixes[..prefixes.len() - 1].iter().any(|p| entries.get(p).is_some_and(|e| e.kind != EntryKind::Tree));
            let existing: Option<&RawEntry> = entries.get(&path);
            match &c.change {
                FileChange::Create { .. } => {
                    if parent_file {
                        return Err(GitError::conflict(format!("a parent of '{path}' is a file")));
                    }
                    match existing {
                        Some(e) if e.kind == EntryKind::Blob => return Err(GitError::AlreadyExists { what: format!("file '{path}'") }),
                        Some(_) => return Err(GitError::conflict(format!("'{path}' is a directory or submodule"))),
                        None => {}
                    }
                }
                FileChange::Update { .. } | FileChange::Delete { .. } => match existing {
                    Some(e) if e.kind == EntryKind::Blob => mode = e.mode.clone(),
                    Some(_) => {
                        return Err(GitError::invalid_path(&path, "not a file"));
                    }
                    None => return Err(GitError::not_found(format!("file '{path}'"))),
                },
            }
        } else if !matches!(c.change, FileChange::Create { .. }) {
            return Err(GitError::not_found(format!("file '{path}'")));
        }

        // Write the blob.
        let blob_id = match content {
            Some(bytes) => {
                let mut cmd = self.git();
                cmd.args(["hash-object", "-w", "-t", "blob", "--no-filters", "--stdin"]);
                Some(trimmed(&run_ok(cmd, "hash-object", Some(bytes)).await?))
            }
            None => None,
        };

        // Build the tree in a private index.
        let index = TempIndex(self.dir.join(format!("codeport-index-{}", random_suffix())));
        let with_index = |sub: &str| {
            let mut cmd = self.git();
            cmd.env("GIT_INDEX_FILE", &index.0).arg(sub);
            cmd
        };
        if let Some(head) = &head {
            let mut cmd = with_index("read-tree");
            cmd.arg(head);
            run_ok(cmd, "read-tree", None).await?;
        }
        let mut info = Vec::new();
        match &blob_id {
            Some(b) => info.extend_from_slice(format!("{mode} {b}\t").as_bytes()),
            None => info.extend_from_slice(format!("0 {ZERO_ID}\t").as_bytes()),
        }
        info.extend_from_slice(path.as_bytes());
        info.push(0);
        let mut cmd = with_index("update-index");
        cmd.args(["-z", "--index-info"]);
        run_ok(cmd, "update-index", Some(&info)).await?;
        let tree = trimmed(&run_ok(with_index("write-tree"), "write-tree", None).await?);
        drop(index);

        // Commit and move the branch with compare-and-swap.
        let mut cmd = self.git();
        signature_env(&mut cmd, &c.author)?;
        cmd.arg("commit-tree").arg(&tree);
        if let Some(head) = &head {
            cmd.arg("-p").arg(head);
        }
        cmd.args(["-F", "-"]);
        let commit_id = trimmed(&run_ok(cmd, "commit-tree", Some(c.message.as_bytes())).await?);
        self.cas_ref(&full_ref, &commit_id, head.as_deref().unwrap_or(ZERO_ID))
            .await
            .map_err(|_| GitError::conflict(format!("branch '{}' was changed concurrently", c.branch)))?;
        Ok(CommitResult { commit_id, blob_id })
    }

    /// `update-ref <ref> <new> <old>`; fails when the ref is not at `old`.
    async fn cas_ref(&self, full_ref: &str, new: &str, old: &str) -> Result<()> {
        let mut cmd = self.git();
        cmd.args(["update-ref", "--no-deref", full_ref, new, old]);
        run_ok(cmd, "update-ref", None).await?;
        Ok(())
    }

    /// Creates the `kind` ref `name` at `target` atomically:
    /// [`GitError::AlreadyExists`] when another writer created it first,
    /// [`GitError::Conflict`] when the name clashes with an existing ref
    /// directory (`a` vs `a/b`).
    async fn create_named_ref(&self, kind: RefKind, name: &str, target: &str) -> Result<()> {
        let full = kind.full(name);
        if self.cas_ref(&full, target, ZERO_ID).await.is_err() {
            if self.ref_target(&full).await?.is_some() {
                return Err(GitError::AlreadyExists { what: format!("{kind} '{name}'") });
            }
            return Err(GitError::conflict(format!("{kind} '{name}' clashes with an existing {kind} name")));
        }
        Ok(())
    }

    /// Deletes the `kind` ref `name` if it still points where it pointed
    /// when looked up: [`GitError::NotFound`] when absent,
    /// [`GitError::Conflict`] when it moved in between.
    async fn delete_named_ref(&self, kind: RefKind, name: &str) -> Result<()> {
        let full = kind.full(name);
        let Some(old) = self.ref_target(&full).await? else {
            return Err(GitError::not_found(format!("{kind} '{name}'")));
        };
        let mut cmd = self.git();
        cmd.args(["update-ref", "--no-deref", "-d", &full, &old]);
        run_ok(cmd, "update-ref", None).await.map_err(|_| GitError::conflict(format!("{kind} '{name}' was changed concurrently")))?;
        Ok(())
    }

    /// Create branch `name` at `from_rev`. Creation is atomic: if another
    /// writer creates the same branch first the result is
    /// [`GitError::AlreadyExists`]; a name clashing with an existing
    /// branch directory (`a` vs `a/b`) is [`GitError::Conflict`].
    pub async fn create_branch(&self, name: &str, from_rev: &str) -> Result<Branch> {
        validate_branch_name(name)?;
        let commit = self.require_commit(from_rev).await?;
        self.create_named_ref(RefKind::Branch, name, &commit).await?;
        self.branch(name).await?.ok_or_else(|| GitError::not_found(format!("branch '{name}'")))
    }

    /// Delete branch `name`; the default (HEAD) branch is refused with
    /// [`GitError::Conflict`] so the repository always has a valid
    /// default.
    pub async fn delete_branch(&self, name: &str) -> Result<()> {
        validate_branch_name(name)?;
        self.ensure_exists()?;
        if self.head_branch().await?.as_deref() == Some(name) {
            return Err(GitError::conflict(format!("branch '{name}' is the default branch")));
        }
        self.delete_named_ref(RefKind::Branch, name).await
    }

    /// Create tag `name` on `rev`: annotated (a tag object by `tagger`)
    /// when `message` is non-empty, lightweight otherwise. Atomic like
    /// [`Repo::create_branch`].
    pub async fn create_tag(&self, name: &str, rev: &str, message: Option<String>, tagger: Signature) -> Result<Tag> {
        validate_tag_name(name)?;
        let commit = self.require_commit(rev).await?;
        // Checked before writing a tag object that would only be garbage.
        if self.ref_target(&RefKind::Tag.full(name)).await?.is_some() {
            return Err(GitError::AlreadyExists { what: format!("tag '{name}'") });
        }
        let target = match message.filter(|m| !m.is_empty()) {
            None => commit,
            Some(msg) => {
                let tname = clean_ident(&tagger.name, "tagger name")?;
                let temail = clean_ident(&tagger.email, "tagger email")?;
                let mut obj =
                    format!("object {commit}\ntype commit\ntag {name}\ntagger {tname} <{temail}> {} +0000\n\n", tagger.when.div_euclid(1000));
                obj.push_str(&msg);
                if !obj.ends_with('\n') {
                    obj.push('\n');
                }
                let mut cmd = self.git();
                cmd.arg("mktag");
                trimmed(&run_ok(cmd, "mktag", Some(obj.as_bytes())).await?)
            }
        };
        self.create_named_ref(RefKind::Tag, name, &target).await?;
        self.tag(name).await?.ok_or_else(|| GitError::not_found(format!("tag '{name}'")))
    }

    /// Delete tag `name` ([`GitError::NotFound`] when absent).
    pub async fn delete_tag(&self, name: &str) -> Result<()> {
        validate_tag_name(name)?;
        self.ensure_exists()?;
        self.delete_named_ref(RefKind::Tag, name).await
    }
}
