//! Codeup code groups over real HTTP, in both editions: CreateGroup, GetNamespace by id and
//! by URL-encoded full path, ListNamespaces with paging headers, the naming model, path rules,
//! nesting and visibility limits, and what another member may see.

use codeport_testkit::{assert_no_nulls, both_backends, CodeupClient, TestServer};
use serde_json::{json, Value};

fn editions(s: &TestServer) -> [String; 2] {
    [format!("/oapi/v1/codeup/organizations/{}", s.organization_id()), "/oapi/v1/codeup".to_string()]
}

async fn create(c: &CodeupClient, base: &str, body: Value) -> Value {
    let r = c.post(&format!("{base}/groups"), &body).await;
    assert_eq!(r.status, 200, "create {body}: {}", r.text);
    assert!(r.header("content-type").starts_with("application/json"));
    assert_no_nulls(&r.json, "group");
    r.json
}

fn encoded(path: &str) -> String {
    path.replace('/', "%2F")
}

async fn a_three_level_tree_reads_back_by_id_and_path_in_both_editions(s: TestServer) {
    let org = s.organization_id();
    let c = s.admin_token();
    let [central, region] = editions(&s);
    let top = create(&c, &central, json!({"name": "Platform", "path": "platform", "visibility": "internal", "description": "infra"})).await;
    assert_eq!(top["pathWithNamespace"], format!("{org}/platform"));
    assert_eq!(top["nameWithNamespace"], format!("{org} / Platform"));
    assert_eq!(top["description"], "infra");
    assert_eq!(top["ownerId"].as_i64().map(|v| v.to_string()), Some(s.admin_id()));
    assert!(top.get("kind").is_none() && top.get("avatarUrl").is_none());
    let mid = create(&c, &region, json!({"name": "Backend", "path": "backend", "parentId": top["id"], "visibility": "private"})).await;
    let leaf =
        create(&c, &central, json!({"name": "Storage", "path": "storage", "parentId": mid["id"], "avatar": "https://img.example/a.png"})).await;
    assert_eq!(leaf["pathWithNamespace"], format!("{org}/platform/backend/storage"));
    assert_eq!(leaf["nameWithNamespace"], format!("{org} / Platform / Backend / Storage"));
    assert_eq!(leaf["visibility"], "private", "the default visibility is private");

    for base in [&central, &region] {
        let by_id = c.get(&format!("{base}/namespaces/{}", leaf["id"])).await;
        assert_eq!(by_id.status, 200, "{base}: {}", by_id.text);
        assert_no_nulls(&by_id.json, "namespace");
        let n = &by_id.json;
        assert_eq!(n["fullPath"], format!("{org}/platform/backend/storage"));
        assert_eq!(n["pathWithNamespace"], n["fullPath"]);
        assert_eq!(n["kind"], "group");
        assert_eq!(n["parentId"], mid["id"]);
        assert_eq!(n["avatarUrl"], "https://img.example/a.png");
        assert_eq!(n["webUrl"], format!("{}/{org}/platform/backend/storage", s.base_url));
        let by_path = c.get(&format!("{base}/namespaces/{}", encoded(&format!("{org}/Platform/Backend/Storage")))).await;
        assert_eq!(by_path.json, by_id.json, "a full path resolves case-insensitively to the same group");
        let top_again = c.get(&format!("{base}/namespaces/{}", top["id"])).await;
        let root = c.get(&format!("{base}/namespaces/{org}")).await;
        assert_eq!(top_again.json["parentId"], root.json["id"], "a top-level group's parent is the root namespace");
        assert!(top_again.json.get("avatarUrl").is_none(), "avatarUrl is left out when unset");
        let missing = c.get(&format!("{base}/namespaces/{}", encoded(&format!("{org}/platform/nope")))).await;
        assert_eq!((missing.status, missing.error_code()), (404, "NotFound"));
    }
}

async fn paths_nesting_and_visibility_rules_are_enforced(s: TestServer) {
    let c = s.admin_token();
    let [central, _] = editions(&s);
    for (body, field) in [
        (json!({"path": "x"}), "name"),
        (json!({"name": "x"}), "path"),
        (json!({"name": "x", "path": ".dot"}), "path"),
        (json!({"name": "x", "path": "a/b"}), "path"),
        (json!({"name": "x", "path": "repo.git"}), "path"),
        (json!({"name": "x", "path": "api"}), "path"),
        (json!({"name": "x", "path": "ok", "visibility": "secret"}), "visibility"),
        (json!({"name": "x", "path": "ok", "parentId": 999999}), "parentId"),
        (json!({"name": "x", "path": "ok", "parentId": "abc"}), "parentId"),
    ] {
        let r = c.post(&format!("{central}/groups"), &body).await;
        assert_eq!((r.status, r.error_code()), (400, "BadRequest"), "{body}: {}", r.text);
        assert!(r.json["errorMessage"].as_str().unwrap().contains(field), "{body}: {}", r.text);
    }
    let top = create(&c, &central, json!({"name": "Team", "path": "team", "visibility": "private"})).await;
    let clash = c.post(&format!("{central}/groups"), &json!({"name": "Other", "path": "TEAM"})).await;
    assert_eq!((clash.status, clash.error_code()), (409, "Conflict"), "sibling paths are unique ignoring case");
    let louder =
        c.post(&format!("{central}/groups"), &json!({"name": "Loud", "path": "loud", "parentId": top["id"], "visibility": "internal"})).await;
    assert_eq!(louder.status, 400, "a child may not be more visible than its parent");
    // Four levels of subgroups below a top-level group, and no more.
    let mut parent = top["id"].clone();
    for level in 1..=4 {
        parent = create(&c, &central, json!({"name": format!("L{level}"), "path": format!("l{level}"), "parentId": parent})).await["id"].clone();
    }
    let too_deep = c.post(&format!("{central}/groups"), &json!({"name": "L5", "path": "l5", "parentId": parent})).await;
    assert_eq!(too_deep.status, 400, "{}", too_deep.text);
    assert!(too_deep.json["errorMessage"].as_str().unwrap().contains("4 levels"));
    let r = c.get(&format!("{central}/namespaces?search=team&perPage=1")).await;
    assert_eq!(r.header("x-total"), "1");
}

async fn another_member_sees_only_what_visibility_allows(s: TestServer) {
    let admin = s.admin_token();
    let [central, region] = editions(&s);
    let private = create(&admin, &central, json!({"name": "Secret", "path": "secret", "visibility": "private"})).await;
    let internal = create(&admin, &central, json!({"name": "Open", "path": "open", "visibility": "internal"})).await;
    let public = create(&admin, &central, json!({"name": "World", "path": "world", "visibility": "public"})).await;
    let (_, bob) = s.token_user("bob", "").await;
    for base in [&central, &region] {
        assert_eq!(bob.get(&format!("{base}/namespaces/{}", private["id"])).await.status, 404, "private is hidden");
        assert_eq!(bob.get(&format!("{base}/namespaces/{}", internal["id"])).await.status, 200);
        assert_eq!(bob.get(&format!("{base}/namespaces/{}", public["id"])).await.status, 200);
        let listed = bob.get(&format!("{base}/namespaces")).await;
        let ids: Vec<_> = listed.json.as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
        assert!(!ids.contains(&private["id"]) && ids.contains(&internal["id"]) && ids.contains(&public["id"]), "{ids:?}");
        assert_eq!(listed.header("x-total"), "2");
        assert_eq!(admin.get(&format!("{base}/namespaces")).await.header("x-total"), "3", "the organization owner sees everything");
    }
    // Bob's own private group is his; under the internal one he is not an admin.
    let mine = create(&bob, &region, json!({"name": "Bob's", "path": "bobs"})).await;
    assert_eq!(bob.get(&format!("{region}/namespaces/{}", mine["id"])).await.status, 200);
    let sub = bob.post(&format!("{region}/groups"), &json!({"name": "Sub", "path": "sub", "parentId": internal["id"]})).await;
    assert_eq!((sub.status, sub.error_code()), (403, "Forbidden"));
    let mine_sub = create(&bob, &region, json!({"name": "Deeper", "path": "deeper", "parentId": mine["id"]})).await;
    assert_eq!(bob.get(&format!("{region}/namespaces/{}", mine_sub["id"])).await.status, 200, "membership of an ancestor grants access");
    // A read-only token cannot create groups.
    let (_, reader) = s.token_user("reader", "group:read").await;
    assert_eq!(reader.get(&format!("{region}/namespaces/{}", internal["id"])).await.status, 200);
    let r = reader.post(&format!("{region}/groups"), &json!({"name": "No", "path": "no"})).await;
    assert_eq!((r.status, r.error_code()), (403, "Forbidden"));
}

async fn lists_page_sort_and_filter_by_parent(s: TestServer) {
    let c = s.admin_token();
    let [central, region] = editions(&s);
    let top = create(&c, &central, json!({"name": "Top", "path": "top", "visibility": "public"})).await;
    for i in 0..5 {
        create(&c, &central, json!({"name": format!("Child {i}"), "path": format!("child-{i}"), "parentId": top["id"], "visibility": "internal"}))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    for base in [&central, &region] {
        let r = c.get(&format!("{base}/namespaces?parentId={}&perPage=2&page=2&orderBy=created_at&sort=asc", top["id"])).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let names: Vec<_> = r.json.as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap().to_string()).collect();
        assert_eq!(names, ["Child 2", "Child 3"]);
        assert_eq!(
            (
                r.header("x-total"),
                r.header("x-total-pages"),
                r.header("x-page"),
                r.header("x-per-page"),
                r.header("x-next-page"),
                r.header("x-prev-page")
            ),
            ("5", "3", "2", "2", "3", "1")
        );
        assert_eq!(r.header("x-request-id"), r.header("x-acs-request-id"), "x-request-id as the ListNamespaces page documents");
        let newest = c.get(&format!("{base}/namespaces?parentId={}", top["id"])).await;
        assert_eq!(newest.json[0]["name"], "Child 4", "default order: updated_at desc");
        assert_eq!(newest.header("x-per-page"), "20");
        let all = c.get(&format!("{base}/namespaces")).await;
        assert_eq!(all.header("x-total"), "6", "without parentId: every group, never the root");
        for bad in ["perPage=101", "perPage=0", "page=0", "orderBy=name", "sort=up", "parentId=x"] {
            let r = c.get(&format!("{base}/namespaces?{bad}")).await;
            assert_eq!((r.status, r.error_code()), (400, "BadRequest"), "{bad}");
        }
    }
}

async fn renaming_moves_descendants_and_deleting_never_orphans(s: TestServer) {
    let org = s.organization_id();
    let c = s.admin_token();
    let [central, region] = editions(&s);
    let top = create(&c, &central, json!({"name": "Data", "path": "data", "visibility": "public"})).await;
    let mid = create(&c, &central, json!({"name": "Lake", "path": "lake", "parentId": top["id"], "visibility": "public"})).await;
    let leaf = create(&c, &central, json!({"name": "Raw", "path": "raw", "parentId": mid["id"], "visibility": "internal"})).await;

    let r = c
        .call(
            reqwest::Method::PUT,
            &format!("{region}/groups/{}", encoded(&format!("{org}/data"))),
            Some(&json!({"name": "Analytics", "path": "analytics", "description": "renamed"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["fullPath"], format!("{org}/analytics"));
    let moved = c.get(&format!("{central}/namespaces/{}", leaf["id"])).await;
    assert_eq!(moved.json["fullPath"], format!("{org}/analytics/lake/raw"), "descendants move with their ancestor");
    assert_eq!(moved.json["nameWithNamespace"], format!("{org} / Analytics / Lake / Raw"));
    let old = c.get(&format!("{central}/namespaces/{}", encoded(&format!("{org}/data/lake/raw")))).await;
    assert_eq!(old.status, 404, "the old path stops resolving");

    // Lowering visibility lowers more visible descendants; raising above the parent is refused.
    let r = c.call(reqwest::Method::PUT, &format!("{central}/groups/{}", top["id"]), Some(&json!({"visibility": "private"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for id in [&mid["id"], &leaf["id"]] {
        assert_eq!(c.get(&format!("{central}/namespaces/{id}")).await.json["visibility"], "private");
    }
    let r = c.call(reqwest::Method::PUT, &format!("{central}/groups/{}", mid["id"]), Some(&json!({"visibility": "internal"}))).await;
    assert_eq!((r.status, r.error_code()), (400, "BadRequest"));
    let sibling = create(&c, &central, json!({"name": "Other", "path": "other"})).await;
    let r = c.call(reqwest::Method::PUT, &format!("{central}/groups/{}", sibling["id"]), Some(&json!({"path": "ANALYTICS"}))).await;
    assert_eq!((r.status, r.error_code()), (409, "Conflict"), "a rename may not clash with a sibling");

    // Only group admins change a group.
    let (_, bob) = s.token_user("bob", "").await;
    let open = create(&c, &central, json!({"name": "Open", "path": "open-group", "visibility": "internal"})).await;
    let r = bob.call(reqwest::Method::PUT, &format!("{central}/groups/{}", open["id"]), Some(&json!({"name": "Mine now"}))).await;
    assert_eq!((r.status, r.error_code()), (403, "Forbidden"));
    assert_eq!(bob.call(reqwest::Method::DELETE, &format!("{central}/groups/{}", open["id"]), None).await.status, 403);

    // Deleting a group with subgroups needs cascade; then the whole subtree goes.
    let r = c.call(reqwest::Method::DELETE, &format!("{central}/groups/{}", top["id"]), None).await;
    assert_eq!((r.status, r.error_code()), (409, "Conflict"), "{}", r.text);
    assert_eq!(c.get(&format!("{central}/namespaces/{}", leaf["id"])).await.status, 200, "nothing was deleted");
    let r = c.call(reqwest::Method::DELETE, &format!("{region}/groups/{}?cascade=true", top["id"]), None).await;
    assert_eq!((r.status, &r.json), (200, &json!({"result": true})));
    for id in [&top["id"], &mid["id"], &leaf["id"]] {
        assert_eq!(c.get(&format!("{central}/namespaces/{id}")).await.status, 404);
    }
    assert_eq!(
        c.call(reqwest::Method::DELETE, &format!("{central}/groups/{}", sibling["id"]), None).await.status,
        200,
        "an empty group deletes without cascade"
    );
    let root = c.get(&format!("{central}/namespaces/{org}")).await;
    let r = c.call(reqwest::Method::DELETE, &format!("{central}/groups/{}", root.json["id"]), None).await;
    assert_eq!(r.status, 400, "the root namespace stays");
}

async fn an_underscore_in_a_path_is_not_a_wildcard(s: TestServer) {
    let org = s.organization_id();
    let admin = s.admin_token();
    let [central, _] = editions(&s);
    let (_, bob) = s.token_user("bob", "").await;
    create(&bob, &central, json!({"name": "A_B", "path": "a_b"})).await;
    let axb = create(&admin, &central, json!({"name": "AXB", "path": "axb"})).await;
    let child = create(&admin, &central, json!({"name": "C", "path": "c", "parentId": axb["id"]})).await;
    let r = bob.get(&format!("{central}/namespaces/{}", child["id"])).await;
    assert_eq!(r.status, 404, "membership of {org}/a_b grants nothing in {org}/axb");
    let listed = bob.get(&format!("{central}/namespaces")).await;
    assert_eq!(listed.header("x-total"), "1", "{}", listed.text);
}

async fn group_members_grant_and_lose_access(s: TestServer) {
    let admin = s.admin_token();
    let [central, region] = editions(&s);
    let secret = create(&admin, &central, json!({"name": "Secret", "path": "secret"})).await;
    let child = create(&admin, &central, json!({"name": "Inner", "path": "inner", "parentId": secret["id"]})).await;
    let (bob_id, bob) = s.token_user("bob", "").await;
    let (carol_id, carol) = s.token_user("carol", "").await;
    let members = format!("{region}/groups/{}/members", secret["id"]);
    assert_eq!(bob.get(&format!("{central}/namespaces/{}", child["id"])).await.status, 404);

    let r = admin.post(&format!("{members}?accessLevel=20&userId=[{bob_id}]&expiresAt=2999-12-31"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_no_nulls(&r.json, "member");
    assert_eq!(
        (r.json["userId"].as_str(), r.json["accessLevel"].as_i64(), r.json["username"].as_str()),
        (Some(bob_id.as_str()), Some(20), Some("bob"))
    );
    assert_eq!(r.json["expiresAt"], "3000-01-01T00:00:00Z", "valid through the given day");
    assert_eq!(bob.get(&format!("{central}/namespaces/{}", child["id"])).await.status, 200, "a member of an ancestor sees the subgroup");
    let r = bob.post(&format!("{region}/groups"), &json!({"name": "Sub", "path": "sub", "parentId": secret["id"]})).await;
    assert_eq!(r.status, 403, "a viewer may not create subgroups");

    // All or none: carol is new, bob already a member.
    let r = admin.post(&format!("{members}?accessLevel=30&userId={carol_id},{bob_id}"), &json!({})).await;
    assert_eq!((r.status, r.error_code()), (409, "Conflict"));
    assert_eq!(carol.get(&format!("{central}/namespaces/{}", secret["id"])).await.status, 404, "nothing was added");
    for (query, code) in [
        (format!("accessLevel=25&userId={carol_id}"), "BadRequest"),
        (format!("userId={carol_id}"), "BadRequest"),
        ("accessLevel=30&userId=999".to_string(), "BadRequest"),
        (format!("accessLevel=30&userId={carol_id}&expiresAt=2001-01-01"), "BadRequest"),
        (format!("accessLevel=30&userId={carol_id}&expiresAt=tomorrow"), "BadRequest"),
    ] {
        let r = admin.post(&format!("{members}?{query}"), &json!({})).await;
        assert_eq!((r.status, r.error_code()), (400, code), "{query}: {}", r.text);
    }
    let r = bob.post(&format!("{members}?accessLevel=30&userId={carol_id}"), &json!({})).await;
    assert_eq!((r.status, r.error_code()), (403, "Forbidden"), "viewers do not manage members");

    let r = admin.post(&format!("{members}?accessLevel=30&userId={carol_id}"), &json!({})).await;
    assert_eq!(r.status, 200);
    let listed = admin.get(&members).await;
    assert_eq!(listed.json.as_array().unwrap().len(), 3, "creator, bob and carol: {}", listed.text);
    let devs = admin.get(&format!("{members}?accessLevel=30")).await;
    let dev_ids: Vec<_> = devs.json.as_array().unwrap().iter().map(|m| m["userId"].as_str().unwrap().to_string()).collect();
    assert!(dev_ids.contains(&carol_id) && !dev_ids.contains(&bob_id), "accessLevel is a minimum");

    // The subgroup lists the members it inherits, naming where they come from.
    let inner = admin.get(&format!("{central}/groups/{}/members", child["id"])).await;
    assert_eq!(inner.status, 200, "{}", inner.text);
    let bob_inner = inner.json.as_array().unwrap().iter().find(|m| m["userId"] == bob_id.as_str()).expect("bob is listed").clone();
    assert_eq!((bob_inner["accessLevel"].as_i64(), bob_inner["inheritedGroup"]["id"].clone()), (Some(20), secret["id"].clone()));
    let direct = admin.get(&members).await;
    assert!(direct.json.as_array().unwrap().iter().all(|m| m.get("inheritedGroup").is_none()), "direct members carry no inheritedGroup");
    let r = admin.call(reqwest::Method::PUT, &format!("{members}/{bob_id}?accessLevel=40"), None).await;
    assert_eq!((r.status, r.json["accessLevel"].as_i64()), (200, Some(40)));
    assert_eq!(
        bob.post(&format!("{region}/groups"), &json!({"name": "Sub", "path": "sub", "parentId": secret["id"]})).await.status,
        200,
        "an admin creates subgroups"
    );
    let r = admin.call(reqwest::Method::DELETE, &format!("{members}/{bob_id}"), None).await;
    assert_eq!((r.status, &r.json), (200, &json!({"result": true})));
    assert_eq!(bob.get(&format!("{central}/namespaces/{}", secret["id"])).await.status, 404, "a removed member loses access");
    assert_eq!(admin.call(reqwest::Method::DELETE, &format!("{members}/{bob_id}"), None).await.status, 404);
}

async fn moving_a_group_moves_its_subtree(s: TestServer) {
    let org = s.organization_id();
    let c = s.admin_token();
    let [central, _] = editions(&s);
    let put = |id: &Value, body: Value| {
        let c = c.clone();
        let url = format!("{central}/groups/{id}");
        async move { c.call(reqwest::Method::PUT, &url, Some(&body)).await }
    };
    let a = create(&c, &central, json!({"name": "A", "path": "a", "visibility": "internal"})).await;
    let b = create(&c, &central, json!({"name": "B", "path": "b", "visibility": "internal"})).await;
    let b1 = create(&c, &central, json!({"name": "B1", "path": "b1", "parentId": b["id"], "visibility": "internal"})).await;
    let r = put(&b["id"], json!({"parentId": a["id"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["fullPath"], format!("{org}/a/b"));
    let moved = c.get(&format!("{central}/namespaces/{}", b1["id"])).await;
    assert_eq!(
        (moved.json["fullPath"].as_str(), moved.json["nameWithNamespace"].as_str()),
        (Some(format!("{org}/a/b/b1").as_str()), Some(format!("{org} / A / B / B1").as_str()))
    );
    let r = put(&a["id"], json!({"parentId": b1["id"]})).await;
    assert_eq!(r.status, 400, "not into its own subtree: {}", r.text);
    // a/b/b1 is three levels; under a chain of three more it would exceed four subgroup levels.
    let mut deep = create(&c, &central, json!({"name": "D1", "path": "d1", "visibility": "internal"})).await;
    for i in 2..=3 {
        deep =
            create(&c, &central, json!({"name": format!("D{i}"), "path": format!("d{i}"), "parentId": deep["id"], "visibility": "internal"})).await;
    }
    let r = put(&a["id"], json!({"parentId": deep["id"]})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        c.get(&format!("{central}/namespaces/{}", b1["id"])).await.json["fullPath"],
        format!("{org}/a/b/b1"),
        "a refused move changes nothing"
    );
    let r = put(&b["id"], json!({"parentId": 0})).await;
    assert_eq!((r.status, r.json["fullPath"].as_str()), (200, Some(format!("{org}/b").as_str())), "0 moves a group back to the root");
    let r = put(&b1["id"], json!({"parentId": deep["id"]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let b1_now = c.get(&format!("{central}/namespaces/{}", b1["id"])).await;
    assert_eq!(b1_now.json["fullPath"], format!("{org}/d1/d2/d3/b1"));
    let too_deep = c.post(&format!("{central}/groups"), &json!({"name": "X", "path": "x", "parentId": b1["id"]})).await;
    assert_eq!(too_deep.status, 200, "b1 is at level 4, one more fits: {}", too_deep.text);
    let no = c.post(&format!("{central}/groups"), &json!({"name": "Y", "path": "y", "parentId": too_deep.json["id"]})).await;
    assert_eq!(no.status, 400, "depths moved with the subtree");
}

async fn bad_input_gets_codeup_errors_and_races_have_one_winner(s: TestServer) {
    let c = s.admin_token();
    let [central, region] = editions(&s);
    let check = |r: &codeport_testkit::Reply, status: u16, code: &str| {
        assert_eq!((r.status, r.error_code()), (status, code), "{}", r.text);
        assert!(r.header("content-type").starts_with("application/json"), "JSON even for {status}");
    };
    check(&c.get(&format!("{region}/namespaces?perPage=abc")).await, 400, "BadRequest");
    let big = "x".repeat(1024 * 1024 + 1);
    check(&c.post(&format!("{central}/groups"), &json!({"name": "big", "path": "big", "description": big})).await, 413, "PayloadTooLarge");
    let raw = reqwest::Client::new()
        .post(format!("{}{central}/groups", s.base_url))
        .header("x-yunxiao-token", c.token.clone().unwrap())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert!(raw.text().await.unwrap().contains("BadRequest"));
    // Eight concurrent creations of one path: exactly one group, the rest 409.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let c = c.clone();
        let url = format!("{central}/groups");
        tasks.push(tokio::spawn(async move { c.post(&url, &json!({"name": format!("Race {i}"), "path": "race"})).await.status }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    assert_eq!(c.get(&format!("{central}/namespaces?search=race")).await.header("x-total"), "1");
}

both_backends!(
    bad_input_gets_codeup_errors_and_races_have_one_winner,
    moving_a_group_moves_its_subtree,
    group_members_grant_and_lose_access,
    renaming_moves_descendants_and_deleting_never_orphans,
    an_underscore_in_a_path_is_not_a_wildcard,
    a_three_level_tree_reads_back_by_id_and_path_in_both_editions,
    paths_nesting_and_visibility_rules_are_enforced,
    another_member_sees_only_what_visibility_allows,
    lists_page_sort_and_filter_by_parent,
);
