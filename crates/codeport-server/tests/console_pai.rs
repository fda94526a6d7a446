//! The console's PAI pages over real HTTP: the workspace list and page (what the API would
//! show, and nothing of a workspace the viewer may not see), the "New code source" form
//! against a repository hosted here (with the real git client), the branch and commit
//! pickers, and the security properties (CSRF, escaping, no stored token in any page).

use codeport_testkit::console::ConsoleClient;
use codeport_testkit::git::Scratch;
use codeport_testkit::{Backend, TestServer};
use serde_json::{json, Value};

const XSS: &str = "<img src=x onerror=alert(1)>";
const XSS_ESCAPED: &str = "&lt;img src=x onerror=alert(1)&gt;";

async fn server() -> TestServer {
    TestServer::start(Backend::Sqlite).await.expect("server")
}

fn central(s: &TestServer) -> String {
    format!("/oapi/v1/codeup/organizations/{}", s.organization_id())
}

/// A private hosted repository at `path` with a README commit and a second commit on master,
/// and a branch `dev`; returns (full path, first commit, second commit).
async fn hosted_repo(s: &TestServer, x: &Scratch, path: &str) -> (String, String, String) {
    let c = s.admin_token();
    let name = path.rsplit('/').next().unwrap();
    let body = json!({"name": name, "path": path, "visibility": "private", "readMeType": "USER_GUIDE"});
    let r = c.post(&format!("{}/repositories?createParentPath=true", central(s)), &body).await;
    assert_eq!(r.status, 200, "create repository: {}", r.text);
    let fp = r.json["pathWithNamespace"].as_str().unwrap().to_string();
    let url = format!("http://x:{}@{}/{fp}.git", c.token.clone().unwrap(), s.endpoint);
    let work = x.path("work");
    x.ok(x.dir.path(), &["clone", &url, work.to_str().unwrap()]).await;
    let first = x.ok(&work, &["rev-parse", "HEAD"]).await;
    x.write(&work, "train.py", b"print('second')\n");
    x.ok(&work, &["add", "."]).await;
    x.ok(&work, &["commit", "-m", "second"]).await;
    x.ok(&work, &["push", "origin", "master", "master:dev"]).await;
    let second = x.ok(&work, &["rev-parse", "HEAD"]).await;
    (fp, first, second)
}

fn clone_url(s: &TestServer, fp: &str) -> String {
    format!("{}/{fp}.git", s.base_url)
}

async fn code_source_count(s: &TestServer, ws: &str) -> u64 {
    let r = s.admin().get("/api/v1/codesources", &[("WorkspaceId", ws)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["TotalCount"].as_u64().unwrap()
}

fn picker(url: &str, what: &str, extra: &str) -> String {
    let q = codeport_testkit::form_encode(&[("what", what), ("repository", url)]);
    format!("/pai/-/picker?{q}{extra}")
}

async fn picker_values(c: &ConsoleClient, path: &str) -> (u16, Vec<String>) {
    let p = c.get(path).await;
    let v: Value = serde_json::from_str(&p.body).unwrap_or_else(|_| panic!("JSON from {path}: {}", p.body));
    let values = v.as_array().expect("an array").iter().map(|i| i["value"].as_str().unwrap().to_string()).collect();
    (p.status, values)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_are_listed_and_shown_to_members_and_admins_only() {
    let s = server().await;
    let a = s.admin();
    let ws = a.create_workspace("vision").await;
    let r = a.post("/api/v1/workspaces", &json!({"WorkspaceName": "tricky", "Description": XSS, "EnvTypes": ["prod"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tricky = r.json["WorkspaceId"].as_str().unwrap().to_string();
    let (bob_id, _) = s.user("bob").await;
    a.add_member(&ws, &bob_id, &["PAI.AlgoDeveloper"]).await;
    s.user("carol").await;
    let cs = a
        .create_code_source(
            &json!({"WorkspaceId": ws, "DisplayName": "detector", "CodeRepo": "https://example.com/team/detector.git", "CodeBranch": "main"}),
        )
        .await;

    let admin = s.console("admin").await;
    let list = admin.get("/pai/workspaces").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&format!(r#"<a href="/pai/workspaces/{ws}">vision</a>"#)), "{}", list.body);
    assert!(list.body.contains(&format!(r#"href="/pai/workspaces/{tricky}""#)));
    assert!(list.body.contains(XSS_ESCAPED) && !list.body.contains(XSS), "descriptions are escaped");

    let page = admin.get(&format!("/pai/workspaces/{ws}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>vision"), "{}", page.body);
    assert!(page.body.contains("bob") && page.body.contains("PAI.AlgoDeveloper"), "members with roles");
    assert!(page.body.contains("admin") && page.body.contains("PAI.WorkspaceOwner"));
    assert!(page.body.contains(&format!(r#"<a href="/pai/workspaces/{ws}/codesources/{cs}">detector</a>"#)), "{}", page.body);
    assert!(page.body.contains("https://example.com/team/detector.git") && page.body.contains("main"));
    assert!(page.body.contains(&format!(r#"href="/pai/workspaces/{ws}/codesources/new""#)));
    let escaped = admin.get(&format!("/pai/workspaces/{tricky}")).await;
    assert!(escaped.body.contains(XSS_ESCAPED) && !escaped.body.contains(XSS));

    // A member sees their workspace but not the other one.
    let bob = s.console("bob").await;
    let list = bob.get("/pai/workspaces").await;
    assert!(list.body.contains(&format!("/pai/workspaces/{ws}\"")) && !list.body.contains(&tricky), "{}", list.body);
    assert_eq!(bob.get(&format!("/pai/workspaces/{tricky}")).await.status, 404);

    // A non-member: the same 404 as for an id that does not exist, and no trace in the list.
    let carol = s.console("carol").await;
    let list = carol.get("/pai/workspaces").await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&ws) && !list.body.contains("vision"), "{}", list.body);
    let hidden = carol.get(&format!("/pai/workspaces/{ws}")).await;
    let unknown = carol.get("/pai/workspaces/999999999").await;
    assert_eq!((hidden.status, unknown.status), (404, 404));
    assert_eq!(hidden.body, unknown.body);
    assert_eq!(carol.get(&format!("/pai/workspaces/{ws}/codesources/{cs}")).await.status, 404);
    assert_eq!(carol.get(&format!("/pai/workspaces/{ws}/codesources/new")).await.status, 404);
    // A code source under another workspace's URL is not there either.
    assert_eq!(admin.get(&format!("/pai/workspaces/{tricky}/codesources/{cs}")).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_source_created_from_the_form_is_pinned_to_a_hosted_commit() {
    let s = server().await;
    let x = Scratch::new();
    let (fp, first, _second) = hosted_repo(&s, &x, "team/app").await;
    let a = s.admin();
    let ws = a.create_workspace("training").await;
    let url = clone_url(&s, &fp);
    let c = s.console("admin").await;

    let form = c.get(&format!("/pai/workspaces/{ws}/codesources/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    for (id, label) in [
        ("cs-display-name", "Display name"),
        ("cs-repository", "Repository"),
        ("cs-branch", "Branch"),
        ("cs-commit", "Commit"),
        ("cs-mount-path", "Mount path"),
        ("cs-accessibility", "Accessibility"),
    ] {
        assert!(form.body.contains(&format!(r#"<label for="{id}">{label}</label>"#)), "label {label}: {}", form.body);
        assert!(form.body.contains(&format!(r#"id="{id}""#)));
    }
    assert!(form.body.contains(">Create</button>"));
    assert!(form.body.contains(&format!(r#"<option value="{url}">"#)), "the hosted repository is offered: {}", form.body);

    let done = c
        .post_form(
            &format!("/pai/workspaces/{ws}/codesources"),
            &[
                ("DisplayName", "app pinned"),
                ("Description", ""),
                ("CodeRepo", &url),
                ("CodeBranch", "master"),
                ("CodeCommit", &first[..10]),
                ("MountPath", "/root/code/app/"),
                ("Accessibility", "PUBLIC"),
                ("CodeRepoUserName", ""),
                ("CodeRepoAccessToken", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let prefix = format!("/pai/workspaces/{ws}/codesources/");
    let id = done.location().strip_prefix(&prefix).unwrap_or_else(|| panic!("redirect to {}", done.location())).to_string();

    let page = c.get(done.location()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&url) && page.body.contains("master") && page.body.contains(&first), "{}", page.body);
    assert!(page.body.contains(&format!(r#"<pre class="command">codeport checkout {id}</pre>"#)), "{}", page.body);
    assert!(page.body.contains("/root/code/app/") && page.body.contains("PUBLIC"));

    let got = a.get(&format!("/api/v1/codesources/{id}"), &[]).await;
    assert_eq!(got.status, 200, "{}", got.text);
    let j = &got.json;
    assert_eq!(j["WorkspaceId"], ws.as_str());
    assert_eq!(j["DisplayName"], "app pinned");
    assert_eq!(j["CodeRepo"], url.as_str());
    assert_eq!(j["CodeBranch"], "master");
    assert_eq!(j["CodeCommit"], first.as_str(), "the prefix is stored as the full id");
    assert_eq!(j["MountPath"], "/root/code/app/");
    assert_eq!(j["Accessibility"], "PUBLIC");
    assert_eq!(j["UserId"], s.admin_id().as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_refuses_posts_without_the_token_and_shows_input_errors() {
    let s = server().await;
    let ws = s.admin().create_workspace("forms").await;
    let c = s.console("admin").await;
    let path = format!("/pai/workspaces/{ws}/codesources");

    let body = codeport_testkit::form_encode(&[("DisplayName", "no token"), ("CodeRepo", "https://example.com/a/b.git")]);
    assert_eq!(c.post_raw(&path, &body).await.status, 403);
    assert_eq!(code_source_count(&s, &ws).await, 0, "nothing was created");

    let bad = c
        .post_form(
            &path,
            &[
                ("DisplayName", "kept <name>"),
                ("CodeRepo", "https://example.com/a/b.git"),
                ("MountPath", "relative/dir"),
                ("CodeRepoAccessToken", "tok-form-secret"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("MountPath is invalid: it must be an absolute path starting with /"), "{}", bad.body);
    assert!(bad.body.contains(r#"value="kept &lt;name&gt;""#), "the entered values stay: {}", bad.body);
    assert!(bad.body.contains(r#"value="https://example.com/a/b.git""#));
    assert!(!bad.body.contains("tok-form-secret"), "a typed token is not sent back");
    assert_eq!(code_source_count(&s, &ws).await, 0);

    let missing = c.post_form(&path, &[("DisplayName", "")]).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("DisplayName"), "{}", missing.body);

    // An unknown workspace is the not-found page, not a form.
    assert_eq!(c.post_form("/pai/workspaces/999999999/codesources", &[("DisplayName", "x")]).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_shows_a_stored_repository_token() {
    let s = server().await;
    let a = s.admin();
    let ws = a.create_workspace("secrets").await;
    let id = a
        .create_code_source(&json!({
            "WorkspaceId": ws, "DisplayName": "external", "CodeRepo": "https://example.com/team/private.git",
            "CodeRepoUserName": "robot", "CodeRepoAccessToken": "tok-secret-XYZ", "Accessibility": "PUBLIC",
        }))
        .await;
    // The API gives it to its creator; the pages never do, not even to them.
    assert_eq!(a.get(&format!("/api/v1/codesources/{id}"), &[]).await.json["CodeRepoAccessToken"], "tok-secret-XYZ");
    let (bob_id, _) = s.user("bob").await;
    a.add_member(&ws, &bob_id, &["PAI.AlgoDeveloper"]).await;
    for user in ["admin", "bob"] {
        let c = s.console(user).await;
        for path in [format!("/pai/workspaces/{ws}"), format!("/pai/workspaces/{ws}/codesources/{id}"), "/pai/workspaces".to_string()] {
            let p = c.get(&path).await;
            assert_eq!(p.status, 200, "{user} {path}: {}", p.body);
            assert!(!p.body.contains("tok-secret-XYZ"), "{user} sees the token at {path}");
        }
        let page = c.get(&format!("/pai/workspaces/{ws}/codesources/{id}")).await;
        assert!(page.body.contains("A token is stored.") && page.body.contains("robot"), "{}", page.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pickers_list_what_the_viewer_may_read_and_nothing_else() {
    let s = server().await;
    let x = Scratch::new();
    let (fp, first, second) = hosted_repo(&s, &x, "team/models").await;
    let url = clone_url(&s, &fp);
    let admin = s.console("admin").await;

    let (status, branches) = picker_values(&admin, &picker(&url, "branches", "")).await;
    assert_eq!(status, 200);
    let mut sorted = branches.clone();
    sorted.sort();
    assert_eq!(sorted, ["dev", "master"]);
    let (status, commits) = picker_values(&admin, &picker(&url, "commits", "&branch=master")).await;
    assert_eq!(status, 200);
    assert_eq!(commits, [second.clone(), first.clone()], "newest first");
    let labels = admin.get(&picker(&url, "commits", "&branch=master")).await.body;
    assert!(labels.contains(&format!("{} second", &second[..8])), "{labels}");
    // The default branch when none is given.
    assert_eq!(picker_values(&admin, &picker(&url, "commits", "")).await.1.len(), 2);

    // An organization member who may not read the private repository gets what an unknown
    // repository gets: 404 and nothing.
    let (bob_id, _) = s.user("bob").await;
    let bob = s.console("bob").await;
    let hidden = bob.get(&picker(&url, "branches", "")).await;
    let unknown = bob.get(&picker(&clone_url(&s, &format!("{}/team/none", s.organization_id())), "branches", "")).await;
    assert_eq!((hidden.status, hidden.body.as_str()), (404, "[]"));
    assert_eq!((unknown.status, unknown.body.as_str()), (404, "[]"));
    assert_eq!(bob.get(&picker(&url, "commits", "&branch=master")).await.body, "[]");
    // Nor is the repository offered in bob's form, while the admin's offers it.
    let ws = s.admin().create_workspace("shared").await;
    s.admin().add_member(&ws, &bob_id, &["PAI.AlgoDeveloper"]).await;
    let form = bob.get(&format!("/pai/workspaces/{ws}/codesources/new")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(!form.body.contains(&url) && form.body.contains(r#"data-picker="/pai/-/picker""#), "{}", form.body);
    assert!(admin.get(&format!("/pai/workspaces/{ws}/codesources/new")).await.body.contains(&url));
    // An external URL has no picker.
    assert_eq!(admin.get(&picker("https://example.com/a/b.git", "branches", "")).await.status, 404);
}
