#![allow(dead_code)]
use codeport_git::*;
use tempfile::TempDir;

pub const T0: i64 = 1_700_000_000_000;

pub fn sig(when: i64) -> Signature {
    Signature { name: "Alice Example".into(), email: "alice@example.com".into(), when }
}

pub fn store() -> (TempDir, RepoStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = RepoStore::new(dir.path().join("repositories"));
    (dir, store)
}

pub fn readme() -> InitialCommit {
    InitialCommit { file_name: "README.md".into(), content: b"# hello\n".to_vec(), message: "Initial commit".into(), author: sig(T0) }
}

pub async fn with_readme() -> (TempDir, RepoStore, Repo) {
    let (d, s) = store();
    let r = s.create(1, "main", Some(readme())).await.unwrap();
    (d, s, r)
}

pub async fn put(repo: &Repo, branch: &str, path: &str, content: &[u8], msg: &str, when: i64) -> CommitResult {
    let exists = repo.blob(branch, path, u64::MAX).await.is_ok();
    let change = if exists {
        FileChange::Update { path: path.into(), content: content.to_vec() }
    } else {
        FileChange::Create { path: path.into(), content: content.to_vec() }
    };
    repo.commit_change(FileCommit { branch: branch.into(), change, message: msg.into(), author: sig(when) }).await.unwrap()
}

pub async fn del(repo: &Repo, branch: &str, path: &str, msg: &str, when: i64) -> CommitResult {
    repo.commit_change(FileCommit { branch: branch.into(), change: FileChange::Delete { path: path.into() }, message: msg.into(), author: sig(when) })
        .await
        .unwrap()
}

/// Run git (test-side only) in a repo dir and return stdout.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
