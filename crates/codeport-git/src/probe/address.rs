//! Which addresses the probe may connect to: the special-purpose ranges it refuses by
//! default (loopback, private, link-local, carrier-grade NAT, multicast, documentation ...),
//! the operator's allowed [`Network`]s that override the refusal, and the resolution of a
//! URL's host checked against both.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::target::{Target, TargetHost};
use super::ProbeError;

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

/// The addresses the host resolves to, each checked against the defaults and the allowed
/// networks: one refused address refuses the probe, since curl might pick any of them.
pub(super) async fn resolve_checked(target: &Target, allowed: &[Network]) -> Result<Vec<IpAddr>, ProbeError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::target::parse_target;

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
}
