//! The legacy ROA signature (`Authorization: acs AK:base64(HMAC-SHA1)`, the official SDKs'
//! `signature_algorithm="v2"`, alipai's only scheme) over real HTTP: it is accepted on every
//! PAI operation like ACS3, refused with ACS3's codes (replayed nonce, stale date, wrong
//! secret, unknown or disabled key), shares ACS3's nonce store, and produces the same call
//! (RAM's `acs:AccessId` decides the same).

use codeport_core::timefmt::{http_date, now_millis};
use codeport_testkit::{both_backends, PaiClient, SignedRequest, TestServer};
use reqwest::Method;
use serde_json::json;

fn list(c: &PaiClient, ws: &str) -> SignedRequest {
    c.sign(Method::GET, "/api/v1/codesources", &[("WorkspaceId", ws)], None, "ListCodeSources")
}

async fn the_code_source_workflow_works_legacy_signed(s: TestServer) {
    let c = s.admin().legacy();
    let ws = c.create_workspace("legacy_ws").await;
    let req = c.sign(
        Method::POST,
        "/api/v1/codesources",
        &[],
        Some(&json!({"WorkspaceId": ws, "DisplayName": "my code", "CodeRepo": "https://example.com/team/repo.git", "CodeBranch": "main"})),
        "CreateCodeSource",
    );
    assert!(req.headers["authorization"].starts_with("acs "), "{:?}", req.headers);
    assert_eq!(req.headers["content-type"], "application/json; charset=utf-8");
    assert!(!req.headers.contains_key("x-acs-content-sha256"));
    let r = c.send(&req).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["CodeSourceId"].as_str().unwrap().to_string();

    let r = c.get(&format!("/api/v1/codesources/{id}"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["DisplayName"], "my code");
    assert_eq!(r.json["UserId"], s.admin_id().as_str(), "the same principal as with ACS3");

    // A space, a plus and an empty value in the query: signed decoded, the empty key bare.
    let r = c.get("/api/v1/codesources", &[("WorkspaceId", &ws), ("DisplayName", "my code"), ("SortBy", ""), ("Order", "desc")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["TotalCount"], 1, "{}", r.text);
    assert_eq!(r.json["CodeSources"][0]["CodeSourceId"], id.as_str());
    let r = c.get("/api/v1/codesources", &[("WorkspaceId", &ws), ("DisplayName", "a+b c")]).await;
    assert_eq!((r.status, &r.json["TotalCount"]), (200, &json!(0)), "{}", r.text);

    // The ACS3 client sees what the legacy one wrote.
    assert_eq!(s.admin().get(&format!("/api/v1/codesources/{id}"), &[]).await.json["DisplayName"], "my code");
}

async fn refusals_have_the_acs3_codes(s: TestServer) {
    let c = s.admin().legacy();
    let ws = c.create_workspace("legacy_refusals").await;

    // Wrong secret; the error never echoes the secret.
    let wrong = c.with_secret("not-the-secret");
    let r = wrong.send(&list(&wrong, &ws)).await;
    assert_eq!((r.status, r.code()), (400, "SignatureDoesNotMatch"), "{}", r.text);
    assert!(!r.text.contains(s.bootstrap["accessKeySecret"].as_str().unwrap()));
    assert_eq!(r.json["HostId"], "codeport");
    assert!(r.json["RequestId"].is_string());

    // Unknown and disabled keys.
    let unknown = PaiClient::new(&s.base_url, "LTAIunknownunknownunknow", "secret").legacy();
    let r = unknown.send(&list(&unknown, &ws)).await;
    assert_eq!((r.status, r.code()), (404, "InvalidAccessKeyId.NotFound"));
    s.state.identities().set_access_key_enabled(&c.access_key_id, false).await.unwrap();
    let r = c.send(&list(&c, &ws)).await;
    assert_eq!((r.status, r.code()), (403, "InvalidAccessKeyId.Inactive"));
    s.state.identities().set_access_key_enabled(&c.access_key_id, true).await.unwrap();

    // Malformed shapes and STS.
    let mut req = list(&c, &ws);
    req.headers.insert("authorization".into(), format!("acs {}:not-base64", c.access_key_id));
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (401, "InvalidAuthorization"));
    let mut req = list(&c, &ws);
    req.headers.insert("x-acs-security-token".into(), "CAIS+token/==".into());
    c.resign(&mut req);
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (400, "UnsupportedCredentialType"));
    let mut req = list(&c, &ws);
    req.headers.insert("x-acs-signature-method".into(), "HMAC-SHA256".into());
    c.resign(&mut req);
    assert_eq!(c.send(&req).await.code(), "UnsupportedCredentialType");

    // Missing date or nonce.
    for name in ["date", "x-acs-signature-nonce"] {
        let mut req = list(&c, &ws);
        req.headers.remove(name);
        c.resign(&mut req);
        let r = c.send(&req).await;
        assert_eq!((r.status, r.code()), (400, "MissingSignatureHeader"), "without {name}");
    }
}

async fn the_signature_covers_method_path_query_and_x_acs_headers(s: TestServer) {
    let c = s.admin().legacy();
    let ws = c.create_workspace("legacy_tamper").await;
    let mismatch = |r: codeport_testkit::Reply, what: &str| assert_eq!((r.status, r.code()), (400, "SignatureDoesNotMatch"), "{what}: {}", r.text);

    let mut req = list(&c, &ws);
    req.raw_query = format!("WorkspaceId={ws}&PageSize=1");
    mismatch(c.send(&req).await, "query");
    let mut req = c.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    req.path = format!("/api/v1/workspaces/{ws}");
    mismatch(c.send(&req).await, "path");
    let mut req = c.sign(Method::GET, &format!("/api/v1/workspaces/{ws}"), &[], None, "GetWorkspace");
    req.method = Method::DELETE;
    mismatch(c.send(&req).await, "method");
    for (name, value) in [("x-acs-action", "DeleteWorkspace"), ("x-acs-extra", "1"), ("accept", "application/xml"), ("content-type", "text/plain")] {
        let mut req = list(&c, &ws);
        req.headers.insert(name.into(), value.into());
        mismatch(c.send(&req).await, name);
    }
    // A date changed after signing (still within the window).
    let mut req = list(&c, &ws);
    req.headers.insert("date".into(), http_date(now_millis() - 60_000));
    mismatch(c.send(&req).await, "date");
    // Headers outside the scheme are not signed.
    let mut req = list(&c, &ws);
    req.headers.insert("user-agent".into(), "someone-else".into());
    assert_eq!(c.send(&req).await.status, 200);
}

async fn content_md5_ties_the_body_when_sent(s: TestServer) {
    let c = s.admin().legacy();
    let ws = c.create_workspace("legacy_md5").await;
    let create =
        |name: &str| c.sign(Method::POST, "/api/v1/codesources", &[], Some(&json!({"WorkspaceId": ws, "DisplayName": name})), "CreateCodeSource");

    // Sent and matching: accepted.
    let mut req = create("with md5");
    req.headers.insert("content-md5".into(), codeport_core::roa_legacy::content_md5(&req.body));
    c.resign(&mut req);
    assert_eq!(c.send(&req).await.status, 200);
    // Sent and not matching the body (even re-signed): refused.
    let mut req = create("with md5");
    req.headers.insert("content-md5".into(), codeport_core::roa_legacy::content_md5(&req.body));
    req.body = serde_json::to_vec(&json!({"WorkspaceId": ws, "DisplayName": "evil"})).unwrap();
    c.resign(&mut req);
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (400, "InvalidDigest"), "{}", r.text);
    // Without content-md5 the scheme does not cover the body, as on Alibaba Cloud: a changed
    // body goes through (the nonce still makes the request single-use).
    let mut req = create("original");
    req.body = serde_json::to_vec(&json!({"WorkspaceId": ws, "DisplayName": "changed"})).unwrap();
    let r = c.send(&req).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(c.send(&req).await.code(), "SignatureNonceUsed");
}

async fn malformed_dates_and_replayed_nonces_are_refused(s: TestServer) {
    let c = s.admin().legacy();
    let ws = c.create_workspace("legacy_replay").await;
    // The 15-minute window either way is tested for both schemes in pai_auth.rs.
    for bad in ["yesterday", "2026-12-05T07:40:20Z", "Fri, 05 Dec 2026 07:40:20 GMT"] {
        let mut req = list(&c, &ws);
        req.headers.insert("date".into(), bad.into());
        c.resign(&mut req);
        assert_eq!(c.send(&req).await.code(), "IllegalTimestamp", "{bad}");
    }

    // A replay is refused; a bad signature does not burn the nonce.
    let req = list(&c, &ws);
    let mut forged = req.clone();
    c.with_secret("wrong").resign(&mut forged);
    assert_eq!(c.send(&forged).await.code(), "SignatureDoesNotMatch");
    assert_eq!(c.send(&req).await.status, 200);
    let r = c.send(&req).await;
    assert_eq!((r.status, r.code()), (400, "SignatureNonceUsed"), "{}", r.text);

    // One nonce store for both schemes: a nonce used with ACS3 is used for legacy ROA too.
    let acs3 = s.admin();
    let first = acs3.sign(Method::GET, "/api/v1/codesources", &[("WorkspaceId", &ws)], None, "ListCodeSources");
    assert_eq!(acs3.send(&first).await.status, 200);
    let mut again = list(&c, &ws);
    again.headers.insert("x-acs-signature-nonce".into(), first.headers["x-acs-signature-nonce"].clone());
    c.resign(&mut again);
    assert_eq!(c.send(&again).await.code(), "SignatureNonceUsed");
    // The same nonce under another AccessKey is a different request.
    let (_, other) = s.user("legacy_other").await;
    let other = other.legacy();
    let mut theirs = other.sign(Method::GET, "/api/v1/workspaces", &[], None, "ListWorkspaces");
    theirs.headers.insert("x-acs-signature-nonce".into(), req.headers["x-acs-signature-nonce"].clone());
    other.resign(&mut theirs);
    assert_eq!(other.send(&theirs).await.status, 200);
}

async fn ram_sees_the_same_access_key_for_both_schemes(s: TestServer) {
    let a = s.admin();
    let ws = a.create_workspace("legacy_ram").await;
    let (user_id, user) = s.user("legacy_ram_user").await;
    a.add_member(&ws, &user_id, &["PAI.AlgoDeveloper"]).await;
    let cs = user.create_code_source(&json!({"WorkspaceId": ws, "DisplayName": "mine"})).await;
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "paicodesource:GetCodeSource", "Resource": "*",
        "Condition": {"StringEquals": {"acs:AccessId": user.access_key_id}}}]});
    s.state.policies().create_policy("deny-this-key", "test", &doc.to_string()).await.unwrap();
    s.state.policies().attach_policy("legacy_ram_user", "deny-this-key").await.unwrap();
    for c in [user.clone(), user.legacy()] {
        let r = c.get(&format!("/api/v1/codesources/{cs}"), &[]).await;
        assert_eq!((r.status, r.code()), (403, "NoPermission"), "{:?}: {}", c.scheme, r.text);
        assert_eq!(r.json["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");
        assert_eq!(c.get("/api/v1/codesources", &[("WorkspaceId", &ws)]).await.status, 200, "{:?}", c.scheme);
    }
}

both_backends!(
    the_code_source_workflow_works_legacy_signed,
    refusals_have_the_acs3_codes,
    the_signature_covers_method_path_query_and_x_acs_headers,
    content_md5_ties_the_body_when_sent,
    malformed_dates_and_replayed_nonces_are_refused,
    ram_sees_the_same_access_key_for_both_schemes,
);
