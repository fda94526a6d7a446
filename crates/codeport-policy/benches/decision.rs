//! Decision latency for a principal with 10 policies × 10 statements (Allow/Deny mix, wildcards, a condition).

use codeport_policy::{Context, Policy, PolicySet, Request, StaticCatalog};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn policy_set() -> PolicySet {
    let cat = StaticCatalog::codeport();
    let mut set = PolicySet::default();
    for p in 0..10 {
        let mut statements = Vec::new();
        for s in 0..10 {
            let st = match (p + s) % 10 {
                0 => format!(
                    r#"{{"Effect":"Allow","Action":"paicodesource:Get*","Resource":"acs:paicodesource:*:1234:workspace/{p}{s}/codesource/*"}}"#
                ),
                1 => r#"{"Effect":"Deny","Action":"paicodesource:Delete*","Resource":"acs:paicodesource:*:*:workspace/999/*"}"#.to_owned(),
                2 => r#"{"Effect":"Allow","Action":["codeup:Get*","codeup:List*"],"Resource":"*"}"#.to_owned(),
                3 => r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}"#
                    .to_owned(),
                4 => r#"{"Effect":"Allow","Action":"paiworkspace:List*","Resource":"*"}"#.to_owned(),
                5 => r#"{"Effect":"Deny","Action":"ecs:*","Resource":"*"}"#.to_owned(),
                6 => format!(
                    r#"{{"Effect":"Allow","Action":"paicodesource:Update*","Resource":"acs:paicodesource:cn-hangzhou:1234:workspace/{p}/codesource/code-{s}?"}}"#
                ),
                7 => r#"{"Effect":"Deny","NotAction":["paicodesource:*","paiworkspace:*","codeup:*"],"Resource":"*"}"#.to_owned(),
                8 => r#"{"Effect":"Allow","Action":"pai*:Get*","Resource":"acs:paiworkspace:*:1234:workspace/*"}"#.to_owned(),
                _ => r#"{"Effect":"Allow","Action":"paicodesource:ListCodeSources","Resource":"*"}"#.to_owned(),
            };
            statements.push(st);
        }
        let doc = format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(","));
        set.add(format!("policy-{p}"), Policy::parse(&doc, &cat).expect("bench policy parses"));
    }
    set
}

fn bench(c: &mut Criterion) {
    let set = policy_set();
    let ctx = Context::new()
        .with("acs:SourceIp", "10.1.2.3")
        .with("acs:SecureTransport", true)
        .with("acs:UserAgent", "AlibabaCloud (linux; x86_64) Python/3.11 TeaDSL/1");
    let allow = Request::new("paicodesource:GetCodeSource", "acs:paicodesource:cn-hangzhou:1234:workspace/55/codesource/code-1", &ctx);
    let implicit = Request::new("paicodesource:DeleteCodeSource", "acs:paicodesource:cn-hangzhou:1234:workspace/7/codesource/code-1", &ctx);
    let outside = Context::new().with("acs:SourceIp", "203.0.113.5");
    let deny = Request::new("codeup:GetRepository", "*", &outside);
    assert!(set.evaluate(&allow).is_allowed());
    assert_eq!(set.evaluate(&implicit).effect, codeport_policy::DecisionEffect::ImplicitDeny);
    assert_eq!(set.evaluate(&deny).effect, codeport_policy::DecisionEffect::ExplicitDeny);

    let mut g = c.benchmark_group("decision_10x10");
    g.bench_function("allow", |b| b.iter(|| black_box(set.evaluate(black_box(&allow)))));
    g.bench_function("implicit_deny", |b| b.iter(|| black_box(set.evaluate(black_box(&implicit)))));
    g.bench_function("explicit_deny_condition", |b| b.iter(|| black_box(set.evaluate(black_box(&deny)))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
