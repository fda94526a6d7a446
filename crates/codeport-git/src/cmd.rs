//! Spawning git with an isolated, predictable environment: the one place that builds a git
//! command's environment and configuration, for codeport's own repositories ([`git`]) and
//! for talking to another host ([`git_for_remote`]), plus the helpers that run and read it.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
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
/// - no credential helper (until [`credential_from_pipe`] adds its own, the only one) and
///   no askpass program, so no stored credentials are used and nothing is asked for;
/// - its own process group, so [`GroupKiller`] can kill git together with the remote helper
///   (`git-remote-http`) it starts, which `kill_on_drop` alone would leave running.
///
/// Add settings with [`config`] and a credential with [`credential_from_pipe`] before the
/// subcommand.
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
/// credentials go through [`credential_from_pipe`].
pub(crate) fn config(cmd: &mut Command, key: &str, value: &str) {
    cmd.arg("-c").arg(format!("{key}={value}"));
}

/// The credential helper [`credential_from_pipe`] installs: on `get`, it copies fd 3 (a pipe
/// holding a credential in git's credential protocol) to git; on `store` and `erase` it does
/// nothing. Only this helper reads the pipe, once; git hands the answer on to its remote
/// helper over git's own pipes.
const PIPE_CREDENTIAL_HELPER: &str = "!f() { if test \"$1\" = get; then cat <&3; fi; }; f";

/// The file descriptor on which git's children find the credential pipe.
const CREDENTIAL_FD: RawFd = 3;

/// Why [`credential_from_pipe`] could not hand git a credential.
#[derive(Debug)]
pub(crate) enum PipeCredentialError {
    /// The user name or password contains a line break or NUL, which git's credential
    /// protocol cannot carry, or is too long for the pipe.
    Unusable,
    /// The pipe could not be made.
    Io(std::io::Error),
}

/// Has a command from [`git_for_remote`] authenticate as `username` with `password`, handed
/// over a pipe: never on the command line (which `ps` shows to everyone) nor in the
/// environment (`/proc/<pid>/environ`, inherited by every descendant).
///
/// The credential (`username=...`, `password=...`, git's credential protocol) is written into
/// a fresh pipe now; the child gets the pipe's read end as fd 3 and nothing else of it, and
/// the only credential helper is one that copies fd 3 to git when asked (the empty
/// `credential.helper` first clears any helper configured before; no configuration is read
/// after the command line's). git asks for the credential, and sends it, when the server
/// answers 401 (or sooner where `http.proactiveAuth` is known, see below).
///
/// The read end lives in the command (closed when it is dropped), so spawn the command
/// once, and add no `credential.*` setting after this call.
pub(crate) fn credential_from_pipe(cmd: &mut Command, username: &str, password: &str) -> Result<(), PipeCredentialError> {
    if [username, password].iter().any(|v| v.contains(['\n', '\r', '\0'])) {
        return Err(PipeCredentialError::Unusable);
    }
    let (read, write) = cloexec_pipe().map_err(PipeCredentialError::Io)?;
    let mut write = std::fs::File::from(write);
    // Never block: a credential that does not fit in the pipe's buffer (64 KiB on Linux) is
    // refused rather than written while git runs.
    set_nonblocking(&write).map_err(PipeCredentialError::Io)?;
    match write.write_all(format!("username={username}\npassword={password}\n").as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Err(PipeCredentialError::Unusable),
        Err(e) => return Err(PipeCredentialError::Io(e)),
    }
    // Closing the write end now lets the helper's `cat` see the end of the credential.
    drop(write);
    config(cmd, "credential.helper", "");
    config(cmd, "credential.helper", PIPE_CREDENTIAL_HELPER);
    // git 2.46 and later ask for the credential before the first request and send it with
    // that request, as a header would; older ones ignore the setting and wait for a 401.
    config(cmd, "http.proactiveAuth", "basic");
    // SAFETY: the closure runs in the child between fork and exec and makes only
    // async-signal-safe system calls (dup2, fcntl, close_range), allocating nothing.
    unsafe {
        cmd.pre_exec(move || inherit_as_credential_fd(read.as_raw_fd()));
    }
    Ok(())
}

/// A pipe whose both ends are close-on-exec from the start, so no other child started
/// meanwhile by another thread inherits either end.
fn cloexec_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two descriptors into the two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Sets `O_NONBLOCK` on one end of a pipe (the other end's open file is separate).
fn set_nonblocking(fd: &impl AsRawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor this process owns.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// In the child, before exec: makes `fd` the child's [`CREDENTIAL_FD`], inherited across
/// exec, and marks every higher descriptor close-on-exec, so fd 3 is the only one besides
/// the standard three that git gets.
fn inherit_as_credential_fd(fd: RawFd) -> std::io::Result<()> {
    if fd == CREDENTIAL_FD {
        // dup2 onto itself changes nothing, and the pipe was made close-on-exec.
        // SAFETY: fcntl is async-signal-safe.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    } else {
        // The copy dup2 makes is not close-on-exec; the original is and goes at exec.
        // SAFETY: dup2 is async-signal-safe.
        if unsafe { libc::dup2(fd, CREDENTIAL_FD) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    // Descriptors codeport opens are close-on-exec already (Rust opens them so); this covers
    // any a library opened otherwise. Marked rather than closed: the standard library reports
    // a failed exec through one of them. Kernels before 5.11 lack the flag: nothing to do then.
    // SAFETY: close_range is async-signal-safe and touches only descriptor flags.
    unsafe {
        libc::syscall(libc::SYS_close_range, CREDENTIAL_FD as libc::c_uint + 1, libc::c_uint::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_uint);
    }
    Ok(())
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

    /// What `git credential fill` for `https://example.com` gets when handed a credential over
    /// a pipe, with the arguments and environment of the command that got it.
    async fn fill_over_pipe(username: &str, password: &str) -> std::result::Result<(String, Vec<String>, Vec<String>), PipeCredentialError> {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = git_for_remote(home.path(), &["https"]);
        credential_from_pipe(&mut cmd, username, password)?;
        cmd.args(["credential", "fill"]);
        let args = cmd.as_std().get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let env =
            cmd.as_std().get_envs().map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.map(|v| v.to_string_lossy()).unwrap_or_default())).collect();
        let out = run(cmd, "credential fill", Some(b"protocol=https\nhost=example.com\n")).await.unwrap();
        assert!(out.success, "{}", String::from_utf8_lossy(&out.stderr));
        Ok((String::from_utf8_lossy(&out.stdout).into_owned(), args, env))
    }

    #[tokio::test]
    async fn a_credential_reaches_git_over_a_pipe_and_nowhere_else() {
        let (filled, args, env) = fill_over_pipe("alice", "s3cret=with;shell $chars'\"").await.unwrap();
        assert!(filled.contains("username=alice\n") && filled.contains("password=s3cret=with;shell $chars'\"\n"), "{filled}");
        assert!(!args.iter().any(|a| a.contains("s3cret") || a.contains("alice")), "{args:?}");
        let helpers: Vec<_> = args.iter().filter(|a| a.starts_with("credential.helper=")).collect();
        assert_eq!(helpers.len(), 3, "git_for_remote's reset, this reset, the pipe: {helpers:?}");
        assert_eq!(helpers[1], "credential.helper=", "the list is cleared right before the pipe's helper");
        assert!(!env.iter().any(|v| v.contains("s3cret") || v.starts_with("GIT_CONFIG_COUNT")), "{env:?}");
    }

    #[test]
    fn a_pipe_that_already_is_fd_3_is_still_inherited() {
        // pipe2 hands out fd 3 when it is free; dup2 onto itself would then leave it
        // close-on-exec. Reproduce that in the child and read fd 3 from a program.
        let (read, write) = cloexec_pipe().unwrap();
        std::fs::File::from(write).write_all(b"through fd 3\n").unwrap();
        let fd = read.as_raw_fd();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "cat <&3"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                if fd != CREDENTIAL_FD && libc::dup3(fd, CREDENTIAL_FD, libc::O_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                inherit_as_credential_fd(CREDENTIAL_FD)
            });
        }
        let out = cmd.output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "through fd 3\n", "{}", String::from_utf8_lossy(&out.stderr));
        drop(read);
    }

    #[tokio::test]
    async fn a_credential_the_protocol_cannot_carry_is_refused() {
        for (u, p) in [("alice", "a\nb"), ("alice", "a\rb"), ("alice", "a\0b"), ("a\nb", "pw")] {
            let filled = fill_over_pipe(u, p).await;
            assert!(matches!(filled, Err(PipeCredentialError::Unusable)), "{u:?} {p:?}: {filled:?}");
        }
        let huge = "x".repeat(1 << 20);
        let filled = fill_over_pipe("alice", &huge).await;
        assert!(matches!(filled, Err(PipeCredentialError::Unusable)), "{filled:?}");
    }
}
