//! The repository URL the probe accepts: only `http://` and `https://`, no embedded
//! credentials, query or fragment, re-serialized by one strict parser so git never reads a
//! different host out of it than the one checked.

use std::fmt;
use std::net::IpAddr;

use super::ProbeError;

/// The parsed, checked URL: what git receives and where it may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The URL re-serialized by the parser that checked it.
    pub url: String,
    /// The host as git (curl) will look it up: a lowercase name, or an address literal.
    pub host: TargetHost,
    /// The port (explicit or the scheme's default).
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TargetHost {
    /// A domain name, which the probe resolves and pins.
    Name(String),
    /// An address literal, checked as it is.
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
pub(super) fn parse_target(raw: &str) -> Result<Target, ProbeError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
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
}
