//! Parse errors name the statement, field and reason; catalog validation; system policies.

use codeport_policy::{system, ActionClause, Effect, PermissiveCatalog, Policy, PolicyError, StaticCatalog};

fn wrap(statement: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*"}},{statement}]}}"#)
}

fn err(doc: &str) -> PolicyError {
    match Policy::parse(doc, &StaticCatalog::codeport()) {
        Ok(_) => panic!("expected an error for {doc}"),
        Err(e) => e,
    }
}

/// (document, expected statement index, expected field, substring of the Display output).
#[rustfmt::skip]
fn cases() -> Vec<(String, Option<usize>, &'static str, &'static str)> {
    vec![
        ("not json".into(), None, "(document)", "invalid JSON"),
        ("[]".into(), None, "(document)", "must be a JSON object"),
        (r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#.into(), None, "Version", "Version: is required"),
        (r#"{"Version":"2","Statement":[]}"#.into(), None, "Version", "\"2\" is not supported"),
        (r#"{"Version":1,"Statement":[]}"#.into(), None, "Version", "must be the string \"1\""),
        (r#"{"Version":"1"}"#.into(), None, "Statement", "Statement: is required"),
        (r#"{"Version":"1","Statement":[]}"#.into(), None, "Statement", "at least one statement"),
        (r#"{"Version":"1","Statement":"x"}"#.into(), None, "Statement", "must be an array"),
        (r#"{"version":"1","Statement":[]}"#.into(), None, "version", "did you mean \"Version\""),
        (r#"{"Version":"1","Statement":[],"Id":"x"}"#.into(), None, "Id", "unknown element"),
        (r#"{"Version":"1","Version":"1","Statement":[]}"#.into(), None, "(document)", "duplicate key \"Version\""),
        (wrap(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#), Some(1), "Effect", r#"Statement[1].Effect: "allow" is not Allow or Deny (case-sensitive)"#),
        (wrap(r#"{"Effect":true,"Action":"*","Resource":"*"}"#), Some(1), "Effect", "got a boolean"),
        (wrap(r#"{"Action":"*","Resource":"*"}"#), Some(1), "Effect", "Effect: is required"),
        (wrap(r#"{"Sid":"S1","effect":"Allow","Action":"*","Resource":"*"}"#), Some(1), "effect", "did you mean \"Effect\"?) [Sid \"S1\"]"),
        (wrap(r#"{"Effect":"Allow","Resource":"*"}"#), Some(1), "Action", "Action: is required"),
        (wrap(r#"{"Effect":"Allow","Action":"*","NotAction":"ecs:*","Resource":"*"}"#), Some(1), "NotAction", "not both"),
        (wrap(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), Some(1), "Action", "must not be an empty array"),
        (wrap(r#"{"Effect":"Allow","Action":["*",3],"Resource":"*"}"#), Some(1), "Action[1]", "Statement[1].Action[1]: must be a string, got a number"),
        (wrap(r#"{"Effect":"Allow","Action":"GetCodeSource","Resource":"*"}"#), Some(1), "Action", "<service>:<Operation>"),
        (wrap(r#"{"Effect":"Allow","Action":"ecs:","Resource":"*"}"#), Some(1), "Action", "<service>:<Operation>"),
        (wrap(r#"{"Effect":"Allow","Action":"ecs:Describe Instances","Resource":"*"}"#), Some(1), "Action", "invalid character ' '"),
        (wrap(r#"{"Effect":"Allow","Action":["ecs:*","paicodesource:GetCodeSorce"],"Resource":"*"}"#), Some(1), "Action[1]", "matches no paicodesource action"),
        (wrap(r#"{"Effect":"Deny","NotAction":"codeup:Frobnicate*","Resource":"*"}"#), Some(1), "NotAction", "matches no codeup action"),
        (wrap(r#"{"Effect":"Allow","Action":"paiworkspace:CreateCodeSource","Resource":"*"}"#), Some(1), "Action", "matches no paiworkspace action"),
        (wrap(r#"{"Effect":"Allow","Action":"*"}"#), Some(1), "Resource", "Resource: is required"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":[]}"#), Some(1), "Resource", "must not be an empty array"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":["*",""]}"#), Some(1), "Resource[1]", "must not be empty"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"workspace/1"}"#), Some(1), "Resource", "must be \"*\" or an ARN"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":{"a":1}}"#), Some(1), "Resource", "got an object"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}"#), Some(1), "NotResource", "RAM has no NotResource"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}"#), Some(1), "Principal", "unknown element"),
        (wrap(r#"{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}"#), None, "(document)", "duplicate key \"Effect\""),
        (wrap(r#"{"Sid":7,"Effect":"Allow","Action":"*","Resource":"*"}"#), Some(1), "Sid", "must be a string"),
        (wrap(r#""x""#), Some(1), "(statement)", "must be an object"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}"#), Some(1), "Condition", "must be an object of operators"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"a:b":"x"}}}"#), Some(1), "Condition.StringEqual", "unknown condition operator"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"a:b":"x"}}}"#), Some(1), "Condition.stringequals", "did you mean \"StringEquals\""),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"a:b":"x"}}}"#), Some(1), "Condition.StringEqualsIfExists", "unknown condition operator"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}"#), Some(1), "Condition.StringEquals", "no condition keys"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}"#), Some(1), "Condition.StringEquals", "must be an object of condition keys"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"SourceIp":"x"}}}"#), Some(1), "Condition.StringEquals.SourceIp", "<prefix>:<Name>"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":[]}}}"#), Some(1), "Condition.StringEquals.a:b", "has no values"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":["x",null]}}}"#), Some(1), "Condition.StringEquals.a:b[1]", "got null"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a:b":["1","ten"]}}}"#), Some(1), "Condition.NumericLessThan.a:b[1]", "\"ten\" is not a number"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a:b":true}}}"#), Some(1), "Condition.NumericEquals.a:b", "not a number"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a:b":"NaN"}}}"#), Some(1), "Condition.NumericEquals.a:b", "not a number"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"2024-13-01T00:00:00Z"}}}"#), Some(1), "Condition.DateLessThan.acs:CurrentTime", "ISO 8601"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"2024-05-01T00:00:00"}}}"#), Some(1), "Condition.DateLessThan.acs:CurrentTime", "with offset"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":1714521600}}}"#), Some(1), "Condition.DateLessThan.acs:CurrentTime", "ISO 8601"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}"#), Some(1), "Condition.Bool.acs:SecureTransport", "not true or false"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}"#), Some(1), "Condition.IpAddress.acs:SourceIp[1]", "invalid prefix length"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"300.1.1.1"}}}"#), Some(1), "Condition.NotIpAddress.acs:SourceIp", "not an IP address"),
        (wrap(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"2001:db8::/129"}}}"#), Some(1), "Condition.IpAddress.acs:SourceIp", "invalid prefix length"),
    ]
}

#[test]
fn parse_errors_are_precise() {
    for (doc, statement, field, message) in cases() {
        let e = err(&doc);
        assert_eq!(e.statement, statement, "{doc}: {e}");
        assert!(e.field == field, "{doc}: field {:?} != {field:?} ({e})", e.field);
        let shown = e.to_string();
        assert!(shown.contains(message), "{doc}: {shown:?} lacks {message:?}");
        if let Some(i) = statement {
            assert!(shown.starts_with(&format!("Statement[{i}].{field}: ")), "{shown}");
        }
    }
}

#[test]
fn sid_is_reported_even_when_written_last() {
    let e = err(&wrap(r#"{"Effect":"Permit","Action":"*","Resource":"*","Sid":"Late"}"#));
    assert_eq!(e.sid.as_deref(), Some("Late"));
    assert_eq!(e.to_string(), r#"Statement[1].Effect: "Permit" is not Allow or Deny (case-sensitive) [Sid "Late"]"#);
}

#[test]
fn catalog_accepts_known_and_foreign_actions() {
    let ok = [
        "*",
        "ecs:*",
        "ecs:DescribeInstances",
        "oss:Get*",
        "pai:*",
        "paicodesource:GetCodeSource",
        "PAICodeSource:getcodesource",
        "paicodesource:*",
        "paicodesource:Get*",
        "paicodesource:?etCodeSource",
        "paiworkspace:ListWorkspaces",
        "codeup:*Repository",
        "*:Get*",
        "pai*:Frobnicate",
    ];
    for a in ok {
        let doc = format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{a}","Resource":"*"}}]}}"#);
        Policy::parse(&doc, &StaticCatalog::codeport()).unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    let bad = ["paicodesource:GetCodeSorce", "paicodesource:Get*x", "codeup:CreateCodeSource", "PAIWORKSPACE:Nope"];
    for a in bad {
        let doc = format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{a}","Resource":"*"}}]}}"#);
        let e = Policy::parse(&doc, &StaticCatalog::codeport()).expect_err(a);
        assert_eq!((e.statement, e.field.as_str()), (Some(0), "Action"), "{a}");
        // The permissive catalog knows no service and accepts it.
        Policy::parse(&doc, &PermissiveCatalog).unwrap();
    }
    // A custom catalog.
    let cat = StaticCatalog::new(["svc:DoThing"]);
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["svc:do*","paicodesource:Anything"],"Resource":"*"}]}"#;
    Policy::parse(doc, &cat).unwrap();
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"svc:Undo","Resource":"*"}]}"#;
    assert!(Policy::parse(doc, &cat).is_err());
}

#[test]
fn single_statement_object_and_structure() {
    let p = Policy::parse(
        r#"{"Statement":{"Sid":"One","Effect":"Deny","NotAction":["codeup:Get*","codeup:List*"],"Resource":["acs:codeup:*:*:*"],
            "Condition":{"StringEquals":{"pai:Accessibility":"PUBLIC"},"Bool":{"acs:SecureTransport":true}}},"Version":"1"}"#,
        &StaticCatalog::codeport(),
    )
    .unwrap();
    let s = &p.statements()[0];
    assert_eq!(p.statements().len(), 1);
    assert_eq!(s.sid(), Some("One"));
    assert_eq!(s.effect(), Effect::Deny);
    assert!(matches!(s.actions(), ActionClause::NotAction(v) if v.len() == 2 && v[0].as_str() == "codeup:Get*"));
    assert_eq!(s.resources()[0].as_str(), "acs:codeup:*:*:*");
    let ops: Vec<_> = s.conditions().iter().map(|c| (c.operator().name(), c.key())).collect();
    assert_eq!(ops, [("StringEquals", "pai:Accessibility"), ("Bool", "acs:SecureTransport")]);
}

#[test]
fn system_policies_parse_with_the_codeport_catalog() {
    let names: Vec<_> = system::ALL.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        ["AdministratorAccess", "ReadOnlyAccess", "AliyunPAIFullAccess", "AliyunPAIReadOnlyAccess", "AliyunRDCFullAccess", "AliyunRDCReadOnlyAccess"]
    );
    for p in system::ALL {
        Policy::parse(p.document, &StaticCatalog::codeport()).unwrap_or_else(|e| panic!("{}: {e}", p.name));
    }
    assert_eq!(system::get("AliyunRDCFullAccess").unwrap().document, system::ALIYUN_RDC_FULL_ACCESS);
    assert!(system::get("AliyunCodeupFullAccess").is_none());
}
