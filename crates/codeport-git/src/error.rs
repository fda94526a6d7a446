//! The error type of every repository operation; the external-repository probe, which
//! reports to callers in classes of its own, has [`crate::probe::ProbeError`].

/// Everything that can go wrong in a git operation.
///
/// The variants are split so the server can map them to HTTP statuses
/// without parsing messages: caller mistakes (`NotFound`, `Invalid*`,
/// `AlreadyExists`, `Conflict`, `TooLarge`) versus internal failures
/// (`Io`, `Git`). Messages never contain file contents or credentials, so
/// they are safe to log and (for caller mistakes) to return to clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    /// A ref, path, commit or repository the caller named does not exist,
    /// so the server can answer 404 instead of 500.
    #[error("{what} not found")]
    NotFound {
        /// What was looked up, e.g. `branch 'main'`.
        what: String,
    },
    /// A branch/tag name or revision is syntactically unacceptable; reported
    /// before any git process sees it so user input never becomes an option
    /// or revision expression.
    #[error("invalid ref '{name}': {reason}")]
    InvalidRef {
        /// The offending name (as given).
        name: String,
        /// Which rule it broke.
        reason: String,
    },
    /// A repository path is unacceptable (traversal, `.git`, empty
    /// components, ...) or names the wrong kind of entry.
    #[error("invalid path '{path}': {reason}")]
    InvalidPath {
        /// The offending path (as given).
        path: String,
        /// Which rule it broke.
        reason: String,
    },
    /// Some other argument (e.g. a signature) is unusable; kept apart from
    /// paths and refs so the caller can point at the right field.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// The thing to be created is already there (repository id, branch,
    /// tag, file), so creation never silently overwrites.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What already exists.
        what: String,
    },
    /// The request is valid but clashes with the current state: a ref moved
    /// concurrently (compare-and-swap lost), a directory/file clash, or
    /// deleting the default branch.
    #[error("conflict: {message}")]
    Conflict {
        /// Human readable explanation, without file contents.
        message: String,
    },
    /// The object is bigger than the caller allowed, so it was not read
    /// into memory.
    #[error("object is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes that was exceeded.
        limit: u64,
    },
    /// A filesystem or process-spawning failure (internal error).
    #[error("io error: {0}")]
    Io(String),
    /// A git command failed in an unexpected way (internal error). `stderr`
    /// is truncated.
    #[error("git {command} failed: {stderr}")]
    Git {
        /// The git subcommand, e.g. `rev-list`.
        command: String,
        /// The (truncated) standard error of the command.
        stderr: String,
    },
}

impl GitError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        GitError::NotFound { what: what.into() }
    }

    pub(crate) fn invalid_ref(name: &str, reason: impl Into<String>) -> Self {
        GitError::InvalidRef { name: name.to_string(), reason: reason.into() }
    }

    pub(crate) fn invalid_path(path: &str, reason: impl Into<String>) -> Self {
        GitError::InvalidPath { path: path.to_string(), reason: reason.into() }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        GitError::Conflict { message: message.into() }
    }

    pub(crate) fn io(context: &str, e: std::io::Error) -> Self {
        GitError::Io(format!("{context}: {e}"))
    }

    /// True for errors caused by the caller's input or the repository
    /// state rather than by a malfunction, so the server knows whether to
    /// log at error level.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, GitError::Io(_) | GitError::Git { .. })
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = GitError> = std::result::Result<T, E>;
