mod common;

use codeport_git::*;
use common::*;

fn create(branch: &str, path: &str, content: &[u8]) -> FileCommit {
    FileCommit {
        branch: branch.into(),
        change: FileChange::Create { path: path.into(), content: content.to_vec() },
        message: format!("add {path}"),
        author: sig(T0 + 1000),
    }
}

#[tokio::test]
async fn commit_change_create_update_delete() {
    let (_d, _s, r) = with_readme().await;
    let base = r.resolve_commit("main").await.unwrap().unwrap();
    let res = r.commit_change(create("main", "/docs/guide.md", b"guide\n")).await.unwrap();
    let info = r.commit(&res.commit_id).await.unwrap().unwrap().0;
    assert_eq!(info.parent_ids, vec![base.clone()]);
    assert_eq!(info.message, "add /docs/guide.md");
    let blob = r.blob("main", "docs/guide.md", 1 << 20).await.unwrap();
    assert_eq!(Some(blob.id.clone()), res.blob_id);
    assert_eq!(blob.bytes, b"guide\n");
    assert_eq!(r.resolve_commit("main").await.unwrap().unwrap(), res.commit_id);

    r.commit_change(create("main", "run.sh", b"#!/bin/sh\n")).await.unwrap();
    let upd = r
        .commit_change(FileCommit {
            branch: "main".into(),
            change: FileChange::Update { path: "docs/guide.md".into(), content: b"guide v2\n".to_vec() },
            message: "update".into(),
            author: sig(T0 + 2000),
        })
        .await
        .unwrap();
    assert_eq!(r.blob("main", "docs/guide.md", 100).await.unwrap().bytes, b"guide v2\n");
    assert!(upd.blob_id.is_some());

    let d = r
        .commit_change(FileCommit {
            branch: "main".into(),
            change: FileChange::Delete { path: "docs/guide.md".into() },
            message: "delete".into(),
            author: sig(T0 + 3000),
        })
        .await
        .unwrap();
    assert_eq!(d.blob_id, None);
    assert!(matches!(r.blob("main", "docs/guide.md", 100).await.unwrap_err(), GitError::NotFound { .. }));
    // The now-empty directory disappears.
    assert!(matches!(r.tree("main", "docs", TreeMode::Direct).await.unwrap_err(), GitError::NotFound { .. }));
    // No temporary index files left behind.
    for e in std::fs::read_dir(r.path()).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.starts_with("codeport-index"), "{n}");
    }
    let (commits, total) = r.log(&LogQuery { rev: "main".into(), limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(commits[0].title, "delete");
}

#[tokio::test]
async fn commit_change_refusals() {
    let (_d, _s, r) = with_readme().await;
    put(&r, "main", "dir/file.txt", b"x", "x", T0 + 1).await;
    let e = r.commit_change(create("main", "README.md", b"again")).await.unwrap_err();
    assert!(matches!(e, GitError::AlreadyExists { .. }), "{e:?}");
    let e = r.commit_change(create("main", "README.md/child", b"x")).await.unwrap_err();
    assert!(matches!(e, GitError::Conflict { .. }), "{e:?}");
    let e = r.commit_change(create("main", "dir/file.txt/deeper/x", b"x")).await.unwrap_err();
    assert!(matches!(e, GitError::Conflict { .. }), "{e:?}");
    let e = r.commit_change(create("main", "dir", b"x")).await.unwrap_err();
    assert!(matches!(e, GitError::Conflict { .. }), "{e:?}");
    let e = r.commit_change(create("nobranch", "new.txt", b"x")).await.unwrap_err();
    assert!(matches!(e, GitError::NotFound { .. }), "{e:?}");
    for bad in ["../etc/passwd", "a/.git/config", ".GIT/hooks/x", "a//b", "", "a/", "a\\b"] {
        let e = r.commit_change(create("main", bad, b"x")).await.unwrap_err();
        assert!(matches!(e, GitError::InvalidPath { .. }), "{bad}: {e:?}");
    }
    let upd = |path: &str| FileCommit {
        branch: "main".into(),
        change: FileChange::Update { path: path.into(), content: b"y".to_vec() },
        message: "u".into(),
        author: sig(T0),
    };
    assert!(matches!(r.commit_change(upd("missing.txt")).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.commit_change(upd("dir")).await.unwrap_err(), GitError::InvalidPath { .. }));
    let delete =
        FileCommit { branch: "main".into(), change: FileChange::Delete { path: "missing.txt".into() }, message: "d".into(), author: sig(T0) };
    assert!(matches!(r.commit_change(delete).await.unwrap_err(), GitError::NotFound { .. }));
    // A file whose name starts with '-' is just a file.
    r.commit_change(create("main", "-rf", b"dash")).await.unwrap();
    assert_eq!(r.blob("main", "-rf", 10).await.unwrap().bytes, b"dash");
}

#[tokio::test]
async fn commit_change_compare_and_swap() {
    let (_d, _s, r) = with_readme().await;
    let stale = r.resolve_commit("main").await.unwrap().unwrap();
    put(&r, "main", "a.txt", b"a", "a", T0 + 1).await;
    let e = r.commit_change_at(create("main", "b.txt", b"b"), Some(stale.clone())).await.unwrap_err();
    assert!(matches!(e, GitError::Conflict { .. }), "{e:?}");
    assert!(r.blob("main", "b.txt", 10).await.is_err());

    // Two racing creates of the same file: exactly one wins.
    let (a, b) = tokio::join!(r.commit_change(create("main", "race.txt", b"one")), r.commit_change(create("main", "race.txt", b"two")));
    assert!(a.is_ok() != b.is_ok(), "{a:?} / {b:?}");
    let err = a.err().or(b.err()).unwrap();
    assert!(matches!(err, GitError::Conflict { .. } | GitError::AlreadyExists { .. }), "{err:?}");
    let content = r.blob("main", "race.txt", 10).await.unwrap().bytes;
    assert!(content == b"one" || content == b"two");
    let (_, total) = r.log(&LogQuery { rev: "main".into(), limit: 0, ..Default::default() }).await.unwrap();
    assert_eq!(total, 3);

    // Many racing edits of different files: the branch never loses a commit.
    let futs: Vec<_> = (0..6).map(|i| r.commit_change(create("main", &format!("many/{i}.txt"), b"x"))).collect();
    let results = futures_util::future::join_all(futs).await;
    let won = results.iter().filter(|r| r.is_ok()).count() as u64;
    assert!(won >= 1);
    for res in &results {
        if let Err(e) = res {
            assert!(matches!(e, GitError::Conflict { .. }), "{e:?}");
        }
    }
    let (_, total) = r.log(&LogQuery { rev: "main".into(), limit: 0, ..Default::default() }).await.unwrap();
    assert_eq!(total, 3 + won);
    assert_eq!(r.tree("main", "many", TreeMode::Direct).await.unwrap().len() as u64, won);
}

#[tokio::test]
async fn first_commit_on_empty_repository() {
    let (_d, s) = store();
    let r = s.create(1, "main", None).await.unwrap();
    let e = r
        .commit_change(FileCommit {
            branch: "main".into(),
            change: FileChange::Update { path: "x".into(), content: vec![] },
            message: "m".into(),
            author: sig(T0),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, GitError::NotFound { .. }));
    let e = r.commit_change(create("other", "x", b"x")).await.unwrap_err();
    assert!(matches!(e, GitError::NotFound { .. }));
    let res = r.commit_change(create("main", "src/lib.rs", b"fn main() {}\n")).await.unwrap();
    let (info, stats) = r.commit("main").await.unwrap().unwrap();
    assert_eq!(info.id, res.commit_id);
    assert!(info.parent_ids.is_empty());
    assert_eq!(stats, CommitStats { additions: 1, deletions: 0, total: 1 });
    assert!(!r.is_empty().await.unwrap());
}

#[tokio::test]
async fn tree_listing() {
    let (_d, _s, r) = with_readme().await;
    put(&r, "main", "src/main.rs", b"fn main() {}\n", "m", T0 + 1).await;
    put(&r, "main", "src/util/mod.rs", b"", "m", T0 + 2).await;
    let root = r.tree("main", "", TreeMode::Direct).await.unwrap();
    let names: Vec<(&str, EntryKind)> = root.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    assert_eq!(names, [("README.md", EntryKind::Blob), ("src", EntryKind::Tree)]);
    assert_eq!(root[0].size, Some(8));
    assert_eq!(root[0].mode, "100644");
    assert_eq!(root[1].size, None);
    assert_eq!(root[1].mode, "040000");

    let src = r.tree("main", "/src", TreeMode::Direct).await.unwrap();
    let paths: Vec<&str> = src.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["src/main.rs", "src/util"]);
    assert_eq!(src[0].name, "main.rs");
    assert_eq!(src[0].size, Some(13));

    let all = r.tree("main", "", TreeMode::Recursive).await.unwrap();
    let paths: Vec<&str> = all.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["README.md", "src", "src/main.rs", "src/util", "src/util/mod.rs"]);
    let sub = r.tree("main", "src", TreeMode::Recursive).await.unwrap();
    let paths: Vec<&str> = sub.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["src/main.rs", "src/util", "src/util/mod.rs"]);
    assert_eq!(sub[2].name, "mod.rs");
    assert_eq!(sub[2].size, Some(0));

    assert!(matches!(r.tree("nope", "", TreeMode::Direct).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.tree("main", "nope", TreeMode::Direct).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.tree("main", "README.md", TreeMode::Direct).await.unwrap_err(), GitError::InvalidPath { .. }));
    assert!(matches!(r.tree("main", "../x", TreeMode::Direct).await.unwrap_err(), GitError::InvalidPath { .. }));
}

#[tokio::test]
async fn blob_reading() {
    let (_d, _s, r) = with_readme().await;
    let big = vec![b'z'; 5000];
    let c = put(&r, "main", "big.bin", &big, "big", T0 + 1).await;
    let b = r.blob(&c.commit_id, "big.bin", 5000).await.unwrap();
    assert_eq!(b.size, 5000);
    assert_eq!(b.bytes, big);
    assert_eq!(b.commit_id, c.commit_id);
    assert_eq!(r.blob("main", "big.bin", 4999).await.unwrap_err(), GitError::TooLarge { limit: 4999 });
    assert!(matches!(r.blob("main", "nope", 10).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.blob("nope", "big.bin", 10).await.unwrap_err(), GitError::NotFound { .. }));
    put(&r, "main", "d/f", b"x", "x", T0 + 2).await;
    assert!(matches!(r.blob("main", "d", 10).await.unwrap_err(), GitError::InvalidPath { .. }));
    // Pathspec magic is not interpreted.
    assert!(matches!(r.blob("main", ":(glob)*", 10).await.unwrap_err(), GitError::NotFound { .. }));
    put(&r, "main", "*", b"star", "star", T0 + 3).await;
    assert_eq!(r.blob("main", "*", 10).await.unwrap().bytes, b"star");
}

#[tokio::test]
async fn commit_stats() {
    let (_d, _s, r) = with_readme().await;
    put(&r, "main", "a.txt", b"1\n2\n3\n", "a", T0 + 1).await;
    let c = put(&r, "main", "a.txt", b"1\nTWO\n3\n4\n", "b", T0 + 2).await;
    let (info, stats) = r.commit(&c.commit_id).await.unwrap().unwrap();
    assert_eq!(info.title, "b");
    assert_eq!(stats, CommitStats { additions: 2, deletions: 1, total: 3 });
    let c = put(&r, "main", "bin.dat", &[0, 1, 2, 0, 5], "bin", T0 + 3).await;
    assert_eq!(r.commit(&c.commit_id).await.unwrap().unwrap().1, CommitStats::default());
    let (_, root_stats) = r.commit(&info.parent_ids[0]).await.unwrap().unwrap();
    assert_eq!(root_stats.additions, 3);
    assert!(r.commit("nothing").await.unwrap().is_none());
}

#[tokio::test]
async fn log_filters() {
    let (_d, _s, r) = with_readme().await; // commit at T0
    let s = 1000;
    put(&r, "main", "src/a.rs", b"a", "Add feature A", T0 + 10 * s).await;
    put(&r, "main", "docs/x.md", b"x", "docs: write\n\nmultiline body\nwith FIX inside", T0 + 20 * s).await;
    put(&r, "main", "src/a.rs", b"a2", "fix bug in a", T0 + 30 * s).await;
    put(&r, "main", "src/b.rs", b"b", "Add feature B [x]", T0 + 40 * s).await;

    let q = |f: &dyn Fn(&mut LogQuery)| {
        let mut q = LogQuery { rev: "main".into(), limit: 100, ..Default::default() };
        f(&mut q);
        q
    };
    let titles = |v: &[CommitInfo]| v.iter().map(|c| c.title.clone()).collect::<Vec<_>>();

    let (all, total) = r.log(&q(&|_| {})).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(titles(&all), ["Add feature B [x]", "fix bug in a", "docs: write", "Add feature A", "Initial commit"]);
    assert_eq!(all[2].message, "docs: write\n\nmultiline body\nwith FIX inside");
    assert_eq!(all[0].parent_ids, vec![all[1].id.clone()]);

    let (v, total) = r.log(&q(&|q| q.path = Some("src".into()))).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(titles(&v), ["Add feature B [x]", "fix bug in a", "Add feature A"]);
    let (v, total) = r.log(&q(&|q| q.path = Some("/src/a.rs".into()))).await.unwrap();
    assert_eq!((titles(&v).len(), total), (2, 2));

    let (v, total) = r.log(&q(&|q| q.search = Some("fix".into()))).await.unwrap();
    assert_eq!(titles(&v), ["fix bug in a", "docs: write"]);
    assert_eq!(total, 2);
    // Fixed string, not a regex.
    let (v, _) = r.log(&q(&|q| q.search = Some("[x]".into()))).await.unwrap();
    assert_eq!(titles(&v), ["Add feature B [x]"]);

    let (v, total) = r
        .log(&q(&|q| {
            q.since = Some(T0 + 20 * s);
            q.until = Some(T0 + 30 * s);
        }))
        .await
        .unwrap();
    assert_eq!(titles(&v), ["fix bug in a", "docs: write"]);
    assert_eq!(total, 2);
    let (v, _) = r.log(&q(&|q| q.since = Some(T0 + 20 * s + 1))).await.unwrap();
    assert_eq!(titles(&v), ["Add feature B [x]", "fix bug in a"]);
    let (v, _) = r.log(&q(&|q| q.until = Some(T0 + 20 * s - 1))).await.unwrap();
    assert_eq!(titles(&v), ["Add feature A", "Initial commit"]);
    // Far-future bounds (git's own date parser misreads these).
    let year_2999 = 32_503_680_000_000;
    assert_eq!(r.log(&q(&|q| q.since = Some(year_2999))).await.unwrap().1, 0);
    assert_eq!(r.log(&q(&|q| q.until = Some(year_2999))).await.unwrap().1, 5);

    let (v, total) = r
        .log(&q(&|q| {
            q.skip = 1;
            q.limit = 2;
        }))
        .await
        .unwrap();
    assert_eq!(titles(&v), ["fix bug in a", "docs: write"]);
    assert_eq!(total, 5);
    let (v, total) = r
        .log(&q(&|q| {
            q.path = Some("src".into());
            q.skip = 2;
            q.limit = 5;
        }))
        .await
        .unwrap();
    assert_eq!(titles(&v), ["Add feature A"]);
    assert_eq!(total, 3);

    assert!(matches!(r.log(&q(&|q| q.rev = "nope".into())).await.unwrap_err(), GitError::NotFound { .. }));
    assert!(matches!(r.log(&q(&|q| q.path = Some("../x".into()))).await.unwrap_err(), GitError::InvalidPath { .. }));
    let (v, total) = r.log(&q(&|q| q.search = Some("--all".into()))).await.unwrap();
    assert!(v.is_empty());
    assert_eq!(total, 0);
}
