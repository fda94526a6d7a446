//! Plain data returned by and passed to repository operations.

/// Who made a commit or tag and when; `when` is milliseconds since the
/// Unix epoch (UTC) like every timestamp in this API, so the server never
/// converts between clocks. Git stores seconds, so sub-second precision is
/// dropped when writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Display name; `<`, `>` and line breaks are stripped when writing
    /// because git's ident format cannot carry them.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Milliseconds since the Unix epoch.
    pub when: i64,
}

/// Everything the API shows about a commit, parsed from one git call so
/// listing many commits costs one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hexadecimal object id.
    pub id: String,
    /// First 8 characters of `id`, the abbreviation Codeup shows.
    pub short_id: String,
    /// First line of the message.
    pub title: String,
    /// Full message without the trailing newline.
    pub message: String,
    /// Author name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// Author time, ms since the epoch.
    pub authored_at: i64,
    /// Committer name.
    pub committer_name: String,
    /// Committer e-mail.
    pub committer_email: String,
    /// Committer time, ms since the epoch.
    pub committed_at: i64,
    /// Parent ids, first parent first.
    pub parent_ids: Vec<String>,
}

/// Line counts of a commit against its first parent (or the empty tree for
/// a root commit); binary files count zero lines, as in `git --numstat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Added lines.
    pub additions: u64,
    /// Deleted lines.
    pub deletions: u64,
    /// `additions + deletions`.
    pub total: u64,
}

/// A branch with its head commit, so branch lists need no extra lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// Name without `refs/heads/`.
    pub name: String,
    /// The commit the branch points at.
    pub commit: CommitInfo,
}

/// The names of a repository's branches and tags, sorted, without commit details: what a
/// ref picker or a path that starts with a ref needs, read in one git process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefNames {
    /// Branch names without `refs/heads/`.
    pub branches: Vec<String>,
    /// Tag names without `refs/tags/`.
    pub tags: Vec<String>,
}

/// A tag peeled to the commit it marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Name without `refs/tags/`.
    pub name: String,
    /// Annotated tag message (signature removed); empty for lightweight
    /// tags, which have no message.
    pub message: String,
    /// The tagged commit.
    pub commit: CommitInfo,
}

/// Filters for [`crate::Repo::log`], mirroring the Codeup list-commits API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// Branch, tag or sha to start from.
    pub rev: String,
    /// Only commits touching this path (file or directory).
    pub path: Option<String>,
    /// Only commits with committer time at or after this instant (ms).
    pub since: Option<i64>,
    /// Only commits with committer time at or before this instant (ms).
    pub until: Option<i64>,
    /// Case-insensitive fixed-string search in the commit message.
    pub search: Option<String>,
    /// Matching commits to skip (pagination).
    pub skip: u64,
    /// Maximum commits to return (pagination); 0 returns none but still
    /// counts the total.
    pub limit: u64,
}

/// Whether [`crate::Repo::tree`] lists one directory or everything below
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeMode {
    /// Only the entries of the directory itself.
    Direct,
    /// Every entry below the directory, directories included.
    Recursive,
}

/// The kind of object a tree entry points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Tree,
    /// A file or symlink.
    Blob,
    /// A submodule (gitlink).
    Commit,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Object id.
    pub id: String,
    /// Last path component.
    pub name: String,
    /// Full repository-relative path.
    pub path: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// Git file mode as printed by git, e.g. `100644`, `100755`, `120000`,
    /// `040000`, `160000`.
    pub mode: String,
    /// Size in bytes, blobs only.
    pub size: Option<u64>,
}

/// A file's content read from a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobContent {
    /// Blob object id.
    pub id: String,
    /// The commit the path was resolved in (so callers can cache by it).
    pub commit_id: String,
    /// Size in bytes.
    pub size: u64,
    /// The raw bytes.
    pub bytes: Vec<u8>,
}

/// The result of comparing two revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Merge base of `from` and `to`; empty when the histories are
    /// unrelated (only possible with `straight = true`).
    pub base_commit: String,
    /// Resolved `from`.
    pub from_commit: String,
    /// Resolved `to`.
    pub to_commit: String,
    /// Commits reachable from `to` but not from `from`, newest first, at
    /// most [`crate::MAX_COMPARE_COMMITS`].
    pub commits: Vec<CommitInfo>,
    /// Changed files.
    pub diffs: Vec<FileDiff>,
    /// True when commits, files or diff text were cut because of the
    /// limits, so the UI can say "too large to show completely".
    pub truncated: bool,
}

/// One changed file of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Path before (equals `new_path` for added files).
    pub old_path: String,
    /// Path after (equals `old_path` for deleted files).
    pub new_path: String,
    /// Blob id before; all zeros when the file was added.
    pub old_id: String,
    /// Blob id after; all zeros when the file was deleted.
    pub new_id: String,
    /// Mode before, `"0"` when added.
    pub a_mode: String,
    /// Mode after, `"0"` when deleted.
    pub b_mode: String,
    /// File was added.
    pub new_file: bool,
    /// File was deleted.
    pub deleted_file: bool,
    /// File was renamed (detected with git's default similarity).
    pub renamed_file: bool,
    /// Git considers the content binary; `diff` is then empty.
    pub is_binary: bool,
    /// Unified diff text starting at the first `@@` hunk header (the
    /// `diff --git`, `index`, `---`/`+++` header lines are omitted because
    /// the fields above carry that information).
    pub diff: String,
    /// The diff text was cut at the per-file or total limit.
    pub truncated: bool,
}

/// What a [`FileCommit`] does to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Add a new file; fails if the path exists.
    Create {
        /// Repository-relative path.
        path: String,
        /// Content.
        content: Vec<u8>,
    },
    /// Replace an existing file's content (its mode is kept).
    Update {
        /// Repository-relative path.
        path: String,
        /// New content.
        content: Vec<u8>,
    },
    /// Remove an existing file.
    Delete {
        /// Repository-relative path.
        path: String,
    },
}

/// A single-file commit made through the API on behalf of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCommit {
    /// Branch to commit on; must exist (except the unborn default branch of
    /// an empty repository, for `Create`).
    pub branch: String,
    /// The change.
    pub change: FileChange,
    /// Commit message.
    pub message: String,
    /// Author and committer.
    pub author: Signature,
}

/// What [`crate::Repo::commit_change`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitResult {
    /// The new commit (now the branch head).
    pub commit_id: String,
    /// The written blob for create/update; `None` for delete.
    pub blob_id: Option<String>,
}
