//! Workspaces and members over real HTTP: shapes the SDK reads, validation, visibility
//! (non-members see nothing), the default workspace, and all-or-none member changes.

use codeport_testkit::{both_backends, TestServer};
use serde_json::json;

async fn workspace_lifecycle_and_shapes(s: TestServer) {
    let a = s.admin();
    let ws = a.create_workspace("first_ws").await;
    let rg = a
        .post(
            "/api/v1/workspaces",
            &json!({"WorkspaceName": "grouped", "Description": "d", "EnvTypes": ["dev", "prod"], "ResourceGroupId": "rg-acfm"}),
        )
        .await;
    let rg_ws = rg.json["WorkspaceId"].as_str().unwrap().to_string();
    assert_eq!(a.get(&format!("/api/v1/workspaces/{rg_ws}"), &[]).await.json["ResourceGroupId"], "rg-acfm");
    let listed = a.get("/api/v1/workspaces", &[("ResourceGroupId", "rg-acfm")]).await;
    assert_eq!(listed.json["TotalCount"], 1);
    assert_eq!(listed.json["Workspaces"][0]["resourceGroupId"], "rg-acfm", "ListWorkspaces items use a lowercase key");
    assert_eq!(listed.json["Workspaces"][0]["EnvTypes"], json!(["dev", "prod"]));
    let r = a.get(&format!("/api/v1/workspaces/{ws}"), &[]).await;
    assert_eq!(r.status, 200);
    let w = &r.json;
    assert_eq!(w["WorkspaceId"], ws.as_str());
    assert_eq!(w["WorkspaceName"], "first_ws");
    assert_eq!(w["DisplayName"], "first_ws", "DisplayName defaults to the name");
    assert_eq!(w["EnvTypes"], json!(["prod"]));
    assert_eq!(w["Creator"], s.admin_id().as_str());
    assert_eq!(w["IsDefault"], true, "the organization's first workspace is the default");
    assert_eq!(w["Status"], "ENABLED");
    assert_eq!(w["AdminNames"], json!(["admin"]));
    assert!(w["GmtModifiedTime"].as_str().unwrap().ends_with('Z'));
    assert!(w.get("Owner").is_none(), "Owner only with Verbose");
    let r = a.get(&format!("/api/v1/workspaces/{ws}"), &[("Verbose", "True")]).await;
    assert_eq!(r.json["Owner"]["UserId"], s.admin_id().as_str());
    assert_eq!(r.json["Owner"]["UserName"], "admin");

    let r = a.put(&format!("/api/v1/workspaces/{ws}"), &json!({"DisplayName": "First", "Description": "new"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = a.get(&format!("/api/v1/workspaces/{ws}"), &[]).await;
    assert_eq!((r.json["DisplayName"].as_str(), r.json["Description"].as_str()), (Some("First"), Some("new")));
    let r = a.put(&format!("/api/v1/workspaces/{ws}"), &json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}"), &[]).await.json["DisplayName"], "First", "absent fields stay");

    let r = a.get("/api/v1/defaultWorkspaces", &[("Verbose", "true")]).await;
    assert_eq!(r.json["WorkspaceId"], ws.as_str());
    assert_eq!(r.json["Owner"]["UserName"], "admin");

    let r = a.delete(&format!("/api/v1/workspaces/{ws}"), &[]).await;
    assert_eq!((r.status, r.code()), (400, "DefaultWorkspaceCannotBeDeleted"));
    let second = a.create_workspace("second_ws").await;
    assert_eq!(a.get(&format!("/api/v1/workspaces/{second}"), &[]).await.json["IsDefault"], false);
    let cs = a.create_code_source(&json!({"WorkspaceId": second, "DisplayName": "c"})).await;
    let r = a.delete(&format!("/api/v1/workspaces/{second}"), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(a.get(&format!("/api/v1/workspaces/{second}"), &[]).await.code(), "WorkspaceNotFound");
    assert_eq!(a.get(&format!("/api/v1/codesources/{cs}"), &[]).await.code(), "CodeSourceNotFound", "deleting a workspace deletes its code sources");
}

async fn workspace_input_is_validated(s: TestServer) {
    let a = s.admin();
    let cases = [
        (json!({"Description": "d", "EnvTypes": ["prod"]}), "MissingParameter", "WorkspaceName"),
        (json!({"WorkspaceName": "1abc", "Description": "d", "EnvTypes": ["prod"]}), "InvalidParameter", "WorkspaceName"),
        (json!({"WorkspaceName": "ab", "Description": "d", "EnvTypes": ["prod"]}), "InvalidParameter", "WorkspaceName"),
        (json!({"WorkspaceName": "abc", "Description": "x".repeat(81), "EnvTypes": ["prod"]}), "InvalidParameter", "Description"),
        (json!({"WorkspaceName": "abc", "Description": "d", "EnvTypes": ["dev"]}), "InvalidParameter", "EnvTypes"),
        (json!({"WorkspaceName": "abc", "Description": "d", "EnvTypes": "prod"}), "InvalidParameter", "EnvTypes"),
        (json!({"WorkspaceName": "abc", "Description": "d"}), "MissingParameter", "EnvTypes"),
        (json!({"WorkspaceName": 5, "Description": "d", "EnvTypes": ["prod"]}), "InvalidParameter", "WorkspaceName"),
    ];
    for (body, code, field) in cases {
        let r = a.post("/api/v1/workspaces", &body).await;
        assert_eq!((r.status, r.code()), (400, code), "{body}: {}", r.text);
        assert!(r.json["Message"].as_str().unwrap().contains(field), "{body}: {}", r.text);
    }
    a.create_workspace("dup_name").await;
    let r = a.post("/api/v1/workspaces", &json!({"WorkspaceName": "DUP_NAME", "Description": "d", "EnvTypes": ["prod"]})).await;
    assert_eq!((r.status, r.code()), (409, "WorkspaceNameAlreadyExists"));
    let r = a.get("/api/v1/workspaces", &[]).await;
    assert_eq!(r.json["TotalCount"], 1, "failed creations wrote nothing");
}

async fn non_members_see_nothing_of_a_workspace(s: TestServer) {
    let a = s.admin();
    let (uid, u) = s.user("outsider").await;
    let ws = a.create_workspace("private_ws").await;
    for path in [format!("/api/v1/workspaces/{ws}"), format!("/api/v1/workspaces/{ws}/members")] {
        let r = u.get(&path, &[]).await;
        assert_eq!((r.status, r.code()), (404, "WorkspaceNotFound"), "{path}");
    }
    let r = u.get("/api/v1/codesources", &[("WorkspaceId", &ws)]).await;
    assert_eq!((r.status, r.code()), (404, "WorkspaceNotFound"));
    let r = u.get(&format!("/api/v1/workspaces/{ws}/member"), &[("UserId", &uid)]).await;
    assert_eq!(r.status, 404);
    let r = u.put(&format!("/api/v1/workspaces/{ws}"), &json!({"DisplayName": "x"})).await;
    assert_eq!(r.status, 404);
    let r = u.get("/api/v1/workspaces", &[]).await;
    assert_eq!(r.json["TotalCount"], 0);
    assert_eq!(u.get("/api/v1/defaultWorkspaces", &[]).await.status, 404);
    let mine = u.create_workspace("users_own").await;
    let r = u.get("/api/v1/workspaces", &[]).await;
    assert_eq!(r.json["TotalCount"], 1);
    assert_eq!(r.json["Workspaces"][0]["WorkspaceId"], mine.as_str());
    // The organization owner sees every workspace of the organization.
    let r = a.get("/api/v1/workspaces", &[]).await;
    assert_eq!(r.json["TotalCount"], 2);
    // Another user's list is the organization admin's business only.
    let r = u.get("/api/v1/workspaces", &[("UserId", &s.admin_id())]).await;
    assert_eq!(r.status, 403);
    let r = a.get("/api/v1/workspaces", &[("UserId", &uid)]).await;
    assert_eq!(r.json["TotalCount"], 1);
}

async fn workspace_lists_filter_sort_and_page(s: TestServer) {
    let a = s.admin();
    let mut ids = Vec::new();
    for n in ["list_c", "list_a", "list_b", "other_x"] {
        ids.push(a.create_workspace(n).await);
        // Times have millisecond resolution; keep creation times distinct so their order is defined.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let r = a.get("/api/v1/workspaces", &[("WorkspaceName", "LIST_"), ("SortBy", "WorkspaceName"), ("Order", "desc")]).await;
    assert_eq!(r.json["TotalCount"], 3);
    let names: Vec<_> = r.json["Workspaces"].as_array().unwrap().iter().map(|w| w["WorkspaceName"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["list_c", "list_b", "list_a"]);
    let item = &r.json["Workspaces"][0];
    assert!(item.get("resourceGroupId").is_none() || item["resourceGroupId"].is_string());
    assert_eq!(item["AdminNames"], json!(["admin"]));
    let r = a.get("/api/v1/workspaces", &[("PageSize", "2"), ("PageNumber", "2")]).await;
    assert_eq!(r.json["TotalCount"], 4);
    let page2: Vec<_> = r.json["Workspaces"].as_array().unwrap().iter().map(|w| w["WorkspaceId"].as_str().unwrap().to_string()).collect();
    assert_eq!(page2, ids[2..].to_vec(), "default sort: creation time ascending");
    let joined = format!("{},{}", ids[0], ids[3]);
    let r = a.get("/api/v1/workspaces", &[("WorkspaceIds", &joined)]).await;
    assert_eq!(r.json["TotalCount"], 2);
    for (k, v) in [("PageSize", "0"), ("PageSize", "101"), ("PageNumber", "0"), ("SortBy", "Color"), ("Order", "sideways"), ("PageSize", "ten")] {
        let r = a.get("/api/v1/workspaces", &[(k, v)]).await;
        assert_eq!((r.status, r.code()), (400, "InvalidParameter"), "{k}={v}");
        assert!(r.json["Message"].as_str().unwrap().contains(k));
    }
}

async fn members_are_added_listed_and_removed_all_or_none(s: TestServer) {
    let a = s.admin();
    let ws = a.create_workspace("team_ws").await;
    let (alice, alice_c) = s.user("alice").await;
    let (bob, _) = s.user("bob").await;
    let r = a
        .post(
            &format!("/api/v1/workspaces/{ws}/members"),
            &json!({"Members": [{"UserId": alice, "Roles": ["PAI.AlgoDeveloper"]}, {"UserId": bob, "Roles": ["pai.workspaceguest"]}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["Members"][0]["MemberId"], format!("{ws}-{alice}"));
    assert_eq!(r.json["Members"][1]["Roles"], json!(["PAI.WorkspaceGuest"]));
    assert_eq!(r.json["Members"][0]["DisplayName"], "alice");

    // A batch with one bad entry adds nobody.
    let (carol, _) = s.user("carol").await;
    let r = a
        .post(
            &format!("/api/v1/workspaces/{ws}/members"),
            &json!({"Members": [{"UserId": carol, "Roles": ["PAI.AlgoDeveloper"]}, {"UserId": alice, "Roles": ["PAI.AlgoDeveloper"]}]}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "MemberAlreadyExists"));
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}/member"), &[("UserId", &carol)]).await.status, 404);
    for (body, code) in [
        (json!({"Members": [{"UserId": "999", "Roles": ["PAI.AlgoDeveloper"]}]}), "InvalidParameter"),
        (json!({"Members": [{"UserId": carol, "Roles": ["PAI.Wizard"]}]}), "InvalidParameter"),
        (json!({"Members": [{"UserId": carol, "Roles": []}]}), "InvalidParameter"),
        (json!({"Members": [{"UserId": carol, "Roles": ["PAI.WorkspaceOwner"]}]}), "InvalidParameter"),
        (json!({"Members": []}), "MissingParameter"),
        (json!({}), "MissingParameter"),
    ] {
        let r = a.post(&format!("/api/v1/workspaces/{ws}/members"), &body).await;
        assert_eq!((r.status, r.code()), (400, code), "{body}: {}", r.text);
    }
    // Only managers add members.
    let r = alice_c.post(&format!("/api/v1/workspaces/{ws}/members"), &json!({"Members": [{"UserId": carol, "Roles": ["PAI.AlgoDeveloper"]}]})).await;
    assert_eq!((r.status, r.code()), (403, "NoPermission"));

    let r = alice_c.get(&format!("/api/v1/workspaces/{ws}/members"), &[]).await;
    assert_eq!(r.json["TotalCount"], 3, "members may list members");
    let m = &r.json["Members"][0];
    for k in ["MemberId", "UserId", "MemberName", "DisplayName", "Roles", "GmtCreateTime", "AccountName", "AccountType"] {
        assert!(m.get(k).is_some(), "ListMembers item has {k}");
    }
    assert_eq!(m["AccountType"], "1", "the organization owner is the primary account");
    let r = a.get(&format!("/api/v1/workspaces/{ws}/members"), &[("Roles", "PAI.AlgoDeveloper,PAI.WorkspaceGuest")]).await;
    assert_eq!(r.json["TotalCount"], 2);
    let r = a.get(&format!("/api/v1/workspaces/{ws}/members"), &[("MemberName", "LIC")]).await;
    assert_eq!(r.json["TotalCount"], 1);
    assert_eq!(r.json["Members"][0]["UserId"], alice.as_str());
    assert_eq!(r.json["Members"][0]["AccountType"], "5");
    let r = a.get(&format!("/api/v1/workspaces/{ws}/members"), &[("PageSize", "1"), ("PageNumber", "3")]).await;
    assert_eq!((r.json["TotalCount"].as_u64(), r.json["Members"].as_array().unwrap().len()), (Some(3), 1));

    let member = format!("{ws}-{alice}");
    let r = a.get(&format!("/api/v1/workspaces/{ws}/member"), &[("MemberId", &member)]).await;
    assert_eq!((r.status, r.json["UserId"].as_str()), (200, Some(alice.as_str())));
    assert_eq!(r.json["RequestId"], r.headers["x-acs-request-id"].to_str().unwrap());
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}/member"), &[("MemberId", &member), ("UserId", &alice)]).await.status, 400);
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}/member"), &[]).await.code(), "MissingParameter");

    let roles = |r: &codeport_testkit::Reply| r.json["Roles"].clone();
    assert_eq!(a.post(&format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.WorkspaceAdmin"), &json!({})).await.status, 200);
    assert_eq!(
        roles(&a.get(&format!("/api/v1/workspaces/{ws}/member"), &[("UserId", &alice)]).await),
        json!(["PAI.WorkspaceAdmin", "PAI.AlgoDeveloper"])
    );
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}"), &[]).await.json["AdminNames"], json!(["admin", "alice"]));
    // Alice now manages the workspace.
    let r = alice_c.post(&format!("/api/v1/workspaces/{ws}/members"), &json!({"Members": [{"UserId": carol, "Roles": ["PAI.AlgoOperator"]}]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(a.delete(&format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.WorkspaceAdmin"), &[]).await.status, 200);
    let r = a.delete(&format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.WorkspaceAdmin"), &[]).await;
    assert_eq!((r.status, r.code()), (404, "RoleNotFound"));
    let r = a.delete(&format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.AlgoDeveloper"), &[]).await;
    assert_eq!((r.status, r.code()), (400, "LastRoleCannotBeRemoved"));
    assert_eq!(a.post(&format!("/api/v1/workspaces/{ws}/members/{member}/roles/PAI.Nope"), &json!({})).await.code(), "InvalidParameter");
    assert_eq!(a.post(&format!("/api/v1/workspaces/{ws}/members/{ws}-123/roles/PAI.AlgoOperator"), &json!({})).await.code(), "MemberNotFound");

    // DeleteMembers: all or none, never the owner.
    let owner_member = format!("{ws}-{}", s.admin_id());
    let both = format!("{member},{owner_member}");
    let r = a.delete(&format!("/api/v1/workspaces/{ws}/members"), &[("MemberIds", &both)]).await;
    assert_eq!((r.status, r.code()), (400, "CannotRemoveOwner"));
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}/member"), &[("MemberId", &member)]).await.status, 200, "nothing removed");
    let bobs = format!("{ws}-{bob},{member}");
    let r = a.delete(&format!("/api/v1/workspaces/{ws}/members"), &[("MemberIds", &bobs)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(a.get(&format!("/api/v1/workspaces/{ws}/members"), &[]).await.json["TotalCount"], 2);
    assert_eq!(alice_c.get(&format!("/api/v1/workspaces/{ws}"), &[]).await.status, 404, "a removed member sees nothing");
    assert_eq!(a.delete(&format!("/api/v1/workspaces/{ws}/members"), &[]).await.code(), "MissingParameter");
}

both_backends!(
    workspace_lifecycle_and_shapes,
    workspace_input_is_validated,
    non_members_see_nothing_of_a_workspace,
    workspace_lists_filter_sort_and_page,
    members_are_added_listed_and_removed_all_or_none,
);
