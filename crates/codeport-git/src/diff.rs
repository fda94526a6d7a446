//! Comparing two revisions: commit list plus per-file diffs, with hard
//! caps so a huge change cannot exhaust server memory.

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::cmd::{git_error, run, run_ok, trimmed};
use crate::error::{GitError, Result};
use crate::read::{parse_commits, COMMIT_FORMAT};
use crate::store::Repo;
use crate::types::{Comparison, FileDiff};

/// Default maximum number of commits listed by [`Repo::compare`].
pub const MAX_COMPARE_COMMITS: usize = 1000;

/// Bounds applied by [`Repo::compare_with_limits`]; exposed so the server
/// can tune them and tests can exercise truncation cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffLimits {
    /// Most commits listed.
    pub max_commits: usize,
    /// Most changed files listed.
    pub max_files: usize,
    /// Most diff text kept for one file, in bytes.
    pub max_file_bytes: usize,
    /// Most diff text kept over all files, in bytes.
    pub max_total_bytes: usize,
}

impl Default for DiffLimits {
    /// 1000 commits, 3000 files, 1 MiB per file, 4 MiB in total.
    fn default() -> Self {
        DiffLimits { max_commits: MAX_COMPARE_COMMITS, max_files: 3000, max_file_bytes: 1 << 20, max_total_bytes: 4 << 20 }
    }
}

fn mode_or_zero(m: &str) -> String {
    if m.bytes().all(|b| b == b'0') {
        "0".to_string()
    } else {
        m.to_string()
    }
}

/// Parse `diff-tree -r -M -z --raw --numstat` output into file entries
/// (diff text still empty); binary-ness comes from numstat's `-`.
fn parse_raw_numstat(out: &[u8]) -> Vec<FileDiff> {
    let text = String::from_utf8_lossy(out);
    let mut tokens = text.split('\0').peekable();
    let mut files: Vec<FileDiff> = Vec::new();
    let mut numstat_index = 0usize;
    while let Some(tok) = tokens.next() {
        if tok.is_empty() {
            continue;
        }
        if let Some(meta) = tok.strip_prefix(':') {
            let parts: Vec<&str> = meta.split(' ').collect();
            if parts.len() < 5 {
                continue;
            }
            let status = parts[4];
            let first = tokens.next().unwrap_or("").to_string();
            let two_paths = status.starts_with('R') || status.starts_with('C');
            let second = if two_paths { tokens.next().unwrap_or("").to_string() } else { first.clone() };
            let kind = status.chars().next().unwrap_or('M');
            files.push(FileDiff {
                old_path: first,
                new_path: second,
                old_id: parts[2].to_string(),
                new_id: parts[3].to_string(),
                a_mode: mode_or_zero(parts[0]),
                b_mode: mode_or_zero(parts[1]),
                new_file: kind == 'A',
                deleted_file: kind == 'D',
                renamed_file: kind == 'R',
                is_binary: false,
                diff: String::new(),
                truncated: false,
            });
        } else {
            // numstat: "added\tdeleted\tpath" or "added\tdeleted\t" + 2 paths.
            let mut it = tok.splitn(3, '\t');
            let added = it.next().unwrap_or("");
            let _deleted = it.next();
            if it.next().unwrap_or("").is_empty() {
                tokens.next();
                tokens.next();
            }
            if let Some(f) = files.get_mut(numstat_index) {
                f.is_binary = added == "-";
            }
            numstat_index += 1;
        }
    }
    files
}

impl Repo {
    /// Compare two revisions with [`DiffLimits::default`].
    ///
    /// `straight = false` diffs the merge base of `from` and `to` against
    /// `to` (what a merge request shows: only the changes made on `to`);
    /// `straight = true` diffs `from` against `to` directly. Unknown
    /// revisions are `NotFound`, as is a missing merge base when
    /// `straight = false`.
    pub async fn compare(&self, from: &str, to: &str, straight: bool) -> Result<Comparison> {
        self.compare_with_limits(from, to, straight, DiffLimits::default()).await
    }

    /// [`Repo::compare`] with explicit limits. Text beyond the limits is
    /// dropped and flagged (`FileDiff::truncated`, `Comparison::truncated`)
    /// rather than failing, so the UI can still show the file list.
    pub async fn compare_with_limits(&self, from: &str, to: &str, straight: bool, limits: DiffLimits) -> Result<Comparison> {
        let from_commit = self.require_commit(from).await?;
        let to_commit = self.require_commit(to).await?;

        let mut cmd = self.git();
        cmd.args(["merge-base", &from_commit, &to_commit]);
        let mb = run(cmd, "merge-base", None).await?;
        let base_commit = match (mb.success, mb.code) {
            (true, _) => trimmed(&mb.stdout),
            (false, Some(1)) => String::new(),
            (false, _) => return Err(git_error("merge-base", &mb.stderr)),
        };
        let diff_from = if straight {
            from_commit.clone()
        } else if base_commit.is_empty() {
            return Err(GitError::not_found(format!("common ancestor of '{from}' and '{to}'")));
        } else {
            base_commit.clone()
        };

        let mut truncated = false;
        let mut cmd = self.git();
        cmd.args(["rev-list", "--no-commit-header", COMMIT_FORMAT])
            .arg(format!("--max-count={}", limits.max_commits.saturating_add(1)))
            .arg(&to_commit)
            .arg(format!("^{from_commit}"));
        let mut commits = parse_commits(&run_ok(cmd, "rev-list", None).await?);
        if commits.len() > limits.max_commits {
            commits.truncate(limits.max_commits);
            truncated = true;
        }

        let (diffs, cut) = self.file_diffs(&diff_from, &to_commit, &limits).await?;
        Ok(Comparison { base_commit, from_commit, to_commit, commits, diffs, truncated: truncated || cut })
    }

    /// What one commit changed: the diff from its first parent, or from the empty tree for a
    /// root commit, within `limits` (the file list and text are cut and flagged as in
    /// [`Repo::compare_with_limits`]; the bool says whether anything was cut).
    pub async fn commit_diff(&self, rev: &str, limits: DiffLimits) -> Result<(Vec<FileDiff>, bool)> {
        let commit = self.require_commit(rev).await?;
        let mut cmd = self.git();
        cmd.args(["rev-parse", "--verify", "--quiet"]).arg(format!("{commit}^1^{{commit}}"));
        let parent = run(cmd, "rev-parse", None).await?;
        let from = if parent.success {
            trimmed(&parent.stdout)
        } else {
            // The empty tree of this repository's object format.
            let mut cmd = self.git();
            cmd.args(["hash-object", "-t", "tree", "--stdin"]);
            trimmed(&run_ok(cmd, "hash-object", Some(b"")).await?)
        };
        self.file_diffs(&from, &commit, &limits).await
    }

    /// The changed files between two tree-ishes, their patches filled within `limits`.
    async fn file_diffs(&self, from: &str, to: &str, limits: &DiffLimits) -> Result<(Vec<FileDiff>, bool)> {
        let mut truncated = false;
        let mut cmd = self.git();
        cmd.args(["diff-tree", "-r", "-M", "-z", "--raw", "--numstat", "--no-abbrev"]).arg(from).arg(to);
        let mut diffs = parse_raw_numstat(&run_ok(cmd, "diff-tree", None).await?);
        if diffs.len() > limits.max_files {
            diffs.truncate(limits.max_files);
            truncated = true;
        }
        if !diffs.is_empty() {
            truncated |= self.fill_patches(from, to, &mut diffs, limits).await?;
        }
        Ok((diffs, truncated))
    }

    /// Stream the patch and distribute hunks to `diffs` (same order as the
    /// raw listing). Returns whether anything was cut.
    async fn fill_patches(&self, a: &str, b: &str, diffs: &mut [FileDiff], limits: &DiffLimits) -> Result<bool> {
        let mut cmd = self.git();
        cmd.args(["diff-tree", "-r", "-M", "-p", "--no-color", "--full-index", "--no-ext-diff", "--no-textconv"])
            .arg(a)
            .arg(b)
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().map_err(|e| GitError::io("spawn git diff-tree", e))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::with_capacity(64 * 1024, stdout);
        let mut total = 0usize;
        let mut current: Option<usize> = None;
        let mut in_header = false;
        let mut cut = false;
        let mut line: Vec<u8> = Vec::new();
        loop {
            line.clear();
            // Read one line, but keep at most a bounded prefix of it.
            let mut overlong = false;
            loop {
                let buf = reader.fill_buf().await.map_err(|e| GitError::io("read diff", e))?;
                if buf.is_empty() {
                    break;
                }
                let (take, done) = match buf.iter().position(|&c| c == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (buf.len(), false),
                };
                let room = limits.max_file_bytes.saturating_add(1).saturating_sub(line.len());
                if take > room {
                    overlong = true;
                }
                line.extend_from_slice(&buf[..take.min(room)]);
                reader.consume(take);
                if done {
                    break;
                }
            }
            if line.is_empty() {
                break;
            }
            if line.starts_with(b"diff --git ") {
                let next = current.map_or(0, |i| i + 1);
                if next >= diffs.len() {
                    // More patches than listed files (list was capped).
                    cut = true;
                    let _ = child.start_kill();
                    break;
                }
                current = Some(next);
                in_header = true;
                continue;
            }
            let Some(i) = current else { continue };
            if in_header {
                if line.starts_with(b"@@") {
                    in_header = false;
                } else {
                    if line.starts_with(b"Binary files ") || line.starts_with(b"GIT binary patch") {
                        diffs[i].is_binary = true;
                    }
                    continue;
                }
            }
            let f = &mut diffs[i];
            if f.truncated {
                continue;
            }
            if overlong || f.diff.len() + line.len() > limits.max_file_bytes || total + line.len() > limits.max_total_bytes {
                f.truncated = true;
                cut = true;
                if total + line.len() > limits.max_total_bytes {
                    // Total budget exhausted: the rest is not read at all.
                    for rest in diffs[i + 1..].iter_mut() {
                        if !rest.is_binary {
                            rest.truncated = true;
                        }
                    }
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    return Ok(true);
                }
                continue;
            }
            total += line.len();
            f.diff.push_str(&String::from_utf8_lossy(&line));
        }
        let _ = child.wait().await;
        Ok(cut)
    }
}
