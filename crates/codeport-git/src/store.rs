//! Where repositories live on disk and how they are created and removed
//! atomically.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::cmd::{git, run_ok};
use crate::error::{GitError, Result};
use crate::types::{FileChange, FileCommit, Signature};
use crate::validate::{normalize_path, validate_branch_name};

/// Prefix of directories holding repositories under construction.
const TMP_PREFIX: &str = ".tmp-";
/// Prefix of directories holding repositories being deleted.
const TRASH_PREFIX: &str = ".trash-";

/// Content of the first commit written when a repository is created with a
/// README (or similar), so "initialise with README" needs no second call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialCommit {
    /// Repository-relative path of the single file (validated with
    /// [`normalize_path`]).
    pub file_name: String,
    /// File content.
    pub content: Vec<u8>,
    /// Commit message.
    pub message: String,
    /// Author and committer of the commit.
    pub author: Signature,
}

/// Owner of the directory that holds every repository, keyed by the
/// immutable numeric repository id so renames and transfers never move
/// data on disk.
#[derive(Debug, Clone)]
pub struct RepoStore {
    root: PathBuf,
}

/// Cheap handle to one bare repository; holding it does not imply the
/// repository exists (see [`Repo::exists`]), which keeps lookups free.
#[derive(Debug, Clone)]
pub struct Repo {
    pub(crate) id: i64,
    pub(crate) dir: PathBuf,
}

pub(crate) fn random_suffix() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    format!("{:016x}", h.finish())
}

impl RepoStore {
    /// A store rooted at `root` (e.g. `DATA_DIR/repositories`); nothing is
    /// touched on disk until a repository is created.
    pub fn new(root: PathBuf) -> Self {
        RepoStore { root }
    }

    /// The directory under which repositories live, for diagnostics and
    /// disk-usage reporting.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Handle for repository `id` without touching the disk, so request
    /// handlers can build one per request.
    pub fn open(&self, id: i64) -> Repo {
        Repo { id, dir: self.root.join(format!("{id}.git")) }
    }

    /// Create repository `id` with HEAD on `default_branch`, optionally
    /// with one initial commit.
    ///
    /// The repository is built in a temporary directory and renamed into
    /// place, so it either appears complete or not at all; a crash leaves
    /// only a `.tmp-*` directory that [`RepoStore::sweep`] removes. An
    /// existing repository with the same id is never touched
    /// ([`GitError::AlreadyExists`]).
    pub async fn create(&self, id: i64, default_branch: &str, initial: Option<InitialCommit>) -> Result<Repo> {
        validate_branch_name(default_branch)?;
        let initial_path = match &initial {
            Some(i) => Some(normalize_path(&i.file_name)?),
            None => None,
        };
        let target = self.open(id);
        if target.exists() {
            return Err(GitError::AlreadyExists { what: format!("repository {id}") });
        }
        tokio::fs::create_dir_all(&self.root).await.map_err(|e| GitError::io("create repository root", e))?;
        let tmp = self.root.join(format!("{TMP_PREFIX}{}", random_suffix()));
        let result = self.build(&tmp, id, default_branch, initial, initial_path).await;
        let result = match result {
            Ok(()) => rename_no_replace(&tmp, &target.dir).await.map_err(|e| {
                if matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::DirectoryNotEmpty) {
                    GitError::AlreadyExists { what: format!("repository {id}") }
                } else {
                    GitError::io("move repository into place", e)
                }
            }),
            Err(e) => Err(e),
        };
        if result.is_err() {
            let _ = tokio::fs::remove_dir_all(&tmp).await;
        }
        result.map(|()| target)
    }

    async fn build(&self, tmp: &Path, id: i64, default_branch: &str, initial: Option<InitialCommit>, initial_path: Option<String>) -> Result<()> {
        let mut init = git(None);
        init.arg("init").arg("--bare").arg("--quiet").arg("--template=").arg(format!("--initial-branch={default_branch}")).arg(tmp);
        run_ok(init, "init", None).await?;
        for (key, value) in [
            ("uploadpack.allowReachableSHA1InWant", "true"),
            ("uploadpack.allowFilter", "true"),
            ("receive.denyDeleteCurrent", "true"),
            ("receive.fsckObjects", "true"),
            ("core.logAllRefUpdates", "false"),
            ("http.receivepack", "true"),
        ] {
            let mut cmd = git(Some(tmp));
            cmd.arg("config").arg(key).arg(value);
            run_ok(cmd, "config", None).await?;
        }
        let tmp_repo = Repo { id, dir: tmp.to_path_buf() };
        tmp_repo.set_head_unchecked(default_branch).await?;
        remove_hook_samples(tmp).await;
        if let (Some(init), Some(path)) = (initial, initial_path) {
            tmp_repo
                .commit_change(FileCommit {
                    branch: default_branch.to_string(),
                    change: FileChange::Create { path, content: init.content },
                    message: init.message,
                    author: init.author,
                })
                .await?;
        }
        Ok(())
    }

    /// Remove repository `id`. The directory is first renamed to a
    /// `.trash-*` name so the repository disappears atomically for readers,
    /// then deleted recursively. A missing repository is not an error, so
    /// retries are harmless.
    pub async fn delete(&self, id: i64) -> Result<()> {
        let repo = self.open(id);
        let trash = self.root.join(format!("{TRASH_PREFIX}{id}-{}", random_suffix()));
        match tokio::fs::rename(&repo.dir, &trash).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(GitError::io("move repository to trash", e)),
        }
        tokio::fs::remove_dir_all(&trash).await.map_err(|e| GitError::io("remove repository", e))
    }

    /// Remove `.tmp-*` and `.trash-*` leftovers of interrupted creates and
    /// deletes. Call at startup only: a create running concurrently would
    /// lose its temporary directory. Returns how many were removed.
    pub async fn sweep(&self) -> Result<usize> {
        let mut rd = match tokio::fs::read_dir(&self.root).await {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(GitError::io("read repository root", e)),
        };
        let mut removed = 0;
        while let Some(entry) = rd.next_entry().await.map_err(|e| GitError::io("read repository root", e))? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TMP_PREFIX) || name.starts_with(TRASH_PREFIX) {
                tokio::fs::remove_dir_all(entry.path()).await.map_err(|e| GitError::io("remove leftover directory", e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl RepoStore {
    /// Ids of the repositories whose data exists (`<id>.git` directories), so the server
    /// can remove data whose database row is gone.
    pub async fn ids(&self) -> Result<Vec<i64>> {
        let mut rd = match tokio::fs::read_dir(&self.root).await {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(GitError::io("read repository root", e)),
        };
        let mut ids = Vec::new();
        while let Some(entry) = rd.next_entry().await.map_err(|e| GitError::io("read repository root", e))? {
            let name = entry.file_name();
            if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".git")).and_then(|n| n.parse::<i64>().ok()) {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }
}

/// `rename(2)` replaces an existing *empty* directory, so refuse any
/// existing target first; a non-empty target makes the kernel fail the
/// rename, which closes the race between two creates of the same id.
async fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    if tokio::fs::symlink_metadata(to).await.is_ok() {
        return Err(std::io::Error::new(ErrorKind::AlreadyExists, "target exists"));
    }
    tokio::fs::rename(from, to).await
}

async fn remove_hook_samples(dir: &Path) {
    let hooks = dir.join("hooks");
    let Ok(mut rd) = tokio::fs::read_dir(&hooks).await else {
        return;
    };
    while let Ok(Some(entry)) = rd.next_entry().await {
        if entry.file_name().to_string_lossy().ends_with(".sample") {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

impl Repo {
    /// The repository id this handle was opened for.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The bare repository directory, for callers that must hand it to
    /// other tools (backups, disk usage).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Whether the repository directory is present; handles are created
    /// without touching the disk, so callers check this before serving.
    pub fn exists(&self) -> bool {
        self.dir.join("HEAD").is_file()
    }

    pub(crate) fn git(&self) -> tokio::process::Command {
        git(Some(&self.dir))
    }

    pub(crate) fn ensure_exists(&self) -> Result<()> {
        if self.exists() {
            Ok(())
        } else {
            Err(GitError::not_found(format!("repository {}", self.id)))
        }
    }
}
