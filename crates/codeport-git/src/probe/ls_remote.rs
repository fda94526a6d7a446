//! Running `git ls-remote` for the probe: the command line that pins git to the checked
//! addresses and turns redirects off, the bounded run that kills git and its remote helper
//! when the caller gives up, and the git version this needs.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use super::credentials::Credentials;
use super::target::{Target, TargetHost};
use super::ProbeError;
use crate::cmd::{self, GroupKiller, PipeCredentialError};

/// Most of `ls-remote`'s output kept; a remote advertising more refs than this is refused
/// rather than allowed to fill codeport's memory.
const MAX_REFS_OUTPUT: usize = 16 * 1024 * 1024;
/// Most of git's standard error kept (the rest is drained and dropped).
const MAX_STDERR: usize = 64 * 1024;

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

/// The `git ls-remote` command: [`cmd::git_for_remote`] (isolated, `home` as `HOME`, http and
/// https only, its own process group) told to connect only to `addrs`, not to follow
/// redirects nor use a proxy, and to give up on a connection that stalls for `timeout`. The
/// credentials (if any) go into a pipe only ([`cmd::credential_from_pipe`]).
fn ls_remote_command(
    target: &Target,
    addrs: &[IpAddr],
    credentials: Option<Credentials<'_>>,
    home: &Path,
    timeout: Duration,
) -> Result<Command, ProbeError> {
    let mut cmd = cmd::git_for_remote(home, &["http", "https"]);
    if let Some(c) = credentials {
        cmd::credential_from_pipe(&mut cmd, c.username, c.password).map_err(|e| match e {
            PipeCredentialError::Unusable => ProbeError::AuthenticationFailed,
            PipeCredentialError::Io(e) => ProbeError::Internal(format!("cannot make a pipe for the credentials: {e}")),
        })?;
    }
    cmd::config(&mut cmd, "http.followRedirects", "false");
    cmd::config(&mut cmd, "http.proxy", "");
    // A backstop for the remote helper should it outlive git: curl gives up on a connection
    // that stalls for the whole bound.
    cmd::config(&mut cmd, "http.lowSpeedLimit", "1");
    cmd::config(&mut cmd, "http.lowSpeedTime", &timeout.as_secs().max(1).to_string());
    if let TargetHost::Name(name) = &target.host {
        cmd::config(&mut cmd, "http.curloptResolve", &curl_resolve_entry(name, target.port, addrs));
    }
    cmd.args(["ls-remote", "--symref", "--"]).arg(&target.url);
    Ok(cmd)
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

/// Runs `git ls-remote` on `target`, connecting only to `addrs`, presenting `credentials`
/// if any; `home` is an empty directory. Dropping the future kills git's process group.
pub(super) async fn ls_remote(
    target: &Target,
    addrs: &[IpAddr],
    credentials: Option<Credentials<'_>>,
    home: &std::path::Path,
    timeout: Duration,
) -> Result<Finished, ProbeError> {
    // The command (and with it this process's end of the credential pipe) goes once git runs.
    let mut child =
        ls_remote_command(target, addrs, credentials, home, timeout)?.spawn().map_err(|e| ProbeError::Internal(format!("cannot start git: {e}")))?;
    let mut killer = GroupKiller::new(child.id());
    let (stdout, stderr) = tokio::join!(cmd::read_at_most(child.stdout.take(), MAX_REFS_OUTPUT), cmd::read_drained(child.stderr.take(), MAX_STDERR));
    let stdout = stdout.map_err(|e| ProbeError::Internal(format!("cannot read git's output: {e}")))?;
    let Some(stdout) = stdout else {
        return Err(ProbeError::Git(format!("the remote advertises more than {} MiB of refs", MAX_REFS_OUTPUT >> 20)));
    };
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
    let mut git = cmd::git(None);
    git.arg("--version");
    let out = git.output().await.map_err(|e| format!("cannot run git: {e}"))?;
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
    use crate::probe::credentials::credentials;
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
    fn neither_the_command_line_nor_the_environment_carries_credentials() {
        let t = parse_target("https://example.com/x.git").unwrap();
        let c = credentials(Some("alice"), Some("hunter2-token")).unwrap();
        let home = std::env::temp_dir();
        let cmd = ls_remote_command(&t, &[ip("93.184.216.34"), ip("2606:2800::1")], c, &home, Duration::from_secs(10)).unwrap();
        let std = cmd.as_std();
        let args: Vec<String> = std.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let line = args.join(" ");
        let [_, b64] = c.unwrap().secrets();
        assert!(!line.contains("hunter2") && !line.contains("alice") && !line.contains(&b64) && !line.contains("Authorization"), "{line}");
        assert!(line.contains("http.curloptResolve=example.com:443:93.184.216.34,[2606:2800::1]"), "{line}");
        assert!(line.contains("http.followRedirects=false") && line.contains("credential.helper= "), "{line}");
        assert!(line.contains("credential.helper=!f() {"), "the pipe's helper: {line}");
        assert!(line.contains("core.askPass= ") && line.contains("http.proxy= ") && line.contains("http.lowSpeedTime=10"), "{line}");
        assert!(line.contains("protocol.allow=never") && line.contains("protocol.https.allow=always"), "{line}");
        assert!(line.ends_with("ls-remote --symref -- https://example.com/x.git"), "{line}");
        let env: Vec<(String, String)> =
            std.get_envs().filter_map(|(k, v)| Some((k.to_string_lossy().into_owned(), v?.to_string_lossy().into_owned()))).collect();
        assert!(!env.iter().any(|(k, _)| k.starts_with("GIT_CONFIG_") && k != "GIT_CONFIG_NOSYSTEM" && k != "GIT_CONFIG_GLOBAL"), "{env:?}");
        assert!(!env.iter().any(|(_, v)| v.contains("hunter2") || v.contains(&b64)), "{env:?}");
        assert!(env.contains(&("GIT_TERMINAL_PROMPT".into(), "0".into())));
        assert!(env.contains(&("GIT_ALLOW_PROTOCOL".into(), "http:https".into())));
        assert!(env.contains(&("HOME".into(), home.to_string_lossy().into_owned())));
        assert_eq!(std.get_current_dir(), Some(home.as_path()));
        assert!(!env.iter().any(|(k, _)| k == "GIT_ASKPASS" || k == "SSH_ASKPASS"));
    }

    #[test]
    fn an_anonymous_probe_has_no_credential_helper() {
        let t = parse_target("https://example.com/x.git").unwrap();
        let cmd = ls_remote_command(&t, &[ip("93.184.216.34")], None, &std::env::temp_dir(), Duration::from_secs(10)).unwrap();
        let args: Vec<String> = cmd.as_std().get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let helpers: Vec<&String> = args.iter().filter(|a| a.starts_with("credential.")).collect();
        assert_eq!(helpers, ["credential.helper="], "{args:?}");
    }
}
