mod common;

use codeport_git::*;
use common::*;

#[tokio::test]
async fn create_empty_repository() {
    let (_d, s) = store();
    let r = s.create(7, "develop", None).await.unwrap();
    assert!(r.exists());
    assert_eq!(r.id(), 7);
    assert!(r.path().ends_with("7.git"));
    assert!(r.is_empty().await.unwrap());
    assert_eq!(r.head_branch().await.unwrap().as_deref(), Some("develop"));
    assert!(r.branches().await.unwrap().is_empty());
    assert!(r.tags().await.unwrap().is_empty());
    assert_eq!(r.resolve_commit("develop").await.unwrap(), None);
    let cfg = git(r.path(), &["config", "--list", "--local"]);
    assert!(cfg.contains("uploadpack.allowreachablesha1inwant=true"), "{cfg}");
    assert!(cfg.contains("core.logallrefupdates=false"), "{cfg}");
    // No hook samples, no leftovers.
    let hooks = r.path().join("hooks");
    if hooks.exists() {
        for e in std::fs::read_dir(hooks).unwrap() {
            assert!(!e.unwrap().file_name().to_string_lossy().ends_with(".sample"));
        }
    }
    let names: Vec<String> = std::fs::read_dir(s.root()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["7.git".to_string()]);
}

#[tokio::test]
async fn create_with_readme() {
    let (_d, _s, r) = with_readme().await;
    assert!(!r.is_empty().await.unwrap());
    let b = r.branches().await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].name, "main");
    let c = &b[0].commit;
    assert_eq!(c.title, "Initial commit");
    assert_eq!(c.author_name, "Alice Example");
    assert_eq!(c.author_email, "alice@example.com");
    assert_eq!(c.authored_at, T0);
    assert_eq!(c.committed_at, T0);
    assert!(c.parent_ids.is_empty());
    assert_eq!(c.short_id, &c.id[..8]);
    let blob = r.blob("main", "README.md", 100).await.unwrap();
    assert_eq!(blob.bytes, b"# hello\n");
    assert_eq!(blob.commit_id, c.id);
}

#[tokio::test]
async fn create_existing_id_fails_and_keeps_repo() {
    let (_d, s, r) = with_readme().await;
    let before = r.branches().await.unwrap();
    let err = s.create(1, "other", None).await.unwrap_err();
    assert!(matches!(err, GitError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(r.branches().await.unwrap(), before);
    assert_eq!(r.head_branch().await.unwrap().as_deref(), Some("main"));
    let leftovers = std::fs::read_dir(s.root()).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.')).count();
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn concurrent_create_same_id_one_wins() {
    let (_d, s) = store();
    let (a, b) = tokio::join!(s.create(3, "main", Some(readme())), s.create(3, "main", None));
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    let names: Vec<String> = std::fs::read_dir(s.root()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["3.git".to_string()]);
}

#[tokio::test]
async fn failed_create_leaves_nothing() {
    let (_d, s) = store();
    let mut init = readme();
    init.author.name = "<>".into(); // unusable signature: fails at commit time
    let err = s.create(5, "main", Some(init)).await.unwrap_err();
    assert!(matches!(err, GitError::InvalidArgument { .. }), "{err:?}");
    assert!(!s.open(5).exists());
    assert_eq!(std::fs::read_dir(s.root()).unwrap().count(), 0);

    let err = s.create(5, "bad..name", None).await.unwrap_err();
    assert!(matches!(err, GitError::InvalidRef { .. }));
    let mut init = readme();
    init.file_name = "../x".into();
    let err = s.create(5, "main", Some(init)).await.unwrap_err();
    assert!(matches!(err, GitError::InvalidPath { .. }));
    assert!(!s.open(5).exists());
}

#[tokio::test]
async fn delete_and_sweep() {
    let (_d, s, r) = with_readme().await;
    s.delete(1).await.unwrap();
    assert!(!r.exists());
    s.delete(1).await.unwrap(); // missing is ok
    assert!(matches!(r.branches().await.unwrap_err(), GitError::NotFound { .. }));
    std::fs::create_dir_all(s.root().join(".tmp-abc/objects")).unwrap();
    std::fs::create_dir_all(s.root().join(".trash-1-xyz")).unwrap();
    s.create(2, "main", None).await.unwrap();
    assert_eq!(s.sweep().await.unwrap(), 2);
    let names: Vec<String> = std::fs::read_dir(s.root()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["2.git".to_string()]);
    // Sweep of a missing root is fine.
    assert_eq!(RepoStore::new(s.root().join("nope")).sweep().await.unwrap(), 0);
}

#[tokio::test]
async fn branches_create_list_delete() {
    let (_d, _s, r) = with_readme().await;
    let head = r.branch("main").await.unwrap().unwrap().commit.id;
    let b = r.create_branch("feature/x", "main").await.unwrap();
    assert_eq!(b.name, "feature/x");
    assert_eq!(b.commit.id, head);
    r.create_branch("a-branch", &head[..10]).await.unwrap();
    let names: Vec<String> = r.branches().await.unwrap().into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["a-branch", "feature/x", "main"]);

    assert!(matches!(r.create_branch("main", "main").await.unwrap_err(), GitError::AlreadyExists { .. }));
    assert!(matches!(r.create_branch("nope", "does-not-exist").await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.create_branch("bad..name", "main").await.unwrap_err(), GitError::InvalidRef { .. }));
    assert!(matches!(r.create_branch("x", "--upload-pack=evil").await.unwrap_err(), GitError::InvalidRef { .. }));
    // D/F clash with an existing branch.
    assert!(matches!(r.create_branch("feature/x/y", "main").await.unwrap_err(), GitError::Conflict { .. }));
    assert!(matches!(r.delete_branch("main").await.unwrap_err(), GitError::Conflict { .. }));
    assert!(matches!(r.delete_branch("missing").await.unwrap_err(), GitError::NotFound { .. }));
    r.delete_branch("feature/x").await.unwrap();
    assert!(r.branch("feature/x").await.unwrap().is_none());
    assert!(r.branch("bad..name").await.unwrap().is_none());
    // Prefix of an existing branch is not that branch.
    assert!(r.branch("a").await.unwrap().is_none());

    // set_head
    r.set_head("a-branch").await.unwrap();
    assert_eq!(r.head_branch().await.unwrap().as_deref(), Some("a-branch"));
    assert!(matches!(r.set_head("ghost").await.unwrap_err(), GitError::NotFound { .. }));
}

#[tokio::test]
async fn set_head_on_empty_repo_allows_unborn() {
    let (_d, s) = store();
    let r = s.create(1, "main", None).await.unwrap();
    r.set_head("trunk").await.unwrap();
    assert_eq!(r.head_branch().await.unwrap().as_deref(), Some("trunk"));
}

#[tokio::test]
async fn tags_create_list_delete() {
    let (_d, _s, r) = with_readme().await;
    let head = r.resolve_commit("main").await.unwrap().unwrap();
    let light = r.create_tag("v1.0", "main", None, sig(T0)).await.unwrap();
    assert_eq!(light.message, "");
    assert_eq!(light.commit.id, head);
    let ann = r.create_tag("v2.0", &head, Some("Release 2\n\nnotes".into()), sig(T0 + 5000)).await.unwrap();
    assert_eq!(ann.message, "Release 2\n\nnotes");
    assert_eq!(ann.commit.id, head);
    assert_eq!(git(r.path(), &["cat-file", "-t", "refs/tags/v2.0"]).trim(), "tag");
    let empty_msg = r.create_tag("v3", "main", Some(String::new()), sig(T0)).await.unwrap();
    assert_eq!(git(r.path(), &["cat-file", "-t", "refs/tags/v3"]).trim(), "commit");
    assert_eq!(empty_msg.message, "");

    let names: Vec<String> = r.tags().await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["v1.0", "v2.0", "v3"]);
    assert_eq!(r.tag("v2.0").await.unwrap().unwrap().message, "Release 2\n\nnotes");
    assert!(r.tag("v9").await.unwrap().is_none());

    assert!(matches!(r.create_tag("v1.0", "main", None, sig(T0)).await.unwrap_err(), GitError::AlreadyExists { .. }));
    assert!(matches!(r.create_tag("v5", "nothing", None, sig(T0)).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.create_tag("-v5", "main", None, sig(T0)).await.unwrap_err(), GitError::InvalidRef { .. }));
    // Tag name resolution: tags resolve, branches win over tags.
    assert_eq!(r.resolve_commit("v2.0").await.unwrap().as_deref(), Some(head.as_str()));
    r.delete_tag("v1.0").await.unwrap();
    assert!(matches!(r.delete_tag("v1.0").await.unwrap_err(), GitError::NotFound { .. }));
    assert_eq!(r.tags().await.unwrap().len(), 2);
}

#[tokio::test]
async fn resolve_commit_rules() {
    let (_d, _s, r) = with_readme().await;
    let c1 = r.resolve_commit("main").await.unwrap().unwrap();
    let c2 = put(&r, "main", "b.txt", b"b\n", "second", T0 + 1000).await.commit_id;
    // A tag named like a branch: the branch wins.
    r.create_tag("main", &c1, None, sig(T0)).await.unwrap();
    assert_eq!(r.resolve_commit("main").await.unwrap().unwrap(), c2);
    assert_eq!(r.resolve_commit("refs/tags/main").await.unwrap().unwrap(), c1);
    assert_eq!(r.resolve_commit("refs/heads/main").await.unwrap().unwrap(), c2);
    assert_eq!(r.resolve_commit(&c1).await.unwrap().unwrap(), c1);
    assert_eq!(r.resolve_commit(&c1[..7]).await.unwrap().unwrap(), c1);
    assert_eq!(r.resolve_commit("HEAD").await.unwrap().unwrap(), c2);
    assert_eq!(r.resolve_commit("unknown").await.unwrap(), None);
    assert_eq!(r.resolve_commit(&"f".repeat(40)).await.unwrap(), None);
    for bad in ["-h", "--all", "main~1", "main^", "main^{tree}", "main@{0}", "a..b", "main:README.md", "a b", ""] {
        assert!(matches!(r.resolve_commit(bad).await, Err(GitError::InvalidRef { .. })), "{bad}");
    }
    // A tag pointing at a blob is not a commit.
    let blob = r.blob("main", "README.md", 100).await.unwrap().id;
    assert_eq!(r.resolve_commit(&blob).await.unwrap(), None);
}
