//! Decisions: wildcards, case-insensitivity, deny precedence, NotAction, deciding statements, traces.

use codeport_policy::{system, Context, DecisionEffect, PermissiveCatalog, Policy, PolicySet, Request, StatementOutcome, StaticCatalog};

fn policy(statements: &str) -> Policy {
    Policy::parse(&format!(r#"{{"Version":"1","Statement":[{statements}]}}"#), &StaticCatalog::codeport())
        .unwrap_or_else(|e| panic!("{statements}: {e}"))
}

fn decide(set: &PolicySet, action: &str, resource: &str) -> DecisionEffect {
    set.evaluate(&Request::new(action, resource, &Context::new())).effect
}

const CS_ARN: &str = "acs:paicodesource:cn-hangzhou:1234:workspace/42/codesource/code-abc";

#[test]
fn action_and_resource_wildcards_table() {
    use DecisionEffect::{Allow, ImplicitDeny};
    // (Action pattern, Resource pattern, request action, request resource, expected)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, DecisionEffect)] = &[
        ("paicodesource:GetCodeSource", "*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:GetCodeSource", "*", "PaiCodeSource:getcodesource", CS_ARN, Allow),
        ("PAICODESOURCE:GETCODESOURCE", "*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:GetCodeSource", "*", "paicodesource:GetCodeSources", CS_ARN, ImplicitDeny),
        ("paicodesource:Get*", "*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:Get*", "*", "paicodesource:ListCodeSources", CS_ARN, ImplicitDeny),
        ("paicodesource:*", "*", "paiworkspace:GetWorkspace", "*", ImplicitDeny),
        ("paicodesource:*CodeSource", "*", "paicodesource:DeleteCodeSource", CS_ARN, Allow),
        ("paicodesource:*CodeSource", "*", "paicodesource:ListCodeSources", CS_ARN, ImplicitDeny),
        ("paicodesource:?etCodeSource", "*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:?etCodeSource", "*", "paicodesource:SetCodeSource", CS_ARN, Allow),
        ("paicodesource:??????CodeSource", "*", "paicodesource:GetCodeSource", CS_ARN, ImplicitDeny),
        ("paicodesource:??????CodeSource", "*", "paicodesource:deletecodesource", CS_ARN, Allow),
        ("pai*:Get*", "*", "paiworkspace:GetWorkspace", "*", Allow),
        ("pai*:Get*", "*", "codeup:GetRepository", "*", ImplicitDeny),
        ("*:List*", "*", "codeup:ListRepositories", "*", Allow),
        ("*", "*", "anything:AtAll", "*", Allow),
        ("ecs:*", "*", "ecs:DescribeInstances", "*", Allow),
        ("ecs:*", "*", "paicodesource:GetCodeSource", "*", ImplicitDeny),
        // Resources.
        ("paicodesource:*", CS_ARN, "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:*", "ACS:PAICodeSource:CN-HANGZHOU:1234:Workspace/42/CodeSource/CODE-ABC", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:*", "acs:paicodesource:*:1234:workspace/42/codesource/*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:*", "acs:paicodesource:*:1234:workspace/43/codesource/*", "paicodesource:GetCodeSource", CS_ARN, ImplicitDeny),
        ("paicodesource:*", "acs:paicodesource:cn-hangzhou:1234:workspace/4?/codesource/*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:*", "acs:paicodesource:cn-hangzhou:1234:workspace/?/codesource/*", "paicodesource:GetCodeSource", CS_ARN, ImplicitDeny),
        ("paicodesource:*", "acs:paicodesource:*:*:*", "paicodesource:GetCodeSource", CS_ARN, Allow),
        ("paicodesource:*", "acs:paicodesource:*:*:*", "paicodesource:ListCodeSources", "*", ImplicitDeny),
        ("paicodesource:*", "*", "paicodesource:ListCodeSources", "*", Allow),
        ("paiworkspace:*", "acs:paiworkspace:*:1234:workspace/42", "paiworkspace:GetWorkspace", "acs:paiworkspace:cn-hangzhou:1234:Workspace/42", Allow),
        ("paiworkspace:*", "acs:paiworkspace:*:1234:workspace/42", "paiworkspace:GetWorkspace", "acs:paiworkspace:cn-hangzhou:1234:workspace/420", ImplicitDeny),
    ];
    for (action, resource, req_action, req_resource, want) in cases {
        let set = PolicySet::new([("p", policy(&format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#)))]);
        assert_eq!(decide(&set, req_action, req_resource), *want, "{action} on {resource} vs {req_action} on {req_resource}");
    }
}

#[test]
fn explicit_deny_beats_allow_everything() {
    let admin = Policy::parse(system::ADMINISTRATOR_ACCESS, &StaticCatalog::codeport()).unwrap();
    let deny = policy(r#"{"Sid":"NoDelete","Effect":"Deny","Action":"paicodesource:Delete*","Resource":"*"}"#);
    // The Deny is attached *after* the Allow: order does not matter for the effect.
    let set = PolicySet::new([("AdministratorAccess", admin), ("NoDelete", deny)]);
    let ctx = Context::new();
    let d = set.evaluate(&Request::new("paicodesource:DeleteCodeSource", CS_ARN, &ctx));
    assert_eq!(d.effect, DecisionEffect::ExplicitDeny);
    let r = d.deciding.unwrap();
    assert_eq!((r.policy, r.statement, r.sid), ("NoDelete", 0, Some("NoDelete")));
    assert_eq!(d.to_string(), r#"ExplicitDeny by policy "NoDelete" Statement[0] (Sid "NoDelete")"#);
    let d = set.evaluate(&Request::new("paicodesource:GetCodeSource", CS_ARN, &ctx));
    assert_eq!(d.effect, DecisionEffect::Allow);
    assert_eq!(d.deciding.unwrap().policy, "AdministratorAccess");
}

#[test]
fn not_action_applies_to_everything_else() {
    // Deny everything except reads of code sources; Allow everything.
    let set = PolicySet::new([(
        "p",
        policy(
            r#"{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Deny","NotAction":["paicodesource:Get*","paicodesource:List*"],"Resource":"*"}"#,
        ),
    )]);
    assert_eq!(decide(&set, "paicodesource:GetCodeSource", "*"), DecisionEffect::Allow);
    assert_eq!(decide(&set, "PAICODESOURCE:listcodesources", "*"), DecisionEffect::Allow);
    assert_eq!(decide(&set, "paicodesource:DeleteCodeSource", "*"), DecisionEffect::ExplicitDeny);
    assert_eq!(decide(&set, "codeup:GetRepository", "*"), DecisionEffect::ExplicitDeny);
    assert_eq!(decide(&set, "ecs:DescribeInstances", "*"), DecisionEffect::ExplicitDeny);

    // NotAction with Allow grants everything not listed.
    let set = PolicySet::new([("p", policy(r#"{"Effect":"Allow","NotAction":"codeup:*","Resource":"*"}"#))]);
    assert_eq!(decide(&set, "paiworkspace:CreateWorkspace", "*"), DecisionEffect::Allow);
    assert_eq!(decide(&set, "codeup:CreateRepository", "*"), DecisionEffect::ImplicitDeny);
}

#[test]
fn default_deny_and_empty_set() {
    let set = PolicySet::new(Vec::<(String, Policy)>::new());
    assert!(set.is_empty());
    let d = set.evaluate(&Request::new("paicodesource:GetCodeSource", "*", &Context::new()));
    assert_eq!(d.effect, DecisionEffect::ImplicitDeny);
    assert_eq!(d.deciding, None);
    assert_eq!(d.to_string(), "ImplicitDeny (no statement applies)");
}

#[test]
fn deciding_statement_is_first_in_attachment_order_across_indexes() {
    // Statement order mixes service-specific and global statements; the first applicable one decides.
    let a = policy(
        r#"{"Sid":"A0","Effect":"Allow","Action":"codeup:*","Resource":"*"},
           {"Sid":"A1","Effect":"Allow","Action":"pai*:*","Resource":"*"},
           {"Sid":"A2","Effect":"Allow","Action":"paicodesource:GetCodeSource","Resource":"*"}"#,
    );
    let b = policy(
        r#"{"Sid":"B0","Effect":"Allow","Action":"paicodesource:Get*","Resource":"*"},
           {"Sid":"B1","Effect":"Deny","Action":"paicodesource:Delete*","Resource":"*"},
           {"Sid":"B2","Effect":"Deny","Action":"*","Resource":"acs:paicodesource:*:*:workspace/9/*"}"#,
    );
    let set = PolicySet::new([("a", a), ("b", b)]);
    assert_eq!(set.len(), 6);
    let ctx = Context::new();
    let sid = |action: &str, resource: &str| {
        let d = set.evaluate(&Request::new(action, resource, &ctx));
        (d.effect, d.deciding.map(|r| (r.policy, r.statement, r.sid.unwrap())))
    };
    assert_eq!(sid("paicodesource:GetCodeSource", "*"), (DecisionEffect::Allow, Some(("a", 1, "A1"))));
    assert_eq!(sid("codeup:GetRepository", "*"), (DecisionEffect::Allow, Some(("a", 0, "A0"))));
    assert_eq!(sid("paicodesource:DeleteCodeSource", "*"), (DecisionEffect::ExplicitDeny, Some(("b", 1, "B1"))));
    assert_eq!(
        sid("paicodesource:DeleteCodeSource", "acs:paicodesource:x:1:workspace/9/codesource/1"),
        (DecisionEffect::ExplicitDeny, Some(("b", 1, "B1")))
    );
    assert_eq!(
        sid("paicodesource:GetCodeSource", "acs:paicodesource:x:1:workspace/9/codesource/1"),
        (DecisionEffect::ExplicitDeny, Some(("b", 2, "B2")))
    );
    assert_eq!(sid("ecs:RunInstances", "*"), (DecisionEffect::ImplicitDeny, None));
}

#[test]
fn statement_listing_several_services() {
    let set = PolicySet::new([(
        "p",
        policy(r#"{"Effect":"Allow","Action":["codeup:GetRepository","paicodesource:GetCodeSource","codeup:ListRepositories"],"Resource":"*"}"#),
    )]);
    assert_eq!(decide(&set, "codeup:GetRepository", "*"), DecisionEffect::Allow);
    assert_eq!(decide(&set, "codeup:listrepositories", "*"), DecisionEffect::Allow);
    assert_eq!(decide(&set, "paicodesource:GetCodeSource", "*"), DecisionEffect::Allow);
    assert_eq!(decide(&set, "paicodesource:ListCodeSources", "*"), DecisionEffect::ImplicitDeny);
}

#[test]
fn system_policies_behave() {
    let cat = StaticCatalog::codeport();
    let set = |name: &str| {
        let p = system::get(name).unwrap();
        PolicySet::new([(p.name, Policy::parse(p.document, &cat).unwrap())])
    };
    use DecisionEffect::{Allow as A, ImplicitDeny as D};
    #[rustfmt::skip]
    let cases: &[(&str, &str, DecisionEffect)] = &[
        ("AdministratorAccess", "paicodesource:DeleteCodeSource", A),
        ("AdministratorAccess", "ecs:RunInstances", A),
        ("ReadOnlyAccess", "paicodesource:GetCodeSource", A),
        ("ReadOnlyAccess", "codeup:ListRepositories", A),
        ("ReadOnlyAccess", "ecs:DescribeInstances", A),
        ("ReadOnlyAccess", "codeup:CreateRepository", D),
        ("ReadOnlyAccess", "paiworkspace:DeleteMembers", D),
        ("AliyunPAIFullAccess", "paiworkspace:CreateWorkspace", A),
        ("AliyunPAIFullAccess", "paicodesource:PublishCodeSource", A),
        ("AliyunPAIFullAccess", "codeup:GetRepository", D),
        ("AliyunPAIReadOnlyAccess", "paiworkspace:ListMembers", A),
        ("AliyunPAIReadOnlyAccess", "paicodesource:GetCodeSource", A),
        ("AliyunPAIReadOnlyAccess", "paicodesource:UpdateCodeSource", D),
        ("AliyunPAIReadOnlyAccess", "codeup:ListRepositories", D),
        ("AliyunRDCFullAccess", "codeup:DeleteRepository", A),
        ("AliyunRDCFullAccess", "paicodesource:GetCodeSource", D),
        ("AliyunRDCReadOnlyAccess", "codeup:GetRepository", A),
        ("AliyunRDCReadOnlyAccess", "codeup:ListBranches", A),
        ("AliyunRDCReadOnlyAccess", "codeup:SearchOrganizationMembers", A),
        ("ReadOnlyAccess", "codeup:SearchOrganizationMembers", A),
        ("AliyunRDCReadOnlyAccess", "codeup:GetRepositoryContent", A),
        ("AliyunRDCReadOnlyAccess", "codeup:CreateBranch", D),
        ("AliyunRDCReadOnlyAccess", "codeup:PushRepository", D),
    ];
    for (name, action, want) in cases {
        assert_eq!(decide(&set(name), action, "*"), *want, "{name} / {action}");
    }
}

#[test]
fn simulation_trace_explains_every_statement() {
    let p = Policy::parse(
        r#"{"Version":"1","Statement":[
            {"Sid":"Reads","Effect":"Allow","Action":"paicodesource:Get*","Resource":"*"},
            {"Sid":"Other","Effect":"Allow","Action":"codeup:*","Resource":"*"},
            {"Sid":"WS9","Effect":"Allow","Action":"*","Resource":"acs:paicodesource:*:*:workspace/9/*"},
            {"Sid":"Office","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
        &PermissiveCatalog,
    )
    .unwrap();
    let set = PolicySet::new([("custom", p)]);
    let ctx = Context::new().with("acs:SourceIp", "10.0.0.7");
    let t = set.simulate(&Request::new("paicodesource:GetCodeSource", CS_ARN, &ctx));
    assert_eq!(t.decision.effect, DecisionEffect::Allow);
    assert_eq!(t.decision.deciding.unwrap().sid, Some("Reads"));
    let outcomes: Vec<_> = t.statements.iter().map(|s| (s.statement.sid.unwrap(), s.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            ("Reads", StatementOutcome::Applies),
            ("Other", StatementOutcome::ActionNotMatched),
            ("WS9", StatementOutcome::ResourceNotMatched),
            ("Office", StatementOutcome::ConditionNotMet(0)),
        ]
    );
    assert_eq!(t.statements[3].failed_condition.as_deref(), Some("NotIpAddress acs:SourceIp"));
}

#[test]
fn long_resources_use_the_folding_path() {
    let tail = "A".repeat(400);
    let arn = format!("acs:paicodesource:cn-hangzhou:1234:workspace/42/codesource/{tail}");
    let set = PolicySet::new([(
        "p",
        policy(&format!(
            r#"{{"Effect":"Allow","Action":"PAICODESOURCE:Get*","Resource":"acs:paicodesource:*:1234:workspace/42/codesource/{}"}},
               {{"Effect":"Deny","Action":"paicodesource:Delete*","Resource":"ACS:*/*{}"}}"#,
            tail.to_lowercase(),
            tail.to_lowercase()
        )),
    )]);
    assert_eq!(decide(&set, "PaiCodeSource:GetCodeSource", &arn), DecisionEffect::Allow);
    assert_eq!(decide(&set, "paicodesource:deletecodesource", &arn), DecisionEffect::ExplicitDeny);
    assert_eq!(decide(&set, "paicodesource:GetCodeSource", &arn.replace("1234", "9")), DecisionEffect::ImplicitDeny);
}

/// The indexed evaluator agrees with a linear scan of every statement (as `simulate` does) for every known
/// action, unknown actions of our services and foreign actions, across resources and contexts.
#[test]
fn indexed_evaluation_agrees_with_linear_scan() {
    let a = policy(
        r#"{"Sid":"A0","Effect":"Allow","Action":"codeup:*","Resource":"*"},
           {"Sid":"A1","Effect":"Allow","Action":"pai*:Get*","Resource":"acs:paicodesource:*:*:workspace/1/*"},
           {"Sid":"A2","Effect":"Allow","Action":["paicodesource:GetCodeSource","paiworkspace:List*"],"Resource":"*"},
           {"Sid":"A3","Effect":"Allow","NotAction":"codeup:Delete*","Resource":"acs:*:*:*:workspace/2*"}"#,
    );
    let b = policy(
        r#"{"Sid":"B0","Effect":"Allow","Action":"paicodesource:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":true}}},
           {"Sid":"B1","Effect":"Deny","Action":"paicodesource:Delete*","Resource":"*"},
           {"Sid":"B2","Effect":"Deny","Action":"*","Resource":"acs:paicodesource:*:*:workspace/9/*"},
           {"Sid":"B3","Effect":"Deny","NotAction":["paicodesource:*","codeup:Get*"],"Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
           {"Sid":"B4","Effect":"Allow","Action":"ecs:*","Resource":"*"}"#,
    );
    let set = PolicySet::new([("a", a), ("b", b)]);
    let mut actions: Vec<String> = codeport_policy::codeport_actions().map(|s| s.to_string()).collect();
    actions.extend(
        ["paicodesource:GetFuture", "PAICODESOURCE:DELETEFUTURE", "codeup:Frob", "ecs:RunInstances", "oss:GetObject", "nocolon"].map(String::from),
    );
    let resources = [
        "*",
        "acs:paicodesource:cn:1:workspace/1/codesource/x",
        "ACS:PAICODESOURCE:cn:1:Workspace/9/codesource/x",
        "acs:paiworkspace:cn:1:workspace/22",
        "acs:codeup:cn:1:workspace/2/repository/3",
    ];
    let contexts = [
        Context::new(),
        Context::new().with("acs:SourceIp", "10.0.0.1").with("acs:SecureTransport", true),
        Context::new().with("acs:SourceIp", "192.0.2.1").with("acs:SecureTransport", "false"),
    ];
    let mut checked = 0;
    for action in &actions {
        for resource in resources {
            for ctx in &contexts {
                let req = Request::new(action, resource, ctx);
                let trace = set.simulate(&req);
                let first = |effect| trace.statements.iter().find(|s| s.effect == effect && s.outcome == StatementOutcome::Applies);
                let (want, by) = match (first(codeport_policy::Effect::Deny), first(codeport_policy::Effect::Allow)) {
                    (Some(d), _) => (DecisionEffect::ExplicitDeny, Some(d.statement)),
                    (None, Some(a)) => (DecisionEffect::Allow, Some(a.statement)),
                    (None, None) => (DecisionEffect::ImplicitDeny, None),
                };
                let d = set.evaluate(&req);
                assert_eq!((d.effect, d.deciding), (want, by), "{action} on {resource} with {ctx:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 800);
}

#[test]
fn a_set_knows_whether_it_reads_the_context() {
    let plain = PolicySet::new([("a", policy(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#))]);
    assert!(!plain.uses_conditions());
    let mut mixed = plain.clone();
    mixed.add("b", policy(r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"false"}}}"#));
    assert!(mixed.uses_conditions());
    assert!(!PolicySet::default().uses_conditions());
}
