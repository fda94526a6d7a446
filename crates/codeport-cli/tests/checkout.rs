//! `codeport checkout` end to end: a real server (in-process, real HTTP, real database), the
//! real `codeport` binary as a separate process and the stock git. A workspace member who is
//! not a member of the private repository checks out a code source pinned to a commit, by
//! the rules of CloneType, shallow or not, again over an existing checkout; the repository
//! credential appears in no file, no `.git/config` and no process's command line or
//! environment; each failure has its exit code.

use codeport_testkit::git::Scratch;
use codeport_testkit::{CodeupClient, PaiClient, TestServer};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const NOT_FOUND: i32 = 3;
const AUTHENTICATION: i32 = 5;
const REF_NOT_FOUND: i32 = 7;
const TARGET_REFUSED: i32 = 8;

struct World {
    s: TestServer,
    x: Scratch,
    fp: String,
    first: String,
    second: String,
    ws: String,
    /// The creator's token stored in the code sources (its id, to revoke it).
    token_id: String,
    token: String,
    member: PaiClient,
    member_secret: String,
}

async fn start(big_file_mb: usize) -> World {
    let s = TestServer::start(codeport_testkit::Backend::Sqlite).await.expect("server");
    let x = Scratch::new();
    let c = s.admin_token();
    let org = s.organization_id();
    let r = c
        .post(
            &format!("/oapi/v1/codeup/organizations/{org}/repositories?createParentPath=true"),
            &json!({"name": "app", "path": "ml/app", "visibility": "private", "readMeType": "USER_GUIDE"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let fp = r.json["pathWithNamespace"].as_str().unwrap().to_string();
    let admin_token = c.token.clone().unwrap();
    let root = x.dir.path().to_path_buf();
    x.ok(&root, &["clone", &format!("http://x:{admin_token}@{}/{fp}.git", s.endpoint), "work"]).await;
    let work = x.path("work");
    let first = x.ok(&work, &["rev-parse", "HEAD"]).await;
    x.write(&work, "train.py", b"print('second commit')\n");
    if big_file_mb > 0 {
        let big: Vec<u8> = (0..big_file_mb * 1024 * 1024).map(|_| rand::random::<u8>()).collect();
        x.write(&work, "weights.bin", &big);
    }
    x.ok(&work, &["add", "."]).await;
    x.ok(&work, &["commit", "-m", "second"]).await;
    x.ok(&work, &["push", "origin", "master"]).await;
    let second = x.ok(&work, &["rev-parse", "HEAD"]).await;

    let scopes = codeport_core::values::TokenScopes::parse("").unwrap();
    let t = s.state.identities().create_token("admin", None, &scopes).await.unwrap();
    let a = s.admin();
    let ws = a.create_workspace("jobs").await;
    let u = s.state.identities().create_user("member", None).await.unwrap();
    let k = s.state.identities().create_access_key("member").await.unwrap();
    a.add_member(&ws, &u.id, &["PAI.AlgoDeveloper"]).await;
    let member = PaiClient::new(&s.base_url, &k.id, k.secret.expose());
    World { token: t.token.expose().to_string(), token_id: t.id, member_secret: k.secret.expose().to_string(), member, s, x, fp, first, second, ws }
}

impl World {
    fn repo_url(&self) -> String {
        format!("{}/{}.git", self.s.base_url, self.fp)
    }

    /// A published code source of the admin's with the stored token; returns its id.
    async fn source(&self, extra: Value) -> String {
        let mut body = json!({"WorkspaceId": self.ws, "DisplayName": "app", "CodeRepo": self.repo_url(), "CodeRepoAccessToken": self.token, "MountPath": self.x.path("mnt").to_str().unwrap()});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let a = self.s.admin();
        let id = a.create_code_source(&body).await;
        assert_eq!(a.put(&format!("/api/v1/codesources/{id}/publish"), &json!({})).await.status, 200);
        id
    }

    /// `codeport checkout ARGS` as the member, credentials from the environment.
    fn checkout_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_codeport"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CODEPORT_") || k.to_string_lossy().starts_with("ALIBABA_CLOUD_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("checkout")
            .args(args)
            .args(["--endpoint", &self.s.base_url])
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &self.member.access_key_id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &self.member_secret)
            .env("HOME", self.x.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    async fn checkout(&self, args: &[&str]) -> Output {
        let mut cmd = self.checkout_cmd(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("run codeport checkout")).await.unwrap()
    }

    async fn git(&self, dir: &Path, args: &[&str]) -> String {
        self.x.ok(dir, args).await
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn show(out: &Output) -> String {
    format!("exit {:?}\nstdout: {}\nstderr: {}", out.status.code(), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Every file under `dir` (the .git directory included), as bytes.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_checks_out_a_pinned_commit_into_the_mount_path() {
    let w = start(0).await;
    let id = w.source(json!({"CodeCommit": w.first, "CloneType": 0})).await;

    let out = w.checkout(&[&id]).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    // A pipe gets no progress: one line on stdout, nothing on stderr.
    assert!(out.stderr.is_empty(), "{}", show(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "{}", show(&out));

    // CloneType 0: a subdirectory named as `git clone` names it, at the pinned commit.
    let dir = w.x.path("mnt").join("app");
    assert_eq!(w.git(&dir, &["rev-parse", "HEAD"]).await, w.first);
    assert!(dir.join("README.md").is_file());
    assert!(!dir.join("train.py").exists(), "the second commit is not checked out");
    assert_eq!(w.git(&dir, &["config", "--get", "remote.origin.url"]).await, w.repo_url(), "no credentials in the remote URL");
    assert_eq!(w.git(&dir, &["status", "--porcelain"]).await, "");

    // Neither the creator's token nor any minted credential is in the checkout.
    for (path, bytes) in all_files(&dir) {
        assert!(!contains(&bytes, &w.token), "the creator's token is in {}", path.display());
        assert!(!contains(&bytes, "cpc-"), "a checkout credential is in {}", path.display());
    }

    // Again over the same checkout, after the pin moved: the checkout moves with it.
    assert_eq!(w.s.admin().put(&format!("/api/v1/codesources/{id}"), &json!({"CodeCommit": w.second})).await.status, 200);
    let out = w.checkout(&[&id]).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(w.git(&dir, &["rev-parse", "HEAD"]).await, w.second);
    assert!(dir.join("train.py").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_type_one_tiles_branch_heads_and_shallow_clones() {
    let w = start(0).await;
    // CloneType 1 at a branch head: the working tree is the target directory itself.
    let tiled = w.source(json!({"CloneType": 1, "CodeBranch": "master"})).await;
    let into = w.x.path("tiled");
    let out = w.checkout(&[&tiled, "--into", into.to_str().unwrap()]).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(into.join("README.md").is_file() && into.join("train.py").is_file() && into.join(".git").is_dir());
    assert_eq!(w.git(&into, &["rev-parse", "HEAD"]).await, w.second);
    assert_eq!(w.git(&into, &["rev-parse", "--abbrev-ref", "HEAD"]).await, "master");

    // --depth 1 at the pinned commit: a shallow repository holding just that commit.
    let pinned = w.source(json!({"CodeCommit": w.first})).await;
    let shallow = w.x.path("shallow");
    let out = w.checkout(&[&pinned, "--into", shallow.to_str().unwrap(), "--depth", "1"]).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    let dir = shallow.join("app");
    assert_eq!(w.git(&dir, &["rev-parse", "HEAD"]).await, w.first);
    assert_eq!(w.git(&dir, &["rev-parse", "--is-shallow-repository"]).await, "true");
    assert_eq!(w.git(&dir, &["rev-list", "--count", "HEAD"]).await, "1");

    // A target holding something else is refused and left as it was.
    let occupied = w.x.path("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), b"mine").unwrap();
    let out = w.checkout(&[&tiled, "--into", occupied.to_str().unwrap()]).await;
    assert_eq!(code(&out), TARGET_REFUSED, "{}", show(&out));
    assert_eq!(std::fs::read_dir(&occupied).unwrap().count(), 1);
    assert_eq!(std::fs::read(occupied.join("notes.txt")).unwrap(), b"mine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_have_their_exit_codes() {
    let w = start(0).await;
    let id = w.source(json!({"CodeCommit": w.first})).await;

    // Someone outside the workspace: not found.
    let k = {
        w.s.state.identities().create_user("outsider", None).await.unwrap();
        w.s.state.identities().create_access_key("outsider").await.unwrap()
    };
    let mut cmd = w.checkout_cmd(&[&id, "--into", w.x.path("o").to_str().unwrap()]);
    cmd.env("ALIBABA_CLOUD_ACCESS_KEY_ID", &k.id).env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", k.secret.expose());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert_eq!(code(&out), NOT_FOUND, "{}", show(&out));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1, "one line: {}", show(&out));

    // A wrong stored token: the repository authentication failed.
    let wrong = w.source(json!({"CodeRepoAccessToken": "pt-wrong", "DisplayName": "wrong"})).await;
    let out = w.checkout(&[&wrong, "--into", w.x.path("wrong").to_str().unwrap()]).await;
    assert_eq!(code(&out), AUTHENTICATION, "{}", show(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("pt-wrong"), "{}", show(&out));

    // The pinned commit gone from the repository (force-pushed away and collected): ref not found.
    let c: &CodeupClient = &w.s.admin_token();
    let repo = c.get(&format!("/oapi/v1/codeup/organizations/{}/repositories/{}", w.s.organization_id(), w.fp.replace('/', "%2F"))).await;
    let bare = w.s.data_dir().join("repositories").join(format!("{}.git", repo.json["id"]));
    let work = w.x.path("work");
    w.git(&work, &["checkout", "-q", "--orphan", "rewrite"]).await;
    w.git(&work, &["commit", "-q", "-m", "rewritten"]).await;
    w.git(&work, &["push", "-q", "--force", "origin", "rewrite:master"]).await;
    w.git(&bare, &["reflog", "expire", "--expire=now", "--all"]).await;
    w.git(&bare, &["gc", "-q", "--prune=now"]).await;
    let out = w.checkout(&[&id, "--into", w.x.path("gone").to_str().unwrap(), "--depth", "1"]).await;
    assert_eq!(code(&out), REF_NOT_FOUND, "{}", show(&out));

    // Revoking the creator's token stops the next checkout with the authentication code.
    w.s.state.identities().revoke_token(&w.token_id).await.unwrap();
    let out = w.checkout(&[&id, "--into", w.x.path("revoked").to_str().unwrap()]).await;
    assert_eq!(code(&out), AUTHENTICATION, "{}", show(&out));
}

/// Every process's command line and environment, as bytes.
fn process_texts() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        for f in ["cmdline", "environ"] {
            if let Ok(b) = std::fs::read(e.path().join(f)) {
                out.push((format!("{name}/{f}"), b));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_in_any_process_list_during_a_clone() {
    // A large second commit keeps git busy long enough to be watched.
    let w = start(24).await;
    let id = w.source(json!({"CodeBranch": "master"})).await;
    let mut cmd = w.checkout_cmd(&[&id, "--into", w.x.path("watched").to_str().unwrap()]);
    let mut child = cmd.spawn().expect("spawn checkout");
    let token = w.token.clone();
    let watcher = tokio::task::spawn_blocking(move || {
        let mut saw_git_fetch = false;
        let mut leaks = Vec::new();
        loop {
            let done = child.try_wait().unwrap().is_some();
            for (what, bytes) in process_texts() {
                if what.ends_with("cmdline") && contains(&bytes, "fetch") && contains(&bytes, "git") {
                    saw_git_fetch = true;
                }
                if contains(&bytes, &token) || contains(&bytes, "cpc-") {
                    leaks.push(what);
                }
            }
            if done {
                let status = child.wait().unwrap();
                return (status, saw_git_fetch, leaks);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    let (status, saw_git_fetch, leaks) = watcher.await.unwrap();
    assert!(status.success(), "checkout failed: {status:?}");
    assert!(saw_git_fetch, "the watch overlapped the clone");
    assert!(leaks.is_empty(), "credentials visible in {leaks:?}");
    let dir = w.x.path("watched").join("app");
    assert_eq!(std::fs::metadata(dir.join("weights.bin")).unwrap().len(), 24 * 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_gets_a_progress_bar() {
    // `script` (util-linux) runs the checkout on a pseudo-terminal and records what it drew.
    let w = start(8).await;
    let id = w.source(json!({"CodeBranch": "master"})).await;
    let into = w.x.path("tty");
    let cmd = w.checkout_cmd(&[&id, "--into", into.to_str().unwrap()]);
    let line = std::iter::once(cmd.get_program().to_string_lossy().to_string())
        .chain(cmd.get_args().map(|a| format!("'{}'", a.to_string_lossy())))
        .collect::<Vec<_>>()
        .join(" ");
    let mut tty = std::process::Command::new("script");
    tty.args(["-qec", &line, "/dev/null"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => tty.env(k, v),
            None => tty.env_remove(k),
        };
    }
    let out = tokio::task::spawn_blocking(move || tty.output().expect("run script")).await.unwrap();
    let drawn = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", show(&out));
    assert!(drawn.contains("Receiving objects") && drawn.contains("100%") && drawn.contains('#'), "no progress bar drawn: {drawn:?}");
    assert!(drawn.contains("MiB"), "bytes and rate are shown: {drawn:?}");
    assert!(into.join("app").join("weights.bin").is_file());
}
