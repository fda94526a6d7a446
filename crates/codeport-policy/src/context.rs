//! The request context: condition keys and their values, as the server observed them.

use std::net::IpAddr;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::OffsetDateTime;

/// Well-known condition keys. Key names compare case-insensitively; these are the documented spellings.
pub mod keys {
    /// The client's address (the connection's, never X-Forwarded-For unless a trusted proxy is configured).
    pub const SOURCE_IP: &str = "acs:SourceIp";
    /// The time of the request (ISO 8601 with offset).
    pub const CURRENT_TIME: &str = "acs:CurrentTime";
    /// Whether the request came over TLS.
    pub const SECURE_TRANSPORT: &str = "acs:SecureTransport";
    /// The AccessKey id that signed the request (RAM's name: not `acs:AccessKeyId`).
    pub const ACCESS_ID: &str = "acs:AccessId";
    /// The ARN of the calling principal.
    pub const PRINCIPAL_ARN: &str = "acs:PrincipalARN";
    /// The client's User-Agent header.
    pub const USER_AGENT: &str = "acs:UserAgent";
    /// PAI: the accessibility of the target entity (`PUBLIC` / `PRIVATE`).
    pub const PAI_ACCESSIBILITY: &str = "pai:Accessibility";
    /// PAI: whether the caller created the target entity (`CREATOR` / `OTHERS`).
    pub const PAI_ENTITY_ACCESS_TYPE: &str = "pai:EntityAccessType";
}

/// One value of a condition key, with its typed readings computed once when the context is built.
///
/// Why precomputed: the evaluator runs per statement and must not parse or allocate; the context is built
/// once per request. A string value that looks like a number, a date, a boolean or an IP address is usable by
/// the corresponding operators; a value that cannot be read as the operator's type never matches it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextValue {
    text: Box<str>,
    number: Option<f64>,
    boolean: Option<bool>,
    time: Option<OffsetDateTime>,
    ip: Option<IpAddr>,
}

impl ContextValue {
    /// A value given as text; its number/bool/date/IP readings are derived from it.
    pub fn text(s: impl Into<String>) -> Self {
        let s: String = s.into();
        ContextValue {
            number: parse_number(&s),
            boolean: parse_bool(&s),
            time: parse_time(&s),
            ip: s.parse::<IpAddr>().ok().map(canonical_ip),
            text: s.into_boxed_str(),
        }
    }
    /// The value as text (what `String*` operators compare).
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// The value as a finite number, if it is one.
    pub fn as_number(&self) -> Option<f64> {
        self.number
    }
    /// The value as a boolean (`true`/`false`, any ASCII case), if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        self.boolean
    }
    /// The value as an instant (ISO 8601 with offset), if it is one.
    pub fn as_time(&self) -> Option<OffsetDateTime> {
        self.time
    }
    /// The value as an IP address (IPv4-mapped IPv6 addresses read as IPv4), if it is one.
    pub fn as_ip(&self) -> Option<IpAddr> {
        self.ip
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::text(s)
    }
}
impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::text(s)
    }
}
impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue { text: if b { "true" } else { "false" }.into(), number: None, boolean: Some(b), time: None, ip: None }
    }
}
impl From<f64> for ContextValue {
    fn from(n: f64) -> Self {
        ContextValue { text: n.to_string().into(), number: n.is_finite().then_some(n), boolean: None, time: None, ip: None }
    }
}
impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        ContextValue { text: n.to_string().into(), number: Some(n as f64), boolean: None, time: None, ip: None }
    }
}
impl From<OffsetDateTime> for ContextValue {
    fn from(t: OffsetDateTime) -> Self {
        let text = t.format(&Rfc3339).unwrap_or_else(|_| t.to_string());
        ContextValue { text: text.into(), number: None, boolean: None, time: Some(t), ip: None }
    }
}
impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> Self {
        let ip = canonical_ip(ip);
        ContextValue { text: ip.to_string().into(), number: None, boolean: None, time: None, ip: Some(ip) }
    }
}

/// The condition keys of one request and their values.
///
/// Why a small vector: a request has a handful of keys, so a linear scan over pre-lowercased names beats hashing
/// and keeps lookups allocation-free.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: Vec<(Box<str>, Vec<ContextValue>)>,
}

impl Context {
    /// An empty context (every condition is then unmet).
    pub fn new() -> Self {
        Context::default()
    }

    /// Adds a value to `key` (keeping earlier values: a key may have several).
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Self {
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, vs)) => vs.push(value),
            None => self.entries.push((key.to_ascii_lowercase().into(), vec![value])),
        }
        self
    }

    /// Builder form of [`Context::insert`].
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.insert(key, value);
        self
    }

    /// Replaces all values of `key`.
    pub fn set(&mut self, key: &str, values: Vec<ContextValue>) -> &mut Self {
        self.entries.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
        self.entries.push((key.to_ascii_lowercase().into(), values));
        self
    }

    /// The values of `key` (case-insensitive), or `None` when the request does not carry it.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        self.entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_slice())
    }

    /// Lookup by a key that is already ASCII-lowercase (the compiled conditions' form).
    #[inline]
    pub(crate) fn get_lower(&self, key_lower: &str) -> Option<&[ContextValue]> {
        self.entries.iter().find(|(k, _)| crate::glob::short_eq(k.as_bytes(), key_lower.as_bytes())).map(|(_, v)| v.as_slice())
    }
}

pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    // Rust accepts "inf"/"NaN"; policies mean decimal numbers only.
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// ISO 8601 instants with an offset (`2024-05-01T08:00:00+08:00`, `…Z`, fractional seconds allowed).
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    if s.len() < 10 || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    OffsetDateTime::parse(s, &Rfc3339).or_else(|_| OffsetDateTime::parse(s, &Iso8601::DEFAULT)).ok()
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address, so IPv4 CIDRs match dual-stack listeners.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}
