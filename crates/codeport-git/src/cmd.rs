//! Spawning git with an isolated, predictable environment.

use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::error::{GitError, Result};

/// Longest stderr excerpt kept in [`GitError::Git`].
const STDERR_EXCERPT: usize = 1000;

/// A `git` command with user/system configuration, terminal prompts,
/// localisation and pathspec magic switched off, so results never depend
/// on the host and paths are always taken literally.
pub(crate) fn git(git_dir: Option<&Path>) -> Command {
    let mut cmd = Command::new("git");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("GIT_ATTR_NOSYSTEM", "1")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = git_dir {
        let mut arg = std::ffi::OsString::from("--git-dir=");
        arg.push(dir.as_os_str());
        cmd.arg(arg);
    }
    cmd
}

/// Captured result of a finished git process.
pub(crate) struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    /// Turn a failed run into [`GitError::Git`].
    pub fn check(self, sub: &str) -> Result<Vec<u8>> {
        if self.success {
            Ok(self.stdout)
        } else {
            Err(git_error(sub, &self.stderr))
        }
    }
}

pub(crate) fn git_error(sub: &str, stderr: &[u8]) -> GitError {
    let mut s = String::from_utf8_lossy(stderr).trim().to_string();
    if s.len() > STDERR_EXCERPT {
        let mut cut = STDERR_EXCERPT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    GitError::Git { command: sub.to_string(), stderr: s }
}

/// Run a command to completion, feeding `stdin` (streamed concurrently so
/// large inputs cannot deadlock against a full stdout pipe).
pub(crate) async fn run(mut cmd: Command, sub: &str, stdin: Option<&[u8]>) -> Result<Output> {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().map_err(|e| GitError::io(&format!("spawn git {sub}"), e))?;
    let writer = child.stdin.take();
    let feed = async move {
        if let (Some(mut w), Some(data)) = (writer, stdin) {
            // A broken pipe means git stopped reading; its exit status tells why.
            let _ = w.write_all(data).await;
            let _ = w.shutdown().await;
        }
    };
    let (_, out) = tokio::join!(feed, child.wait_with_output());
    let out = out.map_err(|e| GitError::io(&format!("wait git {sub}"), e))?;
    Ok(Output { success: out.status.success(), code: out.status.code(), stdout: out.stdout, stderr: out.stderr })
}

/// Run and require success, returning stdout.
pub(crate) async fn run_ok(cmd: Command, sub: &str, stdin: Option<&[u8]>) -> Result<Vec<u8>> {
    run(cmd, sub, stdin).await?.check(sub)
}

/// Stdout as a trimmed string (for single-line answers such as shas).
pub(crate) fn trimmed(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}
