//! Code sources that point at repositories hosted here, over real HTTP with the stock git
//! client: create and update check the repository, branch and commit as the caller; a
//! workspace member who is not a member of the repository gets a checkout credential that
//! clones (shallowly too, by commit id), cannot push or read another repository, expires,
//! and stops working when the creator's stored token is revoked; the distinct failures
//! (not found, no permission, repository authentication failed, repository gone); external
//! repositories hand their stored credentials to readers only.

use codeport_testkit::git::Scratch;
use codeport_testkit::{both_backends, CodeupClient, PaiClient, Reply, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

fn central(s: &TestServer) -> String {
    format!("/oapi/v1/codeup/organizations/{}", s.organization_id())
}

/// A private repository at `path` (groups created on the way) with a README commit.
async fn create_repo(s: &TestServer, c: &CodeupClient, path: &str) -> Value {
    let (group, name) = path.rsplit_once('/').unwrap_or(("", path));
    let body = json!({"name": name, "path": path, "visibility": "private", "readMeType": "USER_GUIDE"});
    let r = c.post(&format!("{}/repositories?createParentPath=true", central(s)), &body).await;
    assert_eq!(r.status, 200, "create repository {group}/{name}: {}", r.text);
    r.json
}

/// A hosted repository with two commits on master; returns (full path, first, second).
async fn repo_with_two_commits(s: &TestServer, x: &Scratch, path: &str) -> (String, String, String) {
    let c = s.admin_token();
    let repo = create_repo(s, &c, path).await;
    let fp = repo["pathWithNamespace"].as_str().unwrap().to_string();
    let token = c.token.clone().unwrap();
    let url = format!("http://x:{token}@{}/{fp}.git", s.endpoint);
    let root = x.dir.path().to_path_buf();
    let work = x.path(&format!("work-{}", path.replace('/', "-")));
    x.ok(&root, &["clone", &url, work.to_str().unwrap()]).await;
    let first = x.ok(&work, &["rev-parse", "HEAD"]).await;
    x.write(&work, "train.py", b"print('second')\n");
    x.ok(&work, &["add", "."]).await;
    x.ok(&work, &["commit", "-m", "second"]).await;
    x.ok(&work, &["push", "origin", "master"]).await;
    let second = x.ok(&work, &["rev-parse", "HEAD"]).await;
    (fp, first, second)
}

fn clone_url(s: &TestServer, fp: &str) -> String {
    format!("{}/{fp}.git", s.base_url)
}

/// The clone URL with credentials in it, for the git client in tests only.
fn url_with(s: &TestServer, user: &str, password: &str, fp: &str) -> String {
    format!("http://{user}:{password}@{}/{fp}.git", s.endpoint)
}

fn cs_path(id: &str) -> String {
    format!("/api/v1/codesources/{id}")
}

async fn credential(c: &PaiClient, id: &str) -> Reply {
    c.post(&format!("{}/checkoutcredential", cs_path(id)), &json!({})).await
}

fn assert_invalid(r: &Reply, field: &str, mentions: &str) {
    assert_eq!((r.status, r.code()), (400, "InvalidParameter"), "{}", r.text);
    let m = r.json["Message"].as_str().unwrap_or("");
    assert!(m.contains(field) && m.contains(mentions), "{field}/{mentions} in {m}");
}

async fn hosted_repositories_are_checked_on_create_and_update(s: TestServer) {
    let x = Scratch::new();
    let (fp, first, second) = repo_with_two_commits(&s, &x, "team/app").await;
    let a = s.admin();
    let ws = a.create_workspace("checked").await;
    let url = clone_url(&s, &fp);

    // CodeBranch defaults to the repository's default branch; a commit prefix is stored whole.
    let id = a.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "app", "CodeRepo": url})).await;
    let got = a.get(&cs_path(&id), &[]).await.json;
    assert_eq!((got["CodeBranch"].as_str(), got["CodeCommit"].as_str()), (Some("master"), Some("")), "{got}");
    let pinned = a.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "pinned", "CodeRepo": url, "CodeCommit": &first[..10]})).await;
    assert_eq!(a.get(&cs_path(&pinned), &[]).await.json["CodeCommit"], first.as_str());
    // Without `.git` and with another case in the host part, it is still this server's.
    let bare = url.trim_end_matches(".git").replace("http://", "HTTP://");
    let r = a.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "bare", "CodeRepo": bare, "CodeBranch": "nope"})).await;
    assert_invalid(&r, "CodeBranch", "branch nope");

    // Each wrong part is named, and nothing is created.
    let r = a.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": url, "CodeBranch": "nope"})).await;
    assert_invalid(&r, "CodeBranch", &format!("branch nope does not exist in repository {fp}"));
    let r = a.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": url, "CodeCommit": "deadbeef"})).await;
    assert_invalid(&r, "CodeCommit", "commit deadbeef");
    let missing = clone_url(&s, &format!("{}/team/missing", s.organization_id()));
    let r = a.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": missing})).await;
    assert_invalid(&r, "CodeRepo", "team/missing");
    assert_eq!(a.get("/api/v1/codesources", &[("WorkspaceId", &ws)]).await.json["TotalCount"], 2);

    // A workspace developer who cannot see the private repository cannot point at it.
    let (uid, dev) = s.user("dev").await;
    a.add_member(&ws, &uid, &["PAI.AlgoDeveloper"]).await;
    let r = dev.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": url})).await;
    assert_invalid(&r, "CodeRepo", &fp);

    // Update: a wrong branch changes nothing; a commit moves the pin; a rename does not re-check.
    let r = a.put(&cs_path(&id), &json!({"CodeBranch": "nope"})).await;
    assert_invalid(&r, "CodeBranch", "nope");
    assert_eq!(a.get(&cs_path(&id), &[]).await.json["CodeBranch"], "master");
    assert_eq!(a.put(&cs_path(&id), &json!({"CodeCommit": second})).await.status, 200);
    let got = a.get(&cs_path(&id), &[]).await.json;
    assert_eq!((got["CodeBranch"].as_str(), got["CodeCommit"].as_str()), (Some("master"), Some(second.as_str())));
    assert_eq!(a.put(&cs_path(&id), &json!({"DisplayName": "renamed"})).await.status, 200);

    // External repositories are not probed unless the server is told to.
    let ext = a
        .create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "ext", "CodeRepo": "https://example.com/org/repo.git", "CodeBranch": "dev"}))
        .await;
    assert_eq!(a.get(&cs_path(&ext), &[]).await.json["CodeBranch"], "dev");
}

struct Shared {
    ws: String,
    fp: String,
    first: String,
    second: String,
    id: String,
    token_id: String,
    member: PaiClient,
    member_id: String,
}

/// The admin (a repository admin through the organization) registers a code source pinned
/// to the first commit, with a token of their own, and publishes it; `member` is a workspace
/// developer who is not a member of the private repository.
async fn shared_source(s: &TestServer, x: &Scratch) -> Shared {
    let (fp, first, second) = repo_with_two_commits(s, x, "team/app").await;
    let scopes = codeport_core::values::TokenScopes::parse("").unwrap();
    let t = s.state.identities().create_token("admin", None, &scopes).await.unwrap();
    let a = s.admin();
    let ws = a.create_workspace("shared").await;
    let (member_id, member) = s.user("member").await;
    a.add_member(&ws, &member_id, &["PAI.AlgoDeveloper"]).await;
    let id = a
        .create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "app", "CodeRepo": clone_url(s, &fp), "CodeCommit": first, "CodeRepoAccessToken": t.token.expose(), "CloneType": 0}))
        .await;
    assert_eq!(a.put(&format!("{}/publish", cs_path(&id)), &json!({})).await.status, 200);
    Shared { ws, fp, first, second, id, token_id: t.id, member, member_id }
}

async fn a_member_checks_out_with_a_minted_read_only_credential(s: TestServer) {
    let x = Scratch::new();
    let sh = shared_source(&s, &x).await;
    let root = x.dir.path().to_path_buf();

    let r = credential(&sh.member, &sh.id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = &r.json;
    assert_eq!(c["CodeRepo"], clone_url(&s, &sh.fp));
    assert_eq!((c["CodeBranch"].as_str(), c["CodeCommit"].as_str()), (Some("master"), Some(sh.first.as_str())));
    assert_eq!(c["UserName"], "codeport-checkout");
    let password = c["Password"].as_str().unwrap().to_string();
    assert!(password.starts_with("cpc-"), "{password}");
    assert!(c["ExpireTime"].as_str().is_some_and(|t| t.ends_with('Z')), "{c}");
    assert!(!r.text.contains("pt-"), "the stored token never leaves the server: {}", r.text);
    assert_eq!(sh.member.get(&cs_path(&sh.id), &[]).await.json["CodeRepoAccessToken"], "", "GetCodeSource shows the token to its creator only");

    // It clones, and fetches just the pinned commit by id (shallow).
    let url = url_with(&s, "codeport-checkout", &password, &sh.fp);
    x.ok(&root, &["clone", &url, "full"]).await;
    assert_eq!(x.ok(&x.path("full"), &["rev-parse", "HEAD"]).await, sh.second);
    let shallow = x.path("shallow");
    x.ok(&root, &["init", "-q", "shallow"]).await;
    x.ok(&shallow, &["fetch", "--depth", "1", &url, &sh.first]).await;
    x.ok(&shallow, &["checkout", "-q", "--detach", "FETCH_HEAD"]).await;
    assert_eq!(x.ok(&shallow, &["rev-parse", "HEAD"]).await, sh.first);
    assert_eq!(x.ok(&shallow, &["rev-parse", "--is-shallow-repository"]).await, "true");

    // It cannot push, nor read another repository.
    let full = x.path("full");
    x.write(&full, "evil.txt", b"no\n");
    x.ok(&full, &["add", "."]).await;
    x.ok(&full, &["commit", "-m", "push attempt"]).await;
    let err = x.fails(&full, &["push", "origin", "master"]).await;
    assert!(err.contains("403") || err.contains("read-only"), "{err}");
    let (other, _, _) = repo_with_two_commits(&s, &x, "team/other").await;
    let err = x.fails(&root, &["clone", &url_with(&s, "codeport-checkout", &password, &other), "other"]).await;
    assert!(err.contains("not found") || err.contains("404"), "{err}");
    // Nor is it a token of the Codeup API.
    let api = CodeupClient::new(&s.base_url, Some(&password));
    assert_eq!(api.get("/oapi/v1/platform/user").await.status, 401);

    // Revoking the creator's stored token stops new credentials and the minted one at once.
    s.state.identities().revoke_token(&sh.token_id).await.unwrap();
    let r = credential(&sh.member, &sh.id).await;
    assert_eq!((r.status, r.code()), (400, "CodeRepoAuthenticationFailed"), "{}", r.text);
    let err = x.fails(&root, &["clone", &url, "after-revoke"]).await;
    assert!(err.contains("Authentication failed") || err.contains("401"), "{err}");
}

async fn every_failure_has_its_own_code(s: TestServer) {
    let x = Scratch::new();
    let sh = shared_source(&s, &x).await;
    let a = s.admin();

    // Someone outside the workspace: not found. A private source of someone else: not found.
    let (_, outsider) = s.user("outsider").await;
    let r = credential(&outsider, &sh.id).await;
    assert_eq!((r.status, r.code()), (404, "CodeSourceNotFound"), "{}", r.text);
    let private = a.create_code_source(&json!({"WorkspaceId": sh.ws, "DisplayName": "private", "CodeRepo": "https://example.com/r.git", "CodeRepoUserName": "bot", "CodeRepoAccessToken": "ext-secret"})).await;
    let r = credential(&sh.member, &private).await;
    assert_eq!((r.status, r.code()), (404, "CodeSourceNotFound"), "{}", r.text);

    // External: the stored credentials, to readers, with no expiry.
    assert_eq!(a.put(&format!("{}/publish", cs_path(&private)), &json!({})).await.status, 200);
    let r = credential(&sh.member, &private).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["UserName"].as_str(), r.json["Password"].as_str()), (Some("bot"), Some("ext-secret")));
    assert!(r.json.get("ExpireTime").is_none(), "{}", r.text);

    // RAM: the action is its own, so it can be denied while GetCodeSource stays allowed.
    s.state
        .policies()
        .create_policy(
            "no-checkout",
            "",
            &json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "paicodesource:GetCodeSourceCheckoutCredential", "Resource": "*"}]})
                .to_string(),
        )
        .await
        .unwrap();
    s.state.policies().attach_policy("member", "no-checkout").await.unwrap();
    let r = credential(&sh.member, &sh.id).await;
    assert_eq!((r.status, r.code()), (403, "NoPermission"), "{}", r.text);
    assert_eq!(r.json["AccessDeniedDetail"]["AuthAction"], "paicodesource:GetCodeSourceCheckoutCredential");
    assert_eq!(sh.member.get(&cs_path(&sh.id), &[]).await.status, 200);
    s.state.policies().detach_policy("member", "no-checkout").await.unwrap();

    // A wrong stored token, and none at all: the repository authentication failed.
    let wrong = a
        .create_code_source(&json!({"WorkspaceId": sh.ws, "DisplayName": "wrong", "CodeRepo": clone_url(&s, &sh.fp), "CodeRepoAccessToken": "pt-not-a-real-token", "Accessibility": "PUBLIC"}))
        .await;
    let r = credential(&sh.member, &wrong).await;
    assert_eq!((r.status, r.code()), (400, "CodeRepoAuthenticationFailed"), "{}", r.text);
    assert!(!r.text.contains("pt-not-a-real-token"), "{}", r.text);
    let none = a
        .create_code_source(&json!({"WorkspaceId": sh.ws, "DisplayName": "none", "CodeRepo": clone_url(&s, &sh.fp), "Accessibility": "PUBLIC"}))
        .await;
    assert_eq!(credential(&sh.member, &none).await.code(), "CodeRepoAuthenticationFailed");

    // The token's user losing access is the same failure as a revoked token.
    let dev_scopes = codeport_core::values::TokenScopes::parse("").unwrap();
    let dev_token = s.state.identities().create_token("member", None, &dev_scopes).await.unwrap();
    let not_theirs = a
        .create_code_source(&json!({"WorkspaceId": sh.ws, "DisplayName": "not-theirs", "CodeRepo": clone_url(&s, &sh.fp), "CodeRepoAccessToken": dev_token.token.expose(), "Accessibility": "PUBLIC"}))
        .await;
    assert_eq!(credential(&sh.member, &not_theirs).await.code(), "CodeRepoAuthenticationFailed");

    // The repository deleted: gone, said so.
    let c = s.admin_token();
    let repo_id = c.get(&format!("{}/repositories/{}", central(&s), urlencode(&sh.fp))).await.json["id"].clone();
    let r = c.call(reqwest::Method::DELETE, &format!("{}/repositories/{repo_id}", central(&s)), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = credential(&sh.member, &sh.id).await;
    assert_eq!((r.status, r.code()), (400, "CodeRepoNotFound"), "{}", r.text);
    assert!(r.json["Message"].as_str().unwrap_or("").contains(&sh.fp), "{}", r.text);
    let _ = (&sh.second, &sh.member_id);
}

async fn a_minted_credential_expires(s: TestServer) {
    let x = Scratch::new();
    let sh = shared_source(&s, &x).await;
    // A replica whose credentials live one second: both replicas verify what either mints.
    let short = s.replica(|c| c.checkout_credential_ttl = Duration::from_secs(1)).await;
    let r = credential(&sh.member.at(&short.base_url), &sh.id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let password = r.json["Password"].as_str().unwrap().to_string();
    let root = x.dir.path().to_path_buf();
    x.ok(&root, &["clone", &url_with(&s, "codeport-checkout", &password, &sh.fp), "in-time"]).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let err = x.fails(&root, &["clone", &url_with(&s, "codeport-checkout", &password, &sh.fp), "too-late"]).await;
    assert!(err.contains("Authentication failed") || err.contains("401"), "{err}");
}

/// With `verify_external_repos` on, an external CodeRepo is probed with its credentials.
/// This server's own repository, addressed as `localhost` (not its external URL), plays the
/// external one; loopback must then be allow-listed, and a replica without the allow-list
/// refuses it (no SSRF through codeport).
async fn external_repositories_are_probed_when_configured(s: TestServer) {
    let x = Scratch::new();
    let (fp, _, _) = repo_with_two_commits(&s, &x, "team/app").await;
    let port = s.endpoint.rsplit(':').next().unwrap().to_string();
    let url = format!("http://localhost:{port}/{fp}.git");
    let token = s.admin_token().token.unwrap();
    let a = s.admin();
    let ws = a.create_workspace("probed").await;

    let probing = s
        .replica(|c| {
            c.verify_external_repos = true;
            c.probe_allowed_networks = vec!["127.0.0.0/8".into(), "::1/128".into()];
        })
        .await;
    let pa = a.at(&probing.base_url);
    // The branch defaults to the remote's HEAD.
    let id = pa.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "ext", "CodeRepo": url, "CodeRepoAccessToken": token})).await;
    assert_eq!(pa.get(&cs_path(&id), &[]).await.json["CodeBranch"], "master");
    let r = pa
        .post(
            "/api/v1/codesources",
            &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": url, "CodeRepoAccessToken": token, "CodeBranch": "nope"}),
        )
        .await;
    assert_invalid(&r, "CodeBranch", "nope");
    let r = pa.post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": url, "CodeRepoAccessToken": "pt-wrong"})).await;
    assert_eq!((r.status, r.code()), (400, "CodeRepoAuthenticationFailed"), "{}", r.text);
    assert!(!r.text.contains("pt-wrong"), "{}", r.text);
    // An update that changes the token is probed again, and refused without changing anything.
    let r = pa.put(&cs_path(&id), &json!({"CodeRepoAccessToken": "pt-wrong"})).await;
    assert_eq!(r.code(), "CodeRepoAuthenticationFailed", "{}", r.text);

    let strict = s.replica(|c| c.verify_external_repos = true).await;
    let r = a
        .at(&strict.base_url)
        .post("/api/v1/codesources", &json!({"WorkspaceId": ws, "DisplayName": "x", "CodeRepo": url, "CodeRepoAccessToken": token}))
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidParameter"), "{}", r.text);
    assert!(r.json["Message"].as_str().unwrap_or("").contains("loopback"), "{}", r.text);
    assert_eq!(a.get("/api/v1/codesources", &[("WorkspaceId", &ws)]).await.json["TotalCount"], 1, "refusals create nothing");
}

fn urlencode(s: &str) -> String {
    s.replace('/', "%2F")
}

both_backends!(
    external_repositories_are_probed_when_configured,
    hosted_repositories_are_checked_on_create_and_update,
    a_member_checks_out_with_a_minted_read_only_credential,
    every_failure_has_its_own_code,
    a_minted_credential_expires
);
