//! Spawning git with an isolated, predictable environment: the one place that builds a git
//! command's environment and configuration, for codeport's own repositories ([`git`]) and
//! for talking to another host ([`git_for_remote`]), plus the helpers that run and read it.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
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

/// A `git` command that talks to another host rather than to codeport's repositories: [`git`]
/// without a repository, plus
///
/// - `home`, an empty directory, as `HOME` (so neither curl's `.netrc` nor any user file is
///   read) and as the working directory, with no repository discovery above it;
/// - only the transports in `protocols` (`GIT_ALLOW_PROTOCOL` and `protocol.*.allow`, so
///   neither `ext::` nor `file://` can sneak in through a redirect or submodule);
/// - no credential helper and no askpass program, so no stored credentials are used and
///   nothing is asked for;
/// - its own process group, so [`GroupKiller`] can kill git together with the remote helper
///   (`git-remote-http`) it starts, which `kill_on_drop` alone would leave running.
///
/// Add settings with [`config`] and [`private_config`] before the subcommand.
pub(crate) fn git_for_remote(home: &Path, protocols: &[&str]) -> Command {
    let mut cmd = git(None);
    cmd.env("HOME", home)
        .env("GIT_ALLOW_PROTOCOL", protocols.join(":"))
        .env("GIT_CEILING_DIRECTORIES", home.parent().unwrap_or(home))
        .current_dir(home);
    config(&mut cmd, "credential.helper", "");
    config(&mut cmd, "core.askPass", "");
    config(&mut cmd, "protocol.allow", "never");
    for p in protocols {
        config(&mut cmd, &format!("protocol.{p}.allow"), "always");
    }
    cmd.process_group(0);
    cmd
}

/// Adds `-c key=value` to a command from [`git`] or [`git_for_remote`] (before its
/// subcommand). The process list shows it to every user of the host, so never a secret:
/// those go through [`private_config`].
pub(crate) fn config(cmd: &mut Command, key: &str, value: &str) {
    cmd.arg("-c").arg(format!("{key}={value}"));
}

/// Hands git `settings` through the environment (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_n`,
/// `GIT_CONFIG_VALUE_n`), which only the process's owner can read, rather than on the
/// command line, which `ps` shows to everyone. Replaces the settings of an earlier call.
pub(crate) fn private_config(cmd: &mut Command, settings: &[(&str, &str)]) {
    cmd.env("GIT_CONFIG_COUNT", settings.len().to_string());
    for (i, (key, value)) in settings.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{i}"), key).env(format!("GIT_CONFIG_VALUE_{i}"), value);
    }
}

/// Kills the process group of a child started by [`git_for_remote`] when dropped: on a time
/// bound, or when the caller's future is dropped. [`GroupKiller::disarm`] once the child has
/// been reaped.
pub(crate) struct GroupKiller(Option<u32>);

impl GroupKiller {
    /// Arms the killer for the group led by the process `pid` (`Child::id`).
    pub fn new(pid: Option<u32>) -> GroupKiller {
        GroupKiller(pid)
    }

    /// The group has exited and been reaped: kill nothing.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) has no memory effects; a negative pid names the process group
            // that `process_group(0)` created with git as its leader (not yet reaped, so the
            // id cannot have been reused).
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

/// Reads at most `limit` bytes of a child's pipe; `Ok(None)` means there was more (and the
/// caller will kill the child rather than let it write on).
pub(crate) async fn read_at_most<R: AsyncRead + Unpin>(reader: Option<R>, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    let Some(reader) = reader else {
        return Ok(Some(Vec::new()));
    };
    let mut buf = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut buf).await?;
    Ok((buf.len() <= limit).then_some(buf))
}

/// Keeps the first `limit` bytes of a child's pipe (typically stderr) and reads and drops the
/// rest, so the child never blocks on a full pipe. A read error ends the reading with what
/// was kept: the child's exit status says what went wrong.
pub(crate) async fn read_drained<R: AsyncRead + Unpin>(reader: Option<R>, limit: usize) -> Vec<u8> {
    let Some(mut reader) = reader else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
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

/// [`GitError::Git`] for a failed `git <sub>` with an excerpt of its stderr.
pub(crate) fn git_error(sub: &str, stderr: &[u8]) -> GitError {
    GitError::Git { command: sub.to_string(), stderr: excerpt(String::from_utf8_lossy(stderr).trim(), STDERR_EXCERPT) }
}

/// `text` cut to at most `max` bytes (at a character boundary), with `…` where it was cut:
/// git's messages quoted in errors.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_a_character_boundary() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("aé", 2), "a…", "é is two bytes and is not split");
    }

    #[tokio::test]
    async fn pipes_are_read_up_to_their_limit() {
        let data: &[u8] = b"0123456789";
        assert_eq!(read_at_most(Some(data), 10).await.unwrap(), Some(data.to_vec()));
        assert_eq!(read_at_most(Some(data), 9).await.unwrap(), None);
        assert_eq!(read_at_most(None::<&[u8]>, 9).await.unwrap(), Some(Vec::new()));
        assert_eq!(read_drained(Some(data), 4).await, b"0123");
        assert_eq!(read_drained(Some(data), 40).await, data);
    }

    #[test]
    fn private_settings_stay_off_the_command_line() {
        let mut cmd = git(None);
        private_config(&mut cmd, &[("http.extraHeader", "secret"), ("a.b", "c")]);
        config(&mut cmd, "x.y", "z");
        let std = cmd.as_std();
        let args: Vec<_> = std.get_args().collect();
        assert_eq!(args, ["-c", "x.y=z"]);
        let env: Vec<_> = std.get_envs().filter(|(k, _)| k.to_string_lossy().starts_with("GIT_CONFIG_")).collect();
        assert!(env.contains(&("GIT_CONFIG_COUNT".as_ref(), Some("2".as_ref()))));
        assert!(env.contains(&("GIT_CONFIG_KEY_0".as_ref(), Some("http.extraHeader".as_ref()))));
        assert!(env.contains(&("GIT_CONFIG_VALUE_0".as_ref(), Some("secret".as_ref()))));
        assert!(env.contains(&("GIT_CONFIG_VALUE_1".as_ref(), Some("c".as_ref()))));
    }
}
