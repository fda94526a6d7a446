//! Running `git ls-remote` for the probe: the command line that pins git to the checked
//! addresses and turns redirects off, the bounded run that kills git and its remote helper
//! when the caller gives up, and the git version this needs.

use std::net::IpAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::target::{Target, TargetHost};
use super::ProbeError;

/// Most of `ls-remote`'s output kept; a remote advertising more refs than this is refused
/// rather than allowed to fill codeport's memory.
const MAX_REFS_OUTPUT: u64 = 16 * 1024 * 1024;
/// Most of git's standard error read (the rest is drained and dropped).
const MAX_STDERR: u64 = 64 * 1024;

/// `host:port:addr[,addr...]` for `http.curloptResolve`: curl connects to exactly these
/// addresses instead of resolving the name again.
fn curl_resolve_entry(host: &str, port: u16, addrs: &[IpAddr]) -> String {
    let list: Vec<String> = addrs
        .iter()
        .map(|a| match a {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        })
        .collect();
    format!("{host}:{port}:{}", list.join(","))
}

/// The isolated `git ls-remote` command. `home` is an empty directory used as `HOME` and
/// working directory; the header (if any) goes into the environment only.
fn ls_remote_command(target: &Target, addrs: &[IpAddr], header: Option<&str>, home: &std::path::Path, timeout: Duration) -> Command {
    let mut cmd = Command::new("git");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", "http:https")
        .env("LC_ALL", "C")
        .env("GIT_CEILING_DIRECTORIES", home.parent().unwrap_or(home))
        .current_dir(home);
    // Configuration through GIT_CONFIG_COUNT stays out of the process list.
    if let Some(h) = header {
        cmd.env("GIT_CONFIG_COUNT", "1").env("GIT_CONFIG_KEY_0", "http.extraHeader").env("GIT_CONFIG_VALUE_0", h);
    }
    let secs = timeout.as_secs().max(1).to_string();
    let mut config = vec![
        "credential.helper=".to_string(),
        "core.askPass=".to_string(),
        "http.followRedirects=false".to_string(),
        "http.proxy=".to_string(),
        "protocol.allow=never".to_string(),
        "protocol.http.allow=always".to_string(),
        "protocol.https.allow=always".to_string(),
        // A backstop for the remote helper should it outlive git: curl gives up on a
        // connection that stalls for the whole bound.
        "http.lowSpeedLimit=1".to_string(),
        format!("http.lowSpeedTime={secs}"),
    ];
    if let TargetHost::Name(name) = &target.host {
        config.push(format!("http.curloptResolve={}", curl_resolve_entry(name, target.port, addrs)));
    }
    for c in config {
        cmd.arg("-c").arg(c);
    }
    cmd.args(["ls-remote", "--symref", "--"]).arg(&target.url);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own process group, so the remote helper (git-remote-http) dies with git.
        .process_group(0);
    cmd
}

/// Kills a process group when dropped: on the time bound, or when the caller's future is
/// dropped. kill_on_drop alone would leave the remote helper running.
struct GroupKiller(Option<u32>);

impl GroupKiller {
    fn disarm(&mut self) {
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

/// Reads at most `limit` bytes; `Ok(None)` means there was more. When `drain` is set the
/// rest is read and dropped so the writer never blocks on a full pipe.
async fn read_capped<R: AsyncRead + Unpin>(reader: Option<R>, limit: u64, drain: bool) -> std::io::Result<Option<Vec<u8>>> {
    let Some(mut reader) = reader else {
        return Ok(Some(Vec::new()));
    };
    let mut buf = Vec::new();
    (&mut reader).take(limit + 1).read_to_end(&mut buf).await?;
    if buf.len() as u64 <= limit {
        return Ok(Some(buf));
    }
    if drain {
        tokio::io::copy(&mut reader, &mut tokio::io::sink()).await?;
        buf.truncate(limit as usize);
        return Ok(Some(buf));
    }
    Ok(None)
}

/// What a finished `git ls-remote` said: its exit status, its output (at most
/// `MAX_REFS_OUTPUT`) and the start of its standard error.
pub(super) struct Finished {
    /// Whether git exited with status 0.
    pub success: bool,
    /// The refs listing.
    pub stdout: Vec<u8>,
    /// The first `MAX_STDERR` bytes of git's messages (not yet scrubbed of secrets).
    pub stderr: Vec<u8>,
}

/// Runs `git ls-remote` on `target`, connecting only to `addrs`, with the `Authorization`
/// `header` if any; `home` is an empty directory. Dropping the future kills git's process
/// group.
pub(super) async fn ls_remote(
    target: &Target,
    addrs: &[IpAddr],
    header: Option<&str>,
    home: &std::path::Path,
    timeout: Duration,
) -> Result<Finished, ProbeError> {
    let mut child =
        ls_remote_command(target, addrs, header, home, timeout).spawn().map_err(|e| ProbeError::Internal(format!("cannot start git: {e}")))?;
    let mut killer = GroupKiller(child.id());
    let (stdout, stderr) = tokio::join!(read_capped(child.stdout.take(), MAX_REFS_OUTPUT, false), read_capped(child.stderr.take(), MAX_STDERR, true));
    let stdout = stdout.map_err(|e| ProbeError::Internal(format!("cannot read git's output: {e}")))?;
    let Some(stdout) = stdout else {
        return Err(ProbeError::Git(format!("the remote advertises more than {} MiB of refs", MAX_REFS_OUTPUT >> 20)));
    };
    let stderr = stderr.map_err(|e| ProbeError::Internal(format!("cannot read git's messages: {e}")))?.unwrap_or_default();
    let status = child.wait().await.map_err(|e| ProbeError::Internal(format!("cannot wait for git: {e}")))?;
    killer.disarm();
    Ok(Finished { success: status.success(), stdout, stderr })
}

/// The oldest git whose `http.curloptResolve` pins the probe to the checked addresses; an
/// older git ignores the setting silently, which would reopen DNS rebinding.
pub const MIN_GIT_FOR_PROBE: (u32, u32) = (2, 37);

/// Refuses, with a message saying why, when the installed git is too old for the probe.
/// Servers call this at start when the probe is switched on.
pub async fn check_git_for_probe() -> Result<(), String> {
    let out = tokio::process::Command::new("git").arg("--version").output().await.map_err(|e| format!("cannot run git: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    match parse_git_version(&text) {
        Some(v) if v >= MIN_GIT_FOR_PROBE => Ok(()),
        Some((major, minor)) => Err(format!(
            "--verify-external-repos needs git {}.{} or later (it pins the probe's address with http.curloptResolve); this git is {major}.{minor}",
            MIN_GIT_FOR_PROBE.0, MIN_GIT_FOR_PROBE.1
        )),
        None => Err(format!("cannot tell the version of git from {:?}", text.trim())),
    }
}

/// `(major, minor)` from `git version 2.47.3` (and vendor suffixes such as `(Apple Git-1)`).
fn parse_git_version(text: &str) -> Option<(u32, u32)> {
    let version = text.trim().strip_prefix("git version ")?;
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::credentials::authorization;
    use crate::probe::target::parse_target;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn git_versions_parse_and_compare() {
        assert_eq!(parse_git_version("git version 2.47.3\n"), Some((2, 47)));
        assert_eq!(parse_git_version("git version 2.39.5 (Apple Git-154)"), Some((2, 39)));
        assert_eq!(parse_git_version("git version 2.30.2"), Some((2, 30)));
        assert!(parse_git_version("git version 2.30.2").unwrap() < MIN_GIT_FOR_PROBE);
        assert!((3, 0) >= MIN_GIT_FOR_PROBE);
        assert_eq!(parse_git_version("not git"), None);
    }

    #[test]
    fn the_command_line_carries_no_credentials_and_pins_the_address() {
        let t = parse_target("https://example.com/x.git").unwrap();
        let header = authorization(Some("alice"), Some("hunter2-token")).unwrap();
        let home = std::env::temp_dir();
        let cmd = ls_remote_command(&t, &[ip("93.184.216.34"), ip("2606:2800::1")], Some(&header), &home, Duration::from_secs(10));
        let std = cmd.as_std();
        let args: Vec<String> = std.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let line = args.join(" ");
        assert!(!line.contains("hunter2") && !line.contains("Authorization"), "{line}");
        assert!(line.contains("http.curloptResolve=example.com:443:93.184.216.34,[2606:2800::1]"), "{line}");
        assert!(line.contains("http.followRedirects=false") && line.contains("credential.helper="), "{line}");
        assert!(line.ends_with("ls-remote --symref -- https://example.com/x.git"), "{line}");
        let env: Vec<(String, String)> =
            std.get_envs().filter_map(|(k, v)| Some((k.to_string_lossy().into_owned(), v?.to_string_lossy().into_owned()))).collect();
        assert!(env.contains(&("GIT_CONFIG_VALUE_0".into(), header.clone())));
        assert!(env.contains(&("GIT_TERMINAL_PROMPT".into(), "0".into())));
        assert!(!env.iter().any(|(k, _)| k == "GIT_ASKPASS" || k == "SSH_ASKPASS"));
    }
}
