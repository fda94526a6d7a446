//! The Yunxiao platform API over real HTTP, in both editions: token authentication with the
//! official error codes, the current user, the user's organizations, organization members
//! (list, get, by user, search) with paging headers, scopes, and bodies without nulls.

use codeport_testkit::{assert_no_nulls, both_backends, CodeupClient, TestServer};
use serde_json::json;

fn assert_codeup_error(r: &codeport_testkit::Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.error_code()), (status, code), "{}", r.text);
    assert!(r.header("content-type").starts_with("application/json"), "errors are JSON with a JSON content type");
    assert!(r.json["errorMessage"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(r.json["requestId"], r.header("x-acs-request-id"));
}

async fn tokens_are_required_and_checked(s: TestServer) {
    let anonymous = CodeupClient::new(&s.base_url, None);
    assert_codeup_error(&anonymous.get("/oapi/v1/platform/user").await, 401, "Unauthorized");
    let bogus = CodeupClient::new(&s.base_url, Some("pt-notarealtoken"));
    assert_codeup_error(&bogus.get("/oapi/v1/platform/user").await, 401, "InvalidTokenError");

    let (_, alice) = s.token_user("alice", "").await;
    assert_eq!(alice.get("/oapi/v1/platform/user").await.status, 200);
    let tokens = s.state.identities().list_tokens("alice").await.unwrap();
    s.state.identities().revoke_token(&tokens[0].id).await.unwrap();
    assert_codeup_error(&alice.get("/oapi/v1/platform/user").await, 401, "InvalidTokenError");

    let t = s.state.identities().create_token("alice", Some(1), &Default::default()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let expired = CodeupClient::new(&s.base_url, Some(t.token.expose()));
    assert_codeup_error(&expired.get("/oapi/v1/platform/user").await, 401, "ExpiredTokenError");

    let r = s.admin_token().get("/oapi/v1/codeup/nothing-here").await;
    assert_codeup_error(&r, 404, "NotFound");
}

/// Route-level errors under `/oapi/` (no route, a wrong method) answer in Codeup's body, not
/// PAI's: the official client reads `errorMessage` and nothing else.
async fn route_errors_answer_in_the_codeup_body(s: TestServer) {
    let c = s.admin_token();
    let r = c.call(reqwest::Method::PATCH, "/oapi/v1/codeup/repositories", None).await;
    assert_codeup_error(&r, 405, "MethodNotAllowed");
    let allow = r.header("allow").to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "405 names the allowed methods: {allow:?}");
    assert!(r.json.get("Code").is_none(), "no PAI fields: {}", r.text);
    let r = CodeupClient::new(&s.base_url, None).get("/oapi/v1/nothing-here").await;
    assert_codeup_error(&r, 404, "NotFound");
}

async fn the_current_user_and_their_organizations(s: TestServer) {
    let r = s.admin_token().get("/oapi/v1/platform/user").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").starts_with("application/json"));
    assert_no_nulls(&r.json, "user");
    let u = &r.json;
    assert_eq!(u["id"], s.admin_id().as_str());
    assert_eq!(u["username"], "admin");
    assert_eq!(u["lastOrganization"], s.organization_id().as_str(), "lastOrganization is the default organization");
    for k in ["name", "email", "nickName", "createdAt"] {
        assert!(u[k].is_string(), "user.{k} is a string");
    }
    let r = s.admin_token().get("/oapi/v1/platform/organizations").await;
    assert_eq!(r.status, 200);
    assert_no_nulls(&r.json, "organizations");
    let orgs = r.json.as_array().expect("a bare array");
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["id"], s.organization_id().as_str());
    assert_eq!(orgs[0]["name"], "default");
    assert!(orgs[0]["updateAt"].is_string(), "the official spelling is updateAt");
    assert_eq!((r.header("x-total"), r.header("x-page"), r.header("x-per-page")), ("1", "1", "100"));
}

async fn organization_members_in_both_editions(s: TestServer) {
    let org = s.organization_id();
    let (bob_id, _) = s.token_user("bob", "").await;
    s.state.identities().create_user("carol", Some("carol@example.com")).await.unwrap();
    for base in [format!("/oapi/v1/platform/organizations/{org}"), "/oapi/v1/platform".to_string()] {
        let c = s.admin_token();
        let r = c.get(&format!("{base}/members?page=1&perPage=2")).await;
        assert_eq!(r.status, 200, "{base}: {}", r.text);
        assert_no_nulls(&r.json, "members");
        let page1 = r.json.as_array().unwrap();
        assert_eq!(page1.len(), 2);
        assert_eq!((r.header("x-total"), r.header("x-total-pages"), r.header("x-next-page"), r.header("x-prev-page")), ("3", "2", "2", ""));
        let m = &page1[0];
        assert_eq!(m["userId"], s.admin_id().as_str());
        assert_eq!(m["organizationId"], org.as_str());
        assert_eq!(m["roleIds"], json!(["owner"]));
        assert_ne!(m["id"], m["userId"], "member ids differ from user ids");
        for k in ["name", "email", "status", "joined"] {
            assert!(m[k].is_string(), "member.{k}");
        }
        assert_eq!(m["deptIds"], json!([]));
        let r = c.get(&format!("{base}/members?page=2&perPage=2")).await;
        assert_eq!((r.json.as_array().unwrap().len(), r.header("x-prev-page"), r.header("x-next-page")), (1, "1", ""));

        let bob = c.get(&format!("{base}/members:readByUser?userId={bob_id}")).await;
        assert_eq!((bob.status, bob.json["userId"].as_str()), (200, Some(bob_id.as_str())));
        let member_id = bob.json["id"].as_str().unwrap().to_string();
        let again = c.get(&format!("{base}/members/{member_id}")).await;
        assert_eq!(again.json, bob.json, "get by member id");
        assert_codeup_error(&c.get(&format!("{base}/members/nobody")).await, 404, "NotFound");
        assert_codeup_error(&c.get(&format!("{base}/members:readByUser?userId=42")).await, 404, "NotFound");
        assert_codeup_error(&c.get(&format!("{base}/members:readByUser")).await, 400, "BadRequest");

        let found = c.post(&format!("{base}/members:search"), &json!({"query": "CAROL", "page": 1, "perPage": 100})).await;
        assert_eq!(found.status, 200, "{}", found.text);
        let hits = found.json.as_array().unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0]["email"], "carol@example.com");
        let owners = c.post(&format!("{base}/members:search"), &json!({"roleIds": ["owner"], "statuses": ["ENABLED"]})).await;
        assert_eq!(owners.json.as_array().unwrap().len(), 1);
        let disabled = c.post(&format!("{base}/members:search"), &json!({"statuses": ["DISABLED"]})).await;
        assert_eq!((disabled.status, disabled.json.as_array().unwrap().len()), (200, 0));
        assert_codeup_error(&c.get(&format!("{base}/members?perPage=101")).await, 400, "BadRequest");
        assert_codeup_error(&c.get(&format!("{base}/members?page=0")).await, 400, "BadRequest");
    }
    // Central edition, an organization the caller does not belong to.
    let r = s.admin_token().get("/oapi/v1/platform/organizations/0123456789abcdef01234567/members").await;
    assert_codeup_error(&r, 403, "Forbidden.InvalidUser.UserNotInCurrentOrganization");
}

async fn token_scopes_limit_what_a_token_may_do(s: TestServer) {
    let (_, reader) = s.token_user("scoped", "user:read").await;
    assert_eq!(reader.get("/oapi/v1/platform/user").await.status, 200);
    assert_codeup_error(&reader.get("/oapi/v1/platform/organizations").await, 403, "Forbidden");
    assert_codeup_error(&reader.get("/oapi/v1/platform/members").await, 403, "Forbidden");
    let (_, members) = s.token_user("memberreader", "organization-member:read").await;
    assert_eq!(members.get("/oapi/v1/platform/members").await.status, 200);
    assert_codeup_error(&members.get("/oapi/v1/platform/user").await, 403, "Forbidden");
}

both_backends!(
    route_errors_answer_in_the_codeup_body,
    tokens_are_required_and_checked,
    the_current_user_and_their_organizations,
    organization_members_in_both_editions,
    token_scopes_limit_what_a_token_may_do,
);

/// The limiter lives in memory whatever the database, so one backend suffices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_gets_429_then_recovers() {
    let s = TestServer::start_with(codeport_testkit::Backend::Sqlite, |c| c.token_rate_limit = 3).await.unwrap();
    let c = s.admin_token();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(c.get("/oapi/v1/platform/user").await);
    }
    assert!(statuses[..6].iter().all(|r| r.status == 200), "a burst of twice the rate passes");
    let limited = statuses.iter().find(|r| r.status == 429).expect("some requests were limited");
    assert_codeup_error(limited, 429, "TooManyRequests");
    assert!(limited.header("retry-after").parse::<u64>().is_ok_and(|s| s >= 1));
    let (_, other) = s.token_user("other", "").await;
    assert_eq!(other.get("/oapi/v1/platform/user").await.status, 200, "limits are per token");
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(c.get("/oapi/v1/platform/user").await.status, 200, "the bucket refills");
}
