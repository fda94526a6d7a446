//! The stock `git` client in tests: an isolated HOME and configuration (no system or user
//! settings, no prompts, no credential helper), working directories in a temporary area.

use std::path::{Path, PathBuf};
use std::process::Output;

/// A scratch area: an isolated HOME for git plus working directories.
pub struct Scratch {
    /// The temporary directory (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Scratch {
    /// A new scratch area.
    pub fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().expect("temp dir") }
    }

    fn home(&self) -> PathBuf {
        let h = self.dir.path().join("home");
        std::fs::create_dir_all(&h).unwrap();
        h
    }

    /// A path inside the scratch area.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs git in `cwd` with an isolated environment.
    pub async fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        let home = self.home();
        let cwd = cwd.to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new("git");
            for v in [
                "GIT_DIR",
                "GIT_WORK_TREE",
                "GIT_INDEX_FILE",
                "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                "GIT_ASKPASS",
                "SSH_ASKPASS",
                "GIT_PROTOCOL",
                "GIT_CONFIG_GLOBAL",
                "XDG_CONFIG_HOME",
                "GIT_TRACE",
                "GIT_CURL_VERBOSE",
            ] {
                cmd.env_remove(v);
            }
            cmd.env("HOME", &home)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_TERMINAL_PROMPT", "0")
                .env("LC_ALL", "C")
                .args([
                    "-c",
                    "user.name=Tester",
                    "-c",
                    "user.email=tester@example.com",
                    "-c",
                    "credential.helper=",
                    "-c",
                    "init.defaultBranch=master",
                    "-c",
                    "advice.detachedHead=false",
                ])
                .args(&args)
                .current_dir(&cwd);
            cmd.output().expect("run git")
        })
        .await
        .expect("git task")
    }

    /// Runs git and asserts success; returns stdout, trimmed. Tokens are masked in failures.
    pub async fn ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git(cwd, args).await;
        assert!(out.status.success(), "git {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr).replace("pt-", "pt-***"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs git and asserts failure; returns stderr.
    pub async fn fails(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.git(cwd, args).await;
        assert!(!out.status.success(), "git {args:?} unexpectedly succeeded");
        String::from_utf8_lossy(&out.stderr).to_string()
    }

    /// Writes a file in a working directory.
    pub fn write(&self, repo: &Path, file: &str, content: &[u8]) {
        std::fs::write(repo.join(file), content).unwrap();
    }
}
