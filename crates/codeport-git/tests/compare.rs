mod common;

use codeport_git::*;
use common::*;

const ZERO: &str = "0000000000000000000000000000000000000000";

fn long_text(tag: &str) -> Vec<u8> {
    (0..40).map(|i| format!("{tag} line {i}\n")).collect::<String>().into_bytes()
}

async fn setup() -> (tempfile::TempDir, RepoStore, Repo) {
    let (d, s, r) = with_readme().await;
    put(&r, "main", "a.txt", b"one\ntwo\nthree\n", "a", T0 + 1000).await;
    put(&r, "main", "old.txt", &long_text("renamed"), "old", T0 + 2000).await;
    put(&r, "main", "gone.txt", b"bye\n", "gone", T0 + 3000).await;
    r.create_branch("feature", "main").await.unwrap();
    // feature: modify, rename, add binary, add, delete.
    put(&r, "feature", "a.txt", b"one\n2\nthree\nfour\n", "edit a", T0 + 4000).await;
    del(&r, "feature", "old.txt", "rm old", T0 + 5000).await;
    put(&r, "feature", "dir/new.txt", &long_text("renamed"), "add new", T0 + 6000).await;
    put(&r, "feature", "img.bin", &[0u8, 159, 146, 150, 0, 1, 2], "bin", T0 + 7000).await;
    put(&r, "feature", "added.txt", b"hello\n", "added", T0 + 8000).await;
    del(&r, "feature", "gone.txt", "rm gone", T0 + 9000).await;
    // main moves on after the fork.
    put(&r, "main", "main-only.txt", b"m\n", "main only", T0 + 10000).await;
    (d, s, r)
}

#[tokio::test]
async fn compare_merge_base() {
    let (_d, _s, r) = setup().await;
    let c = r.compare("main", "feature", false).await.unwrap();
    let main = r.resolve_commit("main").await.unwrap().unwrap();
    let feature = r.resolve_commit("feature").await.unwrap().unwrap();
    assert_eq!(c.from_commit, main);
    assert_eq!(c.to_commit, feature);
    assert_eq!(c.base_commit, r.commit("main").await.unwrap().unwrap().0.parent_ids[0]);
    assert!(!c.truncated);
    let titles: Vec<&str> = c.commits.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["rm gone", "added", "bin", "add new", "rm old", "edit a"]);

    let paths: Vec<(&str, &str)> = c.diffs.iter().map(|d| (d.old_path.as_str(), d.new_path.as_str())).collect();
    assert_eq!(
        paths,
        [("a.txt", "a.txt"), ("added.txt", "added.txt"), ("old.txt", "dir/new.txt"), ("gone.txt", "gone.txt"), ("img.bin", "img.bin"),]
    );
    let by = |p: &str| c.diffs.iter().find(|d| d.new_path == p).unwrap();

    let a = by("a.txt");
    assert!(!a.new_file && !a.deleted_file && !a.renamed_file && !a.is_binary);
    assert_eq!((a.a_mode.as_str(), a.b_mode.as_str()), ("100644", "100644"));
    assert!(a.diff.starts_with("@@ -1,3 +1,4 @@\n"), "{}", a.diff);
    assert!(a.diff.contains("-two\n+2\n"));
    assert!(a.diff.contains("+four\n"));
    assert!(!a.diff.contains("diff --git"));

    let added = by("added.txt");
    assert!(added.new_file);
    assert_eq!(added.old_id, ZERO);
    assert_eq!(added.a_mode, "0");
    assert_eq!(added.diff, "@@ -0,0 +1 @@\n+hello\n");

    let ren = by("dir/new.txt");
    assert!(ren.renamed_file && !ren.new_file && !ren.deleted_file);
    assert_eq!(ren.old_id, ren.new_id);
    assert_eq!(ren.diff, "");

    let gone = by("gone.txt");
    assert!(gone.deleted_file);
    assert_eq!(gone.new_id, ZERO);
    assert_eq!(gone.b_mode, "0");
    assert_eq!(gone.diff, "@@ -1 +0,0 @@\n-bye\n");

    let bin = by("img.bin");
    assert!(bin.is_binary && bin.new_file);
    assert_eq!(bin.diff, "");
}

#[tokio::test]
async fn compare_straight() {
    let (_d, _s, r) = setup().await;
    let c = r.compare("main", "feature", true).await.unwrap();
    // Direct diff also shows main's later file as deleted.
    let mo = c.diffs.iter().find(|d| d.old_path == "main-only.txt").unwrap();
    assert!(mo.deleted_file);
    assert_eq!(c.diffs.len(), 6);
    assert_eq!(c.commits.len(), 6);
    // Reverse direction: commits on main not on feature.
    let back = r.compare("feature", "main", false).await.unwrap();
    assert_eq!(back.commits.len(), 1);
    assert_eq!(back.diffs.len(), 1);
    assert!(back.diffs[0].new_file);
    // Same revision: nothing.
    let same = r.compare("main", "main", false).await.unwrap();
    assert!(same.commits.is_empty() && same.diffs.is_empty());
    assert!(matches!(r.compare("main", "nope", false).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.compare("-x", "main", false).await.unwrap_err(), GitError::InvalidRef { .. }));
}

#[tokio::test]
async fn compare_truncates() {
    let (_d, _s, r) = setup().await;
    let limits = DiffLimits { max_commits: 2, max_files: 10, max_file_bytes: 16, max_total_bytes: 1 << 20 };
    let c = r.compare_with_limits("main", "feature", false, limits).await.unwrap();
    assert!(c.truncated);
    assert_eq!(c.commits.len(), 2);
    let a = c.diffs.iter().find(|d| d.new_path == "a.txt").unwrap();
    assert!(a.truncated);
    assert!(a.diff.len() <= 16);
    let gone = c.diffs.iter().find(|d| d.new_path == "gone.txt").unwrap();
    assert!(gone.truncated || gone.diff.len() <= 16);

    let limits = DiffLimits { max_commits: 100, max_files: 2, max_file_bytes: 1 << 20, max_total_bytes: 1 << 20 };
    let c = r.compare_with_limits("main", "feature", false, limits).await.unwrap();
    assert!(c.truncated);
    assert_eq!(c.diffs.len(), 2);
    assert!(c.diffs[1].diff.contains("+hello"));

    let limits = DiffLimits { max_commits: 100, max_files: 100, max_file_bytes: 1 << 20, max_total_bytes: 40 };
    let c = r.compare_with_limits("main", "feature", false, limits).await.unwrap();
    assert!(c.truncated);
    let total: usize = c.diffs.iter().map(|d| d.diff.len()).sum();
    assert!(total <= 40);
    assert_eq!(c.diffs.len(), 5);
    assert!(c.diffs.iter().any(|d| d.truncated));
}

#[tokio::test]
async fn compare_unrelated_histories() {
    let (_d, _s, r) = with_readme().await;
    // An orphan commit made with test-side plumbing.
    let empty_tree = git(r.path(), &["mktree"]).trim().to_string();
    let out = std::process::Command::new("git")
        .args(["--git-dir"])
        .arg(r.path())
        .args(["commit-tree", &empty_tree, "-m", "orphan"])
        .env("GIT_AUTHOR_NAME", "x")
        .env("GIT_AUTHOR_EMAIL", "x@x")
        .env("GIT_COMMITTER_NAME", "x")
        .env("GIT_COMMITTER_EMAIL", "x@x")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let orphan = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(matches!(r.compare(&orphan, "main", false).await.unwrap_err(), GitError::NotFound { .. }));
    let c = r.compare(&orphan, "main", true).await.unwrap();
    assert_eq!(c.base_commit, "");
    assert_eq!(c.diffs.len(), 1);
    assert!(c.diffs[0].new_file);
}
