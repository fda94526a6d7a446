//! The authorization table: every operation of the action catalog, in both wire families and
//! git smart HTTP, called over real HTTP against one real server in three cases:
//!
//! 1. **allowed**: a caller with the resource rights (the creator and owner of every fixture)
//!    and `AdministratorAccess` gets a 2xx, so the row's request is a real, valid call;
//! 2. **denied by RAM**: the same caller, with `AdministratorAccess` swapped for a policy that
//!    allows `*` on `*` and explicitly denies exactly `op.action()`, gets the family's 403 naming
//!    that action as an explicit deny. Had the route authorized any other action, the Deny would
//!    not match and the call would succeed: this is what guards "a route authorizes its own
//!    catalog action";
//! 3. **hidden**: a caller who may not see the resource (not a workspace member; a workspace
//!    developer before another's private code source; an organization member outside a
//!    private group and repository) gets the family's 404 (git: a bare 404), with
//!    `AdministratorAccess` attached. A create that names its parent in its parameters
//!    (CreateGroup, CreateRepository) is answered for an unseen parent as for a missing one
//!    (400, "does not exist"); a row whose operation addresses nothing that could be hidden says
//!    why (`Hidden::NotApplicable`) rather than skipping silently.
//!
//! The rows come from an exhaustive `match` over [`Operation`] (no `_` arm): an operation added
//! to the catalog without its row does not compile, and the run counts its rows against
//! `Operation::ALL`. Each row's request is also checked against the catalog's method and path,
//! so a row cannot quietly exercise another operation's route. Fixtures are made once; every
//! destructive operation works on a throwaway resource of its own; each row runs hidden, then
//! denied, then allowed, so a refused call that changed something would make the allowed one
//! fail (a second create conflicts, a second delete finds nothing).

use codeport_core::actions::{Mount, Operation};
use codeport_testkit::{both_backends, CodeupClient, PaiClient, Reply, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

/// Who sends a request.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Owns every fixture (workspace owner, group and repository owner).
    Actor,
    /// An organization member in no workspace, group or repository of the fixtures.
    Outsider,
    /// A developer of the workspace who did not create its (private) code sources.
    Peer,
}

/// A request of the table.
enum Req {
    /// ACS3-signed ROA request: method, path, query, JSON body.
    Pai(Method, String, Vec<(&'static str, String)>, Option<Value>),
    /// Codeup request with `x-yunxiao-token`: method, path (with its query), JSON body.
    Codeup(Method, String, Option<Value>),
    /// Git smart HTTP discovery (`{fullPath}.git/info/refs?service=…`), with the token as password.
    Git(String, &'static str),
}

fn pai(method: Method, path: impl Into<String>) -> Req {
    Req::Pai(method, path.into(), Vec::new(), None)
}

fn codeup(method: Method, path: impl Into<String>) -> Req {
    Req::Codeup(method, path.into(), None)
}

impl Req {
    fn query(mut self, key: &'static str, value: &str) -> Req {
        if let Req::Pai(_, _, q, _) = &mut self {
            q.push((key, value.to_string()));
        }
        self
    }

    fn body(mut self, value: Value) -> Req {
        match &mut self {
            Req::Pai(_, _, _, b) | Req::Codeup(_, _, b) => *b = Some(value),
            Req::Git(..) => unreachable!("git requests have no JSON body"),
        }
        self
    }
}

/// The hidden case of a row.
enum Hidden {
    /// `Who` may not see the addressed resource: 404 with this not-found code (PAI `Code`,
    /// Codeup `errorCode`; git answers a bare 404).
    By(Who, &'static str),
    /// The operation addresses no resource, but may name a parent in its parameters: this
    /// request names one `Who` may not see, and is answered as for a parent that does not exist
    /// (400 `BadRequest`, "… does not exist"), never with a hint that it does.
    UnseenParent(Who, Req),
    /// The operation addresses no resource that could be hidden from the caller.
    NotApplicable(&'static str),
}

use Hidden::{By, NotApplicable, UnseenParent};
use Who::{Outsider, Peer};

const WS_NOT_FOUND: &str = "WorkspaceNotFound";
const CS_NOT_FOUND: &str = "CodeSourceNotFound";
const NOT_FOUND: &str = "NotFound";

struct Row {
    req: Req,
    hidden: Hidden,
}

fn row(req: Req, hidden: Hidden) -> Row {
    Row { req, hidden }
}

/// A user with both an AccessKey (PAI) and a full-scope token (Codeup, git).
struct Caller {
    id: String,
    pai: PaiClient,
    codeup: CodeupClient,
    token: String,
}

async fn caller(s: &TestServer, name: &str) -> Caller {
    let (id, pai) = s.user(name).await;
    let scopes = codeport_core::values::TokenScopes::parse("").expect("all scopes");
    let t = s.state.identities().create_token(name, None, &scopes).await.expect("create token");
    let token = t.token.expose().to_string();
    Caller { id, pai, codeup: CodeupClient::new(&s.base_url, Some(&token)), token }
}

/// Everything the rows address, made once by the actor.
struct Fixtures {
    org: String,
    /// The central-edition Codeup base, `/oapi/v1/codeup/organizations/{org}`.
    codeup: String,
    actor_id: String,
    actor_member_id: String,
    /// Plain organization members the member operations act on.
    joiner: String,
    leaver: String,
    roleholder: String,
    ws: String,
    doomed_ws: String,
    cs: String,
    publish_cs: String,
    doomed_cs: String,
    group: String,
    group_id: i64,
    doomed_group: String,
    repo: String,
    repo_path: String,
    doomed_repo: String,
    head: String,
}

fn ok(r: Reply, what: &str) -> Value {
    assert!((200..300).contains(&r.status), "fixture {what}: {} {}", r.status, r.text);
    r.json
}

async fn fixtures(s: &TestServer, actor: &Caller, peer: &Caller) -> Fixtures {
    let org = s.organization_id();
    let base = format!("/oapi/v1/codeup/organizations/{org}");
    let mut users = Vec::new();
    for name in ["joiner", "leaver", "roleholder"] {
        users.push(s.state.identities().create_user(name, None).await.expect("create user").id);
    }
    let [joiner, leaver, roleholder] = <[String; 3]>::try_from(users).expect("three users");

    // PAI: the actor's workspace is the organization's first, hence its default.
    let a = &actor.pai;
    let ws = a.create_workspace("authz_ws").await;
    let doomed_ws = a.create_workspace("authz_doomed").await;
    a.add_member(&ws, &peer.id, &["PAI.AlgoDeveloper"]).await;
    a.add_member(&ws, &leaver, &["PAI.AlgoDeveloper"]).await;
    a.add_member(&ws, &roleholder, &["PAI.AlgoDeveloper", "PAI.AlgoOperator"]).await;
    // An external CodeRepo (not probed) gives GetCodeSourceCheckoutCredential something to hand out.
    let cs = a
        .create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "main", "CodeRepo": "https://example.com/org/repo.git", "CodeBranch": "main"}))
        .await;
    let publish_cs = a.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "to publish"})).await;
    let doomed_cs = a.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "doomed"})).await;

    // Codeup: private groups and repositories of the actor.
    let c = &actor.codeup;
    let group = ok(c.post(&format!("{base}/groups"), &json!({"name": "Authz", "path": "authz", "visibility": "private"})).await, "group");
    let group_id = group["id"].as_i64().expect("group id");
    let group = group_id.to_string();
    let doomed = ok(c.post(&format!("{base}/groups"), &json!({"name": "Gone", "path": "authz-gone", "visibility": "private"})).await, "group");
    let doomed_group = doomed["id"].to_string();
    let new_repo = |path: &str, readme: &str| json!({"name": path, "path": path, "visibility": "private", "readMeType": readme});
    let r = ok(c.post(&format!("{base}/repositories"), &new_repo("authz/app", "USER_GUIDE")).await, "repository");
    let (repo, repo_path) = (r["id"].to_string(), r["pathWithNamespace"].as_str().expect("pathWithNamespace").to_string());
    let doomed_repo = ok(c.post(&format!("{base}/repositories"), &new_repo("authz/doomed", "EMPTY")).await, "repository")["id"].to_string();
    ok(c.post(&format!("{base}/groups/{group}/members?accessLevel=20&userId={roleholder},{leaver}"), &json!({})).await, "group members");
    let rp = format!("{base}/repositories/{repo}");
    let file = json!({"branch": "master", "filePath": "doomed.txt", "content": "doomed\n", "commitMessage": "add doomed.txt"});
    ok(c.post(&format!("{rp}/files"), &file).await, "file");
    for (what, path) in
        [("branch", "branches?branch=doomed&ref=master"), ("tag", "tags?tagName=v1&ref=master"), ("tag", "tags?tagName=doomed&ref=master")]
    {
        ok(c.post(&format!("{rp}/{path}"), &json!({})).await, what);
    }
    let head = ok(c.get(&format!("{rp}/branches/master")).await, "branch")["commit"]["id"].as_str().expect("head").to_string();
    let me = ok(c.get(&format!("/oapi/v1/platform/organizations/{org}/members:readByUser?userId={}", actor.id)).await, "member");
    let actor_member_id = me["id"].as_str().expect("member id").to_string();

    Fixtures {
        org,
        codeup: base,
        actor_id: actor.id.clone(),
        actor_member_id,
        joiner,
        leaver,
        roleholder,
        ws,
        doomed_ws,
        cs,
        publish_cs,
        doomed_cs,
        group,
        group_id,
        doomed_group,
        repo,
        repo_path,
        doomed_repo,
        head,
    }
}

/// The row of each operation. Exhaustive on purpose: no `_` arm.
fn row_of(op: Operation, f: &Fixtures) -> Row {
    use Method as M;
    let ws = |rest: &str| format!("/api/v1/workspaces/{}{rest}", f.ws);
    let member = |user: &str| format!("{}-{user}", f.ws);
    let cs = |id: &str, rest: &str| format!("/api/v1/codesources/{id}{rest}");
    let members = |rest: &str| format!("/oapi/v1/platform/organizations/{}/members{rest}", f.org);
    let group = |id: &str, rest: &str| format!("{}/groups/{id}{rest}", f.codeup);
    let repo = |rest: &str| format!("{}/repositories/{}{rest}", f.codeup, f.repo);
    let org_wide = "every member of the organization may call it; an organization the caller is not in is refused (403), not hidden";
    match op {
        Operation::CreateWorkspace => row(
            pai(M::POST, "/api/v1/workspaces").body(json!({"WorkspaceName": "authz_created", "Description": "x", "EnvTypes": ["prod"]})),
            NotApplicable("creates a workspace; it addresses none"),
        ),
        Operation::GetWorkspace => row(pai(M::GET, ws("")), By(Outsider, WS_NOT_FOUND)),
        Operation::ListWorkspaces => row(pai(M::GET, "/api/v1/workspaces"), NotApplicable("lists only the workspaces the caller may see")),
        Operation::UpdateWorkspace => row(pai(M::PUT, ws("")).body(json!({"Description": "changed"})), By(Outsider, WS_NOT_FOUND)),
        Operation::DeleteWorkspace => row(pai(M::DELETE, format!("/api/v1/workspaces/{}", f.doomed_ws)), By(Outsider, WS_NOT_FOUND)),
        Operation::GetDefaultWorkspace => row(pai(M::GET, "/api/v1/defaultWorkspaces"), By(Outsider, WS_NOT_FOUND)),
        Operation::CreateMember => row(
            pai(M::POST, ws("/members")).body(json!({"Members": [{"UserId": f.joiner, "Roles": ["PAI.AlgoDeveloper"]}]})),
            By(Outsider, WS_NOT_FOUND),
        ),
        Operation::ListMembers => row(pai(M::GET, ws("/members")), By(Outsider, WS_NOT_FOUND)),
        Operation::GetMember => row(pai(M::GET, ws("/member")).query("UserId", &f.actor_id), By(Outsider, WS_NOT_FOUND)),
        Operation::DeleteMembers => row(pai(M::DELETE, ws("/members")).query("MemberIds", &member(&f.leaver)), By(Outsider, WS_NOT_FOUND)),
        Operation::AddMemberRole => {
            row(pai(M::POST, ws(&format!("/members/{}/roles/PAI.LabelManager", member(&f.roleholder)))).body(json!({})), By(Outsider, WS_NOT_FOUND))
        }
        Operation::RemoveMemberRole => {
            row(pai(M::DELETE, ws(&format!("/members/{}/roles/PAI.AlgoOperator", member(&f.roleholder)))), By(Outsider, WS_NOT_FOUND))
        }
        Operation::CreateCodeSource => {
            row(pai(M::POST, "/api/v1/codesources").body(json!({"WorkspaceId": f.ws, "DisplayName": "created"})), By(Outsider, WS_NOT_FOUND))
        }
        Operation::ListCodeSources => row(pai(M::GET, "/api/v1/codesources").query("WorkspaceId", &f.ws), By(Outsider, WS_NOT_FOUND)),
        Operation::GetCodeSource => row(pai(M::GET, cs(&f.cs, "")), By(Peer, CS_NOT_FOUND)),
        Operation::UpdateCodeSource => row(pai(M::PUT, cs(&f.cs, "")).body(json!({"Description": "changed"})), By(Peer, CS_NOT_FOUND)),
        Operation::DeleteCodeSource => row(pai(M::DELETE, cs(&f.doomed_cs, "")), By(Peer, CS_NOT_FOUND)),
        Operation::PublishCodeSource => row(pai(M::PUT, cs(&f.publish_cs, "/publish")).body(json!({})), By(Peer, CS_NOT_FOUND)),
        Operation::GetCodeSourceCheckoutCredential => row(pai(M::POST, cs(&f.cs, "/checkoutcredential")).body(json!({})), By(Peer, CS_NOT_FOUND)),
        Operation::GetCurrentUser => row(codeup(M::GET, "/oapi/v1/platform/user"), NotApplicable("the caller's own user")),
        Operation::ListOrganizations => row(codeup(M::GET, "/oapi/v1/platform/organizations"), NotApplicable("the caller's own organizations")),
        Operation::ListOrganizationMembers => row(codeup(M::GET, members("")), NotApplicable(org_wide)),
        Operation::GetOrganizationMember => row(codeup(M::GET, members(&format!("/{}", f.actor_member_id))), NotApplicable(org_wide)),
        Operation::GetOrganizationMemberByUserId => {
            row(codeup(M::GET, members(&format!(":readByUser?userId={}", f.actor_id))), NotApplicable(org_wide))
        }
        Operation::SearchOrganizationMembers => row(codeup(M::POST, members(":search")).body(json!({"query": "actor"})), NotApplicable(org_wide)),
        Operation::CreateGroup => row(
            codeup(M::POST, format!("{}/groups", f.codeup)).body(json!({"name": "Created", "path": "authz-created"})),
            UnseenParent(Outsider, codeup(M::POST, format!("{}/groups", f.codeup)).body(json!({"name": "In", "path": "in", "parentId": f.group_id}))),
        ),
        Operation::GetNamespace => row(codeup(M::GET, format!("{}/namespaces/{}", f.codeup, f.group)), By(Outsider, NOT_FOUND)),
        Operation::ListNamespaces => {
            row(codeup(M::GET, format!("{}/namespaces", f.codeup)), NotApplicable("lists only the groups the caller may see"))
        }
        Operation::UpdateGroup => row(codeup(M::PUT, group(&f.group, "")).body(json!({"description": "changed"})), By(Outsider, NOT_FOUND)),
        Operation::DeleteGroup => row(codeup(M::DELETE, group(&f.doomed_group, "")), By(Outsider, NOT_FOUND)),
        Operation::ListGroupMembers => row(codeup(M::GET, group(&f.group, "/members")), By(Outsider, NOT_FOUND)),
        Operation::CreateGroupMember => {
            row(codeup(M::POST, group(&f.group, &format!("/members?accessLevel=30&userId={}", f.joiner))).body(json!({})), By(Outsider, NOT_FOUND))
        }
        Operation::UpdateGroupMember => {
            row(codeup(M::PUT, group(&f.group, &format!("/members/{}?accessLevel=30", f.roleholder))), By(Outsider, NOT_FOUND))
        }
        Operation::DeleteGroupMember => row(codeup(M::DELETE, group(&f.group, &format!("/members/{}", f.leaver))), By(Outsider, NOT_FOUND)),
        Operation::ListGroupRepositories => row(codeup(M::GET, group(&f.group, "/repositories")), By(Outsider, NOT_FOUND)),
        Operation::CreateRepository => row(
            codeup(M::POST, format!("{}/repositories", f.codeup)).body(json!({"name": "Fresh", "path": "authz-fresh", "readMeType": "EMPTY"})),
            UnseenParent(
                Outsider,
                codeup(M::POST, format!("{}/repositories?createParentPath=true", f.codeup)).body(json!({"name": "In", "path": "authz/in/in"})),
            ),
        ),
        Operation::GetRepository => row(codeup(M::GET, repo("")), By(Outsider, NOT_FOUND)),
        Operation::ListRepositories => {
            row(codeup(M::GET, format!("{}/repositories", f.codeup)), NotApplicable("lists only the repositories the caller may see"))
        }
        Operation::UpdateRepository => row(codeup(M::PUT, repo("")).body(json!({"description": "changed"})), By(Outsider, NOT_FOUND)),
        Operation::DeleteRepository => row(codeup(M::DELETE, format!("{}/repositories/{}", f.codeup, f.doomed_repo)), By(Outsider, NOT_FOUND)),
        Operation::ListBranches => row(codeup(M::GET, repo("/branches")), By(Outsider, NOT_FOUND)),
        Operation::GetBranch => row(codeup(M::GET, repo("/branches/master")), By(Outsider, NOT_FOUND)),
        Operation::CreateBranch => row(codeup(M::POST, repo("/branches?branch=created&ref=master")).body(json!({})), By(Outsider, NOT_FOUND)),
        Operation::DeleteBranch => row(codeup(M::DELETE, repo("/branches/doomed")), By(Outsider, NOT_FOUND)),
        Operation::ListTags => row(codeup(M::GET, repo("/tags")), By(Outsider, NOT_FOUND)),
        Operation::GetTag => row(codeup(M::GET, repo("/tags/v1")), By(Outsider, NOT_FOUND)),
        Operation::CreateTag => row(codeup(M::POST, repo("/tags?tagName=created&ref=master")).body(json!({})), By(Outsider, NOT_FOUND)),
        Operation::DeleteTag => row(codeup(M::DELETE, repo("/tags/doomed")), By(Outsider, NOT_FOUND)),
        Operation::ListFiles => row(codeup(M::GET, repo("/files/tree?ref=master")), By(Outsider, NOT_FOUND)),
        Operation::GetFileBlobs => row(codeup(M::GET, repo("/files/README.md?ref=master")), By(Outsider, NOT_FOUND)),
        Operation::CreateFile => row(
            codeup(M::POST, repo("/files")).body(json!({"branch": "master", "filePath": "created.txt", "content": "x\n", "commitMessage": "add"})),
            By(Outsider, NOT_FOUND),
        ),
        Operation::UpdateFile => row(
            codeup(M::PUT, repo("/files/README.md")).body(json!({"branch": "master", "content": "changed\n", "commitMessage": "update"})),
            By(Outsider, NOT_FOUND),
        ),
        Operation::DeleteFile => row(codeup(M::DELETE, repo("/files/doomed.txt?branch=master&commitMessage=remove")), By(Outsider, NOT_FOUND)),
        Operation::ListCommits => row(codeup(M::GET, repo("/commits?refName=master")), By(Outsider, NOT_FOUND)),
        Operation::GetCommit => row(codeup(M::GET, repo(&format!("/commits/{}", f.head))), By(Outsider, NOT_FOUND)),
        Operation::GetCompare => row(codeup(M::GET, repo("/compares?from=v1&to=master")), By(Outsider, NOT_FOUND)),
        Operation::GetRepositoryContent => row(Req::Git(f.repo_path.clone(), "git-upload-pack"), By(Outsider, NOT_FOUND)),
        Operation::PushRepository => row(Req::Git(f.repo_path.clone(), "git-receive-pack"), By(Outsider, NOT_FOUND)),
    }
}

/// Whether `path` is an instance of the route `template` (`{parameter}` matches one segment).
fn instance_of(path: &str, template: &str) -> bool {
    let (p, t): (Vec<_>, Vec<_>) = (path.split('/').collect(), template.split('/').collect());
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| if t.starts_with('{') && t.ends_with('}') { !p.is_empty() } else { p == t })
}

/// The row's request is the operation's own: its catalog method and path (or git service).
fn assert_is_route_of(op: Operation, req: &Req, org: &str) {
    let spec = op.spec();
    let (method, path) = match req {
        Req::Pai(m, p, ..) | Req::Codeup(m, p, _) => (m, p.split('?').next().unwrap_or_default()),
        Req::Git(_, service) => {
            let expected = if op == Operation::PushRepository { "git-receive-pack" } else { "git-upload-pack" };
            assert_eq!((spec.mount, *service), (Mount::Git, expected), "{op}");
            return;
        }
    };
    assert_eq!(method.as_str(), spec.method, "{op}");
    let routed = spec.mount.bases().iter().any(|b| instance_of(path, &format!("{}{}", b.replace("{organization_id}", org), spec.path)));
    assert!(routed, "{op}: {path} is not an instance of {}", spec.path);
}

struct Table<'a> {
    s: &'a TestServer,
    actor: Caller,
    outsider: Caller,
    peer: Caller,
}

impl Table<'_> {
    async fn send(&self, req: &Req, who: Who) -> Reply {
        let c = match who {
            Who::Actor => &self.actor,
            Outsider => &self.outsider,
            Peer => &self.peer,
        };
        match req {
            Req::Pai(method, path, query, body) => {
                let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
                c.pai.call(method.clone(), path, &query, body.as_ref()).await
            }
            Req::Codeup(method, path, body) => c.codeup.call(method.clone(), path, body.as_ref()).await,
            Req::Git(full_path, service) => {
                let url = format!("{}/{full_path}.git/info/refs?service={service}", self.s.base_url);
                let r = reqwest::Client::new().get(url).basic_auth("x", Some(&c.token)).send().await.expect("git request sent");
                let (status, headers) = (r.status().as_u16(), r.headers().clone());
                let text = r.text().await.unwrap_or_default();
                Reply { status, headers, json: Value::Null, text }
            }
        }
    }

    /// Sends `req` as the actor with `AdministratorAccess` replaced by a policy that allows
    /// everything but explicitly denies `op`'s action; restores `AdministratorAccess` after.
    async fn send_denied(&self, op: Operation, req: &Req) -> Reply {
        let (st, user) = (&self.s.state, "actor");
        let policy = format!("deny-{op}");
        let document = json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": op.action(), "Resource": "*"}
        ]});
        st.policies().create_policy(&policy, "authorization table", &document.to_string()).await.unwrap_or_else(|e| panic!("create {policy}: {e}"));
        st.policies().detach_policy(user, "AdministratorAccess").await.expect("detach AdministratorAccess");
        st.policies().attach_policy(user, &policy).await.unwrap_or_else(|e| panic!("attach {policy}: {e}"));
        let r = self.send(req, Who::Actor).await;
        st.policies().detach_policy(user, &policy).await.unwrap_or_else(|e| panic!("detach {policy}: {e}"));
        st.policies().attach_policy(user, "AdministratorAccess").await.expect("attach AdministratorAccess");
        r
    }
}

/// RAM's explicit deny of `op`, in the format of the request's family.
fn assert_denied(op: Operation, req: &Req, r: &Reply, f: &Fixtures) {
    let action = op.action();
    assert_eq!(r.status, 403, "{op} denied: {}", r.text);
    match req {
        Req::Pai(..) => {
            assert_eq!(r.code(), "NoPermission", "{op} denied: {}", r.text);
            assert!(r.json["RequestId"].as_str().is_some_and(|id| !id.is_empty()), "{op} denied: {}", r.text);
            assert_eq!(r.json["Message"], "You are not authorized to do this action. You should be authorized by RAM.", "{op} denied");
            let d = &r.json["AccessDeniedDetail"];
            assert_eq!(d["AuthAction"], action, "{op} denied: {}", r.text);
            assert_eq!(d["NoPermissionType"], "ExplicitDeny", "{op} denied: {}", r.text);
            assert_eq!(d["PolicyType"], "AccountLevelIdentityBasedPolicy", "{op} denied: {}", r.text);
            assert_eq!(d["AuthPrincipalType"], "SubUser", "{op} denied: {}", r.text);
            assert_eq!(
                (d["AuthPrincipalOwnerId"].as_str(), d["AuthPrincipalDisplayName"].as_str()),
                (Some(&*f.org), Some(&*f.actor_id)),
                "{op} denied"
            );
        }
        Req::Codeup(..) => {
            assert_eq!(r.error_code(), "Forbidden", "{op} denied: {}", r.text);
            assert_eq!(r.header("content-type"), "application/json", "{op} denied");
            let message = r.json["errorMessage"].as_str().unwrap_or_default();
            assert!(message.contains(action) && message.ends_with("(explicit deny)"), "{op} denied: {message}");
            assert!(r.json["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{op} denied: {}", r.text);
        }
        Req::Git(..) => assert!(r.text.contains(action) && r.text.contains("(explicit deny)"), "{op} denied: {}", r.text),
    }
}

/// The family's not-found answer, with no trace of RAM.
fn assert_hidden(op: Operation, req: &Req, r: &Reply, code: &str) {
    assert_eq!(r.status, 404, "{op} hidden: {}", r.text);
    match req {
        Req::Pai(..) => {
            assert_eq!(r.code(), code, "{op} hidden: {}", r.text);
            assert!(r.json.get("AccessDeniedDetail").is_none(), "{op} hidden: {}", r.text);
        }
        Req::Codeup(..) => {
            assert_eq!(r.error_code(), code, "{op} hidden: {}", r.text);
            assert_eq!(r.header("content-type"), "application/json", "{op} hidden");
        }
        Req::Git(..) => assert!(!r.text.contains(op.action()), "{op} hidden: {}", r.text),
    }
}

async fn every_operation_is_allowed_denied_by_its_own_action_and_hidden(s: TestServer) {
    let started = std::time::Instant::now();
    let t = Table { actor: caller(&s, "actor").await, outsider: caller(&s, "outsider").await, peer: caller(&s, "peer").await, s: &s };
    let f = fixtures(&s, &t.actor, &t.peer).await;
    let mut ran = 0;
    let mut not_applicable = Vec::new();
    for &op in Operation::ALL {
        let Row { req, hidden } = row_of(op, &f);
        assert_is_route_of(op, &req, &f.org);
        match hidden {
            By(who, code) => assert_hidden(op, &req, &t.send(&req, who).await, code),
            UnseenParent(who, req) => {
                assert_is_route_of(op, &req, &f.org);
                let r = t.send(&req, who).await;
                assert_eq!((r.status, r.error_code()), (400, "BadRequest"), "{op} under an unseen parent: {}", r.text);
                let message = r.json["errorMessage"].as_str().unwrap_or_default();
                assert!(message.ends_with("does not exist") && !message.contains(op.action()), "{op} under an unseen parent: {message}");
            }
            NotApplicable(why) => not_applicable.push(format!("{op}: {why}")),
        }
        assert_denied(op, &req, &t.send_denied(op, &req).await, &f);
        let r = t.send(&req, Who::Actor).await;
        assert!((200..300).contains(&r.status), "{op} allowed: {} {}", r.status, r.text);
        if let Req::Git(_, service) = &req {
            assert_eq!(r.header("content-type"), format!("application/x-{service}-advertisement"), "{op} allowed");
        }
        ran += 1;
    }
    assert_eq!(ran, Operation::ALL.len(), "one row per catalog operation");
    eprintln!("{ran} operations in {:?}; hidden not applicable to:\n  {}", started.elapsed(), not_applicable.join("\n  "));
}

both_backends!(every_operation_is_allowed_denied_by_its_own_action_and_hidden);
