use codeport_git::*;

#[test]
fn normalize_path_table() {
    let ok = [
        ("README.md", "README.md"),
        ("/README.md", "README.md"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("-rf", "-rf"),
        (".gitignore", ".gitignore"),
        ("a/.github/x.yml", "a/.github/x.yml"),
        ("dir.git/x", "dir.git/x"),
        ("...", "..."),
        ("名前/ファイル.txt", "名前/ファイル.txt"),
        ("with space.txt", "with space.txt"),
    ];
    for (raw, want) in ok {
        assert_eq!(normalize_path(raw).unwrap(), want, "{raw}");
    }
    let long = "a".repeat(MAX_PATH_LEN + 1);
    let bad = [
        "",
        "/",
        "//a",
        "a//b",
        "a/",
        "./a",
        "a/./b",
        "../a",
        "a/..",
        "a\\b",
        "a\0b",
        ".git",
        ".git/config",
        "a/.GIT/x",
        "a/.Git",
        ".git.",
        ".git ",
        "GIT~1/x",
        &long,
    ];
    for raw in bad {
        let e = normalize_path(raw).unwrap_err();
        assert!(matches!(e, GitError::InvalidPath { .. }), "{raw:?}");
    }
    assert!(normalize_path(&"a".repeat(MAX_PATH_LEN)).is_ok());
}

#[test]
fn branch_name_table() {
    let ok = ["main", "feature/x", "release-1.0", "a.b", "user/name/topic", "v1", "x@y", "über", "a_b", "refs-like"];
    for n in ok {
        assert!(validate_branch_name(n).is_ok(), "{n}");
        assert!(validate_tag_name(n).is_ok(), "{n}");
    }
    let long = "a".repeat(MAX_REF_LEN + 1);
    let bad = [
        "",
        "@",
        "HEAD",
        "-x",
        "/x",
        "x/",
        "x.",
        "x.lock",
        "a/b.lock/c",
        "a..b",
        "a//b",
        "a@{b",
        ".hidden",
        "a/.b",
        "a b",
        "a~b",
        "a^b",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a\\b",
        "a\tb",
        "a\x7fb",
        "a\nb",
        &long,
    ];
    for n in bad {
        let e = validate_branch_name(n).unwrap_err();
        assert!(matches!(e, GitError::InvalidRef { .. }), "{n:?}");
        assert!(validate_tag_name(n).is_err(), "{n:?}");
    }
    assert!(validate_branch_name(&"a".repeat(MAX_REF_LEN)).is_ok());
}

#[test]
fn branch_rules_agree_with_git() {
    // Cross-check a sample with git's own implementation ("@" is left out:
    // `--branch` expands it to HEAD; we refuse it outright).
    let names = [
        "main",
        "feature/x",
        "a..b",
        "x.lock",
        "-x",
        "a b",
        "a@{b",
        ".h",
        "a/.b",
        "x.",
        "a//b",
        "ok-1.2/z",
        "a~",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[",
        "a\\b",
        "/a",
        "a/",
    ];
    for n in names {
        let git_ok = std::process::Command::new("git")
            .args(["check-ref-format", "--branch", n])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
            .status
            .success();
        assert_eq!(validate_branch_name(n).is_ok(), git_ok, "{n:?}");
    }
}

#[test]
fn errors_classify() {
    assert!(GitError::NotFound { what: "x".into() }.is_client_error());
    assert!(!GitError::Io("x".into()).is_client_error());
    assert_eq!(GitError::TooLarge { limit: 5 }.to_string(), "object is larger than the limit of 5 bytes");
}
