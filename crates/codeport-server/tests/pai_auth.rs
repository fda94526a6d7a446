//! ACS3 signature verification over real HTTP: every refusal has its own stable code and a
//! 4xx, the signature covers what the SDK signs, and replays are refused.

use codeport_testkit::{both_backends, TestServer};
use reqwest::Method;
use serde_json::json;

async fn signed_requests_are_accepted_and_carry_request_ids(s: TestServer) {
    let r = s.admin().get("/api/v1/workspaces", &[("PageSize", "10"), ("WorkspaceName", "a b+c*~/ü")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let header = r.headers["x-acs-request-id"].to_str().unwrap().to_string();
    assert_eq!(r.json["RequestId"], header.as_str());
    assert_eq!(r.json["TotalCount"], 0);
}

async fn unsigned_and_malformed_requests_are_refused(s: TestServer) {
    let c = s.admin();
    let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    req.headers.remove("authorization");
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (401, "MissingAuthorization"), "{}", r.text);
    assert_eq!(r.json["RequestId"], r.headers["x-acs-request-id"].to_str().unwrap());
    assert!(r.json["Message"].as_str().unwrap().len() > 10);
    assert_eq!(r.json["HostId"], "codeport");

    req.headers.insert("authorization".into(), "ACS3-HMAC-SHA256 Credential=x".into());
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (401, "InvalidAuthorization"));

    let mut sts = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    sts.headers.insert("x-acs-security-token".into(), "token".into());
    c.resign(&mut sts);
    let r = c.send(&sts).await;
    assert_eq!((r.status, r.code()), (400, "UnsupportedCredentialType"));
}

async fn unknown_disabled_and_wrong_keys_are_refused(s: TestServer) {
    let unknown = codeport_testkit::PaiClient::new(&s.base_url, "LTAIunknownunknownunknow", "secret");
    let r = unknown.get("/api/v1/workspaces", &[]).await;
    assert_eq!((r.status, r.code()), (404, "InvalidAccessKeyId.NotFound"));

    let c = s.admin();
    let r = c.with_secret("not-the-secret").get("/api/v1/workspaces", &[]).await;
    assert_eq!((r.status, r.code()), (400, "SignatureDoesNotMatch"));
    assert!(!r.text.contains(s.bootstrap["accessKeySecret"].as_str().unwrap()), "errors never echo the secret");

    s.state.identities().set_access_key_enabled(&c.access_key_id, false).await.unwrap();
    let r = c.get("/api/v1/workspaces", &[]).await;
    assert_eq!((r.status, r.code()), (403, "InvalidAccessKeyId.Inactive"));
    s.state.identities().set_access_key_enabled(&c.access_key_id, true).await.unwrap();
    assert_eq!(c.get("/api/v1/workspaces", &[]).await.status, 200);
}

async fn the_signature_covers_query_headers_and_body(s: TestServer) {
    let c = s.admin();
    // Changing the query after signing breaks the signature.
    let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[("PageSize", "10")], None, "ListWorkspaces");
    req.raw_query = "PageSize=20".into();
    assert_eq!(c.send(&req).await.code(), "SignatureDoesNotMatch");
    // Changing a signed header breaks it.
    let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    req.headers.insert("user-agent".into(), "someone-else".into());
    assert_eq!(c.send(&req).await.code(), "SignatureDoesNotMatch");
    // A body that does not match x-acs-content-sha256 is refused, even when re-signed.
    let mut req = c.sign(Method::POST, "/api/v1/workspaces", &[], Some(&json!({"WorkspaceName": "abc"})), "CreateWorkspace");
    req.body = br#"{"WorkspaceName":"evil"}"#.to_vec();
    c.resign(&mut req);
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (400, "ContentSha256Mismatch"));
    // x-acs-date must be signed.
    let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    let auth = req.headers["authorization"].replace("x-acs-date;", "");
    req.headers.insert("authorization".into(), auth);
    assert_eq!(c.send(&req).await.code(), "MissingSignatureHeader");
}

async fn stale_dates_and_replayed_nonces_are_refused(s: TestServer) {
    let c = s.admin();
    // One window for both schemes (the legacy ROA signature dates itself in `date`).
    for c in [c.clone(), c.legacy()] {
        for (minutes, ok) in [(16, false), (-16, false), (14, true), (-14, true)] {
            let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
            c.redate(&mut req, codeport_core::timefmt::now_millis() - minutes * 60_000);
            let r = c.send(&req).await;
            if ok {
                assert_eq!(r.status, 200, "{:?} {minutes} min: {}", c.scheme, r.text);
            } else {
                assert_eq!((r.status, r.code()), (400, "IllegalTimestamp"), "{:?} {minutes} min", c.scheme);
            }
        }
    }
    let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    req.headers.insert("x-acs-date".into(), "yesterday".into());
    c.resign(&mut req);
    assert_eq!(c.send(&req).await.code(), "IllegalTimestamp");

    let req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    assert_eq!(c.send(&req).await.status, 200);
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (400, "SignatureNonceUsed"));
    // The same nonce under another AccessKey is a different request.
    let (_, other) = s.user("nonce_other").await;
    let mut theirs = other.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    theirs.headers.insert("x-acs-signature-nonce".into(), req.headers["x-acs-signature-nonce"].clone());
    other.resign(&mut theirs);
    assert_eq!(other.send(&theirs).await.status, 200);
}

async fn oversized_bodies_get_413_in_json(s: TestServer) {
    let big = "x".repeat(1024 * 1024 + 10);
    let r = s.admin().post("/api/v1/codesources", &json!({"Description": big})).await;
    assert_eq!((r.status, r.code()), (413, "RequestEntityTooLarge"), "{}", r.text);
    assert!(r.json["RequestId"].is_string());
}

async fn key_changes_by_another_process_take_effect_within_a_poll_interval(s: TestServer) {
    let c = s.admin();
    assert_eq!(c.get("/api/v1/workspaces", &[]).await.status, 200, "the key is now cached");
    // A second process on the same database, as the admin CLI is.
    let other = codeport_server::open_state((*s.state.config).clone(), false).await.unwrap();
    let wait_for = |want: &'static str| {
        let c = c.clone();
        async move {
            let started = std::time::Instant::now();
            loop {
                let r = c.get("/api/v1/workspaces", &[]).await;
                let got = if r.status == 200 { "ok" } else { r.json["Code"].as_str().unwrap_or("?") };
                if got == want {
                    return started.elapsed();
                }
                assert!(started.elapsed() < std::time::Duration::from_secs(3), "still {got} after 3 s, want {want}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    other.identities().set_access_key_enabled(&c.access_key_id, false).await.unwrap();
    wait_for("InvalidAccessKeyId.Inactive").await;
    other.identities().set_access_key_enabled(&c.access_key_id, true).await.unwrap();
    wait_for("ok").await;
    other.identities().delete_access_key(&c.access_key_id).await.unwrap();
    wait_for("InvalidAccessKeyId.NotFound").await;
}

both_backends!(
    key_changes_by_another_process_take_effect_within_a_poll_interval,
    signed_requests_are_accepted_and_carry_request_ids,
    unsigned_and_malformed_requests_are_refused,
    unknown_disabled_and_wrong_keys_are_refused,
    the_signature_covers_query_headers_and_body,
    stale_dates_and_replayed_nonces_are_refused,
    oversized_bodies_get_413_in_json,
);
