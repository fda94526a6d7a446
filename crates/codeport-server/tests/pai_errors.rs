//! The PAI error contract the SDK relies on: every non-2xx answer is a JSON body with
//! RequestId, Code, Message and HostId, the request id is also in `x-acs-request-id`, and
//! malformed input is refused with a message that names what is wrong.

use codeport_testkit::{both_backends, TestServer};
use reqwest::Method;
use serde_json::json;

fn assert_pai_error(r: &codeport_testkit::Reply, status: u16, code: &str) {
    assert_eq!((r.status, r.code()), (status, code), "{}", r.text);
    let rid = r.headers["x-acs-request-id"].to_str().unwrap();
    assert_eq!(r.json["RequestId"], rid);
    assert!(r.json["Message"].is_string() && r.json["HostId"].is_string());
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
}

async fn malformed_bodies_are_refused_with_the_reason(s: TestServer) {
    let c = s.admin();
    for (body, needle) in [(&b"{not json"[..], "not valid JSON"), (b"[1,2]", "JSON object"), (b"\"text\"", "JSON object")] {
        let mut req = c.sign(Method::POST, "/api/v1/workspaces", &[], Some(&json!({})), "CreateWorkspace");
        req.body = body.to_vec();
        req.headers.insert("x-acs-content-sha256".into(), codeport_core::acs3::sha256_hex(body));
        c.resign(&mut req);
        let r = c.send(&req).await;
        assert_pai_error(&r, 400, "InvalidParameter");
        assert!(r.json["Message"].as_str().unwrap().contains(needle), "{}", r.text);
    }
    let r = c.post("/api/v1/workspaces", &json!({"WorkspaceName": "abc", "Description": "d", "EnvTypes": [1]})).await;
    assert_pai_error(&r, 400, "InvalidParameter");
    assert!(r.json["Message"].as_str().unwrap().contains("EnvTypes.1"));
}

async fn unknown_routes_and_methods_answer_in_json(s: TestServer) {
    let c = s.admin();
    let r = c.get("/api/v1/nothing-here", &[]).await;
    assert_pai_error(&r, 404, "InvalidAction.NotFound");
    let r = c.call(Method::PATCH, "/api/v1/codesources", &[], None).await;
    assert_pai_error(&r, 405, "MethodNotAllowed");
    let allow = r.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "405 names the allowed methods: {allow:?}");
    let r = c.get("/api/v1/codesources/code-doesnotexist", &[]).await;
    assert_pai_error(&r, 404, "CodeSourceNotFound");
    let r = c.get("/api/v1/workspaces/not-a-number", &[]).await;
    assert_pai_error(&r, 404, "WorkspaceNotFound");
}

async fn every_success_carries_the_request_id_and_health_is_open(s: TestServer) {
    let r = reqwest::get(format!("{}/healthz", s.base_url)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-acs-request-id"));
    let ws = s.admin().create_workspace("rid_ws").await;
    let r = s.admin().delete(&format!("/api/v1/workspaces/{ws}"), &[]).await;
    assert_eq!(r.status, 400, "the default workspace stays");
    let r = s.admin().get(&format!("/api/v1/workspaces/{ws}"), &[]).await;
    assert_eq!(r.json["RequestId"], r.headers["x-acs-request-id"].to_str().unwrap());
    assert!(!r.text.is_empty(), "2xx bodies are never empty (the SDK cannot parse an empty body)");
}

async fn shutdown_drains_a_request_in_flight(mut s: TestServer) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let c = s.admin();
    let ws = c.create_workspace("drain_ws").await;
    let req = c.sign(Method::POST, "/api/v1/codesources", &[], Some(&json!({"WorkspaceId": ws, "DisplayName": "in flight"})), "CreateCodeSource");
    let mut head = format!("POST {} HTTP/1.1\r\ncontent-length: {}\r\nconnection: close\r\n", req.path, req.body.len());
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut conn = tokio::net::TcpStream::connect(&s.endpoint).await.unwrap();
    let (first, rest) = req.body.split_at(req.body.len() / 2);
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(first).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    s.begin_shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    conn.write_all(rest).await.unwrap();
    let mut resp = String::new();
    conn.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "the request in flight completed: {resp}");
    assert!(resp.contains("CodeSourceId"));
    assert!(s.stopped_within(std::time::Duration::from_secs(5)).await, "the server stops once drained");
}

both_backends!(
    shutdown_drains_a_request_in_flight,
    malformed_bodies_are_refused_with_the_reason,
    unknown_routes_and_methods_answer_in_json,
    every_success_carries_the_request_id_and_health_is_open,
);
