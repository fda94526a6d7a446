//! Read-only repository queries.

use std::collections::HashMap;

use crate::cmd::{run, run_ok, trimmed};
use crate::error::{GitError, Result};
use crate::store::Repo;
use crate::types::*;
use crate::validate::{check_rev, normalize_path, validate_branch_name, validate_tag_name};

/// Pretty format for commits: 9 NUL separated fields, message last, and a
/// NUL terminator so multi-line messages are unambiguous.
pub(crate) const COMMIT_FORMAT: &str = "--format=%H%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B%x00";
const COMMIT_FIELDS: usize = 9;

fn secs_to_ms(s: &str) -> i64 {
    s.trim().parse::<i64>().unwrap_or(0).saturating_mul(1000)
}

/// Parse the output of `rev-list --no-commit-header` + [`COMMIT_FORMAT`].
pub(crate) fn parse_commits(out: &[u8]) -> Vec<CommitInfo> {
    let text = String::from_utf8_lossy(out);
    let mut fields: Vec<&str> = text.split('\0').collect();
    // The final terminator leaves a trailing "\n" (or "") token.
    if fields.last().is_some_and(|f| f.trim().is_empty()) {
        fields.pop();
    }
    fields
        .chunks(COMMIT_FIELDS)
        .filter(|c| c.len() == COMMIT_FIELDS)
        .map(|f| {
            let id = f[0].trim_start_matches('\n').to_string();
            let message = f[8].trim_end_matches('\n').to_string();
            let title = message.lines().next().unwrap_or("").to_string();
            CommitInfo {
                short_id: id.chars().take(8).collect(),
                id,
                title,
                message,
                author_name: f[2].to_string(),
                author_email: f[3].to_string(),
                authored_at: secs_to_ms(f[4]),
                committer_name: f[5].to_string(),
                committer_email: f[6].to_string(),
                committed_at: secs_to_ms(f[7]),
                parent_ids: f[1].split_whitespace().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// A tree entry as printed by `ls-tree -l -z` (name is the printed path).
pub(crate) struct RawEntry {
    pub mode: String,
    pub kind: EntryKind,
    pub id: String,
    pub size: Option<u64>,
    pub path: String,
}

pub(crate) fn parse_ls_tree(out: &[u8]) -> Vec<RawEntry> {
    let text = String::from_utf8_lossy(out);
    text.split('\0')
        .filter(|r| !r.is_empty())
        .filter_map(|rec| {
            let (meta, path) = rec.split_once('\t')?;
            let mut it = meta.split_whitespace();
            let mode = it.next()?.to_string();
            let kind = match it.next()? {
                "tree" => EntryKind::Tree,
                "blob" => EntryKind::Blob,
                "commit" => EntryKind::Commit,
                _ => return None,
            };
            let id = it.next()?.to_string();
            let size = it.next().and_then(|s| s.parse::<u64>().ok());
            Some(RawEntry { mode, kind, id, size: if kind == EntryKind::Blob { size } else { None }, path: path.to_string() })
        })
        .collect()
}

impl Repo {
    /// True when the repository has no branches yet, so the server can show
    /// the "push your first commit" page and allow the first-commit API.
    pub async fn is_empty(&self) -> Result<bool> {
        self.ensure_exists()?;
        let mut cmd = self.git();
        cmd.args(["for-each-ref", "--count=1", "--format=%(refname)", "refs/heads/"]);
        Ok(trimmed(&run_ok(cmd, "for-each-ref", None).await?).is_empty())
    }

    /// The branch HEAD points at, even if it has no commits yet (unborn),
    /// because that is the repository's default branch; `None` if HEAD is
    /// detached or not under `refs/heads/`.
    pub async fn head_branch(&self) -> Result<Option<String>> {
        self.ensure_exists()?;
        let mut cmd = self.git();
        cmd.args(["symbolic-ref", "--quiet", "HEAD"]);
        let out = run(cmd, "symbolic-ref", None).await?;
        if !out.success {
            return Ok(None);
        }
        Ok(trimmed(&out.stdout).strip_prefix("refs/heads/").map(str::to_string))
    }

    /// Make `branch` the default branch. It must exist unless the
    /// repository is still empty (then it only names the future first
    /// branch), so HEAD can never silently point at nothing.
    pub async fn set_head(&self, branch: &str) -> Result<()> {
        validate_branch_name(branch)?;
        self.ensure_exists()?;
        if self.ref_target(&format!("refs/heads/{branch}")).await?.is_none() && !self.is_empty().await? {
            return Err(GitError::not_found(format!("branch '{branch}'")));
        }
        self.set_head_unchecked(branch).await
    }

    pub(crate) async fn set_head_unchecked(&self, branch: &str) -> Result<()> {
        let mut cmd = self.git();
        cmd.args(["symbolic-ref", "HEAD"]).arg(format!("refs/heads/{branch}"));
        run_ok(cmd, "symbolic-ref", None).await?;
        Ok(())
    }

    /// Exact value of a fully qualified ref, `None` when absent.
    pub(crate) async fn ref_target(&self, full_ref: &str) -> Result<Option<String>> {
        let mut cmd = self.git();
        cmd.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]).arg(full_ref);
        let out = run(cmd, "rev-parse", None).await?;
        if out.success {
            Ok(Some(trimmed(&out.stdout)))
        } else {
            Ok(None)
        }
    }

    /// Commit infos for many commits with one process, keyed by id.
    pub(crate) async fn commit_infos(&self, ids: &[String]) -> Result<HashMap<String, CommitInfo>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut input = String::new();
        for id in ids {
            input.push_str(id);
            input.push('\n');
        }
        let mut cmd = self.git();
        cmd.args(["rev-list", "--no-commit-header", "--no-walk=unsorted", COMMIT_FORMAT, "--stdin"]);
        let out = run_ok(cmd, "rev-list", Some(input.as_bytes())).await?;
        Ok(parse_commits(&out).into_iter().map(|c| (c.id.clone(), c)).collect())
    }

    async fn list_branches(&self, pattern: &str) -> Result<Vec<Branch>> {
        self.ensure_exists()?;
        let mut cmd = self.git();
        cmd.args(["for-each-ref", "--sort=refname", "--format=%(refname)%00%(objectname)%00%(objecttype)"]).arg(pattern);
        let out = run_ok(cmd, "for-each-ref", None).await?;
        let text = String::from_utf8_lossy(&out);
        let mut refs = Vec::new();
        for line in text.lines() {
            let mut it = line.split('\0');
            let (Some(name), Some(id), Some("commit")) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            if let Some(short) = name.strip_prefix("refs/heads/") {
                refs.push((short.to_string(), id.to_string()));
            }
        }
        let ids: Vec<String> = refs.iter().map(|(_, id)| id.clone()).collect();
        let infos = self.commit_infos(&ids).await?;
        Ok(refs.into_iter().filter_map(|(name, id)| infos.get(&id).map(|c| Branch { name, commit: c.clone() })).collect())
    }

    /// Every branch and tag name, in one git process.
    pub async fn ref_names(&self) -> Result<RefNames> {
        self.ensure_exists()?;
        let mut cmd = self.git();
        cmd.args(["for-each-ref", "--sort=refname", "--format=%(refname)", "refs/heads/", "refs/tags/"]);
        let out = run_ok(cmd, "for-each-ref", None).await?;
        let mut names = RefNames::default();
        for line in String::from_utf8_lossy(&out).lines() {
            if let Some(b) = line.strip_prefix("refs/heads/") {
                names.branches.push(b.to_string());
            } else if let Some(t) = line.strip_prefix("refs/tags/") {
                names.tags.push(t.to_string());
            }
        }
        Ok(names)
    }

    /// All branches sorted by name, with their head commits, using two git
    /// processes regardless of the branch count.
    pub async fn branches(&self) -> Result<Vec<Branch>> {
        self.list_branches("refs/heads/").await
    }

    /// One branch; `None` when it does not exist (or the name is not a
    /// valid branch name, since such a branch cannot exist).
    pub async fn branch(&self, name: &str) -> Result<Option<Branch>> {
        if validate_branch_name(name).is_err() {
            return Ok(None);
        }
        let full = format!("refs/heads/{name}");
        Ok(self.list_branches(&full).await?.into_iter().find(|b| b.name == name))
    }

    async fn list_tags(&self, pattern: &str) -> Result<Vec<Tag>> {
        self.ensure_exists()?;
        let mut cmd = self.git();
        cmd.args([
            "for-each-ref",
            "--sort=refname",
            "--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(contents)%00%(contents:signature)%00",
        ])
        .arg(pattern);
        let out = run_ok(cmd, "for-each-ref", None).await?;
        let text = String::from_utf8_lossy(&out);
        let mut fields: Vec<&str> = text.split('\0').collect();
        if fields.last().is_some_and(|f| f.trim().is_empty()) {
            fields.pop();
        }
        // (name, commit id or None when it needs a peel, message)
        let mut tags: Vec<(String, Option<String>, String)> = Vec::new();
        for f in fields.chunks(7).filter(|c| c.len() == 7) {
            let refname = f[0].trim_start_matches('\n');
            let Some(name) = refname.strip_prefix("refs/tags/") else {
                continue;
            };
            let (commit, message) = match f[1] {
                "commit" => (Some(f[2].to_string()), String::new()),
                "tag" => {
                    let mut msg = f[5];
                    if !f[6].is_empty() {
                        msg = msg.strip_suffix(f[6]).unwrap_or(msg);
                    }
                    let msg = msg.trim_end_matches('\n').to_string();
                    match f[3] {
                        "commit" => (Some(f[4].to_string()), msg),
                        "tag" => (None, msg),
                        _ => continue, // tag of a tree or blob: not shown
                    }
                }
                _ => continue,
            };
            tags.push((name.to_string(), commit, message));
        }
        // Tags of tags are rare; peel them one by one.
        for (name, commit, _) in tags.iter_mut().filter(|t| t.1.is_none()) {
            let mut cmd = self.git();
            cmd.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]).arg(format!("refs/tags/{name}^{{commit}}"));
            let out = run(cmd, "rev-parse", None).await?;
            if out.success {
                *commit = Some(trimmed(&out.stdout));
            }
        }
        let ids: Vec<String> = tags.iter().filter_map(|t| t.1.clone()).collect();
        let infos = self.commit_infos(&ids).await?;
        Ok(tags
            .into_iter()
            .filter_map(|(name, id, message)| {
                let commit = infos.get(id.as_ref()?)?.clone();
                Some(Tag { name, message, commit })
            })
            .collect())
    }

    /// All tags that mark commits, sorted by name; tags of trees or blobs
    /// are skipped because the API has no way to show them.
    pub async fn tags(&self) -> Result<Vec<Tag>> {
        self.list_tags("refs/tags/").await
    }

    /// One tag; `None` when it does not exist or the name is invalid.
    pub async fn tag(&self, name: &str) -> Result<Option<Tag>> {
        if validate_tag_name(name).is_err() {
            return Ok(None);
        }
        let full = format!("refs/tags/{name}");
        Ok(self.list_tags(&full).await?.into_iter().find(|t| t.name == name))
    }

    /// Full commit id for a branch, tag, (abbreviated) sha or `refs/...`
    /// name; branches win over tags, tags over shas, matching what users
    /// expect from Codeup. Anything that looks like an option or a rev
    /// expression (`-x`, `a..b`, `x^`, `x~1`, `x@{1}`, `x:path`, spaces) is
    /// refused with [`GitError::InvalidRef`] before git sees it.
    pub async fn resolve_commit(&self, rev: &str) -> Result<Option<String>> {
        check_rev(rev)?;
        self.ensure_exists()?;
        let is_full_sha = rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
        let candidates: Vec<String> = if is_full_sha || rev.starts_with("refs/") {
            vec![rev.to_string()]
        } else {
            vec![format!("refs/heads/{rev}"), format!("refs/tags/{rev}"), rev.to_string()]
        };
        for c in candidates {
            let mut cmd = self.git();
            cmd.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]).arg(format!("{c}^{{commit}}"));
            let out = run(cmd, "rev-parse", None).await?;
            if out.success {
                return Ok(Some(trimmed(&out.stdout)));
            }
        }
        Ok(None)
    }

    /// Like [`Repo::resolve_commit`] but unknown revisions are an error.
    pub(crate) async fn require_commit(&self, rev: &str) -> Result<String> {
        self.resolve_commit(rev).await?.ok_or_else(|| GitError::not_found(format!("revision '{rev}'")))
    }

    /// One commit with its line statistics against its first parent;
    /// `None` for an unknown revision.
    pub async fn commit(&self, rev: &str) -> Result<Option<(CommitInfo, CommitStats)>> {
        let Some(id) = self.resolve_commit(rev).await? else {
            return Ok(None);
        };
        let mut infos = self.commit_infos(std::slice::from_ref(&id)).await?;
        let Some(info) = infos.remove(&id) else {
            return Ok(None);
        };
        let mut cmd = self.git();
        cmd.args(["diff-tree", "-r", "--numstat", "-z", "--no-renames", "--no-commit-id"]);
        match info.parent_ids.first() {
            Some(p) => cmd.arg(p).arg(&id),
            None => cmd.arg("--root").arg(&id),
        };
        let out = run_ok(cmd, "diff-tree", None).await?;
        let mut stats = CommitStats::default();
        for rec in String::from_utf8_lossy(&out).split('\0') {
            let mut it = rec.split('\t');
            let (Some(a), Some(d), Some(_)) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            stats.additions += a.trim().parse::<u64>().unwrap_or(0);
            stats.deletions += d.trim().parse::<u64>().unwrap_or(0);
        }
        stats.total = stats.additions + stats.deletions;
        Ok(Some((info, stats)))
    }

    /// A page of history plus the total number of matching commits (for
    /// pagination headers), newest first. `since`/`until` filter on the
    /// committer time at second precision. An unknown `rev` is
    /// [`GitError::NotFound`].
    pub async fn log(&self, q: &LogQuery) -> Result<(Vec<CommitInfo>, u64)> {
        let id = self.require_commit(&q.rev).await?;
        let path = match q.path.as_deref() {
            None | Some("") | Some("/") => None,
            Some(p) => Some(normalize_path(p)?),
        };
        let mut filters: Vec<String> = Vec::new();
        if let Some(since) = q.since {
            // Inclusive: commit_secs * 1000 >= since.
            let secs = since.div_euclid(1000) + i64::from(since.rem_euclid(1000) != 0);
            // Raw timestamps: git's date parser (`--since=@N`) misreads large values, e.g. a
            // time in 2100 matched every commit.
            filters.push(format!("--max-age={secs}"));
        }
        if let Some(until) = q.until {
            filters.push(format!("--min-age={}", until.div_euclid(1000)));
        }
        if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
            filters.push(format!("--grep={s}"));
            filters.push("--fixed-strings".into());
            filters.push("--regexp-ignore-case".into());
        }
        let build = |count: bool| {
            let mut cmd = self.git();
            cmd.arg("rev-list");
            if count {
                cmd.arg("--count");
            } else {
                cmd.args(["--no-commit-header", COMMIT_FORMAT])
                    // git parses these as C ints.
                    .arg(format!("--skip={}", q.skip.min(i32::MAX as u64)))
                    .arg(format!("--max-count={}", q.limit.min(i32::MAX as u64)));
            }
            cmd.args(&filters).arg(&id).arg("--");
            if let Some(p) = &path {
                cmd.arg(p);
            }
            cmd
        };
        let (list, count) = tokio::join!(run_ok(build(false), "rev-list", None), run_ok(build(true), "rev-list", None));
        let commits = if q.limit == 0 { Vec::new() } else { parse_commits(&list?) };
        let total = trimmed(&count?).parse::<u64>().unwrap_or(0);
        Ok((commits, total))
    }

    /// The entries at exactly the given paths in `commit`, keyed by path;
    /// used to check existence and parent components with one process.
    pub(crate) async fn entries_at(&self, commit: &str, paths: &[String]) -> Result<HashMap<String, RawEntry>> {
        let mut cmd = self.git();
        cmd.args(["ls-tree", "-t", "-l", "-z", "--full-tree"]).arg(commit).arg("--").args(paths);
        let out = run_ok(cmd, "ls-tree", None).await?;
        Ok(parse_ls_tree(&out).into_iter().filter(|e| paths.contains(&e.path)).map(|e| (e.path.clone(), e)).collect())
    }

    /// List a directory of `rev`. `path` `""` (or `/`) is the root. An
    /// unknown revision or path is [`GitError::NotFound`]; a path naming a
    /// file (or submodule) is [`GitError::InvalidPath`] so the server can
    /// tell "use the blob API" apart from "nothing there".
    pub async fn tree(&self, rev: &str, path: &str, mode: TreeMode) -> Result<Vec<TreeEntry>> {
        let commit = self.require_commit(rev).await?;
        let (tree_id, prefix) = if path.is_empty() || path == "/" {
            (commit.clone(), String::new())
        } else {
            let p = normalize_path(path)?;
            let entries = self.entries_at(&commit, std::slice::from_ref(&p)).await?;
            match entries.get(&p) {
                None => return Err(GitError::not_found(format!("path '{p}'"))),
                Some(e) if e.kind != EntryKind::Tree => return Err(GitError::invalid_path(&p, "not a directory")),
                Some(e) => (e.id.clone(), format!("{p}/")),
            }
        };
        let mut cmd = self.git();
        cmd.args(["ls-tree", "-l", "-z"]);
        if mode == TreeMode::Recursive {
            cmd.args(["-r", "-t"]);
        }
        cmd.arg(&tree_id);
        let out = run_ok(cmd, "ls-tree", None).await?;
        Ok(parse_ls_tree(&out)
            .into_iter()
            .map(|e| TreeEntry {
                name: e.path.rsplit('/').next().unwrap_or(&e.path).to_string(),
                path: format!("{prefix}{}", e.path),
                id: e.id,
                kind: e.kind,
                mode: e.mode,
                size: e.size,
            })
            .collect())
    }

    /// The bytes of a blob named by its id (an entry of a listing just read), so a page that
    /// has the listing does not resolve the path again. Anything but a blob is not found.
    pub async fn blob_by_id(&self, id: &str) -> Result<Vec<u8>> {
        if id.len() < 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GitError::not_found(format!("blob '{id}'")));
        }
        let mut cmd = self.git();
        cmd.args(["cat-file", "blob"]).arg(id);
        run_ok(cmd, "cat-file", None).await.map_err(|_| GitError::not_found(format!("blob '{id}'")))
    }

    /// Read a file of `rev`, refusing (without reading it) anything larger
    /// than `max_bytes` so one request cannot exhaust memory.
    pub async fn blob(&self, rev: &str, path: &str, max_bytes: u64) -> Result<BlobContent> {
        let commit = self.require_commit(rev).await?;
        let p = normalize_path(path)?;
        let entries = self.entries_at(&commit, std::slice::from_ref(&p)).await?;
        let entry = match entries.get(&p) {
            None => return Err(GitError::not_found(format!("file '{p}'"))),
            Some(e) if e.kind != EntryKind::Blob => return Err(GitError::invalid_path(&p, "not a file")),
            Some(e) => e,
        };
        let size = entry.size.unwrap_or(0);
        if size > max_bytes {
            return Err(GitError::TooLarge { limit: max_bytes });
        }
        let mut cmd = self.git();
        cmd.args(["cat-file", "blob"]).arg(&entry.id);
        let bytes = run_ok(cmd, "cat-file", None).await?;
        Ok(BlobContent { id: entry.id.clone(), commit_id: commit, size, bytes })
    }
}
