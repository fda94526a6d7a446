//! RAM over real HTTP on the PAI family: every one of the 18 operations asks RAM for its
//! action, next to (never instead of) the resource rules; read-only users read but cannot
//! create; an explicit Deny on one ARN beats `Allow *`; `acs:SourceIp`, `pai:Accessibility`
//! and `pai:EntityAccessType` conditions; and a resource the caller may not see stays 404
//! whatever RAM says.
//!
//! Policies are managed through `s.state` — the same service the admin CLI calls.

use codeport_testkit::{both_backends, PaiClient, Reply, TestServer};
use serde_json::{json, Value};

/// Attaches and detaches policies of a user. The policy service drops this process's cached
/// policy sets itself, so the next request sees the change; a server changed by the admin CLI
/// (another process) relies on the identity poll, as the SDK conformance does.
async fn policies(s: &TestServer, user: &str, attach: &[&str], detach: &[&str]) {
    for p in detach {
        s.state.policies().detach_policy(user, p).await.unwrap_or_else(|e| panic!("detach {p} from {user}: {e}"));
    }
    for p in attach {
        s.state.policies().attach_policy(user, p).await.unwrap_or_else(|e| panic!("attach {p} to {user}: {e}"));
    }
}

/// Creates a custom policy.
async fn custom(s: &TestServer, name: &str, document: Value) {
    s.state.policies().create_policy(name, "test", &document.to_string()).await.unwrap_or_else(|e| panic!("create policy {name}: {e}"));
}

/// Asserts a RAM denial: 403 NoPermission with AccessDeniedDetail naming the action.
fn assert_denied(r: &Reply, action: &str, kind: &str) {
    assert_eq!(r.status, 403, "{action}: {}", r.text);
    assert_eq!(r.code(), "NoPermission", "{action}: {}", r.text);
    let d = &r.json["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], action, "{}", r.text);
    assert_eq!(d["NoPermissionType"], kind, "{}", r.text);
    assert_eq!(d["PolicyType"], "AccountLevelIdentityBasedPolicy", "{}", r.text);
    assert_eq!(d["AuthPrincipalType"], "SubUser", "{}", r.text);
}

/// Asserts a plain not-found, with no trace of RAM.
fn assert_not_found(r: &Reply, code: &str) {
    assert_eq!((r.status, r.code()), (404, code), "{}", r.text);
    assert!(r.json.get("AccessDeniedDetail").is_none(), "{}", r.text);
}

struct Setup {
    ws: String,
    user_name: &'static str,
    user_id: String,
    user: PaiClient,
}

/// A workspace (the organization's default: the first) with `user` as a member holding `roles`.
async fn setup(s: &TestServer, user_name: &'static str, roles: &[&str]) -> Setup {
    let a = s.admin();
    let ws = a.create_workspace("ram_ws").await;
    let (user_id, user) = s.user(user_name).await;
    a.add_member(&ws, &user_id, roles).await;
    Setup { ws, user_name, user_id, user }
}

fn cs_path(id: &str) -> String {
    format!("/api/v1/codesources/{id}")
}

async fn read_only_user_reads_but_cannot_create(s: TestServer) {
    let t = setup(&s, "reader", &["PAI.AlgoDeveloper"]).await;
    let public = s.admin().create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "shared", "Accessibility": "PUBLIC"})).await;
    let own = t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "mine"})).await;
    policies(&s, t.user_name, &["AliyunPAIReadOnlyAccess"], &["AdministratorAccess"]).await;

    // Reads: both code sources, the list, the workspace and its members.
    for id in [&public, &own] {
        let r = t.user.get(&cs_path(id), &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = t.user.get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await;
    assert_eq!((r.status, r.json["TotalCount"].as_u64()), (200, Some(2)), "{}", r.text);
    assert_eq!(t.user.get(&format!("/api/v1/workspaces/{}", t.ws), &[]).await.status, 200);
    assert_eq!(t.user.get("/api/v1/workspaces", &[]).await.status, 200);
    assert_eq!(t.user.get(&format!("/api/v1/workspaces/{}/members", t.ws), &[]).await.status, 200);

    // Writes: refused by RAM although the developer role would allow them; nothing changes.
    let r = t.user.post("/api/v1/codesources", &json!({"WorkspaceId": t.ws, "DisplayName": "new"})).await;
    assert_denied(&r, "paicodesource:CreateCodeSource", "ImplicitDeny");
    let d = &r.json["AccessDeniedDetail"];
    assert_eq!(d["AuthPrincipalOwnerId"], s.organization_id().as_str());
    assert_eq!(d["AuthPrincipalDisplayName"], t.user_id.as_str());
    assert!(!d["EncodedDiagnosticMessage"].as_str().unwrap_or("").is_empty());
    assert_eq!(r.json["Message"], "You are not authorized to do this action. You should be authorized by RAM.");
    let r = t.user.put(&cs_path(&own), &json!({"Description": "changed"})).await;
    assert_denied(&r, "paicodesource:UpdateCodeSource", "ImplicitDeny");
    assert_denied(&t.user.put(&format!("{}/publish", cs_path(&own)), &json!({})).await, "paicodesource:PublishCodeSource", "ImplicitDeny");
    assert_denied(&t.user.delete(&cs_path(&own), &[]).await, "paicodesource:DeleteCodeSource", "ImplicitDeny");
    let r = t.user.post("/api/v1/workspaces", &json!({"WorkspaceName": "nope", "Description": "x", "EnvTypes": ["prod"]})).await;
    assert_denied(&r, "paiworkspace:CreateWorkspace", "ImplicitDeny");
    let c = t.user.get(&cs_path(&own), &[]).await.json;
    assert_eq!((c["Description"].as_str(), c["Accessibility"].as_str()), (Some(""), Some("PRIVATE")));
    let r = s.admin().get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await;
    assert_eq!(r.json["TotalCount"], 2, "the refused create created nothing");

    // Back to full PAI access: the same create succeeds.
    policies(&s, t.user_name, &["AliyunPAIFullAccess"], &[]).await;
    t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "new"})).await;
}

async fn every_operation_asks_ram(s: TestServer) {
    // A workspace admin who created a code source: the resource rules allow everything below
    // (except deleting the workspace, which RAM refuses first).
    let t = setup(&s, "noperm", &["PAI.WorkspaceAdmin"]).await;
    let (other_id, _) = s.user("other").await;
    let cs = t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "own"})).await;
    let member = format!("{}-{}", t.ws, t.user_id);
    policies(&s, t.user_name, &[], &["AdministratorAccess"]).await;

    let ws = &t.ws;
    let u = &t.user;
    let cases: Vec<(&str, Reply)> = vec![
        (
            "paiworkspace:CreateWorkspace",
            u.post("/api/v1/workspaces", &json!({"WorkspaceName": "x_ws", "Description": "x", "EnvTypes": ["prod"]})).await,
        ),
        ("paiworkspace:GetWorkspace", u.get(&format!("/api/v1/workspaces/{ws}"), &[]).await),
        ("paiworkspace:ListWorkspaces", u.get("/api/v1/workspaces", &[]).await),
        ("paiworkspace:UpdateWorkspace", u.put(&format!("/api/v1/workspaces/{ws}"), &json!({"Description": "y"})).await),
        ("paiworkspace:DeleteWorkspace", u.delete(&format!("/api/v1/workspaces/{ws}"), &[]).await),
        ("paiworkspace:GetDefaultWorkspace", u.get("/api/v1/defaultWorkspaces", &[]).await),
        (
            "paiworkspace:CreateMember",
            u.post(&format!("/api/v1/workspaces/{ws}/members"), &json!({"Members": [{"UserId": other_id, "Roles": ["PAI.AlgoDeveloper"]}]})).await,
        ),
        ("paiworkspace:ListMembers", u.get(&format!("/api/v1/workspaces/{ws}/members"), &[]).await),
        ("paiworkspace:GetMember", u.get(&format!("/api/v1/workspaces/{ws}/member"), &[("UserId", &t.user_id)]).await),
        ("paiworkspace:DeleteMembers", u.delete(&format!("/api/v1/workspaces/{ws}/members"), &[("MemberIds", &member)]).await),
        (
            "paiworkspace:AddMemberRole",
            u.call(reqwest::Method::POST, &format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.AlgoOperator"), &[], Some(&json!({}))).await,
        ),
        ("paiworkspace:RemoveMemberRole", u.delete(&format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.WorkspaceAdmin"), &[]).await),
        ("paicodesource:CreateCodeSource", u.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x"})).await),
        ("paicodesource:ListCodeSources", u.get("/api/v1/codesources", &[("WorkspaceId", ws)]).await),
        ("paicodesource:GetCodeSource", u.get(&cs_path(&cs), &[]).await),
        ("paicodesource:UpdateCodeSource", u.put(&cs_path(&cs), &json!({"Description": "y"})).await),
        ("paicodesource:PublishCodeSource", u.put(&format!("{}/publish", cs_path(&cs)), &json!({})).await),
        ("paicodesource:DeleteCodeSource", u.delete(&cs_path(&cs), &[]).await),
    ];
    assert_eq!(cases.len(), 18);
    for (action, r) in &cases {
        assert_denied(r, action, "ImplicitDeny");
    }
    // Nothing was changed by the refused writes.
    let a = s.admin();
    let m = a.get(&format!("/api/v1/workspaces/{ws}/member"), &[("UserId", &t.user_id)]).await;
    assert_eq!((m.status, m.json["Roles"].clone()), (200, json!(["PAI.WorkspaceAdmin"])), "{}", m.text);
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}/members"), &[]).await.json["TotalCount"], 2);
    assert_eq!(a.get(&cs_path(&cs), &[]).await.json["Accessibility"], "PRIVATE");
    assert_eq!(a.get("/api/v1/workspaces", &[]).await.json["TotalCount"], 1);

    // With AliyunPAIFullAccess the same principal passes RAM, and the resource rules decide.
    policies(&s, t.user_name, &["AliyunPAIFullAccess"], &[]).await;
    assert_eq!(u.get(&cs_path(&cs), &[]).await.status, 200);
    assert_eq!(u.put(&cs_path(&cs), &json!({"Description": "y"})).await.status, 200);
    let r = u.delete(&format!("/api/v1/workspaces/{ws}"), &[]).await;
    assert_eq!((r.status, r.code()), (403, "NoPermission"), "{}", r.text);
    assert!(r.json.get("AccessDeniedDetail").is_none(), "a resource rule's refusal is not RAM's: {}", r.text);
}

async fn an_explicit_deny_on_one_code_source_beats_allow_all(s: TestServer) {
    let t = setup(&s, "denied", &["PAI.AlgoDeveloper"]).await;
    let blocked = t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "blocked"})).await;
    let open = t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "open"})).await;
    // ARNs match case-insensitively (the official docs write `Workspace/`); the account is `*`.
    custom(
        &s,
        "deny-one-source",
        json!({"Version": "1", "Statement": [
            {"Effect": "Deny", "Action": "paicodesource:*", "Resource": format!("acs:paicodesource:*:*:Workspace/{}/codesource/{blocked}", t.ws)}
        ]}),
    )
    .await;
    policies(&s, t.user_name, &["deny-one-source"], &[]).await; // AdministratorAccess stays attached.

    assert_denied(&t.user.get(&cs_path(&blocked), &[]).await, "paicodesource:GetCodeSource", "ExplicitDeny");
    assert_denied(&t.user.put(&cs_path(&blocked), &json!({"Description": "x"})).await, "paicodesource:UpdateCodeSource", "ExplicitDeny");
    assert_denied(&t.user.delete(&cs_path(&blocked), &[]).await, "paicodesource:DeleteCodeSource", "ExplicitDeny");
    let r = t.user.get(&cs_path(&open), &[]).await;
    assert_eq!((r.status, r.json["DisplayName"].as_str()), (200, Some("open")), "{}", r.text);
    assert_eq!(t.user.put(&cs_path(&open), &json!({"Description": "x"})).await.status, 200);
    // The list is decided on `codesource/*`, which the concrete Deny does not cover.
    let r = t.user.get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await;
    assert_eq!((r.status, r.json["TotalCount"].as_u64()), (200, Some(2)), "{}", r.text);
    // Others are unaffected.
    assert_eq!(s.admin().get(&cs_path(&blocked), &[]).await.status, 200);

    // Detached: readable again.
    policies(&s, t.user_name, &[], &["deny-one-source"]).await;
    assert_eq!(t.user.get(&cs_path(&blocked), &[]).await.status, 200);
}

async fn source_ip_conditions_decide(s: TestServer) {
    let t = setup(&s, "roamer", &["PAI.AlgoDeveloper"]).await;
    let cs = t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "ip"})).await;
    let allow_from = |range: &str| {
        json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": ["paicodesource:*", "paiworkspace:*"], "Resource": "*", "Condition": {"IpAddress": {"acs:SourceIp": [range]}}}
        ]})
    };
    custom(&s, "office-only", allow_from("10.0.0.0/8")).await;
    custom(&s, "loopback-only", allow_from("127.0.0.0/8")).await;

    policies(&s, t.user_name, &["office-only"], &["AdministratorAccess"]).await;
    assert_denied(&t.user.get(&cs_path(&cs), &[]).await, "paicodesource:GetCodeSource", "ImplicitDeny");
    assert_denied(&t.user.get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await, "paicodesource:ListCodeSources", "ImplicitDeny");
    // X-Forwarded-For is not the source address (no trusted proxy is configured).
    let mut req = t.user.sign(reqwest::Method::GET, &cs_path(&cs), &[], None, "GetCodeSource");
    req.headers.insert("x-forwarded-for".into(), "10.1.2.3".into());
    t.user.resign(&mut req);
    assert_denied(&t.user.send(&req).await, "paicodesource:GetCodeSource", "ImplicitDeny");

    policies(&s, t.user_name, &["loopback-only"], &["office-only"]).await;
    let r = t.user.get(&cs_path(&cs), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(t.user.get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await.status, 200);

    // A Deny guarded by the caller's range wins over the allow.
    custom(
        &s,
        "block-loopback",
        json!({"Version": "1", "Statement": [
            {"Effect": "Deny", "Action": "paicodesource:GetCodeSource", "Resource": "*", "Condition": {"IpAddress": {"acs:SourceIp": "127.0.0.1"}}}
        ]}),
    )
    .await;
    policies(&s, t.user_name, &["block-loopback"], &[]).await;
    assert_denied(&t.user.get(&cs_path(&cs), &[]).await, "paicodesource:GetCodeSource", "ExplicitDeny");
}

async fn accessibility_and_entity_access_type_conditions(s: TestServer) {
    // A workspace admin: the resource rules let them read and change every code source.
    let t = setup(&s, "curator", &["PAI.WorkspaceAdmin"]).await;
    let admin_public = s.admin().create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "team", "Accessibility": "PUBLIC"})).await;
    let admin_private = s.admin().create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "secret"})).await;
    let own_private = t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "own"})).await;
    custom(
        &s,
        "public-reader-own-writer",
        json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": ["paicodesource:Get*", "paicodesource:List*"], "Resource": "*", "Condition": {"StringEquals": {"pai:Accessibility": "PUBLIC"}}},
            {"Effect": "Allow", "Action": "paicodesource:UpdateCodeSource", "Resource": "*", "Condition": {"StringEquals": {"pai:EntityAccessType": "CREATOR"}}},
            {"Effect": "Allow", "Action": "paicodesource:CreateCodeSource", "Resource": "*", "Condition": {"StringEquals": {"pai:Accessibility": "PRIVATE"}}}
        ]}),
    )
    .await;
    policies(&s, t.user_name, &["public-reader-own-writer"], &["AdministratorAccess"]).await;

    // pai:Accessibility of the existing source.
    assert_eq!(t.user.get(&cs_path(&admin_public), &[]).await.status, 200);
    assert_denied(&t.user.get(&cs_path(&admin_private), &[]).await, "paicodesource:GetCodeSource", "ImplicitDeny");
    assert_denied(&t.user.get(&cs_path(&own_private), &[]).await, "paicodesource:GetCodeSource", "ImplicitDeny");
    // pai:EntityAccessType: CREATOR for one's own source, OTHERS for the rest.
    assert_eq!(t.user.put(&cs_path(&own_private), &json!({"Description": "mine"})).await.status, 200);
    assert_denied(&t.user.put(&cs_path(&admin_public), &json!({"Description": "theirs"})).await, "paicodesource:UpdateCodeSource", "ImplicitDeny");
    // pai:Accessibility on create is the requested one (PRIVATE by default).
    t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "default private"})).await;
    t.user.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "explicit private", "Accessibility": "PRIVATE"})).await;
    let r = t.user.post("/api/v1/codesources", &json!({"WorkspaceId": t.ws, "DisplayName": "public", "Accessibility": "PUBLIC"})).await;
    assert_denied(&r, "paicodesource:CreateCodeSource", "ImplicitDeny");
    // Publishing makes the source PUBLIC: from then on the read statement covers it.
    assert_eq!(s.admin().put(&format!("{}/publish", cs_path(&admin_private)), &json!({})).await.status, 200);
    assert_eq!(t.user.get(&cs_path(&admin_private), &[]).await.status, 200);
}

async fn a_hidden_resource_stays_not_found_whatever_ram_says(s: TestServer) {
    let t = setup(&s, "stranger", &["PAI.AlgoDeveloper"]).await;
    let a = s.admin();
    let hidden = a.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "admin's private"})).await;
    let visible = a.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "admin's public", "Accessibility": "PUBLIC"})).await;
    let other_ws = a.create_workspace("not_a_member").await;
    let other_cs = a.create_code_source(&json!({"WorkspaceId": other_ws, "DisplayName": "elsewhere", "Accessibility": "PUBLIC"})).await;

    // Deny everything explicitly, and keep nothing that allows.
    custom(&s, "deny-all", json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})).await;
    policies(&s, t.user_name, &["deny-all"], &["AdministratorAccess"]).await;

    // What the caller may not see answers exactly as before RAM: not found.
    assert_not_found(&t.user.get(&cs_path(&hidden), &[]).await, "CodeSourceNotFound");
    assert_not_found(&t.user.put(&cs_path(&hidden), &json!({"Description": "x"})).await, "CodeSourceNotFound");
    assert_not_found(&t.user.delete(&cs_path(&hidden), &[]).await, "CodeSourceNotFound");
    assert_not_found(&t.user.put(&format!("{}/publish", cs_path(&hidden)), &json!({})).await, "CodeSourceNotFound");
    assert_not_found(&t.user.get(&cs_path("code-doesnotexist"), &[]).await, "CodeSourceNotFound");
    assert_not_found(&t.user.get(&cs_path(&other_cs), &[]).await, "CodeSourceNotFound");
    assert_not_found(&t.user.get(&format!("/api/v1/workspaces/{other_ws}"), &[]).await, "WorkspaceNotFound");
    assert_not_found(&t.user.get("/api/v1/codesources", &[("WorkspaceId", &other_ws)]).await, "WorkspaceNotFound");
    assert_not_found(&t.user.post("/api/v1/codesources", &json!({"WorkspaceId": other_ws, "DisplayName": "x"})).await, "WorkspaceNotFound");
    assert_not_found(&t.user.get(&format!("/api/v1/workspaces/{other_ws}/members"), &[]).await, "WorkspaceNotFound");
    assert_not_found(&t.user.get("/api/v1/workspaces/99999999", &[]).await, "WorkspaceNotFound");
    // What the caller may see is refused by RAM.
    assert_denied(&t.user.get(&cs_path(&visible), &[]).await, "paicodesource:GetCodeSource", "ExplicitDeny");
    assert_denied(&t.user.get(&format!("/api/v1/workspaces/{}", t.ws), &[]).await, "paiworkspace:GetWorkspace", "ExplicitDeny");

    // The same holds with no policy at all (implicit deny).
    policies(&s, t.user_name, &[], &["deny-all"]).await;
    assert_not_found(&t.user.get(&cs_path(&hidden), &[]).await, "CodeSourceNotFound");
    assert_denied(&t.user.get(&cs_path(&visible), &[]).await, "paicodesource:GetCodeSource", "ImplicitDeny");
}

both_backends!(
    read_only_user_reads_but_cannot_create,
    every_operation_asks_ram,
    an_explicit_deny_on_one_code_source_beats_allow_all,
    source_ip_conditions_decide,
    accessibility_and_entity_access_type_conditions,
    a_hidden_resource_stays_not_found_whatever_ram_says,
);
