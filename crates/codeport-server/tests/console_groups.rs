//! The console's organization root and group pages over real HTTP: what they list (groups,
//! repositories, members with Codeup's level names), who sees what (a private group is the
//! same 404 as an unknown path), escaping, the API's group webUrl opening its page, and the
//! "New subgroup"/"New repository" forms (CSRF, validation, the service's level rules).

use codeport_testkit::{Backend, CodeupClient, TestServer};
use serde_json::{json, Value};

async fn server() -> TestServer {
    TestServer::start(Backend::Sqlite).await.expect("server")
}

fn central(s: &TestServer) -> String {
    format!("/oapi/v1/codeup/organizations/{}", s.organization_id())
}

async fn group(s: &TestServer, c: &CodeupClient, body: Value) -> Value {
    let r = c.post(&format!("{}/groups", central(s)), &body).await;
    assert_eq!(r.status, 200, "create group {body}: {}", r.text);
    r.json
}

async fn repository(s: &TestServer, c: &CodeupClient, body: Value) -> Value {
    let r = c.post(&format!("{}/repositories", central(s)), &body).await;
    assert_eq!(r.status, 200, "create repository {body}: {}", r.text);
    r.json
}

/// The path of an absolute webUrl on this server.
fn path_of(s: &TestServer, web_url: &Value) -> String {
    let url = web_url.as_str().expect("webUrl");
    url.strip_prefix(&s.base_url).unwrap_or_else(|| panic!("{url} is not on {}", s.base_url)).to_string()
}

async fn add_member(s: &TestServer, c: &CodeupClient, group_id: &Value, user_id: &str, level: u32) {
    let r = c.post(&format!("{}/groups/{group_id}/members?accessLevel={level}&userId={user_id}", central(s)), &json!({})).await;
    assert_eq!(r.status, 200, "add member: {}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_org_and_group_pages_list_groups_repositories_and_members() {
    let s = server().await;
    let org = s.organization_id();
    let api = s.admin_token();
    let platform = group(&s, &api, json!({"name": "Platform", "path": "platform", "visibility": "internal", "description": "shared services"})).await;
    group(&s, &api, json!({"name": "Backend", "path": "backend", "parentId": platform["id"], "visibility": "internal"})).await;
    repository(&s, &api, json!({"name": "Tools", "path": "tools", "visibility": "internal", "description": "little helpers"})).await;
    repository(&s, &api, json!({"name": "Api", "path": "platform/gateway"})).await;
    let (bob_id, _) = s.user("bob").await;
    add_member(&s, &api, &platform["id"], &bob_id, 30).await;

    let c = s.console("admin").await;
    let root = c.get(&format!("/{org}")).await;
    assert_eq!(root.status, 200, "{}", root.body);
    assert!(root.body.contains(&format!("href=\"/{org}/platform\"")), "{}", root.body);
    assert!(root.body.contains(&format!("href=\"/{org}/tools\"")), "{}", root.body);
    assert!(root.body.contains("little helpers") && root.body.contains("shared services"));
    assert!(!root.body.contains(&format!("href=\"/{org}/platform/gateway\"")), "only the root's own repositories");
    assert!(root.body.contains(&format!("action=\"/{org}/-/new-group\"")) && root.body.contains(&format!("action=\"/{org}/-/new-repository\"")));
    assert!(root.body.contains("badge internal"));

    // The group page, reached at the webUrl the API returned.
    let page = c.get(&path_of(&s, &platform["webUrl"])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/{org}\"")), "breadcrumb to the organization");
    assert!(page.body.contains(&format!("href=\"/{org}/platform/backend\"")), "the subgroup");
    assert!(page.body.contains(&format!("href=\"/{org}/platform/gateway\"")), "the repository");
    assert!(page.body.contains("bob") && page.body.contains("Developer"), "members with Codeup's level names: {}", page.body);
    assert!(page.body.contains("Admin"), "the creator is the group's admin");
    assert!(page.body.contains("New subgroup") && page.body.contains("New repository"));

    // A subgroup's page names where inherited members come from.
    let backend = c.get(&format!("/{org}/platform/backend")).await;
    assert_eq!(backend.status, 200);
    assert!(backend.body.contains(&format!("href=\"/{org}/platform\"")), "breadcrumb to the parent");
    assert!(backend.body.contains("bob"), "members of an ancestor are members here");

    // A developer of the group may add repositories but not subgroups.
    let b = s.console("bob").await;
    let seen = b.get(&format!("/{org}/platform")).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.contains("New repository") && !seen.body.contains("New subgroup"), "{}", seen.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_group_is_the_same_not_found_as_an_unknown_path() {
    let s = server().await;
    let org = s.organization_id();
    let api = s.admin_token();
    let secret = group(&s, &api, json!({"name": "Secret", "path": "secret", "description": "hidden"})).await;
    repository(&s, &api, json!({"name": "Vault", "path": "secret/vault", "readMeType": "EMPTY"})).await;
    s.user("bob").await;
    let b = s.console("bob").await;
    let unknown = b.get(&format!("/{org}/no-such-group")).await;
    assert_eq!(unknown.status, 404);
    let hidden = b.get(&path_of(&s, &secret["webUrl"])).await;
    assert_eq!((hidden.status, &hidden.body), (404, &unknown.body), "no existence leak");
    let hidden = b.get(&format!("/{org}/secret/vault/-/commits/master")).await;
    assert_eq!((hidden.status, &hidden.body), (404, &unknown.body));
    let root = b.get(&format!("/{org}")).await;
    assert_eq!(root.status, 200);
    assert!(!root.body.contains(&format!("/{org}/secret")) && !root.body.contains("Secret"), "the root does not list it: {}", root.body);
    // Nor can bob create in it.
    let post = b.post_form(&format!("/{org}/secret/-/new-group"), &[("name", "X"), ("path", "x")]).await;
    assert_eq!((post.status, &post.body), (404, &unknown.body));

    let c = s.console("admin").await;
    assert_eq!(c.get(&path_of(&s, &secret["webUrl"])).await.status, 200);
    assert!(c.get(&format!("/{org}")).await.body.contains("badge private"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptions_and_names_are_escaped() {
    let s = server().await;
    let org = s.organization_id();
    let api = s.admin_token();
    let xss = "<img src=x onerror=alert(1)>";
    group(&s, &api, json!({"name": format!("G {xss}"), "path": "xss", "description": xss})).await;
    repository(&s, &api, json!({"name": "R", "path": "xss/r", "description": xss})).await;
    let c = s.console("admin").await;
    for path in [format!("/{org}"), format!("/{org}/xss")] {
        let page = c.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"), "{}", page.body);
        assert!(!page.body.contains("<img"), "raw markup in {path}: {}", page.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forms_create_subgroups_and_repositories() {
    let s = server().await;
    let org = s.organization_id();
    let api = s.admin_token();
    group(&s, &api, json!({"name": "Platform", "path": "platform", "visibility": "internal"})).await;
    let c = s.console("admin").await;

    let made = c.post_form(&format!("/{org}/platform/-/new-group"), &[("name", "Made Here"), ("path", "made"), ("visibility", "private")]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(made.location(), format!("/{org}/platform/made"));
    let page = c.get(made.location()).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Made Here") && page.body.contains("badge private"));
    assert!(c.get(&format!("/{org}/platform")).await.body.contains(&format!("href=\"/{org}/platform/made\"")));

    let repo = c
        .post_form(&format!("/{org}/platform/-/new-repository"), &[("name", "Service"), ("path", "service"), ("description", "d"), ("readme", "on")])
        .await;
    assert_eq!(repo.status, 303, "{}", repo.body);
    assert_eq!(repo.location(), format!("/{org}/platform/service"));
    assert!(c.get(&format!("/{org}/platform")).await.body.contains(&format!("href=\"/{org}/platform/service\"")));
    let commits = c.get(&format!("/{org}/platform/service/-/commits/master")).await;
    assert_eq!(commits.status, 200);
    assert!(commits.body.contains("Initial commit"), "the README was committed: {}", commits.body);

    // A top-level group from the organization root.
    let top = c.post_form(&format!("/{org}/-/new-group"), &[("name", "Top"), ("path", "top")]).await;
    assert_eq!((top.status, top.location()), (303, format!("/{org}/top").as_str()));

    // Without the token: 403 and nothing made.
    let forged = c.post_raw(&format!("/{org}/platform/-/new-group"), "name=Forged&path=forged").await;
    assert_eq!(forged.status, 403);
    let forged = c.post_raw(&format!("/{org}/platform/-/new-repository"), "csrf=wrong&name=F&path=forgedrepo").await;
    assert_eq!(forged.status, 403);
    assert_eq!(c.get(&format!("/{org}/platform/forged")).await.status, 404);
    let listed = c.get(&format!("/{org}/platform")).await.body;
    assert!(!listed.contains("forged"), "{listed}");

    // Invalid input: 400 with the reason, nothing made.
    let bad = c.post_form(&format!("/{org}/platform/-/new-group"), &[("name", "Bad"), ("path", "bad path!")]).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("may contain only letters"), "{}", bad.body);
    let bad = c.post_form(&format!("/{org}/platform/-/new-repository"), &[("name", "Pub"), ("path", "pub"), ("visibility", "public")]).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("private or internal"), "{}", bad.body);
    let dup = c.post_form(&format!("/{org}/platform/-/new-group"), &[("name", "Again"), ("path", "made")]).await;
    assert_eq!(dup.status, 400, "{}", dup.body);

    // A viewer of the group is refused by the service, readably.
    let (bob_id, _) = s.user("bob").await;
    let platform = api.get(&format!("{}/namespaces/{org}%2Fplatform", central(&s))).await.json;
    add_member(&s, &api, &platform["id"], &bob_id, 20).await;
    let b = s.console("bob").await;
    let refused = b.post_form(&format!("/{org}/platform/-/new-repository"), &[("name", "Nope"), ("path", "nope")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let page = b.get(&format!("/{org}/platform")).await;
    assert!(!page.body.contains("New repository") && !page.body.contains("New subgroup"), "a viewer is offered neither form");
}
