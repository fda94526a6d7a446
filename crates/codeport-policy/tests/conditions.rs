//! Every condition operator: match, non-match, absent key, several values (OR), several keys (AND).

use codeport_policy::{Context, ContextValue, DecisionEffect, PermissiveCatalog, Policy, PolicySet, Request};

fn allowed(condition: &str, ctx: &Context) -> bool {
    let doc = format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}]}}"#);
    let p = Policy::parse(&doc, &PermissiveCatalog).unwrap_or_else(|e| panic!("{condition}: {e}"));
    let set = PolicySet::new([("p", p)]);
    let d = set.evaluate(&Request::new("paicodesource:GetCodeSource", "*", ctx));
    assert_ne!(d.effect, DecisionEffect::ExplicitDeny);
    d.is_allowed()
}

/// (operator, policy values as JSON, context values for key `k:v` (None = absent), expected).
#[rustfmt::skip]
const CASES: &[(&str, &str, Option<&[&str]>, bool)] = &[
    ("StringEquals", r#""PUBLIC""#, Some(&["PUBLIC"]), true),
    ("StringEquals", r#""PUBLIC""#, Some(&["public"]), false),
    ("StringEquals", r#""PUBLIC""#, None, false),
    ("StringEquals", r#"["A","PUBLIC"]"#, Some(&["PUBLIC"]), true),
    ("StringEquals", r#"["A","B"]"#, Some(&["C"]), false),
    ("StringEquals", r#""x""#, Some(&["y", "x"]), true),
    ("StringEquals", "10", Some(&["10"]), true),
    ("StringEquals", "true", Some(&["true"]), true),
    ("StringNotEquals", r#""PUBLIC""#, Some(&["PRIVATE"]), true),
    ("StringNotEquals", r#""PUBLIC""#, Some(&["PUBLIC"]), false),
    ("StringNotEquals", r#""PUBLIC""#, None, false),
    ("StringNotEquals", r#"["A","B"]"#, Some(&["B"]), false),
    ("StringNotEquals", r#"["A","B"]"#, Some(&["C"]), true),
    ("StringEqualsIgnoreCase", r#""Public""#, Some(&["PUBLIC"]), true),
    ("StringEqualsIgnoreCase", r#""ÄBC""#, Some(&["äbc"]), true),
    ("StringEqualsIgnoreCase", r#""Public""#, Some(&["PRIVATE"]), false),
    ("StringEqualsIgnoreCase", r#""Public""#, None, false),
    ("StringNotEqualsIgnoreCase", r#""Public""#, Some(&["PUBLIC"]), false),
    ("StringNotEqualsIgnoreCase", r#""Public""#, Some(&["private"]), true),
    ("StringNotEqualsIgnoreCase", r#""Public""#, None, false),
    ("StringLike", r#""aliyun-sdk-*""#, Some(&["aliyun-sdk-python/1.0"]), true),
    ("StringLike", r#""aliyun-sdk-*""#, Some(&["Aliyun-SDK-python"]), false),
    ("StringLike", r#""v?""#, Some(&["v1"]), true),
    ("StringLike", r#""v?""#, Some(&["v10"]), false),
    ("StringLike", r#"["x*","v?"]"#, Some(&["v1"]), true),
    ("StringLike", r#""*""#, None, false),
    ("StringNotLike", r#""curl/*""#, Some(&["curl/8.0"]), false),
    ("StringNotLike", r#""curl/*""#, Some(&["git/2.4"]), true),
    ("StringNotLike", r#"["curl/*","git/*"]"#, Some(&["git/2.4"]), false),
    ("StringNotLike", r#""curl/*""#, None, false),
    ("NumericEquals", "10", Some(&["10"]), true),
    ("NumericEquals", r#""10""#, Some(&["10.0"]), true),
    ("NumericEquals", "10", Some(&["11"]), false),
    ("NumericEquals", "10", Some(&["abc"]), false),
    ("NumericEquals", "10", None, false),
    ("NumericEquals", "[1,2,3]", Some(&["2"]), true),
    ("NumericNotEquals", "10", Some(&["11"]), true),
    ("NumericNotEquals", "10", Some(&["10"]), false),
    ("NumericNotEquals", "[10,11]", Some(&["11"]), false),
    ("NumericNotEquals", "10", Some(&["abc"]), false),
    ("NumericNotEquals", "10", None, false),
    ("NumericLessThan", "10", Some(&["9.5"]), true),
    ("NumericLessThan", "10", Some(&["10"]), false),
    ("NumericLessThan", "10", None, false),
    ("NumericLessThanEquals", "10", Some(&["10"]), true),
    ("NumericLessThanEquals", "10", Some(&["10.01"]), false),
    ("NumericGreaterThan", "10", Some(&["11"]), true),
    ("NumericGreaterThan", "10", Some(&["10"]), false),
    ("NumericGreaterThan", "[100, 5]", Some(&["6"]), true),
    ("NumericGreaterThanEquals", "10", Some(&["10"]), true),
    ("NumericGreaterThanEquals", "10", Some(&["-10"]), false),
    ("NumericGreaterThanEquals", "10", None, false),
    ("DateEquals", r#""2024-05-01T08:00:00+08:00""#, Some(&["2024-05-01T00:00:00Z"]), true),
    ("DateEquals", r#""2024-05-01T08:00:00+08:00""#, Some(&["2024-05-01T08:00:00Z"]), false),
    ("DateEquals", r#""2024-05-01T08:00:00+08:00""#, None, false),
    ("DateNotEquals", r#""2024-05-01T08:00:00+08:00""#, Some(&["2024-05-01T08:00:00Z"]), true),
    ("DateNotEquals", r#""2024-05-01T08:00:00+08:00""#, Some(&["2024-05-01T00:00:00Z"]), false),
    ("DateNotEquals", r#""2024-05-01T08:00:00+08:00""#, Some(&["not a date"]), false),
    ("DateLessThan", r#""2024-05-01T00:00:00Z""#, Some(&["2024-04-30T23:59:59Z"]), true),
    ("DateLessThan", r#""2024-05-01T00:00:00Z""#, Some(&["2024-05-01T00:00:00Z"]), false),
    ("DateLessThan", r#""2024-05-01T00:00:00Z""#, None, false),
    ("DateLessThanEquals", r#""2024-05-01T00:00:00Z""#, Some(&["2024-05-01T08:00:00+08:00"]), true),
    ("DateLessThanEquals", r#""2024-05-01T00:00:00Z""#, Some(&["2024-05-01T00:00:01Z"]), false),
    ("DateGreaterThan", r#""2024-05-01T00:00:00Z""#, Some(&["2024-05-01T00:00:00.5Z"]), true),
    ("DateGreaterThan", r#""2024-05-01T00:00:00Z""#, Some(&["2024-05-01T00:00:00Z"]), false),
    ("DateGreaterThanEquals", r#""2024-05-01T00:00:00Z""#, Some(&["2024-05-01T00:00:00Z"]), true),
    ("DateGreaterThanEquals", r#""2024-05-01T00:00:00Z""#, Some(&["2023-05-01T00:00:00Z"]), false),
    ("DateGreaterThanEquals", r#"["2030-01-01T00:00:00Z","2020-01-01T00:00:00Z"]"#, Some(&["2024-01-01T00:00:00Z"]), true),
    ("Bool", "true", Some(&["true"]), true),
    ("Bool", r#""true""#, Some(&["TRUE"]), true),
    ("Bool", "true", Some(&["false"]), false),
    ("Bool", "false", Some(&["false"]), true),
    ("Bool", "true", Some(&["yes"]), false),
    ("Bool", "true", None, false),
    ("IpAddress", r#""10.0.0.0/8""#, Some(&["10.20.30.40"]), true),
    ("IpAddress", r#""10.0.0.0/8""#, Some(&["11.0.0.1"]), false),
    ("IpAddress", r#""10.0.0.0/8""#, Some(&["::ffff:10.1.1.1"]), true),
    ("IpAddress", r#""192.168.1.7""#, Some(&["192.168.1.7"]), true),
    ("IpAddress", r#""192.168.1.7""#, Some(&["192.168.1.8"]), false),
    ("IpAddress", r#""10.1.2.3/8""#, Some(&["10.9.9.9"]), true),
    ("IpAddress", r#""0.0.0.0/0""#, Some(&["8.8.8.8"]), true),
    ("IpAddress", r#""0.0.0.0/0""#, Some(&["::1"]), false),
    ("IpAddress", r#""2001:db8::/32""#, Some(&["2001:db8:1::5"]), true),
    ("IpAddress", r#""2001:db8::/32""#, Some(&["2001:db9::5"]), false),
    ("IpAddress", r#""::1""#, Some(&["::1"]), true),
    ("IpAddress", r#"["192.168.0.0/16","2001:db8::/32"]"#, Some(&["2001:db8::1"]), true),
    ("IpAddress", r#""10.0.0.0/8""#, Some(&["garbage"]), false),
    ("IpAddress", r#""10.0.0.0/8""#, None, false),
    ("NotIpAddress", r#""10.0.0.0/8""#, Some(&["11.0.0.1"]), true),
    ("NotIpAddress", r#""10.0.0.0/8""#, Some(&["10.0.0.1"]), false),
    ("NotIpAddress", r#"["10.0.0.0/8","2001:db8::/32"]"#, Some(&["2001:db8::1"]), false),
    ("NotIpAddress", r#""10.0.0.0/8""#, Some(&["garbage"]), false),
    ("NotIpAddress", r#""10.0.0.0/8""#, None, false),
];

#[test]
fn every_operator_table() {
    let mut seen = std::collections::HashSet::new();
    for (op, values, ctx_values, want) in CASES {
        seen.insert(*op);
        let mut ctx = Context::new().with("acs:Other", "x");
        if let Some(vs) = ctx_values {
            ctx.set("k:v", vs.iter().map(|s| ContextValue::text(*s)).collect());
        }
        let cond = format!(r#"{{"{op}":{{"k:v":{values}}}}}"#);
        assert_eq!(allowed(&cond, &ctx), *want, "{cond} with {ctx_values:?}");
    }
    assert_eq!(seen.len(), codeport_policy::Operator::ALL.len(), "every operator is covered");
}

#[test]
fn typed_context_values() {
    let t = time::macros::datetime!(2024-05-01 00:00:00 UTC);
    let ctx = Context::new()
        .with("acs:CurrentTime", t)
        .with("acs:SecureTransport", true)
        .with("acs:SourceIp", "10.0.0.1".parse::<std::net::IpAddr>().unwrap())
        .with("x:n", 42i64)
        .with("x:f", 1.5f64);
    assert!(allowed(r#"{"DateEquals":{"acs:CurrentTime":"2024-05-01T08:00:00+08:00"}}"#, &ctx));
    assert!(allowed(r#"{"Bool":{"acs:SecureTransport":"true"}}"#, &ctx));
    assert!(allowed(r#"{"StringEquals":{"acs:SecureTransport":"true"}}"#, &ctx));
    assert!(allowed(r#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/24"}}"#, &ctx));
    assert!(allowed(r#"{"NumericEquals":{"x:n":42}}"#, &ctx));
    assert!(allowed(r#"{"NumericLessThan":{"x:f":2}}"#, &ctx));
    assert!(!allowed(r#"{"Bool":{"acs:SecureTransport":false}}"#, &ctx));
}

#[test]
fn keys_are_case_insensitive_and_several_keys_and_operators_are_anded() {
    let ctx = Context::new().with("ACS:SourceIP", "10.0.0.1").with("pai:accessibility", "PUBLIC").with("acs:SecureTransport", "true");
    // Key names compare case-insensitively on both sides.
    assert!(allowed(r#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#, &ctx));
    assert!(allowed(r#"{"StringEquals":{"PAI:Accessibility":"PUBLIC"}}"#, &ctx));
    // Two keys under one operator: AND.
    assert!(allowed(r#"{"StringEquals":{"pai:Accessibility":"PUBLIC","acs:SecureTransport":"true"}}"#, &ctx));
    assert!(!allowed(r#"{"StringEquals":{"pai:Accessibility":"PUBLIC","acs:SecureTransport":"false"}}"#, &ctx));
    // One key absent among several: false.
    assert!(!allowed(r#"{"StringEquals":{"pai:Accessibility":"PUBLIC","pai:EntityAccessType":"CREATOR"}}"#, &ctx));
    // Two operators: AND.
    assert!(allowed(r#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":true}}"#, &ctx));
    assert!(!allowed(r#"{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":false}}"#, &ctx));
    assert!(!allowed(r#"{"IpAddress":{"acs:SourceIp":"192.168.0.0/16"},"Bool":{"acs:SecureTransport":true}}"#, &ctx));
    // Empty context: every condition unmet.
    assert!(!allowed(r#"{"StringNotEquals":{"pai:Accessibility":"PRIVATE"}}"#, &Context::new()));
}

#[test]
fn deny_with_condition_only_when_met() {
    let p = Policy::parse(
        r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"OfficeOnly","Effect":"Deny","Action":"paicodesource:*","Resource":"*",
             "Condition":{"NotIpAddress":{"acs:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}"#,
        &PermissiveCatalog,
    )
    .unwrap();
    let set = PolicySet::new([("p", p)]);
    let inside = Context::new().with("acs:SourceIp", "10.1.1.1");
    let outside = Context::new().with("acs:SourceIp", "203.0.113.9");
    let d = set.evaluate(&Request::new("paicodesource:DeleteCodeSource", "*", &outside));
    assert_eq!(d.effect, DecisionEffect::ExplicitDeny);
    assert_eq!(d.deciding.unwrap().sid, Some("OfficeOnly"));
    assert_eq!(set.evaluate(&Request::new("paicodesource:DeleteCodeSource", "*", &inside)).effect, DecisionEffect::Allow);
    assert_eq!(set.evaluate(&Request::new("codeup:GetRepository", "*", &outside)).effect, DecisionEffect::Allow);
}
