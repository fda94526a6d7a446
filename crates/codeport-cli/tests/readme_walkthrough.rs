//! The README's "From an empty server to a checkout" walkthrough, run exactly as written: the
//! `sh` block between `<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->` runs under
//! `bash -euo pipefail` in an empty temporary directory, with this build's `codeport` first
//! on the PATH. It guards the project's acceptance criterion: a newcomer gets from an empty
//! server to a commit-pinned checkout in a mount path, as a member who never sees the
//! repository credential, with `codeport` and `git` alone. If the README drifts from what
//! the binary does, this test fails.
//!
//! The block uses the defaults (127.0.0.1:8080); the test moves it to a free port through the
//! documented settings `CODEPORT_LISTEN` (the server) and `CODEPORT_ENDPOINT` (the client),
//! so the text stays what a reader types. git is isolated from the developer's own
//! configuration (HOME, GIT_CONFIG_NOSYSTEM) and gets an identity from the environment. The
//! script runs in a process group of its own, which the test kills however it ends, so a
//! failing script never leaves its background server behind.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: a cold debug build of git operations and a few dozen client calls take seconds.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

const BEGIN: &str = "<!-- walkthrough:begin -->";
const END: &str = "<!-- walkthrough:end -->";

/// The shell text of the README's walkthrough: the one ```sh block between the markers.
fn walkthrough() -> String {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_else(|e| panic!("{}: {e}", readme_path.display()));
    let start = readme.find(BEGIN).unwrap_or_else(|| panic!("README.md has no {BEGIN}")) + BEGIN.len();
    let len = readme[start..].find(END).unwrap_or_else(|| panic!("README.md has no {END} after {BEGIN}"));
    let between = readme[start..start + len].trim();
    let body = between
        .strip_prefix("```sh\n")
        .and_then(|b| b.strip_suffix("```"))
        .unwrap_or_else(|| panic!("between the markers there must be exactly one ```sh block, found:\n{between}"));
    assert!(!body.contains("```"), "one ```sh block only between the markers");
    body.to_string()
}

/// The running script's process group; dropping it kills the whole group (bash, the
/// background `codeport serve`, any git), so nothing outlives the test.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads
        // (`process_group(0)` below); it touches no memory of this process.
        unsafe {
            libc::kill(-(self.0.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// A port nothing listens on right now (the OS's pick, released for the server to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).env("GIT_CONFIG_NOSYSTEM", "1").env("HOME", dir).output().expect("run git");
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every regular file below `dir`, `.git` included.
fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        let kind = std::fs::symlink_metadata(&path).expect("metadata").file_type();
        if kind.is_dir() {
            files_below(&path, out);
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

fn read_text(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    text
}

#[test]
fn the_readme_walkthrough_checks_out_a_pinned_commit_without_the_token() {
    let script = walkthrough();
    let tmp = tempfile::tempdir().expect("temp dir");
    let (work, home) = (tmp.path().join("work"), tmp.path().join("home"));
    std::fs::create_dir_all(&work).expect("work dir");
    std::fs::create_dir_all(&home).expect("home dir");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_codeport")).parent().expect("the binary's directory").to_path_buf();
    let path =
        std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()))).expect("PATH");
    let endpoint = format!("127.0.0.1:{}", free_port());

    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", &script]).current_dir(&work);
    // The developer's own settings and credentials must not leak in.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CODEPORT_")
            || k.starts_with("ALIBABA_CLOUD_")
            || k.starts_with("YUNXIAO_")
            || k.starts_with("GIT_")
            || k.starts_with("XDG_")
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("PATH", path)
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Admin")
        .env("GIT_AUTHOR_EMAIL", "admin@example.com")
        .env("GIT_COMMITTER_NAME", "Admin")
        .env("GIT_COMMITTER_EMAIL", "admin@example.com")
        .env("CODEPORT_LISTEN", &endpoint)
        .env("CODEPORT_ENDPOINT", &endpoint)
        .env("CODEPORT_LOG", "info")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(tmp.path().join("stdout")).expect("stdout file"))
        .stderr(std::fs::File::create(tmp.path().join("stderr")).expect("stderr file"))
        .process_group(0);
    let mut group = Group(cmd.spawn().expect("spawn bash"));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = group.0.try_wait().expect("wait for bash") {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = read_text(&tmp.path().join("stdout"));
    let report =
        format!("stdout:\n{stdout}\nstderr:\n{}\ncodeport.log:\n{}", read_text(&tmp.path().join("stderr")), read_text(&work.join("codeport.log")));
    drop(group);
    let status = status.unwrap_or_else(|| panic!("the walkthrough did not finish within {SCRIPT_TIMEOUT:?}\n{report}"));
    assert!(status.success(), "the walkthrough failed ({status})\n{report}");

    // bob's checkout is at the pinned commit: the admin's first push, not the branch head.
    let checkout = work.join("mnt/trainer");
    assert!(checkout.join(".git").is_dir(), "no checkout at mnt/trainer\n{report}");
    let head = git(&checkout, &["rev-parse", "HEAD"]);
    let admin_clone = work.join("trainer");
    assert_eq!(head, git(&admin_clone, &["rev-parse", "HEAD~1"]), "mnt/trainer is not at the pinned commit\n{report}");
    assert_ne!(head, git(&admin_clone, &["rev-parse", "HEAD"]), "the checkout followed the branch, not the pin");
    assert_eq!(git(&checkout, &["log", "-1", "--format=%s"]), "first trainer");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.ends_with(" first trainer") && head.starts_with(last.split(' ').next().unwrap_or("-")),
        "the block's last output: {last:?}\n{report}"
    );

    // The member's side never saw the admin's token: not in any file under mnt/, .git included.
    let boot = read_text(&work.join("codeport-data/bootstrap.json"));
    let boot: serde_json::Value = serde_json::from_str(&boot).expect("bootstrap.json");
    let token = boot["personalAccessToken"].as_str().expect("personalAccessToken");
    assert!(token.len() > 10, "a real token");
    let mut files = Vec::new();
    files_below(&work.join("mnt"), &mut files);
    assert!(files.iter().any(|f| f.ends_with(".git/config")), "the walk reaches .git: {files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the admin's token is in {}", f.display());
    }
}
