//! `PolicySet::evaluate` must not allocate: a counting global allocator proves it.

use codeport_policy::{Context, DecisionEffect, Policy, PolicySet, Request, StaticCatalog};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn evaluate_does_not_allocate() {
    let doc = r#"{"Version":"1","Statement":[
        {"Effect":"Allow","Action":["paicodesource:Get*","codeup:*"],"Resource":"acs:paicodesource:*:1234:workspace/4?/*"},
        {"Effect":"Allow","Action":"pai*:List*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"pai:Accessibility":"public"}}},
        {"Effect":"Deny","NotAction":["paicodesource:*","codeup:*","paiworkspace:*"],"Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"},
            "DateGreaterThan":{"acs:CurrentTime":"2099-01-01T00:00:00Z"},"StringLike":{"acs:UserAgent":"*curl*"}}}]}"#;
    let set = PolicySet::new([("p", Policy::parse(doc, &StaticCatalog::codeport()).unwrap())]);
    let ctx = Context::new()
        .with("acs:SourceIp", "10.0.0.1")
        .with("acs:CurrentTime", "2024-05-01T00:00:00Z")
        .with("acs:UserAgent", "curl/8")
        .with("pai:Accessibility", "PUBLIC");
    let long = format!("acs:paicodesource:x:1234:workspace/42/{}", "Z".repeat(500));
    let requests = [
        ("PaiCodeSource:GetCodeSource", "ACS:paicodesource:cn:1234:workspace/42/codesource/1", DecisionEffect::Allow),
        ("paicodesource:ListCodeSources", "*", DecisionEffect::Allow),
        ("paicodesource:Frobnicate", "*", DecisionEffect::ImplicitDeny),
        ("ecs:RunInstances", "*", DecisionEffect::ExplicitDeny),
        ("paicodesource:GetCodeSource", long.as_str(), DecisionEffect::Allow),
    ];
    // The harness itself detects allocations (simulate() allocates its trace).
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let trace = set.simulate(&Request::new("codeup:GetRepository", "*", &ctx));
    assert!(ALLOCATIONS.load(Ordering::SeqCst) > before);
    drop(trace);
    for (action, resource, want) in requests {
        let req = Request::new(action, resource, &ctx);
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        let d = set.evaluate(&req);
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(d.effect, want, "{action}");
        assert_eq!(after - before, 0, "{action} on {resource} allocated");
    }
}
