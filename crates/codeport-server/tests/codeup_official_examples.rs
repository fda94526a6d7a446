//! The request examples of the official GetNamespace, ListNamespaces and CreateGroup pages
//! (help.aliyun.com Yunxiao developer reference, central and region editions), run with the
//! stock `curl` against a live codeport, changing only the domain (and https to http), the
//! organization id and the token. On a fresh server the organization's root namespace has
//! id 1, which is the id the examples use as parentId and namespaceId.

use codeport_testkit::{both_backends, TestServer};
use serde_json::Value;

/// The examples as the pages print them.
const ORG_IN_DOCS: &str = "60d54f3daccf2bbd6659f3ad";
const CREATE_GROUP_BODY: &str = r#"
    {
        "avatar": "https://example/example/w/100/h/100",
        "description": "group description",
        "name": "DemoGroup",
        "parentId": 1,
        "path": "DemoGroup",
        "visibility": "private"
    }"#;

struct Example {
    method: &'static str,
    url: &'static str,
    body: Option<&'static str>,
}

const CENTRAL: [Example; 3] = [
    Example { method: "POST", url: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/groups", body: Some(CREATE_GROUP_BODY) },
    Example { method: "GET", url: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/namespaces/1", body: None },
    Example {
        method: "GET",
        url: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/namespaces?parentId=1&page=1&perPage=20&search=Test&orderBy=updated_at&sort=desc",
        body: None,
    },
];

const REGION: [Example; 3] = [
    Example { method: "POST", url: "https://{domain}/oapi/v1/codeup/groups", body: Some(CREATE_GROUP_BODY) },
    Example { method: "GET", url: "https://{domain}/oapi/v1/codeup/namespaces/1", body: None },
    Example {
        method: "GET",
        url: "https://{domain}/oapi/v1/codeup/namespaces?parentId=1&page=1&perPage=20&search=Test&orderBy=updated_at&sort=desc",
        body: None,
    },
];

/// Runs one example with curl; returns (status, headers text, body JSON).
fn run(s: &TestServer, e: &Example) -> (u16, String, Value) {
    let url = e.url.replace("https://{domain}", &s.base_url).replace(ORG_IN_DOCS, &s.organization_id());
    let token = s.bootstrap["personalAccessToken"].as_str().unwrap();
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "-i", "-X", e.method, &url, "-H", "Content-Type: application/json", "-H"]);
    // The pages' placeholder token (pt-0fh3****0fbG_35af****0484), replaced by the bootstrap token.
    cmd.arg(format!("x-yunxiao-token: {token}"));
    if let Some(b) = e.body {
        cmd.args(["--data", b]);
    }
    let out = cmd.output().expect("curl runs");
    assert!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_lowercase(), serde_json::from_str(body).unwrap_or(Value::Null))
}

fn check_examples(s: &TestServer, examples: &[Example; 3]) {
    let org = s.organization_id();
    let (status, _, created) = run(s, &examples[0]);
    assert_eq!(status, 200, "CreateGroup example: {created}");
    assert_eq!(created["pathWithNamespace"], format!("{org}/DemoGroup"));
    assert_eq!(created["nameWithNamespace"], format!("{org} / DemoGroup"));
    assert_eq!(created["parentId"], 1);
    assert_eq!((created["visibility"].as_str(), created["description"].as_str()), (Some("private"), Some("group description")));
    assert_eq!(created["avatarUrl"], "https://example/example/w/100/h/100");
    let (status, _, again) = run(s, &examples[0]);
    assert_eq!((status, again["errorCode"].as_str()), (409, Some("Conflict")), "the same path twice");

    let (status, _, root) = run(s, &examples[1]);
    assert_eq!(status, 200, "GetNamespace example: {root}");
    assert_eq!((root["id"].as_i64(), root["fullPath"].as_str()), (Some(1), Some(org.as_str())), "namespace 1 is the organization's root");

    let (status, headers, list) = run(s, &examples[2]);
    assert_eq!(status, 200, "ListNamespaces example: {list}");
    assert_eq!(list, serde_json::json!([]), "no group under the root matches \"Test\"");
    for h in ["x-total: 0", "x-page: 1", "x-per-page: 20", "x-total-pages: 1", "content-type: application/json"] {
        assert!(headers.contains(h), "{h} in {headers}");
    }
}

async fn the_central_edition_examples_run_unchanged(s: TestServer) {
    tokio::task::spawn_blocking(move || check_examples(&s, &CENTRAL)).await.unwrap();
}

async fn the_region_edition_examples_run_unchanged(s: TestServer) {
    tokio::task::spawn_blocking(move || check_examples(&s, &REGION)).await.unwrap();
}

both_backends!(the_central_edition_examples_run_unchanged, the_region_edition_examples_run_unchanged);
