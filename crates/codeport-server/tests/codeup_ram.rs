//! RAM authorization in the Codeup family and git over HTTP: `codeup:<Operation>` actions on
//! `acs:codeup:…` ARNs (codeport's extension), decided in addition to the resource rules.
//! A read-only policy reads and clones but cannot create or push; an explicit Deny on one
//! repository beats `Allow *`; `acs:SourceIp` conditions; a cascading group deletion cannot
//! sidestep a Deny below it; and what the caller may not see stays not found whatever RAM says.
//!
//! Policy changes go through `AppState::attach_policy` / `detach_policy`, which drop this
//! process's identity cache at once, so no test waits for the generation poll.

use codeport_testkit::git::Scratch;
use codeport_testkit::{both_backends, CodeupClient, Reply, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

fn central(s: &TestServer) -> String {
    format!("/oapi/v1/codeup/organizations/{}", s.organization_id())
}

fn enc(s: &str) -> String {
    s.replace('/', "%2F")
}

fn token_of(c: &CodeupClient) -> String {
    c.token.clone().expect("client with a token")
}

async fn create_repo(s: &TestServer, c: &CodeupClient, path: &str, visibility: &str) -> String {
    let body = json!({"name": path, "path": path, "visibility": visibility, "readMeType": "EMPTY"});
    let r = c.post(&format!("{}/repositories?createParentPath=true", central(s)), &body).await;
    assert_eq!(r.status, 200, "create repository {path}: {}", r.text);
    r.json["pathWithNamespace"].as_str().expect("pathWithNamespace").to_string()
}

/// Replaces a user's default AdministratorAccess with `policies`.
async fn only(s: &TestServer, user: &str, policies: &[&str]) {
    s.state.policies().detach_policy(user, "AdministratorAccess").await.expect("detach AdministratorAccess");
    for p in policies {
        s.state.policies().attach_policy(user, p).await.expect("attach");
    }
}

fn assert_denied(r: &Reply, action: &str, explicit: bool) {
    assert_eq!((r.status, r.error_code()), (403, "Forbidden"), "{action}: {}", r.text);
    assert_eq!(r.header("content-type"), "application/json");
    let message = r.json["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains(action), "errorMessage names {action}: {message}");
    let kind = if explicit { "(explicit deny)" } else { "(implicit deny)" };
    assert!(message.ends_with(kind), "{kind}: {message}");
}

fn clone_url(s: &TestServer, token: &str, full_path: &str) -> String {
    format!("http://x:{token}@{}/{full_path}.git", s.endpoint)
}

/// Status and body of a git discovery request.
async fn info_refs(s: &TestServer, token: &str, full_path: &str, service: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .get(format!("{}/{full_path}.git/info/refs?service={service}", s.base_url))
        .basic_auth("x", Some(token))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn read_only_policy_reads_and_clones_but_cannot_create_or_push(s: TestServer) {
    let org = s.organization_id();
    let base = central(&s);
    let (_, c) = s.token_user("reader", "").await;
    // Created while the user still has AdministratorAccess: they administer it, so every
    // refusal below is RAM's, not the repository's rules.
    let fp = create_repo(&s, &c, "ram/mine", "private").await;
    only(&s, "reader", &["AliyunRDCReadOnlyAccess"]).await;

    let repo = format!("{base}/repositories/{}", enc(&fp));
    let r = c.get(&repo).await;
    assert_eq!(r.status, 200, "GetRepository: {}", r.text);
    let r = c.get(&format!("{base}/repositories")).await;
    assert_eq!(r.status, 200, "ListRepositories: {}", r.text);
    assert!(r.json.as_array().unwrap().iter().any(|x| x["pathWithNamespace"] == fp.as_str()), "{}", r.text);
    let r = c.get(&format!("{repo}/files/README.md?ref=master")).await;
    assert_eq!(r.status, 200, "GetFileBlobs: {}", r.text);
    for read in ["branches", "tags", "commits", "files/tree"] {
        let r = c.get(&format!("{repo}/{read}")).await;
        assert_eq!(r.status, 200, "{read}: {}", r.text);
    }
    assert_eq!(c.get("/oapi/v1/platform/user").await.status, 200, "GetCurrentUser");
    assert_eq!(c.get(&format!("{base}/namespaces")).await.status, 200, "ListNamespaces");
    assert_eq!(c.get(&format!("/oapi/v1/platform/organizations/{org}/members")).await.status, 200, "ListOrganizationMembers");

    let r = c.post(&format!("{base}/repositories?createParentPath=true"), &json!({"name": "new", "path": "ram-new/new"})).await;
    assert_denied(&r, "codeup:CreateRepository", false);
    assert!(r.json["errorMessage"].as_str().unwrap().contains(&format!("repository/{org}/ram-new/new")), "{}", r.text);
    // Nothing was made on the way: not even the missing parent group.
    let admin = s.admin_token();
    assert_eq!(admin.get(&format!("{base}/namespaces/{}", enc(&format!("{org}/ram-new")))).await.status, 404);
    let r = c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": "a.txt", "content": "a", "commitMessage": "add"})).await;
    assert_denied(&r, "codeup:CreateFile", false);
    let r = c.post(&format!("{repo}/branches?branch=dev&ref=master"), &json!({})).await;
    assert_denied(&r, "codeup:CreateBranch", false);
    let r = c.call(Method::DELETE, &repo, None).await;
    assert_denied(&r, "codeup:DeleteRepository", false);
    let r = c.post(&format!("{base}/groups"), &json!({"name": "g", "path": "ram-group"})).await;
    assert_denied(&r, "codeup:CreateGroup", false);
    // The file API wrote nothing.
    assert_eq!(c.get(&format!("{repo}/files/a.txt?ref=master")).await.status, 404);

    // git: clone works, push is refused with 403.
    let token = token_of(&c);
    let x = Scratch::new();
    let root = x.dir.path().to_path_buf();
    x.ok(&root, &["clone", &clone_url(&s, &token, &fp), "work"]).await;
    let (status, body) = info_refs(&s, &token, &fp, "git-receive-pack").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("codeup:PushRepository") && body.contains(&format!("repository/{fp}")), "{body}");
    let work = x.path("work");
    std::fs::write(work.join("b.txt"), b"b\n").unwrap();
    x.ok(&work, &["add", "."]).await;
    x.ok(&work, &["commit", "-m", "not allowed"]).await;
    let err = x.fails(&work, &["push", "origin", "master"]).await;
    assert!(err.contains("403"), "{err}");

    // Full Codeup access again: the same user writes and pushes.
    s.state.policies().attach_policy("reader", "AliyunRDCFullAccess").await.unwrap();
    let r = c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": "a.txt", "content": "a", "commitMessage": "add"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    x.ok(&work, &["pull", "--no-rebase", "origin", "master"]).await;
    x.ok(&work, &["push", "origin", "master"]).await;
}

async fn explicit_deny_on_one_repository_beats_allow_all(s: TestServer) {
    let org = s.organization_id();
    let base = central(&s);
    let (_, c) = s.token_user("denied", "").await;
    let secret = create_repo(&s, &c, "ram/secret", "private").await;
    let open = create_repo(&s, &c, "ram/open", "private").await;
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "codeup:*", "Resource": format!("acs:codeup:*:{org}:repository/{secret}")}]});
    s.state.policies().create_policy("DenySecret", "", &doc.to_string()).await.expect("create policy");
    // AdministratorAccess (Allow * on *) stays attached.
    s.state.policies().attach_policy("denied", "DenySecret").await.unwrap();

    let r = c.get(&format!("{base}/repositories/{}", enc(&secret))).await;
    assert_denied(&r, "codeup:GetRepository", true);
    let r = c.get(&format!("{base}/repositories/{}/files/README.md?ref=master", enc(&secret))).await;
    assert_denied(&r, "codeup:GetFileBlobs", true);
    let r = c.call(Method::DELETE, &format!("{base}/repositories/{}", enc(&secret)), None).await;
    assert_denied(&r, "codeup:DeleteRepository", true);
    let token = token_of(&c);
    for (service, action) in [("git-upload-pack", "codeup:GetRepositoryContent"), ("git-receive-pack", "codeup:PushRepository")] {
        let (status, body) = info_refs(&s, &token, &secret, service).await;
        assert_eq!(status, 403, "{service}: {body}");
        assert!(body.contains(action) && body.contains("(explicit deny)"), "{body}");
    }
    // Other repositories are unaffected.
    let r = c.get(&format!("{base}/repositories/{}", enc(&open))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .post(
            &format!("{base}/repositories/{}/files", enc(&open)),
            &json!({"branch": "master", "filePath": "a.txt", "content": "a", "commitMessage": "add"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(info_refs(&s, &token, &open, "git-upload-pack").await.0, 200);
    assert_eq!(info_refs(&s, &token, &open, "git-receive-pack").await.0, 200);
    // The listing (one decision on repository/*) still shows both; RAM filters operations,
    // not list items.
    assert_eq!(c.get(&format!("{base}/repositories")).await.status, 200);

    // A cascading deletion of the group above cannot sidestep the Deny.
    let group = format!("{org}/ram");
    let r = c.call(Method::DELETE, &format!("{base}/groups/{}?cascade=true", enc(&group)), None).await;
    assert_denied(&r, "codeup:DeleteRepository", true);
    assert!(r.json["errorMessage"].as_str().unwrap().contains(&secret), "{}", r.text);
    let admin = s.admin_token();
    assert_eq!(admin.get(&format!("{base}/repositories/{}", enc(&secret))).await.status, 200, "nothing was deleted");
    assert_eq!(admin.get(&format!("{base}/repositories/{}", enc(&open))).await.status, 200, "nothing was deleted");

    // Without the Deny, the same requests pass.
    s.state.policies().detach_policy("denied", "DenySecret").await.unwrap();
    let r = c.get(&format!("{base}/repositories/{}", enc(&secret))).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn source_ip_condition_decides(s: TestServer) {
    let org = s.organization_id();
    let base = central(&s);
    let (_, c) = s.token_user("ipuser", "").await;
    let fp = create_repo(&s, &c, "ram/ip", "private").await;
    let policy = |ips: Value| {
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "codeup:*", "Resource": "*", "Condition": {"IpAddress": {"acs:SourceIp": ips}}}]}).to_string()
    };
    s.state.policies().create_policy("OfficeOnly", "", &policy(json!("10.0.0.0/8"))).await.unwrap();
    s.state.policies().create_policy("OfficeAndLocal", "", &policy(json!(["10.0.0.0/8", "127.0.0.1"]))).await.unwrap();
    only(&s, "ipuser", &["OfficeOnly"]).await;

    // The test client connects from 127.0.0.1, outside 10.0.0.0/8.
    let repo = format!("{base}/repositories/{}", enc(&fp));
    assert_denied(&c.get(&repo).await, "codeup:GetRepository", false);
    assert_denied(&c.get(&format!("{base}/repositories")).await, "codeup:ListRepositories", false);
    assert_denied(&c.get("/oapi/v1/platform/user").await, "codeup:GetCurrentUser", false);
    assert_denied(&c.get(&format!("/oapi/v1/platform/organizations/{org}/members")).await, "codeup:ListOrganizationMembers", false);
    assert_denied(&c.get(&format!("{base}/namespaces")).await, "codeup:ListNamespaces", false);
    let token = token_of(&c);
    let (status, body) = info_refs(&s, &token, &fp, "git-upload-pack").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("codeup:GetRepositoryContent"), "{body}");

    s.state.policies().detach_policy("ipuser", "OfficeOnly").await.unwrap();
    s.state.policies().attach_policy("ipuser", "OfficeAndLocal").await.unwrap();
    assert_eq!(c.get(&repo).await.status, 200);
    assert_eq!(c.get(&format!("{base}/repositories")).await.status, 200);
    assert_eq!(c.get("/oapi/v1/platform/user").await.status, 200);
    assert_eq!(c.get(&format!("/oapi/v1/platform/organizations/{org}/members")).await.status, 200);
    assert_eq!(c.get(&format!("{base}/namespaces")).await.status, 200);
    assert_eq!(info_refs(&s, &token, &fp, "git-upload-pack").await.0, 200);
}

async fn invisible_repository_stays_not_found_whatever_ram_says(s: TestServer) {
    let org = s.organization_id();
    let base = central(&s);
    let admin = s.admin_token();
    let fp = create_repo(&s, &admin, "ram/private", "private").await;
    let group = admin.get(&format!("{base}/namespaces/{}", enc(&format!("{org}/ram")))).await;
    assert_eq!(group.status, 200, "{}", group.text);
    // An organization member (not an admin) outside the repository, with AdministratorAccess.
    let (_, c) = s.token_user("outsider", "").await;
    assert!(s.state.policies().user_policies("outsider").await.unwrap().iter().any(|p| p.policy_name == "AdministratorAccess"));
    let token = token_of(&c);
    let check = |label: &'static str| {
        let c = c.clone();
        let base = base.clone();
        let fp = fp.clone();
        let token = token.clone();
        let s = &s;
        async move {
            let repo = format!("{base}/repositories/{}", enc(&fp));
            for r in [
                c.get(&repo).await,
                c.get(&format!("{repo}/files/README.md?ref=master")).await,
                c.get(&format!("{repo}/branches")).await,
                c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": "a.txt", "content": "a", "commitMessage": "add"})).await,
                c.call(Method::DELETE, &repo, None).await,
                c.get(&format!("{base}/namespaces/{}", enc(&format!("{}/ram", fp.split('/').next().unwrap())))).await,
            ] {
                assert_eq!((r.status, r.error_code()), (404, "NotFound"), "{label}: {}", r.text);
            }
            for service in ["git-upload-pack", "git-receive-pack"] {
                assert_eq!(info_refs(s, &token, &fp, service).await.0, 404, "{label}: {service}");
            }
        }
    };
    check("AdministratorAccess").await;
    // Denied everything: still not found, never a 403 that would confirm the repository exists.
    let deny_all = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "codeup:*", "Resource": "*"}]});
    s.state.policies().create_policy("DenyCodeup", "", &deny_all.to_string()).await.unwrap();
    s.state.policies().attach_policy("outsider", "DenyCodeup").await.unwrap();
    check("Deny codeup:*").await;
    // While a repository that does not exist at all answers the same.
    let r = c.get(&format!("{base}/repositories/{}", enc(&format!("{org}/ram/nothing")))).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // The deny does apply to what the caller can see.
    let r = c.get(&format!("{base}/repositories")).await;
    assert_denied(&r, "codeup:ListRepositories", true);
}

both_backends!(
    read_only_policy_reads_and_clones_but_cannot_create_or_push,
    explicit_deny_on_one_repository_beats_allow_all,
    source_ip_condition_decides,
    invisible_repository_stays_not_found_whatever_ram_says,
);
