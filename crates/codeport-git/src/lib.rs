//! codeport-git owns codeport's bare repositories on disk and performs
//! every git operation the server needs.
//!
//! It also lists the refs of repositories it does not host, for code sources
//! that name one, without letting a caller aim it at internal addresses
//! ([`probe`]).
//!
//! Everything is done by running the stock `git` CLI (plumbing commands)
//! with an isolated environment, built in one place (`cmd`): no system or
//! global configuration, no terminal prompts, `LC_ALL=C` and literal
//! pathspecs. That keeps behaviour identical on every host and means git
//! itself, not a re-implementation, guarantees on-disk compatibility. User input is validated in Rust before
//! it reaches a command line ([`normalize_path`], [`validate_branch_name`],
//! revision checks in [`Repo::resolve_commit`]) so it can never be read as
//! an option or revision expression.
//!
//! Repositories are addressed by immutable numeric id (`root/<id>.git`),
//! so renaming or transferring a repository never touches the disk.
//! Timestamps are milliseconds since the Unix epoch (UTC) throughout.
#![deny(missing_docs)]

mod cmd;
mod diff;
mod error;
pub mod probe;
mod read;
pub mod smart_http;
mod store;
mod types;
mod validate;
mod write;

pub use diff::{DiffLimits, MAX_COMPARE_COMMITS};
pub use error::{GitError, Result};
pub use store::{InitialCommit, Repo, RepoStore};
pub use types::{
    BlobContent, Branch, CommitInfo, CommitResult, CommitStats, Comparison, EntryKind, FileChange, FileCommit, FileDiff, LogQuery, RefNames,
    Signature, Tag, TreeEntry, TreeMode,
};
pub use validate::{normalize_path, validate_branch_name, validate_tag_name, MAX_PATH_LEN, MAX_REF_LEN};
pub use write::ZERO_ID;
