//! A repository's content through the Codeup API: branches, tags, files (read, and written
//! as commits authored by the token's user), commits and comparisons. An empty `ref` means
//! the default branch. Writes hold the repository's shared lock so a deletion waits for them.
//! Each operation's RAM action (`codeup:ListBranches`...) is decided on the repository's ARN
//! when the repository opens, after the visibility check.

use super::platform::{Edition, TokenCaller};
use super::repositories::{git_err, signature_of, Need, RepoAccess};
use crate::state::AppState;
use codeport_core::actions::Operation;
use codeport_core::values::Page;
use codeport_core::{Error, NotFoundKind, Result};
use codeport_git::{
    BlobContent, Branch, CommitInfo, CommitResult, CommitStats, Comparison, DiffLimits, EntryKind, FileChange, FileCommit, FileDiff, LogQuery, Tag,
    TreeEntry, TreeMode,
};

/// The largest file the console's raw view serves (read into memory once per request).
pub const MAX_RAW_BYTES: u64 = 64 * 1024 * 1024;

/// Longest commit message the file API accepts (as Codeup documents).
pub const MAX_COMMIT_MESSAGE_CHARS: usize = 102_400;

/// ListBranches' sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchSort {
    /// By name, ascending (the default).
    NameAsc,
    /// By name, descending.
    NameDesc,
    /// By last commit time, oldest first.
    UpdatedAsc,
    /// By last commit time, newest first.
    UpdatedDesc,
}

/// ListFiles' shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeShape {
    /// One level (the default).
    Direct,
    /// Everything below the path.
    Recursive,
    /// One level, with chains of directories that hold only one directory collapsed.
    Flatten,
}

/// A file written through the API.
pub struct FileWrite {
    /// The branch the commit goes on.
    pub branch: String,
    /// The file path as received (URL-decoded once; a leading `/` is allowed).
    pub path: String,
    /// New content (None for a delete).
    pub content: Option<Vec<u8>>,
    /// Commit message.
    pub message: String,
}

/// ListCommits' filters.
pub struct CommitFilter {
    /// Branch, tag or commit; "" means the default branch.
    pub ref_name: String,
    /// Only commits touching this path.
    pub path: Option<String>,
    /// Committed at or after.
    pub since: Option<i64>,
    /// Committed at or before.
    pub until: Option<i64>,
    /// Substring of the message.
    pub search: Option<String>,
    /// Page.
    pub page: Page,
}

fn branch_not_found(name: &str) -> Error {
    Error::not_found(NotFoundKind::Branch, name)
}

fn valid_message(message: &str) -> Result<String> {
    if message.trim().is_empty() {
        return Err(Error::missing("commitMessage"));
    }
    if message.chars().count() > MAX_COMMIT_MESSAGE_CHARS {
        return Err(Error::invalid("commitMessage", format!("it must be at most {MAX_COMMIT_MESSAGE_CHARS} characters")));
    }
    if message.contains('\0') {
        return Err(Error::invalid("commitMessage", "it must not contain NUL"));
    }
    Ok(message.to_string())
}

/// The repository-relative path of a file named in a request (decoded once already): one
/// leading `/` is dropped; `..`, `.`, empty segments, NUL and `.git` are refused.
pub fn file_path(raw: &str) -> Result<String> {
    codeport_git::normalize_path(raw).map_err(|e| match e {
        codeport_git::GitError::InvalidPath { reason, .. } => Error::invalid("filePath", reason),
        other => git_err(other),
    })
}

impl RepositoryContent<'_> {
    /// The commit a ref names ("" = the default branch); unknown is not found.
    async fn commit_of(&self, found: &RepoAccess, rev: &str) -> Result<String> {
        let rev = if rev.trim().is_empty() { found.repo.default_branch.as_str() } else { rev.trim() };
        found.git.resolve_commit(rev).await.map_err(git_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Commit, rev))
    }

    /// True when `rev` is empty or the default branch of a repository without commits: lists
    /// are then empty rather than not found.
    async fn unborn(&self, found: &RepoAccess, rev: &str) -> Result<bool> {
        let names_default = rev.trim().is_empty() || rev.trim() == found.repo.default_branch;
        Ok(names_default && found.git.is_empty().await.map_err(git_err)?)
    }

    /// ListBranches: one page, filtered by a name substring.
    pub async fn list_branches(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        search: Option<&str>,
        sort: BranchSort,
        page: Page,
    ) -> Result<(RepoAccess, Vec<Branch>, u64)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let mut all = found.git.branches().await.map_err(git_err)?;
        if let Some(s) = search.map(str::to_lowercase).filter(|s| !s.is_empty()) {
            all.retain(|b| b.name.to_lowercase().contains(&s));
        }
        match sort {
            BranchSort::NameAsc => all.sort_by(|a, b| a.name.cmp(&b.name)),
            BranchSort::NameDesc => all.sort_by(|a, b| b.name.cmp(&a.name)),
            BranchSort::UpdatedAsc => all.sort_by_key(|b| (b.commit.committed_at, b.name.clone())),
            BranchSort::UpdatedDesc => all.sort_by(|a, b| b.commit.committed_at.cmp(&a.commit.committed_at).then(a.name.cmp(&b.name))),
        }
        let total = all.len() as u64;
        let items = all.into_iter().skip(page.offset() as usize).take(page.size as usize).collect();
        Ok((found, items, total))
    }

    /// GetBranch.
    pub async fn get_branch(&self, caller: &TokenCaller, edition: &Edition, key: &str, name: &str) -> Result<(RepoAccess, Branch)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let b = found.git.branch(name).await.map_err(git_err)?.ok_or_else(|| branch_not_found(name))?;
        Ok((found, b))
    }

    /// CreateBranch from a branch, tag or commit.
    pub async fn create_branch(&self, caller: &TokenCaller, edition: &Edition, key: &str, name: &str, from: &str) -> Result<(RepoAccess, Branch)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Write).await?;
        codeport_git::validate_branch_name(name).map_err(|e| Error::invalid("branch", e.to_string()))?;
        let _writing = self.repo_locks.shared(found.repo.id).await;
        let commit = self
            .commit_of(&found, from)
            .await
            .map_err(|_| Error::invalid("ref", format!("{from:?} is not a branch, tag or commit of this repository")))?;
        let b = found.git.create_branch(name, &commit).await.map_err(|e| match e {
            codeport_git::GitError::AlreadyExists { .. } => Error::AlreadyExists { code: "Conflict", what: format!("Branch {name}") },
            other => git_err(other),
        })?;
        self.repositories().repository_changed(&found).await?;
        Ok((found, b))
    }

    /// DeleteBranch: never the default branch.
    pub async fn delete_branch(&self, caller: &TokenCaller, edition: &Edition, key: &str, name: &str) -> Result<()> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Write).await?;
        if name == found.repo.default_branch {
            return Err(Error::InvalidOperation {
                code: "DefaultBranchCannotBeDeleted",
                message: format!("{name} is the default branch of {}; it cannot be deleted.", found.repo.full_path),
            });
        }
        let _writing = self.repo_locks.shared(found.repo.id).await;
        found.git.delete_branch(name).await.map_err(|e| match e {
            codeport_git::GitError::NotFound { .. } => branch_not_found(name),
            other => git_err(other),
        })?;
        self.repositories().repository_changed(&found).await
    }

    /// ListTags: one page, newest name last (by name), filtered by a substring.
    pub async fn list_tags(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        search: Option<&str>,
        page: Page,
    ) -> Result<(RepoAccess, Vec<Tag>, u64)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let mut all = found.git.tags().await.map_err(git_err)?;
        if let Some(s) = search.map(str::to_lowercase).filter(|s| !s.is_empty()) {
            all.retain(|t| t.name.to_lowercase().contains(&s));
        }
        let total = all.len() as u64;
        let items = all.into_iter().skip(page.offset() as usize).take(page.size as usize).collect();
        Ok((found, items, total))
    }

    /// GetTag.
    pub async fn get_tag(&self, caller: &TokenCaller, edition: &Edition, key: &str, name: &str) -> Result<(RepoAccess, Tag)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let t = found.git.tag(name).await.map_err(git_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Tag, name))?;
        Ok((found, t))
    }

    /// CreateTag: annotated when a message is given, tagged by the token's user.
    pub async fn create_tag(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        name: &str,
        from: &str,
        message: Option<String>,
    ) -> Result<(RepoAccess, Tag)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Write).await?;
        codeport_git::validate_tag_name(name).map_err(|e| Error::invalid("tagName", e.to_string()))?;
        let _writing = self.repo_locks.shared(found.repo.id).await;
        let commit = self
            .commit_of(&found, from)
            .await
            .map_err(|_| Error::invalid("ref", format!("{from:?} is not a branch, tag or commit of this repository")))?;
        let tag = found.git.create_tag(name, &commit, message.filter(|m| !m.trim().is_empty()), signature_of(caller.principal())).await.map_err(
            |e| match e {
                codeport_git::GitError::AlreadyExists { .. } => Error::AlreadyExists { code: "Conflict", what: format!("Tag {name}") },
                other => git_err(other),
            },
        )?;
        self.repositories().repository_changed(&found).await?;
        Ok((found, tag))
    }

    /// DeleteTag.
    pub async fn delete_tag(&self, caller: &TokenCaller, edition: &Edition, key: &str, name: &str) -> Result<()> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Write).await?;
        let _writing = self.repo_locks.shared(found.repo.id).await;
        found.git.delete_tag(name).await.map_err(|e| match e {
            codeport_git::GitError::NotFound { .. } => Error::not_found(NotFoundKind::Tag, name),
            other => git_err(other),
        })?;
        self.repositories().repository_changed(&found).await
    }

    /// ListFiles: the tree at `path` of `rev`.
    pub async fn list_files(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        path: &str,
        rev: &str,
        shape: TreeShape,
    ) -> Result<Vec<TreeEntry>> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let path = match path.trim() {
            "" | "/" => String::new(),
            p => file_path(p)?,
        };
        if self.unborn(&found, rev).await? && path.is_empty() {
            return Ok(Vec::new());
        }
        let commit = self.commit_of(&found, rev).await?;
        let not_found = |e| match e {
            codeport_git::GitError::NotFound { .. } | codeport_git::GitError::InvalidPath { .. } => {
                Error::not_found(NotFoundKind::File, if path.is_empty() { "/" } else { path.as_str() })
            }
            other => git_err(other),
        };
        let mode = if shape == TreeShape::Recursive { TreeMode::Recursive } else { TreeMode::Direct };
        let mut entries = found.git.tree(&commit, &path, mode).await.map_err(not_found)?;
        if shape == TreeShape::Flatten {
            for e in entries.iter_mut() {
                while e.kind == EntryKind::Tree {
                    let inner = found.git.tree(&commit, &e.path, TreeMode::Direct).await.map_err(git_err)?;
                    match inner.as_slice() {
                        [only] if only.kind == EntryKind::Tree => {
                            let name = format!("{}/{}", e.name, only.name);
                            *e = only.clone();
                            e.name = name;
                        }
                        _ => break,
                    }
                }
            }
        }
        Ok(entries)
    }

    /// GetFileBlobs: a file's content at `rev`, up to the configured file limit.
    pub async fn get_file(&self, caller: &TokenCaller, edition: &Edition, key: &str, path: &str, rev: &str) -> Result<(String, String, BlobContent)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let path = file_path(path)?;
        let rev_name = if rev.trim().is_empty() { found.repo.default_branch.clone() } else { rev.trim().to_string() };
        let commit = self.commit_of(&found, &rev_name).await?;
        let blob = found.git.blob(&commit, &path, self.config.max_file_bytes).await.map_err(|e| match e {
            codeport_git::GitError::NotFound { .. } | codeport_git::GitError::InvalidPath { .. } => {
                Error::not_found(NotFoundKind::File, path.clone())
            }
            codeport_git::GitError::TooLarge { limit } => Error::InvalidOperation {
                code: "FileTooLarge",
                message: format!("{path} is larger than the file API's limit of {limit} bytes; clone the repository to read it."),
            },
            other => git_err(other),
        })?;
        Ok((path, rev_name, blob))
    }

    /// The bytes of a file of a directory listing just read (the console's README), by its
    /// blob id: one git process instead of resolving the ref and the path again. Same
    /// authorization as [`Self::get_file`] and the same size limit.
    pub async fn listed_file(&self, caller: &TokenCaller, edition: &Edition, key: &str, entry: &codeport_git::TreeEntry) -> Result<Vec<u8>> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let limit = self.config.max_file_bytes;
        if entry.kind != codeport_git::EntryKind::Blob || entry.size.unwrap_or(0) > limit {
            return Err(Error::InvalidOperation {
                code: "FileTooLarge",
                message: format!("{} is larger than the file API's limit of {limit} bytes; clone the repository to read it.", entry.path),
            });
        }
        found.git.blob_by_id(&entry.id).await.map_err(|_| Error::not_found(NotFoundKind::File, entry.path.clone()))
    }

    /// A file's bytes at `rev` for the console's raw view: as [`Self::get_file`] (same
    /// authorization and errors) but up to [`MAX_RAW_BYTES`] (or the file API's limit when
    /// that is larger), so a file too large for the API can still be downloaded.
    pub async fn raw_file(&self, caller: &TokenCaller, edition: &Edition, key: &str, path: &str, rev: &str) -> Result<BlobContent> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let path = file_path(path)?;
        let commit = self.commit_of(&found, rev).await?;
        let limit = self.config.max_file_bytes.max(MAX_RAW_BYTES);
        found.git.blob(&commit, &path, limit).await.map_err(|e| match e {
            codeport_git::GitError::NotFound { .. } | codeport_git::GitError::InvalidPath { .. } => {
                Error::not_found(NotFoundKind::File, path.clone())
            }
            other => git_err(other),
        })
    }

    /// CreateFile / UpdateFile / DeleteFile: one commit on `branch` by the token's user.
    pub async fn write_file(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        kind: FileWriteKind,
        w: FileWrite,
    ) -> Result<(String, CommitResult)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Write).await?;
        let path = file_path(&w.path)?;
        let message = valid_message(&w.message)?;
        if w.branch.trim().is_empty() {
            return Err(Error::missing("branch"));
        }
        codeport_git::validate_branch_name(&w.branch).map_err(|e| Error::invalid("branch", e.to_string()))?;
        if let Some(c) = &w.content {
            if c.len() as u64 > self.config.max_file_bytes {
                return Err(Error::InvalidOperation {
                    code: "FileTooLarge",
                    message: format!(
                        "The file is {} bytes; files written through the API are limited to {} bytes.",
                        c.len(),
                        self.config.max_file_bytes
                    ),
                });
            }
        }
        let content = w.content.unwrap_or_default();
        let change = match kind {
            FileWriteKind::Create => FileChange::Create { path: path.clone(), content },
            FileWriteKind::Update => FileChange::Update { path: path.clone(), content },
            FileWriteKind::Delete => FileChange::Delete { path: path.clone() },
        };
        let _writing = self.repo_locks.shared(found.repo.id).await;
        // Only the default branch of an empty repository may be born through the API.
        if found.git.branch(&w.branch).await.map_err(git_err)?.is_none() && !(kind == FileWriteKind::Create && self.unborn(&found, &w.branch).await?)
        {
            return Err(branch_not_found(&w.branch));
        }
        let result = found
            .git
            .commit_change(FileCommit { branch: w.branch.clone(), change, message, author: signature_of(caller.principal()) })
            .await
            .map_err(|e| match e {
                codeport_git::GitError::NotFound { .. } => Error::not_found(NotFoundKind::File, path.clone()),
                codeport_git::GitError::AlreadyExists { .. } => Error::AlreadyExists { code: "Conflict", what: format!("File {path}") },
                other => git_err(other),
            })?;
        self.repositories().repository_changed(&found).await?;
        Ok((path, result))
    }

    /// ListCommits: newest first, one page and the total.
    pub async fn list_commits(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        f: CommitFilter,
    ) -> Result<(RepoAccess, Vec<CommitInfo>, u64)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let (items, total) = self.commits_in(&found, f).await?;
        Ok((found, items, total))
    }

    /// ListCommits in a repository already opened for reading.
    pub async fn commits_in(&self, found: &RepoAccess, f: CommitFilter) -> Result<(Vec<CommitInfo>, u64)> {
        if self.unborn(found, &f.ref_name).await? {
            return Ok((Vec::new(), 0));
        }
        let commit = self.commit_of(found, &f.ref_name).await?;
        let path = match f.path.as_deref().map(str::trim).filter(|p| !p.is_empty() && *p != "/") {
            Some(p) => Some(file_path(p)?),
            None => None,
        };
        let q =
            LogQuery { rev: commit, path, since: f.since, until: f.until, search: f.search, skip: f.page.offset() as u64, limit: f.page.size as u64 };
        found.git.log(&q).await.map_err(git_err)
    }

    /// How many leading `segments` of a console path (`feature/x/src/main.rs` split at `/`)
    /// name a branch or a tag of a repository already opened, the longest such prefix winning
    /// (branch names may contain slashes); 1 when none does (the first segment is then taken
    /// as a commit id), 0 for no segments. The ref names are read once, in one git process.
    pub async fn ref_prefix_len(&self, found: &RepoAccess, segments: &[String]) -> Result<usize> {
        if segments.len() < 2 {
            return Ok(segments.len());
        }
        let refs = found.git.ref_names().await.map_err(git_err)?;
        let names: std::collections::HashSet<&str> = refs.branches.iter().chain(&refs.tags).map(String::as_str).collect();
        Ok((1..=segments.len()).rev().find(|&n| names.contains(segments[..n].join("/").as_str())).unwrap_or(1))
    }

    /// The names of a repository's branches and tags, without commit details (a ref picker):
    /// one git process instead of the lists' several. RAM decides ListBranches and ListTags,
    /// as the two lists would.
    pub async fn ref_names(&self, caller: &TokenCaller, edition: &Edition, key: &str) -> Result<codeport_git::RefNames> {
        let as_op = |operation| TokenCaller { call: caller.call.as_operation(operation), scopes: caller.scopes.clone() };
        let found = self.repositories().open_repository(&as_op(Operation::ListBranches), edition, key, Need::Read).await?;
        self.repositories().open_repository(&as_op(Operation::ListTags), edition, key, Need::Read).await?;
        found.git.ref_names().await.map_err(git_err)
    }

    /// What one commit of a repository already opened for reading changed: the diff from its
    /// first parent (a root commit: from the empty tree), cut at the default diff limits;
    /// the bool says whether anything was cut.
    pub async fn commit_diff(&self, found: &RepoAccess, commit: &CommitInfo) -> Result<(Vec<FileDiff>, bool)> {
        found.git.commit_diff(&commit.id, DiffLimits::default()).await.map_err(git_err)
    }

    /// GetCommit: by full or abbreviated id (or a ref), with its stats.
    pub async fn get_commit(&self, caller: &TokenCaller, edition: &Edition, key: &str, sha: &str) -> Result<(RepoAccess, CommitInfo, CommitStats)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        let (c, stats) = found.git.commit(sha.trim()).await.map_err(git_err)?.ok_or_else(|| Error::not_found(NotFoundKind::Commit, sha))?;
        Ok((found, c, stats))
    }

    /// GetCompare: commits in `to` but not `from`, and the file diffs from their merge base
    /// (or directly between them when `straight`).
    pub async fn compare(
        &self,
        caller: &TokenCaller,
        edition: &Edition,
        key: &str,
        from: &str,
        to: &str,
        straight: bool,
    ) -> Result<(RepoAccess, Comparison)> {
        let found = self.repositories().open_repository(caller, edition, key, Need::Read).await?;
        if from.trim().is_empty() {
            return Err(Error::missing("from"));
        }
        if to.trim().is_empty() {
            return Err(Error::missing("to"));
        }
        let from_commit = self.commit_of(&found, from).await?;
        let to_commit = self.commit_of(&found, to).await?;
        let cmp = found.git.compare(&from_commit, &to_commit, straight).await.map_err(git_err)?;
        Ok((found, cmp))
    }
}

/// Which file write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileWriteKind {
    /// A new file (an existing one is a conflict).
    Create,
    /// New content for an existing file.
    Update,
    /// Removes a file.
    Delete,
}

/// The use cases of repository content: branches, tags, files, commits, compare: a view of the shared state, so a handler reaches them by name
/// (`state.repository_content().…`).
#[derive(Clone, Copy)]
pub struct RepositoryContent<'a>(&'a AppState);

impl std::ops::Deref for RepositoryContent<'_> {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        self.0
    }
}

impl AppState {
    /// The use cases of repository content: branches, tags, files, commits, compare.
    pub fn repository_content(&self) -> RepositoryContent<'_> {
        RepositoryContent(self)
    }
}
