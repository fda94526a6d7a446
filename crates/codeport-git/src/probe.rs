//! A bounded, SSRF-safe `git ls-remote` of a repository codeport does not host.
//!
//! PAI code sources name any git URL. When the operator asks for it, codeport checks such a
//! URL before storing it, which means codeport itself connects to an address a caller chose.
//! Without care that is a server-side request forgery: a caller could make codeport talk to
//! its own loopback services, the cloud metadata endpoint (169.254.169.254) or anything on
//! the private network behind it, and learn from the answer. So [`probe`]:
//!
//! 1. accepts only `http://` and `https://` URLs without embedded credentials, query or
//!    fragment, and hands git the URL as re-serialized by one strict parser (so git never
//!    reads a different host out of it than the one checked);
//! 2. resolves the host itself and refuses the probe if any address is loopback, private,
//!    link-local, multicast, reserved and so on ([`forbidden_class`]) unless the operator
//!    allowed that network;
//! 3. pins git's connection to exactly the checked addresses (`http.curloptResolve`), so a
//!    second DNS answer cannot rebind the name between the check and the connection, and
//!    turns redirects off, since a redirect could point anywhere;
//! 4. runs git with no system, global or repository configuration, no credential helpers,
//!    no prompts and an empty `HOME` (no `.netrc`), passes credentials only through the
//!    environment as an `Authorization` header (never on the command line, which `ps`
//!    shows, and never in the URL), and kills git and its remote helper when the time
//!    bound runs out or the caller gives up;
//! 5. reports failures as a few classes ([`ProbeError`]) whose messages never contain the
//!    password, scrubbing git's own messages of it before reading them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Most of `ls-remote`'s output kept; a remote advertising more refs than this is refused
/// rather than allowed to fill codeport's memory.
const MAX_REFS_OUTPUT: u64 = 16 * 1024 * 1024;
/// Most of git's standard error read (the rest is drained and dropped).
const MAX_STDERR: u64 = 64 * 1024;
/// Longest excerpt of git's message put into an error.
const MAX_MESSAGE: usize = 300;
/// User name sent with a password or token when the caller gave none: Codeup, GitHub and
/// GitLab accept any user name with a token as the password.
pub const DEFAULT_USER_NAME: &str = "git";

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`; a bare address is one host),
/// used to allow the probe into a network it refuses by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// Why a text is not a [`Network`]; its message quotes the text and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a network in CIDR notation such as 10.0.0.0/8 or fd00::/8: {reason}")]
pub struct InvalidNetwork {
    input: String,
    reason: String,
}

impl Network {
    /// The network's first address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `addr` lies in this network. An IPv4 address and its IPv4-mapped IPv6 form
    /// (`::ffff:a.b.c.d`) are the same host, so either matches a network written in either
    /// family.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(u32::from(net).into(), u32::from(a).into(), 32, self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(u128::from(net), u128::from(a), 128, self.prefix),
            (IpAddr::V4(_), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(a)) => self.contains(IpAddr::V6(a.to_ipv6_mapped())),
        }
    }
}

/// Whether the top `prefix` of `bits` bits of `a` and `b` agree.
fn prefix_eq(a: u128, b: u128, bits: u32, prefix: u8) -> bool {
    let shift = bits - u32::from(prefix);
    shift >= bits || (a >> shift) == (b >> shift)
}

impl FromStr for Network {
    type Err = InvalidNetwork;

    /// Parses `ADDR/LEN` or a bare `ADDR`. Host bits below the prefix must be zero
    /// (`10.1.2.3/8` is refused with the network it probably means), because such a typo
    /// usually allows more or less than the operator intended.
    fn from_str(s: &str) -> Result<Network, InvalidNetwork> {
        let err = |reason: String| InvalidNetwork { input: s.to_string(), reason };
        let text = s.trim();
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text.parse().map_err(|_| err(format!("{addr_text:?} is not an IPv4 or IPv6 address")))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                Ok(n) => return Err(err(format!("the prefix length {n} is longer than the {max} bits of the address"))),
                Err(_) => return Err(err(format!("the prefix length {p:?} is not a number from 0 to {max}"))),
            },
        };
        let network = Network { addr: mask(addr, prefix), prefix };
        if network.addr != addr {
            return Err(err(format!("it has bits set below the /{prefix} prefix; did you mean {network}?")));
        }
        Ok(network)
    }
}

/// `addr` with every bit below `prefix` cleared.
fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Whether the probe refuses `addr` unless an allowed [`Network`] contains it: every
/// address that is not an ordinary public unicast address.
pub fn is_forbidden_by_default(addr: IpAddr) -> bool {
    forbidden_class(addr).is_some()
}

/// What kind of special-purpose address `addr` is ("loopback", "private", ...), or `None`
/// for an ordinary public unicast address; the name goes into the refusal's message so the
/// caller learns why. IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are
/// judged by that IPv4 address, since that is the host they reach.
pub fn forbidden_class(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(a) => forbidden_v4(a),
        IpAddr::V6(a) => forbidden_v6(a),
    }
}

fn in_v4(a: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    prefix_eq(u32::from(a).into(), u32::from(Ipv4Addr::from(net)).into(), 32, prefix)
}

fn in_v6(a: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = net;
    prefix_eq(u128::from(a), u128::from(Ipv6Addr::new(a0, a1, a2, a3, a4, a5, a6, a7)), 128, prefix)
}

/// The IPv4 special-purpose ranges (IANA's registry and its neighbours) as (network,
/// prefix, class).
const V4_RANGES: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "unspecified (\"this network\")"),
    ([10, 0, 0, 0], 8, "private"),
    ([100, 64, 0, 0], 10, "shared (carrier-grade NAT)"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "private"),
    ([192, 0, 0, 0], 24, "IETF protocol assignment"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast"),
    ([192, 168, 0, 0], 16, "private"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([255, 255, 255, 255], 32, "broadcast"),
    ([240, 0, 0, 0], 4, "reserved"),
];

fn forbidden_v4(a: Ipv4Addr) -> Option<&'static str> {
    V4_RANGES.iter().find(|(net, prefix, _)| in_v4(a, *net, *prefix)).map(|(_, _, class)| *class)
}

/// The IPv6 special-purpose ranges that are refused outright (those embedding an IPv4
/// address are handled before this table).
const V6_RANGES: &[([u16; 8], u8, &str)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified"),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"),
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible (deprecated)"),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use NAT64"),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo"),
    ([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "benchmarking"),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local (private)"),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)"),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
];

fn forbidden_v6(a: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = a.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = a.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
    if in_v6(a, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return forbidden_v4(Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7])));
    }
    if s[0] == 0x2002 {
        return forbidden_v4(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
    }
    V6_RANGES.iter().find(|(net, prefix, _)| in_v6(a, *net, *prefix)).map(|(_, _, class)| *class)
}

/// What to probe and how.
#[derive(Debug, Clone, Copy)]
pub struct ProbeRequest<'a> {
    /// The repository URL (`http://` or `https://` only).
    pub url: &'a str,
    /// The user name to present; [`DEFAULT_USER_NAME`] when only a password is given.
    pub username: Option<&'a str>,
    /// The password or access token. Without one (or with an empty one) the probe is
    /// anonymous: a user name alone authenticates nobody.
    pub password: Option<&'a str>,
    /// Networks the operator allows although [`is_forbidden_by_default`] refuses them.
    pub allowed: &'a [Network],
    /// Bound on the whole probe: resolution, connection, the answer.
    pub timeout: Duration,
}

/// What the remote advertises.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteRefs {
    /// The branch the remote's HEAD points to (e.g. "main"): the default branch a clone
    /// checks out. `None` when the server does not say (or the repository is empty).
    pub head_branch: Option<String>,
    /// Every advertised ref as (full ref name, object id), in the remote's order, including
    /// `HEAD` and peeled tags (`refs/tags/v1^{}`, whose id is the tagged commit).
    pub refs: Vec<(String, String)>,
}

impl RemoteRefs {
    /// Whether branch `name` (without `refs/heads/`) exists on the remote.
    pub fn has_branch(&self, name: &str) -> bool {
        self.branch_oid(name).is_some()
    }

    /// The commit branch `name` (without `refs/heads/`) points to.
    pub fn branch_oid(&self, name: &str) -> Option<&str> {
        self.refs.iter().find(|(r, _)| r.strip_prefix("refs/heads/") == Some(name)).map(|(_, oid)| oid.as_str())
    }

    /// The branch names (without `refs/heads/`), for messages that list what exists.
    pub fn branches(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().filter_map(|(r, _)| r.strip_prefix("refs/heads/"))
    }

    /// Whether `oid` (a full object id) is the tip of some advertised ref: the only commits
    /// a remote says anything about without a fetch.
    pub fn is_advertised(&self, oid: &str) -> bool {
        self.refs.iter().any(|(_, o)| o.eq_ignore_ascii_case(oid))
    }
}

/// Why a probe failed. Every message is one line and never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The URL is not one the probe will use (scheme, embedded credentials, query ...); the
    /// reason says which and never repeats the URL (it might carry a password).
    #[error("unsupported repository URL: {0}")]
    UnsupportedUrl(String),
    /// The host resolves to an address the probe may not reach (SSRF protection).
    #[error("{host} resolves to {addr}, a {} address, which codeport does not connect to unless the operator allows its network", forbidden_class(*addr).unwrap_or("forbidden"))]
    ForbiddenAddress {
        /// The host as written in the URL.
        host: String,
        /// The first address refused.
        addr: IpAddr,
    },
    /// The host name could not be resolved.
    #[error("cannot resolve the repository's host: {0}")]
    Resolve(String),
    /// The remote refused the credentials, or wants some and none were given.
    #[error("the repository refused the credentials (or requires credentials that were not given)")]
    AuthenticationFailed,
    /// There is no repository at that URL (or the credentials may not see it).
    #[error("no git repository exists at that URL (or it is not visible with these credentials)")]
    NotFound,
    /// No answer within [`ProbeRequest::timeout`].
    #[error("the repository did not answer within the time limit")]
    Timeout,
    /// The connection failed, the server failed (5xx) or answered with a redirect.
    #[error("cannot reach the repository: {0}")]
    Network(String),
    /// The remote answered, but not as a git server should.
    #[error("git could not list the repository's refs: {0}")]
    Git(String),
    /// Running git failed on codeport's side; not the remote's fault.
    #[error("cannot run git: {0}")]
    Internal(String),
}

/// The parsed, checked URL: what git receives and where it may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// The URL re-serialized by the parser that checked it.
    url: String,
    /// The host as git (curl) will look it up: a lowercase name, or an address literal.
    host: TargetHost,
    /// The port (explicit or the scheme's default).
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TargetHost {
    Name(String),
    Addr(IpAddr),
}

impl fmt::Display for TargetHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetHost::Name(n) => f.write_str(n),
            TargetHost::Addr(a) => write!(f, "{a}"),
        }
    }
}

fn unsupported(reason: impl Into<String>) -> ProbeError {
    ProbeError::UnsupportedUrl(reason.into())
}

/// Checks the URL's form and re-serializes it. Messages describe the problem without
/// quoting the URL, which might contain a password.
fn parse_target(raw: &str) -> Result<Target, ProbeError> {
    if raw.is_empty() {
        return Err(unsupported("the URL is empty"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err(unsupported("the URL contains whitespace, a control character or a backslash"));
    }
    let Some((scheme, rest)) = raw.split_once("://") else {
        return Err(unsupported(if raw.contains("::") {
            "transport helper addresses (such as ext:: or fd::) are refused: they run commands or open local files"
        } else if raw.contains(':') && !raw.starts_with('/') {
            "SSH addresses (user@host:path) cannot be checked: give the repository's https:// URL"
        } else {
            "local paths are refused: give the repository's https:// URL"
        }));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(unsupported(format!("only http:// and https:// repositories can be checked, not {scheme}://")));
    }
    // Anything before the first '/', '?' or '#' is the authority; an '@' there is userinfo,
    // whatever a lenient parser would make of it.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        // A lenient parser would take the first path segment for the host.
        return Err(unsupported("the URL has no host"));
    }
    if authority.contains('@') {
        return Err(unsupported(
            "credentials embedded in the URL (user:password@host) are refused: they would be stored and shown with the URL; give the user name and the password or token separately",
        ));
    }
    let url = url::Url::parse(raw).map_err(|e| unsupported(format!("not a valid URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(unsupported("credentials embedded in the URL are refused; give them separately"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(unsupported("a repository URL has no query (?...) or fragment (#...)"));
    }
    let port = url.port_or_known_default().ok_or_else(|| unsupported("the URL has no port"))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) if d.ends_with('.') => {
            return Err(unsupported("the host name ends with a dot; write it without the trailing dot"));
        }
        Some(url::Host::Domain(d)) => TargetHost::Name(d.to_string()),
        Some(url::Host::Ipv4(a)) => TargetHost::Addr(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => TargetHost::Addr(IpAddr::V6(a)),
        None => return Err(unsupported("the URL has no host")),
    };
    Ok(Target { url: url.as_str().to_string(), host, port })
}

/// The addresses the host resolves to, each checked against the defaults and the allowed
/// networks: one refused address refuses the probe, since curl might pick any of them.
async fn resolve_checked(target: &Target, allowed: &[Network]) -> Result<Vec<IpAddr>, ProbeError> {
    let addrs: Vec<IpAddr> = match &target.host {
        TargetHost::Addr(a) => vec![*a],
        TargetHost::Name(name) => {
            let found = tokio::net::lookup_host((name.as_str(), target.port)).await.map_err(|e| ProbeError::Resolve(format!("{name}: {e}")))?;
            let mut addrs: Vec<IpAddr> = Vec::new();
            for sa in found {
                if !addrs.contains(&sa.ip()) {
                    addrs.push(sa.ip());
                }
            }
            addrs
        }
    };
    if addrs.is_empty() {
        return Err(ProbeError::Resolve(format!("{} has no addresses", target.host)));
    }
    if let Some(bad) = addrs.iter().find(|a| is_forbidden_by_default(**a) && !allowed.iter().any(|n| n.contains(**a))) {
        return Err(ProbeError::ForbiddenAddress { host: target.host.to_string(), addr: *bad });
    }
    Ok(addrs)
}

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

/// The credentials as an `Authorization` header value, or `None` for an anonymous probe.
fn authorization(username: Option<&str>, password: Option<&str>) -> Option<String> {
    let password = password.filter(|p| !p.is_empty())?;
    let user = username.filter(|u| !u.is_empty()).unwrap_or(DEFAULT_USER_NAME);
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    Some(format!("Authorization: Basic {token}"))
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

/// Lists the refs of the repository at `req.url` with the protections described in the
/// module documentation, the whole of it (resolution included) bounded by `req.timeout`.
pub async fn probe(req: &ProbeRequest<'_>) -> Result<RemoteRefs, ProbeError> {
    let target = parse_target(req.url)?;
    match tokio::time::timeout(req.timeout, probe_target(req, &target)).await {
        Ok(result) => result,
        // Dropping the inner future killed git's process group.
        Err(_) => Err(ProbeError::Timeout),
    }
}

async fn probe_target(req: &ProbeRequest<'_>, target: &Target) -> Result<RemoteRefs, ProbeError> {
    let addrs = resolve_checked(target, req.allowed).await?;
    let home = tempfile::Builder::new()
        .prefix("codeport-probe-")
        .tempdir()
        .map_err(|e| ProbeError::Internal(format!("cannot create a temporary directory: {e}")))?;
    let header = authorization(req.username, req.password);
    let mut child = ls_remote_command(target, &addrs, header.as_deref(), home.path(), req.timeout)
        .spawn()
        .map_err(|e| ProbeError::Internal(format!("cannot start git: {e}")))?;
    let mut killer = GroupKiller(child.id());
    let (stdout, stderr) = tokio::join!(read_capped(child.stdout.take(), MAX_REFS_OUTPUT, false), read_capped(child.stderr.take(), MAX_STDERR, true));
    let stdout = stdout.map_err(|e| ProbeError::Internal(format!("cannot read git's output: {e}")))?;
    let Some(stdout) = stdout else {
        return Err(ProbeError::Git(format!("the remote advertises more than {} MiB of refs", MAX_REFS_OUTPUT >> 20)));
    };
    let stderr = stderr.map_err(|e| ProbeError::Internal(format!("cannot read git's messages: {e}")))?.unwrap_or_default();
    let status = child.wait().await.map_err(|e| ProbeError::Internal(format!("cannot wait for git: {e}")))?;
    killer.disarm();
    if status.success() {
        return parse_ls_remote(&String::from_utf8_lossy(&stdout));
    }
    let secrets: Vec<&str> = [req.password, header.as_deref()].into_iter().flatten().filter(|s| !s.is_empty()).collect();
    let message = scrub(&String::from_utf8_lossy(&stderr), &secrets);
    Err(classify_failure(&message))
}

/// `text` with every secret (and its base64 form inside the header) replaced.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        out = out.replace(s, "***");
        if let Some(b64) = s.strip_prefix("Authorization: Basic ") {
            out = out.replace(b64, "***");
        }
    }
    out
}

/// Turns git's (already scrubbed) standard error into a [`ProbeError`]. git 2.x in the C
/// locale says, for example, `could not read Username for '...': terminal prompts disabled`
/// (a 401: it wanted credentials and may not ask), `Authentication failed for '...'`,
/// `unable to access '...': The requested URL returned error: 403`, `repository '...' not
/// found` (404), `Failed to connect to ... Couldn't connect to server`.
fn classify_failure(stderr: &str) -> ProbeError {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("git failed without a message")
        .trim();
    let line = line.strip_prefix("fatal:").or_else(|| line.strip_prefix("error:")).unwrap_or(line).trim();
    let excerpt = truncate(line, MAX_MESSAGE);
    let lower = stderr.to_ascii_lowercase();
    let status = http_status(&lower);
    if lower.contains("authentication failed")
        || lower.contains("could not read username")
        || lower.contains("could not read password")
        || matches!(status, Some(401 | 403))
    {
        ProbeError::AuthenticationFailed
    } else if matches!(status, Some(404 | 410)) || (lower.contains("repository '") && lower.contains("' not found")) {
        ProbeError::NotFound
    } else if let Some(code @ 300..=399) = status {
        ProbeError::Network(format!(
            "the server answered with a redirect (HTTP {code}), which codeport does not follow: give the repository's final URL"
        ))
    } else if status.is_some_and(|s| s >= 500)
        || [
            "could not resolve",
            "couldn't resolve",
            "failed to connect",
            "couldn't connect",
            "connection refused",
            "connection reset",
            "timed out",
            "operation too slow",
            "ssl",
            "certificate",
            "recv failure",
            "send failure",
            "empty reply",
        ]
        .iter()
        .any(|w| lower.contains(w))
    {
        ProbeError::Network(excerpt)
    } else {
        ProbeError::Git(excerpt)
    }
}

/// The status in curl's `The requested URL returned error: NNN`.
fn http_status(lower: &str) -> Option<u16> {
    let rest = lower.split("returned error: ").nth(1)?;
    rest.get(..3)?.parse().ok()
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

/// Parses `git ls-remote --symref` output: `ref: refs/heads/main<TAB>HEAD` for a symbolic
/// ref, then `<oid><TAB><ref>` lines.
fn parse_ls_remote(out: &str) -> Result<RemoteRefs, ProbeError> {
    let mut refs = RemoteRefs::default();
    for line in out.lines().filter(|l| !l.is_empty()) {
        let bad = || ProbeError::Git(format!("unexpected ls-remote output line {:?}", truncate(line, 120)));
        let (left, name) = line.split_once('\t').ok_or_else(bad)?;
        if let Some(target) = left.strip_prefix("ref: ") {
            if name == "HEAD" {
                refs.head_branch = target.strip_prefix("refs/heads/").map(str::to_string);
            }
            continue;
        }
        let oid_ok = (left.len() == 40 || left.len() == 64) && left.bytes().all(|b| b.is_ascii_hexdigit());
        if !oid_ok || name.is_empty() {
            return Err(bad());
        }
        refs.refs.push((name.to_string(), left.to_ascii_lowercase()));
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_versions_parse_and_compare() {
        assert_eq!(parse_git_version("git version 2.47.3\n"), Some((2, 47)));
        assert_eq!(parse_git_version("git version 2.39.5 (Apple Git-154)"), Some((2, 39)));
        assert_eq!(parse_git_version("git version 2.30.2"), Some((2, 30)));
        assert!(parse_git_version("git version 2.30.2").unwrap() < MIN_GIT_FOR_PROBE);
        assert!((3, 0) >= MIN_GIT_FOR_PROBE);
        assert_eq!(parse_git_version("not git"), None);
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn net(s: &str) -> Network {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_parsing_accepts_networks_and_single_hosts() {
        assert_eq!(net("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(net(" 192.168.1.0/24 ").prefix(), 24);
        assert_eq!(net("10.1.2.3").to_string(), "10.1.2.3/32");
        assert_eq!(net("fd00::/8").to_string(), "fd00::/8");
        assert_eq!(net("::1").to_string(), "::1/128");
        assert_eq!(net("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(net("::/0").prefix(), 0);
    }

    #[test]
    fn cidr_parsing_refuses_with_a_clear_reason() {
        let msg = |s: &str| s.parse::<Network>().unwrap_err().to_string();
        assert!(msg("10.0.0.0/33").contains("prefix length 33 is longer than the 32 bits"), "{}", msg("10.0.0.0/33"));
        assert!(msg("fd00::/129").contains("longer than the 128 bits"));
        assert!(msg("10.0.0.0/x").contains("is not a number from 0 to 32"));
        assert!(msg("10.0.0/8").contains("is not an IPv4 or IPv6 address"));
        assert!(msg("example.com/8").contains("\"example.com\" is not an IPv4 or IPv6 address"));
        assert!(msg("").contains("is not an IPv4 or IPv6 address"));
        assert!(msg("10.1.2.3/8").contains("did you mean 10.0.0.0/8?"), "{}", msg("10.1.2.3/8"));
        assert!(msg("10.0.0.0/33").starts_with("\"10.0.0.0/33\" is not a network in CIDR notation"));
    }

    #[test]
    fn networks_contain_their_addresses_in_either_family() {
        let lo = net("127.0.0.0/8");
        assert!(lo.contains(ip("127.0.0.1")));
        assert!(lo.contains(ip("127.255.255.255")));
        assert!(!lo.contains(ip("128.0.0.1")));
        assert!(lo.contains(ip("::ffff:127.0.0.1")), "an IPv4-mapped address is the same host");
        assert!(!lo.contains(ip("::1")));
        let mapped = net("::ffff:10.0.0.0/104");
        assert!(mapped.contains(ip("10.9.9.9")));
        assert!(!mapped.contains(ip("11.0.0.1")));
        assert!(net("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(net("::/0").contains(ip("2001:4860::1")));
        assert!(net("fd00::/8").contains(ip("fd12:3456::1")));
        assert!(!net("fd00::/8").contains(ip("fc00::1")));
        assert!(net("10.1.2.3").contains(ip("10.1.2.3")));
        assert!(!net("10.1.2.3").contains(ip("10.1.2.4")));
    }

    #[test]
    fn every_special_purpose_class_is_forbidden_by_default() {
        let cases = [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.1.2.3", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.254", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT"),
            ("169.254.169.254", "link-local"),
            ("192.0.0.8", "IETF"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.1", "benchmarking"),
            ("192.88.99.1", "6to4"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("240.0.0.1", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001:2::1", "benchmarking"),
            ("2001:0:4136:e378::1", "Teredo"),
            ("100::1", "discard-only"),
            ("64:ff9b:1::1", "NAT64"),
            ("::7f00:1", "IPv4-compatible"),
            // IPv4 hosts written in IPv6 are judged as the IPv4 host they reach.
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:10.1.2.3", "private"),
            ("::ffff:192.168.0.1", "private"),
            ("::ffff:0.0.0.0", "unspecified"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b::7f00:1", "loopback"),
            ("2002:7f00:1::1", "loopback"),
            ("2002:c0a8:101::1", "private"),
        ];
        for (addr, class) in cases {
            let found = forbidden_class(ip(addr));
            assert!(found.is_some_and(|c| c.contains(class)), "{addr}: expected {class}, got {found:?}");
            assert!(is_forbidden_by_default(ip(addr)), "{addr}");
        }
    }

    #[test]
    fn public_addresses_are_not_forbidden() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "140.205.60.46",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "192.169.0.1",
            "11.0.0.1",
            "126.255.255.255",
            "128.0.0.1",
            "223.255.255.255",
            "2001:4860:4860::8888",
            "2400:3200::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(forbidden_class(ip(addr)), None, "{addr}");
        }
    }

    #[test]
    fn urls_other_than_plain_http_and_https_are_refused_with_the_reason() {
        let reason = |u: &str| match parse_target(u) {
            Err(ProbeError::UnsupportedUrl(r)) => r,
            other => panic!("{u}: {other:?}"),
        };
        assert!(reason("ssh://git@example.com/x.git").contains("not ssh://"));
        assert!(reason("git://example.com/x.git").contains("not git://"));
        assert!(reason("file:///etc/passwd").contains("not file://"));
        assert!(reason("FTP://example.com/x").contains("not ftp://"));
        assert!(reason("ext::sh -c touch% /tmp/pwned").contains("whitespace"));
        assert!(reason("ext::sh").contains("transport helper"));
        assert!(reason("fd::3").contains("transport helper"));
        assert!(reason("git@codeup.aliyun.com:org/x.git").contains("SSH addresses"));
        assert!(reason("/srv/git/x.git").contains("local paths"));
        assert!(reason("").contains("empty"));
        assert!(reason("https://example.com/a b.git").contains("whitespace"));
        assert!(reason("https://example.com\\@127.0.0.1/x.git").contains("backslash"));
        assert!(reason("https://example.com/x.git?a=b").contains("no query"));
        assert!(reason("https://example.com/x.git#frag").contains("no query"));
        assert!(reason("https:///x.git").contains("no host"));
        assert!(reason("https://example.com./x.git").contains("trailing dot"));
    }

    #[test]
    fn embedded_credentials_are_refused_without_echoing_them() {
        for u in [
            "https://alice:s3cr3t-pw@example.com/x.git",
            "https://s3cr3t-pw@example.com/x.git",
            "https://alice:s3cr3t-pw@127.0.0.1/x.git",
            "http://a:s3cr3t-pw@@example.com/x.git",
            "HTTPS://alice:s3cr3t-pw@example.com:8443/x.git",
        ] {
            let e = parse_target(u).unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, ProbeError::UnsupportedUrl(_)), "{u}");
            assert!(text.contains("credentials embedded in the URL"), "{text}");
            assert!(!text.contains("s3cr3t-pw"), "{text}");
        }
    }

    #[test]
    fn urls_are_reserialized_so_git_sees_the_checked_host() {
        let t = parse_target("HTTPS://Example.COM/Org/Repo.git").unwrap();
        assert_eq!(t.url, "https://example.com/Org/Repo.git");
        assert_eq!(t.host, TargetHost::Name("example.com".into()));
        assert_eq!(t.port, 443);
        let t = parse_target("http://example.com:8080/x.git").unwrap();
        assert_eq!((t.port, t.url.as_str()), (8080, "http://example.com:8080/x.git"));
        // Obscure IPv4 spellings become the address they are.
        let t = parse_target("http://0x7f.1/x.git").unwrap();
        assert_eq!((t.host.clone(), t.url.as_str()), (TargetHost::Addr(ip("127.0.0.1")), "http://127.0.0.1/x.git"));
        let t = parse_target("http://2130706433/x.git").unwrap();
        assert_eq!(t.host, TargetHost::Addr(ip("127.0.0.1")));
        let t = parse_target("http://[::ffff:7f00:1]:81/x.git").unwrap();
        assert_eq!((t.host, t.port), (TargetHost::Addr(ip("::ffff:127.0.0.1")), 81));
    }

    #[tokio::test]
    async fn address_literals_are_checked_without_resolving() {
        let t = parse_target("http://[::1]/x.git").unwrap();
        let e = resolve_checked(&t, &[]).await.unwrap_err();
        assert_eq!(e, ProbeError::ForbiddenAddress { host: "::1".into(), addr: ip("::1") });
        assert!(e.to_string().contains("a loopback address"), "{e}");
        assert_eq!(resolve_checked(&t, &[net("::1")]).await.unwrap(), vec![ip("::1")]);
        let t = parse_target("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(matches!(resolve_checked(&t, &[net("127.0.0.0/8")]).await, Err(ProbeError::ForbiddenAddress { .. })));
        let t = parse_target("http://localhost:1/x.git").unwrap();
        assert!(matches!(resolve_checked(&t, &[]).await, Err(ProbeError::ForbiddenAddress { .. })));
    }

    #[test]
    fn ls_remote_output_is_parsed() {
        let out = "ref: refs/heads/main\tHEAD\n\
                   1111111111111111111111111111111111111111\tHEAD\n\
                   2222222222222222222222222222222222222222\trefs/heads/dev\n\
                   1111111111111111111111111111111111111111\trefs/heads/main\n\
                   3333333333333333333333333333333333333333\trefs/tags/v1\n\
                   4444444444444444444444444444444444444444\trefs/tags/v1^{}\n";
        let r = parse_ls_remote(out).unwrap();
        assert_eq!(r.head_branch.as_deref(), Some("main"));
        assert_eq!(r.refs.len(), 5);
        assert!(r.has_branch("main") && r.has_branch("dev") && !r.has_branch("v1") && !r.has_branch("HEAD"));
        assert_eq!(r.branch_oid("dev"), Some("2222222222222222222222222222222222222222"));
        assert_eq!(r.branches().collect::<Vec<_>>(), ["dev", "main"]);
        assert!(r.is_advertised("4444444444444444444444444444444444444444"));
        assert!(!r.is_advertised("5555555555555555555555555555555555555555"));

        let empty = parse_ls_remote("").unwrap();
        assert_eq!(empty, RemoteRefs::default());
        let sha256 = format!("{}\trefs/heads/main\n", "a".repeat(64));
        assert!(parse_ls_remote(&sha256).unwrap().has_branch("main"));
        // A symref HEAD to something that is not a branch is no default branch.
        assert_eq!(parse_ls_remote("ref: refs/remotes/x\tHEAD\n").unwrap().head_branch, None);
        assert!(matches!(parse_ls_remote("garbage\n"), Err(ProbeError::Git(_))));
        assert!(matches!(parse_ls_remote("1234\trefs/heads/main\n"), Err(ProbeError::Git(_))));
    }

    #[test]
    fn git_messages_map_to_error_classes() {
        let c = classify_failure;
        assert_eq!(c("fatal: could not read Username for 'https://h': terminal prompts disabled\n"), ProbeError::AuthenticationFailed);
        assert_eq!(c("remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://h/x.git/'\n"), ProbeError::AuthenticationFailed);
        assert_eq!(c("fatal: unable to access 'https://h/x.git/': The requested URL returned error: 403\n"), ProbeError::AuthenticationFailed);
        assert_eq!(c("remote: Repository not found.\nfatal: repository 'https://h/x.git/' not found\n"), ProbeError::NotFound);
        assert_eq!(c("fatal: unable to access 'https://h/x.git/': The requested URL returned error: 404\n"), ProbeError::NotFound);
        assert!(
            matches!(c("fatal: unable to access 'http://h/x.git/': The requested URL returned error: 302\n"), ProbeError::Network(m) if m.contains("redirect (HTTP 302)"))
        );
        assert!(
            matches!(c("fatal: unable to access 'http://h/x.git/': The requested URL returned error: 502\n"), ProbeError::Network(m) if m.contains("502"))
        );
        assert!(
            matches!(c("fatal: unable to access 'http://h/x.git/': Failed to connect to h port 1 after 0 ms: Couldn't connect to server\n"), ProbeError::Network(m) if m.starts_with("unable to access"))
        );
        assert!(matches!(c("fatal: unable to access 'https://h/': SSL certificate problem: self-signed certificate\n"), ProbeError::Network(_)));
        assert!(
            matches!(c("fatal: protocol error: bad line length character: <htm\n"), ProbeError::Git(m) if m == "protocol error: bad line length character: <htm")
        );
        assert!(matches!(c(""), ProbeError::Git(_)));
    }

    #[test]
    fn secrets_are_scrubbed_from_git_messages() {
        let header = authorization(Some("alice"), Some("hunter2-token")).unwrap();
        let b64 = header.strip_prefix("Authorization: Basic ").unwrap().to_string();
        let text = format!("fatal: echo hunter2-token and {header} and {b64}");
        let out = scrub(&text, &["hunter2-token", &header]);
        assert!(!out.contains("hunter2-token") && !out.contains(&b64), "{out}");
    }

    #[test]
    fn credentials_become_a_basic_header_with_a_default_user() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(authorization(Some("alice"), Some("pw")), Some(format!("Authorization: Basic {}", b64("alice:pw"))));
        assert_eq!(authorization(None, Some("tok")), Some(format!("Authorization: Basic {}", b64("git:tok"))));
        assert_eq!(authorization(Some(""), Some("tok")), Some(format!("Authorization: Basic {}", b64("git:tok"))));
        assert_eq!(authorization(Some("alice"), None), None);
        assert_eq!(authorization(Some("alice"), Some("")), None);
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
