//! Pure-Rust validation of user supplied paths and ref names, shared with
//! the server so both layers apply exactly the same rules.

use crate::error::GitError;

/// Longest repository-relative path accepted, far above real-world needs
/// but small enough to keep argument lists and index entries sane.
pub const MAX_PATH_LEN: usize = 4096;

/// Longest ref name (without `refs/heads/`) accepted; matches common
/// filesystem component limits so loose refs can always be written.
pub const MAX_REF_LEN: usize = 255;

/// Turn a user supplied file path into the canonical repository-relative
/// form, or refuse it.
///
/// Exists so a path can never escape the tree (`..`), address git's own
/// metadata (`.git`, including NTFS/HFS look-alikes such as `.GIT.` or
/// `git~1`) or be ambiguous (`a//b`, trailing `/`), and so the server and
/// this crate agree on the rule. One leading `/` is tolerated because API
/// clients commonly send absolute-looking paths.
pub fn normalize_path(raw: &str) -> Result<String, GitError> {
    let bad = |reason: &str| Err(GitError::invalid_path(raw, reason));
    let p = raw.strip_prefix('/').unwrap_or(raw);
    if p.is_empty() {
        return bad("empty path");
    }
    if p.len() > MAX_PATH_LEN {
        return bad("path too long");
    }
    if p.contains('\0') {
        return bad("NUL character");
    }
    if p.contains('\\') {
        return bad("backslash");
    }
    if p.ends_with('/') {
        return bad("trailing '/'");
    }
    for comp in p.split('/') {
        if comp.is_empty() {
            return bad("empty path component");
        }
        if comp == "." || comp == ".." {
            return bad("'.' or '..' component");
        }
        let lower = comp.to_ascii_lowercase();
        let trimmed = lower.trim_end_matches([' ', '.']);
        if trimmed == ".git" || lower == "git~1" {
            return bad("'.git' component");
        }
    }
    Ok(p.to_string())
}

/// Check a branch name against git's `check-ref-format --branch` rules
/// without spawning a process.
///
/// Done in Rust so every name is vetted before it reaches a command line,
/// where a leading `-` or a rev-expression could otherwise change the
/// meaning of the command.
pub fn validate_branch_name(name: &str) -> Result<(), GitError> {
    validate_ref_component_name(name)
}

/// Same rules as [`validate_branch_name`], for tags, so tags and branches
/// can never smuggle different syntax through.
pub fn validate_tag_name(name: &str) -> Result<(), GitError> {
    validate_ref_component_name(name)
}

fn validate_ref_component_name(name: &str) -> Result<(), GitError> {
    let bad = |reason: &str| Err(GitError::invalid_ref(name, reason));
    if name.is_empty() {
        return bad("empty name");
    }
    if name.len() > MAX_REF_LEN {
        return bad("name too long");
    }
    if name == "@" {
        return bad("'@' is not allowed");
    }
    if name == "HEAD" {
        return bad("'HEAD' is reserved");
    }
    if name.starts_with('-') {
        return bad("must not start with '-'");
    }
    if name.starts_with('/') || name.ends_with('/') {
        return bad("must not start or end with '/'");
    }
    if name.ends_with('.') {
        return bad("must not end with '.'");
    }
    if name.contains("..") {
        return bad("must not contain '..'");
    }
    if name.contains("//") {
        return bad("must not contain '//'");
    }
    if name.contains("@{") {
        return bad("must not contain '@{'");
    }
    for c in name.chars() {
        if c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\') {
            return bad("contains a forbidden character");
        }
    }
    for comp in name.split('/') {
        if comp.starts_with('.') {
            return bad("a component must not start with '.'");
        }
        if comp.ends_with(".lock") {
            return bad("a component must not end with '.lock'");
        }
    }
    Ok(())
}

/// Check a user supplied revision (branch, tag, sha or `refs/...` name)
/// for characters that would let git read it as an option or a revision
/// expression.
pub(crate) fn check_rev(rev: &str) -> Result<(), GitError> {
    let bad = |reason: &str| Err(GitError::invalid_ref(rev, reason));
    if rev.is_empty() {
        return bad("empty revision");
    }
    if rev.len() > MAX_PATH_LEN {
        return bad("revision too long");
    }
    if rev.starts_with('-') {
        return bad("must not start with '-'");
    }
    if rev.contains("..") || rev.contains("@{") {
        return bad("revision expressions are not allowed");
    }
    for c in rev.chars() {
        if c.is_whitespace() || c.is_control() || matches!(c, ':' | '^' | '~' | '?' | '*' | '[' | '\\') {
            return bad("revision expressions are not allowed");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rev_check() {
        for ok in ["main", "v1.0", "refs/heads/x", "abc123", "feature/a-b"] {
            assert!(check_rev(ok).is_ok(), "{ok}");
        }
        for bad in ["-x", "a..b", "a:b", "a^", "a~1", "a@{1}", "a b", "", "a\nb"] {
            assert!(check_rev(bad).is_err(), "{bad:?}");
        }
    }
}
