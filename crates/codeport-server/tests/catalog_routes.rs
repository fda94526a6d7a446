//! The action catalog is the single list of operations: every operation it names is served
//! at its method and path (under every base of its mount, colon verbs also `%3A`-encoded),
//! and a path it does not name is unknown. Requests carry no credentials, so a served
//! operation answers an authentication error, never the unknown-route 404.

use codeport_core::actions::{Mount, CATALOG};
use codeport_testkit::{both_backends, TestServer};

/// The unknown-route answer of either family.
fn is_unknown_route(status: u16, body: &str) -> bool {
    status == 404 && (body.contains("InvalidAction.NotFound") || body.contains("The requested API does not exist."))
}

fn concrete(path: &str, org: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closing brace") + start;
        out.push_str(&rest[..start]);
        out.push_str(if &rest[start + 1..end] == "organization_id" { org } else { "x1" });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn every_catalog_operation_is_routed(s: TestServer) {
    let http = reqwest::Client::new();
    let org = s.organization_id();
    let mut checked = 0;
    for spec in CATALOG.iter().filter(|a| a.mount != Mount::Git) {
        let mut paths: Vec<String> = spec.mount.bases().iter().map(|b| format!("{b}{}", spec.path)).collect();
        paths.extend(paths.clone().into_iter().filter(|p| p.contains(':')).map(|p| p.replace(':', "%3A")));
        for path in paths {
            let url = format!("{}{}", s.base_url, concrete(&path, &org));
            let method = reqwest::Method::from_bytes(spec.method.as_bytes()).unwrap();
            let resp = http.request(method, &url).header("content-type", "application/json").send().await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap();
            assert!(!is_unknown_route(status, &body), "{} {} {url}: {status} {body}", spec.action, spec.method);
            assert!(status == 400 || status == 401, "{} {url}: an unauthenticated call is refused ({status} {body})", spec.action);
            checked += 1;
        }
    }
    // 18 PAI, 2 platform, 4 member operations in two editions plus 2 colon spellings each, 31 Codeup operations in two editions.
    assert!(checked >= 18 + 2 + 4 * 2 + 2 * 2 + 31 * 2, "{checked} routes checked");
    // A path the catalog does not name is unknown in both families.
    for (method, path) in
        [(reqwest::Method::GET, "/api/v1/codesources/x1/nothing"), (reqwest::Method::GET, "/oapi/v1/codeup/repositories/x1/nothing")]
    {
        let resp = http.request(method, format!("{}{path}", s.base_url)).send().await.unwrap();
        let status = resp.status().as_u16();
        assert!(is_unknown_route(status, &resp.text().await.unwrap()), "{path}");
    }
}

both_backends!(every_catalog_operation_is_routed);
