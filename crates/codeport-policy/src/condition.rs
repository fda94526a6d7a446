//! Condition operators, their values compiled at parse time, and their evaluation.
//!
//! Semantics (RAM/AWS):
//! - Several operators in one `Condition` block, and several keys under one operator, are ANDed.
//! - Several policy values for one key are ORed.
//! - A key absent from the request context makes the condition **false for every operator, negated ones
//!   included** (the condition is not met, so the statement does not apply). Consequence for authors: a
//!   `Deny` guarded by `NotIpAddress` does not apply to a request without `acs:SourceIp`; codeport's server
//!   always supplies the `acs:` keys it documents.
//! - Negated operators (`StringNotEquals`, `StringNotEqualsIgnoreCase`, `StringNotLike`, `NumericNotEquals`,
//!   `DateNotEquals`, `NotIpAddress`) are true when the context value matches **none** of the policy values
//!   (the negation of the positive operator, not an OR of negations, which would always be true).
//! - A context key with several values: a positive operator is true when any value matches; a negated one
//!   when no value matches. Values that cannot be read as the operator's type (e.g. `abc` for `NumericEquals`)
//!   are ignored; if none can be read, the condition is false, as if the key were absent.

use crate::context::{canonical_ip, parse_bool, parse_number, parse_time, ContextValue};
use crate::glob::{Case, Glob};
use std::fmt;
use std::net::IpAddr;
use time::OffsetDateTime;

/// A condition operator. Names are case-sensitive in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
}

impl Operator {
    /// Every operator, in documentation order (used for parsing and for "did you mean" hints).
    pub const ALL: [Operator; 21] = [
        Operator::StringEquals,
        Operator::StringNotEquals,
        Operator::StringEqualsIgnoreCase,
        Operator::StringNotEqualsIgnoreCase,
        Operator::StringLike,
        Operator::StringNotLike,
        Operator::NumericEquals,
        Operator::NumericNotEquals,
        Operator::NumericLessThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThan,
        Operator::NumericGreaterThanEquals,
        Operator::DateEquals,
        Operator::DateNotEquals,
        Operator::DateLessThan,
        Operator::DateLessThanEquals,
        Operator::DateGreaterThan,
        Operator::DateGreaterThanEquals,
        Operator::Bool,
        Operator::IpAddress,
        Operator::NotIpAddress,
    ];

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        use Operator::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
        }
    }

    /// Parses an operator name exactly (case-sensitive, as RAM does).
    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Whether the operator is the negation of a positive one (see the module docs for what that implies).
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(self, StringNotEquals | StringNotEqualsIgnoreCase | StringNotLike | NumericNotEquals | DateNotEquals | NotIpAddress)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An IPv4 or IPv6 network (a single address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `10.1.2.3`, `2001:db8::/32` or `::1`. Host bits are allowed and ignored.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = addr.trim().parse().map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        // A mapped address written with a /96+ prefix is kept as IPv6; a bare one reads as IPv4.
        let ip = if prefix.is_none() { canonical_ip(ip) } else { ip };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(n) if n <= max && !p.trim().starts_with('+') => n,
                _ => return Err(format!("{s:?} has an invalid prefix length (0..={max})")),
            },
        };
        Ok(Cidr { network: mask(ip, prefix), prefix })
    }

    /// Whether `ip` is inside the network. IPv4 and IPv6 never match each other (mapped addresses are IPv4).
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => mask(ip, self.prefix) == self.network,
            _ => false,
        }
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix as u32) };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix as u32) };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// The policy values of one condition, already converted to the operator's type.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    Strings(Vec<Box<str>>),
    /// Unicode-lowercased.
    Folded(Vec<Box<str>>),
    Globs(Vec<Glob>),
    Numbers(Vec<f64>),
    Times(Vec<OffsetDateTime>),
    Bools(Vec<bool>),
    Cidrs(Vec<Cidr>),
}

/// One `Operator: { Key: values }` entry, compiled.
///
/// Why compiled: values are parsed for the operator when the policy is parsed (a bad date is a parse error,
/// not a silent non-match), and the key is lowercased once.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    operator: Operator,
    key: Box<str>,
    key_lower: Box<str>,
    values: Values,
}

/// A raw policy value before conversion: a JSON string, number or boolean.
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    Num(&'a serde_json::Number),
    Bool(bool),
}

impl Condition {
    /// Compiles one condition; `values` are the JSON scalars. Errors name the offending value's index.
    pub(crate) fn compile(operator: Operator, key: &str, values: &[Scalar<'_>]) -> Result<Condition, (Option<usize>, String)> {
        use Operator::*;
        if values.is_empty() {
            return Err((None, "has no values".into()));
        }
        let text = |s: &Scalar<'_>| -> String {
            match s {
                Scalar::Str(s) => (*s).to_owned(),
                Scalar::Num(n) => n.to_string(),
                Scalar::Bool(b) => b.to_string(),
            }
        };
        let values = match operator {
            StringEquals | StringNotEquals => Values::Strings(values.iter().map(|v| text(v).into()).collect()),
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => Values::Folded(values.iter().map(|v| text(v).to_lowercase().into()).collect()),
            StringLike | StringNotLike => Values::Globs(values.iter().map(|v| Glob::new(&text(v), Case::Sensitive)).collect()),
            NumericEquals | NumericNotEquals | NumericLessThan | NumericLessThanEquals | NumericGreaterThan | NumericGreaterThanEquals => {
                let mut out = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    let n = match v {
                        Scalar::Num(n) => n.as_f64().filter(|f| f.is_finite()),
                        Scalar::Str(s) => parse_number(s),
                        Scalar::Bool(_) => None,
                    };
                    out.push(n.ok_or_else(|| (Some(i), format!("{} is not a number ({operator} needs numbers)", show(v))))?);
                }
                Values::Numbers(out)
            }
            DateEquals | DateNotEquals | DateLessThan | DateLessThanEquals | DateGreaterThan | DateGreaterThanEquals => {
                let mut out = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    let t = match v {
                        Scalar::Str(s) => parse_time(s),
                        _ => None,
                    };
                    out.push(t.ok_or_else(|| {
                        (Some(i), format!("{} is not an ISO 8601 date-time with offset, e.g. \"2024-05-01T08:00:00+08:00\" ({operator})", show(v)))
                    })?);
                }
                Values::Times(out)
            }
            Bool => {
                let mut out = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    let b = match v {
                        Scalar::Bool(b) => Some(*b),
                        Scalar::Str(s) => parse_bool(s),
                        Scalar::Num(_) => None,
                    };
                    out.push(b.ok_or_else(|| (Some(i), format!("{} is not true or false (Bool)", show(v))))?);
                }
                Values::Bools(out)
            }
            IpAddress | NotIpAddress => {
                let mut out = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    let c = match v {
                        Scalar::Str(s) => Cidr::parse(s),
                        _ => Err(format!("{} is not an IP address or CIDR block", show(v))),
                    };
                    out.push(c.map_err(|e| (Some(i), format!("{e} ({operator})")))?);
                }
                Values::Cidrs(out)
            }
        };
        Ok(Condition { operator, key: key.into(), key_lower: key.to_ascii_lowercase().into(), values })
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The condition key as written in the policy.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Evaluates the condition against the context values of its key (`None`: key absent). Never allocates.
    pub fn evaluate(&self, values: Option<&[ContextValue]>) -> bool {
        let Some(values) = values else { return false };
        let mut readable = false;
        let mut matched = false;
        for v in values {
            match self.positive(v) {
                None => continue,
                Some(m) => {
                    readable = true;
                    if m {
                        matched = true;
                        break;
                    }
                }
            }
        }
        if !readable {
            return false;
        }
        matched != self.operator.is_negated()
    }

    #[inline]
    pub(crate) fn key_lower(&self) -> &str {
        &self.key_lower
    }

    /// Whether one context value matches any policy value under the positive form of the operator;
    /// `None` when the value cannot be read as the operator's type.
    fn positive(&self, v: &ContextValue) -> Option<bool> {
        use Operator::*;
        Some(match &self.values {
            Values::Strings(ps) => ps.iter().any(|p| **p == *v.as_str()),
            Values::Folded(ps) => ps.iter().any(|p| eq_folded(p, v.as_str())),
            Values::Globs(ps) => ps.iter().any(|p| p.matches(v.as_str())),
            Values::Numbers(ps) => {
                let x = v.as_number()?;
                ps.iter().any(|&p| match self.operator {
                    NumericLessThan => x < p,
                    NumericLessThanEquals => x <= p,
                    NumericGreaterThan => x > p,
                    NumericGreaterThanEquals => x >= p,
                    _ => x == p,
                })
            }
            Values::Times(ps) => {
                let x = v.as_time()?;
                ps.iter().any(|&p| match self.operator {
                    DateLessThan => x < p,
                    DateLessThanEquals => x <= p,
                    DateGreaterThan => x > p,
                    DateGreaterThanEquals => x >= p,
                    _ => x == p,
                })
            }
            Values::Bools(ps) => {
                let x = v.as_bool()?;
                ps.contains(&x)
            }
            Values::Cidrs(ps) => {
                let x = v.as_ip()?;
                ps.iter().any(|c| c.contains(x))
            }
        })
    }
}

/// `folded` is already Unicode-lowercased; compares without allocating.
#[inline]
fn eq_folded(folded: &str, s: &str) -> bool {
    if folded.is_ascii() && s.is_ascii() {
        return folded.eq_ignore_ascii_case(s);
    }
    folded.chars().eq(s.chars().flat_map(char::to_lowercase))
}

fn show(v: &Scalar<'_>) -> String {
    match v {
        Scalar::Str(s) => format!("{s:?}"),
        Scalar::Num(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
    }
}
