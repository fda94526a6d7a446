//! The console decides with the API's authorization, RAM included: a page or a form is
//! refused exactly where the same user's API call would be.

use codeport_testkit::{Backend, CodeupClient, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ram_policies_decide_console_pages_and_forms_as_they_decide_the_api() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let org = s.organization_id();
    let api = CodeupClient::new(&s.base_url, s.bootstrap["personalAccessToken"].as_str());
    let central = format!("/oapi/v1/codeup/organizations/{org}");
    let group = api.post(&format!("{central}/groups"), &json!({"name": "Team", "path": "team", "visibility": "internal"})).await;
    assert_eq!(group.status, 200, "{}", group.text);
    let body = json!({"name": "shared", "path": "team/shared", "visibility": "internal", "readMeType": "EMPTY"});
    let created = api.post(&format!("{central}/repositories?createParentPath=true"), &body).await;
    assert_eq!(created.status, 200, "{}", created.text);

    // bob reads everything and writes nothing.
    s.user("bob").await;
    s.state.policies().detach_policy("bob", "AdministratorAccess").await.unwrap();
    s.state.policies().attach_policy("bob", "ReadOnlyAccess").await.unwrap();
    let bob = s.console("bob").await;
    assert_eq!(bob.get(&format!("/{org}/team/shared")).await.status, 200, "reading is allowed");
    let refused = bob.post_form(&format!("/{org}/-/new-group"), &[("name", "Mine"), ("path", "mine"), ("visibility", "private")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("codeup:CreateGroup"), "the page names the denied action: {}", refused.body);
    let mine = api.get(&format!("{central}/namespaces/{org}%2Fmine")).await;
    assert_eq!(mine.status, 404, "nothing was created");

    // An explicit Deny on one read closes that page and only that page.
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"codeup:GetRepository","Resource":"*"}]}"#;
    s.state.policies().create_policy("no-repository-pages", "deny GetRepository", deny).await.unwrap();
    s.state.policies().attach_policy("bob", "no-repository-pages").await.unwrap();
    let denied = bob.get(&format!("/{org}/team/shared")).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert!(denied.body.contains("codeup:GetRepository"));
    assert_eq!(bob.get(&format!("/{org}/team")).await.status, 200, "the group page is another action");
}
