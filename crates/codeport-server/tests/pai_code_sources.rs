//! Code sources over real HTTP: defaults and validation, visibility by accessibility and
//! role, the repository token shown to its creator only and sealed at rest, updates,
//! publishing, deletion rights, and lists that filter, sort and count correctly.

use codeport_testkit::{both_backends, PaiClient, TestServer};
use serde_json::json;

struct Team {
    ws: String,
    dev_id: String,
    dev: PaiClient,
    dev2: PaiClient,
    guest: PaiClient,
    admin_member: PaiClient,
}

async fn team(s: &TestServer) -> Team {
    let a = s.admin();
    let ws = a.create_workspace("code_ws").await;
    let (dev_id, dev) = s.user("dev1").await;
    let (dev2_id, dev2) = s.user("dev2").await;
    let (guest_id, guest) = s.user("guest1").await;
    let (adm_id, admin_member) = s.user("wsadmin").await;
    a.add_member(&ws, &dev_id, &["PAI.AlgoDeveloper"]).await;
    a.add_member(&ws, &dev2_id, &["PAI.LabelManager"]).await;
    a.add_member(&ws, &guest_id, &["PAI.WorkspaceGuest"]).await;
    a.add_member(&ws, &adm_id, &["PAI.WorkspaceAdmin"]).await;
    Team { ws, dev_id, dev, dev2, guest, admin_member }
}

async fn create_applies_defaults_and_returns_every_field(s: TestServer) {
    let t = team(&s).await;
    let id = t.dev.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "minimal"})).await;
    assert!(id.starts_with("code-") && id[5..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "{id}");
    let r = t.dev.get(&format!("/api/v1/codesources/{id}"), &[]).await;
    assert_eq!(r.status, 200);
    let c = &r.json;
    assert_eq!(c["Accessibility"], "PRIVATE");
    assert_eq!(c["MountPath"], "/root/code/");
    assert_eq!(c["CloneType"], 0);
    assert_eq!(c["UserId"], t.dev_id.as_str());
    assert_eq!(c["WorkspaceId"], t.ws.as_str());
    assert_eq!(c["CodeRepoAccessToken"], "");
    let created = c["GmtCreateTime"].as_str().unwrap();
    assert_eq!(created.len(), 24, "{created}");
    assert!(created.ends_with('Z') && created.as_bytes()[19] == b'.', "ISO 8601 with milliseconds: {created}");
    for k in ["CodeSourceId", "DisplayName", "Description", "CodeRepo", "CodeBranch", "CodeCommit", "CodeRepoUserName", "GmtModifyTime", "RequestId"]
    {
        assert!(c.get(k).is_some(), "GetCodeSource has {k}");
    }

    let full = json!({
        "WorkspaceId": t.ws, "DisplayName": "full", "Description": "all fields", "CodeRepo": "git@github.com:team/repo.git",
        "CodeBranch": "feature/x", "CodeCommit": "ABCDEF12", "CodeRepoUserName": "bot", "CodeRepoAccessToken": "tok-123",
        "MountPath": "/mnt/code", "Accessibility": "public", "CloneType": 1
    });
    let id = t.dev.create_code_source(&full).await;
    let c = t.dev.get(&format!("/api/v1/codesources/{id}"), &[]).await.json;
    assert_eq!((c["CodeCommit"].as_str(), c["Accessibility"].as_str(), c["CloneType"].as_i64()), (Some("abcdef12"), Some("PUBLIC"), Some(1)));
    assert_eq!(
        (c["CodeBranch"].as_str(), c["MountPath"].as_str(), c["CodeRepoUserName"].as_str()),
        (Some("feature/x"), Some("/mnt/code"), Some("bot"))
    );
}

async fn bad_fields_are_named_and_nothing_is_created(s: TestServer) {
    let t = team(&s).await;
    let base = |k: &str, v: serde_json::Value| {
        let mut b = json!({"WorkspaceId": t.ws, "DisplayName": "x"});
        b[k] = v;
        b
    };
    let cases = [
        (json!({"DisplayName": "x"}), "MissingParameter", "WorkspaceId"),
        (json!({"WorkspaceId": t.ws}), "MissingParameter", "DisplayName"),
        (base("DisplayName", json!("   ")), "InvalidParameter", "DisplayName"),
        (base("CodeRepo", json!("ftp://host/repo")), "InvalidParameter", "CodeRepo"),
        (base("CodeRepo", json!("not a url")), "InvalidParameter", "CodeRepo"),
        (base("CodeBranch", json!("bad..branch")), "InvalidParameter", "CodeBranch"),
        (base("CodeBranch", json!("has space")), "InvalidParameter", "CodeBranch"),
        (base("CodeCommit", json!("abc")), "InvalidParameter", "CodeCommit"),
        (base("CodeCommit", json!("xyz123")), "InvalidParameter", "CodeCommit"),
        (base("MountPath", json!("relative/dir")), "InvalidParameter", "MountPath"),
        (base("MountPath", json!("/a/../etc")), "InvalidParameter", "MountPath"),
        (base("Accessibility", json!("SECRET")), "InvalidParameter", "Accessibility"),
        (base("CloneType", json!(2)), "InvalidParameter", "CloneType"),
        (base("CloneType", json!("one")), "InvalidParameter", "CloneType"),
        (base("CloneType", json!([1])), "InvalidParameter", "CloneType"),
        (base("DisplayName", json!(12)), "InvalidParameter", "DisplayName"),
    ];
    for (body, code, field) in cases {
        let r = t.dev.post("/api/v1/codesources", &body).await;
        assert_eq!((r.status, r.code()), (400, code), "{body}: {}", r.text);
        assert!(r.json["Message"].as_str().unwrap().contains(field), "{body}: {}", r.text);
    }
    let r = t.dev.post("/api/v1/codesources", &json!({"WorkspaceId": "424242", "DisplayName": "x"})).await;
    assert_eq!((r.status, r.code()), (404, "WorkspaceNotFound"));
    let r = s.admin().get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await;
    assert_eq!(r.json["TotalCount"], 0, "no failed request wrote anything");
    let r = t.dev.get("/api/v1/codesources", &[]).await;
    assert_eq!(r.code(), "MissingParameter");
}

async fn the_repository_token_is_for_its_creator_only_and_sealed_at_rest(s: TestServer) {
    let t = team(&s).await;
    let token = "ghp_VerySecretRepositoryToken42";
    let id = t.dev.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "secret", "CodeRepo": "https://example.com/a/b.git", "CodeRepoAccessToken": token, "Accessibility": "PUBLIC"})).await;
    assert_eq!(t.dev.get(&format!("/api/v1/codesources/{id}"), &[]).await.json["CodeRepoAccessToken"], token);
    for other in [&t.dev2, &t.guest, &t.admin_member, &s.admin()] {
        let r = other.get(&format!("/api/v1/codesources/{id}"), &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json["CodeRepoAccessToken"], "", "only the creator sees the token");
        assert!(!r.text.contains(token));
    }
    let r = t.dev.get("/api/v1/codesources", &[("WorkspaceId", &t.ws)]).await;
    assert!(!r.text.contains(token), "lists never carry the token");
    let row = s.state.store.code_source(&id).await.unwrap().unwrap();
    let sealed = row.sealed_repo_token.expect("stored sealed");
    assert!(!sealed.windows(token.len()).any(|w| w == token.as_bytes()), "the token is encrypted at rest");
    // Clearing and replacing the token.
    assert_eq!(t.dev.put(&format!("/api/v1/codesources/{id}"), &json!({"CodeRepoAccessToken": "new-token"})).await.status, 200);
    assert_eq!(t.dev.get(&format!("/api/v1/codesources/{id}"), &[]).await.json["CodeRepoAccessToken"], "new-token");
    assert_eq!(t.dev.put(&format!("/api/v1/codesources/{id}"), &json!({"CodeRepoAccessToken": ""})).await.status, 200);
    assert_eq!(t.dev.get(&format!("/api/v1/codesources/{id}"), &[]).await.json["CodeRepoAccessToken"], "");
}

async fn visibility_follows_accessibility_and_roles(s: TestServer) {
    let t = team(&s).await;
    let private = t.dev.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "mine"})).await;
    let public = t.dev.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "ours", "Accessibility": "PUBLIC"})).await;
    let get = |c: &PaiClient, id: &str| {
        let c = c.clone();
        let id = id.to_string();
        async move { c.get(&format!("/api/v1/codesources/{id}"), &[]).await.status }
    };
    assert_eq!(get(&t.dev, &private).await, 200);
    assert_eq!(get(&t.admin_member, &private).await, 200, "workspace admins see private sources");
    assert_eq!(get(&s.admin(), &private).await, 200, "the workspace owner sees private sources");
    assert_eq!(get(&t.dev2, &private).await, 404, "other developers do not");
    assert_eq!(get(&t.guest, &private).await, 404);
    for c in [&t.dev2, &t.guest] {
        assert_eq!(get(c, &public).await, 200);
    }
    let (_, outsider) = s.user("outsider").await;
    assert_eq!(get(&outsider, &public).await, 404, "non-members see nothing");

    let count = |c: &PaiClient| {
        let c = c.clone();
        let ws = t.ws.clone();
        async move { c.get("/api/v1/codesources", &[("WorkspaceId", &ws)]).await.json["TotalCount"].as_u64().unwrap() }
    };
    assert_eq!(count(&t.dev).await, 2);
    assert_eq!(count(&t.dev2).await, 1);
    assert_eq!(count(&t.guest).await, 1);
    assert_eq!(count(&t.admin_member).await, 2);

    let r = t.guest.post("/api/v1/codesources", &json!({"WorkspaceId": t.ws, "DisplayName": "nope"})).await;
    assert_eq!((r.status, r.code()), (403, "NoPermission"), "guests may not create code sources");
    assert_eq!(
        t.dev2.post("/api/v1/codesources", &json!({"WorkspaceId": t.ws, "DisplayName": "label"})).await.status,
        200,
        "label managers develop code sources"
    );
}

async fn only_creators_and_managers_change_code_sources(s: TestServer) {
    let t = team(&s).await;
    let id = t
        .dev
        .create_code_source(
            &json!({"WorkspaceId": t.ws, "DisplayName": "shared", "Accessibility": "PUBLIC", "CodeBranch": "main", "CodeCommit": "abcd1234"}),
        )
        .await;
    let path = format!("/api/v1/codesources/{id}");
    let r = t.dev2.put(&path, &json!({"Description": "hijack"})).await;
    assert_eq!((r.status, r.code()), (403, "NoPermission"));
    assert_eq!(t.dev2.delete(&path, &[]).await.status, 403);
    assert_eq!(t.guest.call(reqwest::Method::PUT, &format!("{path}/publish"), &[], None).await.status, 403);

    let before = t.dev.get(&path, &[]).await.json;
    let r = t.dev.put(&path, &json!({"DisplayName": "renamed", "CodeCommit": "", "MountPath": "/data/code", "CloneType": 1})).await;
    assert_eq!((r.status, r.json["CodeSourceId"].as_str()), (200, Some(id.as_str())), "{}", r.text);
    let after = t.dev.get(&path, &[]).await.json;
    assert_eq!(
        (after["DisplayName"].as_str(), after["CodeCommit"].as_str(), after["CodeBranch"].as_str()),
        (Some("renamed"), Some(""), Some("main"))
    );
    assert_eq!((after["MountPath"].as_str(), after["CloneType"].as_i64()), (Some("/data/code"), Some(1)));
    assert_eq!(after["GmtCreateTime"], before["GmtCreateTime"]);
    assert!(after["GmtModifyTime"].as_str() >= before["GmtModifyTime"].as_str());
    for body in [json!({"Accessibility": "PUBLIC"}), json!({"WorkspaceId": "1"}), json!({"DisplayName": ""}), json!({"CodeRepo": "nope"})] {
        let r = t.dev.put(&path, &body).await;
        assert_eq!((r.status, r.code()), (400, "InvalidParameter"), "{body}");
    }
    assert_eq!(t.dev.get(&path, &[]).await.json["DisplayName"], "renamed", "refused updates change nothing");

    let private = t.dev.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": "to publish"})).await;
    assert_eq!(t.dev2.get(&format!("/api/v1/codesources/{private}"), &[]).await.status, 404);
    let r = t.admin_member.call(reqwest::Method::PUT, &format!("/api/v1/codesources/{private}/publish"), &[], None).await;
    assert_eq!((r.status, r.json["CodeSourceId"].as_str()), (200, Some(private.as_str())));
    assert_eq!(t.dev2.get(&format!("/api/v1/codesources/{private}"), &[]).await.json["Accessibility"], "PUBLIC");

    let r = t.admin_member.delete(&path, &[]).await;
    assert_eq!((r.status, r.json["CodeSourceId"].as_str()), (200, Some(id.as_str())), "workspace admins may delete");
    assert_eq!(t.dev.get(&path, &[]).await.code(), "CodeSourceNotFound");
    assert_eq!(t.dev.delete(&path, &[]).await.status, 404);
}

async fn lists_filter_sort_page_and_count(s: TestServer) {
    let t = team(&s).await;
    let mut ids = Vec::new();
    for name in ["Bravo", "alpha", "Charlie model", "delta model"] {
        ids.push(t.dev.create_code_source(&json!({"WorkspaceId": t.ws, "DisplayName": name})).await);
        // Times have millisecond resolution; keep creation times distinct so their order is defined.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let list = |q: Vec<(&'static str, String)>| {
        let c = t.dev.clone();
        let ws = t.ws.clone();
        async move {
            let mut pairs: Vec<(&str, &str)> = vec![("WorkspaceId", ws.as_str())];
            pairs.extend(q.iter().map(|(k, v)| (*k, v.as_str())));
            c.get("/api/v1/codesources", &pairs).await.json
        }
    };
    let names = |v: &serde_json::Value| {
        v["CodeSources"].as_array().unwrap().iter().map(|c| c["DisplayName"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let r = list(vec![]).await;
    assert_eq!(r["TotalCount"], 4);
    assert_eq!(names(&r), ["Bravo", "alpha", "Charlie model", "delta model"], "default: creation time ascending");
    let r = list(vec![("DisplayName", "MODEL".into())]).await;
    assert_eq!((r["TotalCount"].as_u64(), names(&r).len()), (Some(2), 2));
    let r = list(vec![("SortBy", "DisplayName".into()), ("Order", "DESC".into())]).await;
    assert_eq!(names(&r)[0], "delta model");
    let r = list(vec![("SortBy", "GmtCreateTime".into()), ("Order", "desc".into()), ("PageSize", "3".into()), ("PageNumber", "2".into())]).await;
    assert_eq!((r["TotalCount"].as_u64(), names(&r)), (Some(4), vec!["Bravo".to_string()]));
    let r = list(vec![("SortBy", "CodeSourceId".into())]).await;
    let mut sorted = ids.clone();
    sorted.sort();
    let got: Vec<_> = r["CodeSources"].as_array().unwrap().iter().map(|c| c["CodeSourceId"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, sorted);
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    t.dev.put(&format!("/api/v1/codesources/{}", ids[0]), &json!({"Description": "touched"})).await;
    let r = list(vec![("SortBy", "GmtModifyTime".into()), ("Order", "Desc".into())]).await;
    assert_eq!(names(&r)[0], "Bravo");
    let r = list(vec![("DisplayName", "100%_".into())]).await;
    assert_eq!(r["TotalCount"], 0, "% and _ match literally");
    let r = t.dev.get("/api/v1/codesources", &[("WorkspaceId", &t.ws), ("SortBy", "Size")]).await;
    assert_eq!(r.code(), "InvalidParameter");
}

both_backends!(
    create_applies_defaults_and_returns_every_field,
    bad_fields_are_named_and_nothing_is_created,
    the_repository_token_is_for_its_creator_only_and_sealed_at_rest,
    visibility_follows_accessibility_and_roles,
    only_creators_and_managers_change_code_sources,
    lists_filter_sort_page_and_count,
);
