//! Codeup repositories and their content over real HTTP, in both editions: create (empty, with
//! a README, with missing parent groups), get by id and by encoded full path, list per
//! organization and per group with paging headers, update, delete (data removed from disk);
//! branches, tags, files written as commits, commits and compare; who may see and change
//! what; and bad input (paths with `..`, NUL, invalid ref names, files over the limit) that
//! changes nothing.

use codeport_testkit::{assert_no_nulls, both_backends, CodeupClient, Reply, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

fn editions(s: &TestServer) -> [String; 2] {
    [format!("/oapi/v1/codeup/organizations/{}", s.organization_id()), "/oapi/v1/codeup".to_string()]
}

fn enc(s: &str) -> String {
    s.replace('/', "%2F")
}

async fn create_repo(c: &CodeupClient, base: &str, body: Value) -> Value {
    let r = c.post(&format!("{base}/repositories?createParentPath=true"), &body).await;
    assert_eq!(r.status, 200, "create {body}: {}", r.text);
    assert_eq!(r.header("content-type"), "application/json");
    assert_no_nulls(&r.json, "repository");
    r.json
}

async fn put(c: &CodeupClient, path: &str, body: &Value) -> Reply {
    c.call(Method::PUT, path, Some(body)).await
}

async fn delete(c: &CodeupClient, path: &str) -> Reply {
    c.call(Method::DELETE, path, None).await
}

async fn repositories_are_created_read_listed_updated_and_deleted(s: TestServer) {
    let org = s.organization_id();
    let c = s.admin_token();
    let [central, region] = editions(&s);
    let r = create_repo(&c, &central, json!({"name": "Demo", "path": "platform/backend/demo", "readMeType": "USER_GUIDE", "description": "d"})).await;
    assert!(r["id"].is_i64(), "the id is an integer: {r}");
    assert_eq!(r["pathWithNamespace"], format!("{org}/platform/backend/demo"));
    assert_eq!(r["nameWithNamespace"], format!("{org} / platform / backend / Demo"));
    assert_eq!(r["webUrl"], format!("{}/{org}/platform/backend/demo", s.base_url));
    assert_eq!(r["httpUrlToRepo"], format!("{}/{org}/platform/backend/demo.git", s.base_url));
    assert_eq!((r["visibility"].as_str(), r["defaultBranch"].as_str()), (Some("private"), Some("master")));
    let id = r["id"].as_i64().unwrap();
    // The missing groups were created.
    let group = c.get(&format!("{central}/namespaces/{}", enc(&format!("{org}/platform/backend")))).await;
    assert_eq!(group.status, 200, "{}", group.text);
    assert_eq!(r["namespaceId"], group.json["id"]);
    // Without createParentPath a missing group is a 400 and nothing is created.
    let r2 = c.post(&format!("{central}/repositories"), &json!({"name": "x", "path": "nowhere/x"})).await;
    assert_eq!((r2.status, r2.error_code()), (400, "BadRequest"), "{}", r2.text);

    for base in [&central, &region] {
        let by_id = c.get(&format!("{base}/repositories/{id}")).await;
        assert_eq!(by_id.status, 200, "{}", by_id.text);
        assert_no_nulls(&by_id.json, "repository");
        assert_eq!(by_id.json["namespace"]["id"], group.json["id"]);
        let by_path = c.get(&format!("{base}/repositories/{}", enc(&format!("{org}/Platform/backend/DEMO")))).await;
        assert_eq!(by_path.json["id"], id, "a full path resolves case-insensitively");
    }
    // A second and third repository for the listing.
    create_repo(&c, &region, json!({"name": "Tools", "path": "tools", "visibility": "internal"})).await;
    create_repo(&c, &central, json!({"name": "Alpha", "path": "platform/alpha"})).await;
    let page = c.get(&format!("{central}/repositories?perPage=2&page=1&orderBy=name&sort=asc")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let names: Vec<_> = page.json.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["Alpha", "Demo"]);
    assert_eq!((page.header("x-total"), page.header("x-total-pages"), page.header("x-next-page"), page.header("x-prev-page")), ("3", "2", "2", ""));
    let searched = c.get(&format!("{region}/repositories?search=DEM")).await;
    assert_eq!(searched.header("x-total"), "1");
    let bad = c.get(&format!("{central}/repositories?perPage=101")).await;
    assert_eq!(bad.status, 400);
    let bad = c.get(&format!("{central}/repositories?orderBy=stars")).await;
    assert_eq!(bad.status, 400);
    // Per group, with and without subgroups.
    let platform = c.get(&format!("{central}/namespaces/{}", enc(&format!("{org}/platform")))).await.json;
    let direct = c.get(&format!("{central}/groups/{}/repositories", platform["id"])).await;
    assert_eq!(direct.json.as_array().unwrap().len(), 1, "{}", direct.text);
    let deep = c.get(&format!("{central}/groups/{}/repositories?includeSubgroups=true", enc(&format!("{org}/platform")))).await;
    assert_eq!(deep.header("x-total"), "2", "{}", deep.text);

    // Update: rename the path (URLs move, the data stays), description, visibility.
    let louder = put(&c, &format!("{central}/repositories/{id}"), &json!({"visibility": "internal"})).await;
    assert_eq!(louder.status, 400, "the created parent groups are private, so the repository stays private: {}", louder.text);
    let up = put(&c, &format!("{central}/repositories/{id}"), &json!({"path": "demo2", "description": "new"})).await;
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.json["pathWithNamespace"], format!("{org}/platform/backend/demo2"));
    assert_eq!(up.json["description"], "new");
    let file = c.get(&format!("{region}/repositories/{}/files/README.md?ref=", enc(&format!("{org}/platform/backend/demo2")))).await;
    assert_eq!(file.status, 200, "the content survives the rename: {}", file.text);
    assert_eq!(
        c.get(&format!("{region}/repositories/{}", enc(&format!("{org}/platform/backend/demo")))).await.status,
        404,
        "the old path stops resolving"
    );
    let public = put(&c, &format!("{central}/repositories/{id}"), &json!({"visibility": "public"})).await;
    assert_eq!(public.status, 400, "repositories are private or internal: {}", public.text);
    let no_branch = put(&c, &format!("{central}/repositories/{id}"), &json!({"default_branch": "nope"})).await;
    assert_eq!(no_branch.status, 400, "{}", no_branch.text);
    let dev = c.post(&format!("{central}/repositories/{id}/branches?branch=dev&ref=master"), &json!(null)).await;
    assert_eq!(dev.status, 200, "{}", dev.text);
    let switched = put(&c, &format!("{central}/repositories/{id}"), &json!({"default_branch": "dev"})).await;
    assert_eq!(switched.json["defaultBranch"], "dev", "{}", switched.text);
    let branches = c.get(&format!("{central}/repositories/{id}/branches")).await.json;
    let defaults: Vec<_> = branches.as_array().unwrap().iter().filter(|b| b["defaultBranch"] == true).map(|b| b["name"].clone()).collect();
    assert_eq!(defaults, [json!("dev")]);
    assert_eq!(
        c.get(&format!("{central}/repositories/{id}/files/README.md?ref=")).await.json["ref"],
        "dev",
        "an empty ref means the new default branch"
    );
    assert_eq!(
        delete(&c, &format!("{central}/repositories/{id}/branches/dev")).await.status,
        400,
        "the new default branch is protected from deletion"
    );
    assert_eq!(delete(&c, &format!("{central}/repositories/{id}/branches/master")).await.status, 200, "the old one is not");

    // Delete: the row and the data go.
    let data = s.data_dir().join("repositories").join(format!("{id}.git"));
    assert!(data.is_dir());
    let gone = delete(&c, &format!("{central}/repositories/{id}")).await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert_eq!(gone.header("content-type"), "application/json");
    assert!(!data.exists(), "the data is removed with the repository");
    assert_eq!(c.get(&format!("{central}/repositories/{id}")).await.status, 404);
}

async fn branches_tags_files_commits_and_compare(s: TestServer) {
    let c = s.admin_token();
    let [central, region] = editions(&s);
    let r = create_repo(&c, &central, json!({"name": "Content", "path": "content", "readMeType": "EMPTY"})).await;
    let repo = format!("{region}/repositories/{}", r["id"]);
    let crepo = format!("{central}/repositories/{}", r["id"]);

    // Branches: create from the default branch, get, list, the default cannot be deleted.
    let b = c.post(&format!("{repo}/branches?branch=feature%2Fx&ref=master"), &json!(null)).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_no_nulls(&b.json, "branch");
    assert_eq!((b.json["name"].as_str(), b.json["defaultBranch"].as_bool()), (Some("feature/x"), Some(false)));
    assert!(b.json["webUrl"].as_str().unwrap().starts_with("http"));
    assert_eq!(c.post(&format!("{repo}/branches?branch=feature%2Fx&ref=master"), &json!(null)).await.status, 409);
    assert_eq!(c.post(&format!("{repo}/branches?branch=bad..name&ref=master"), &json!(null)).await.status, 400);
    assert_eq!(c.post(&format!("{repo}/branches?branch=y&ref=nope"), &json!(null)).await.status, 400);
    let got = c.get(&format!("{crepo}/branches/feature%2Fx")).await;
    assert_eq!(got.json["commit"]["id"], b.json["commit"]["id"]);
    let listed = c.get(&format!("{repo}/branches")).await;
    assert_eq!(listed.header("x-total"), "2");
    let master = delete(&c, &format!("{repo}/branches/master")).await;
    assert_eq!(master.status, 400, "the default branch cannot be deleted: {}", master.text);

    // Files: create in a directory (path encoded in the body), read, update, list, delete.
    let created = c
        .post(
            &format!("{repo}/files"),
            &json!({"branch": "feature/x", "filePath": "src%2Fmain%2Fa.txt", "content": "one\n", "commitMessage": "add a", "encoding": "text"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.json["filePath"], "src/main/a.txt");
    let again = c
        .post(&format!("{repo}/files"), &json!({"branch": "feature/x", "filePath": "/src/main/a.txt", "content": "x", "commitMessage": "again"}))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    let blob = c.get(&format!("{repo}/files/%2Fsrc%2Fmain%2Fa.txt?ref=feature%2Fx")).await;
    assert_eq!(blob.status, 200, "{}", blob.text);
    assert_eq!((blob.json["content"].as_str(), blob.json["size"].as_str(), blob.json["encoding"].as_str()), (Some("one\n"), Some("4"), Some("text")));
    let binary = c
        .post(
            &format!("{repo}/files"),
            &json!({"branch": "feature/x", "filePath": "bin.dat", "content": "AAEC/w==", "commitMessage": "binary", "encoding": "base64"}),
        )
        .await;
    assert_eq!(binary.status, 200, "{}", binary.text);
    let bin = c.get(&format!("{repo}/files/bin.dat?ref=feature%2Fx")).await;
    assert_eq!(
        (bin.json["content"].as_str(), bin.json["encoding"].as_str(), bin.json["size"].as_str()),
        (Some("AAEC/w=="), Some("base64"), Some("4"))
    );
    let updated =
        put(&c, &format!("{crepo}/files/src%2Fmain%2Fa.txt"), &json!({"branch": "feature/x", "content": "two\n", "commitMessage": "update a"})).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(c.get(&format!("{repo}/files/src%2Fmain%2Fa.txt?ref=feature%2Fx")).await.json["content"], "two\n");
    let missing = put(&c, &format!("{crepo}/files/none.txt"), &json!({"branch": "feature/x", "content": "x", "commitMessage": "m"})).await;
    assert_eq!(missing.status, 404);
    let tree = c.get(&format!("{repo}/files/tree?ref=feature%2Fx")).await;
    let entries: Vec<(String, String)> =
        tree.json.as_array().unwrap().iter().map(|e| (e["path"].as_str().unwrap().into(), e["type"].as_str().unwrap().into())).collect();
    assert_eq!(entries, [("README.md".into(), "blob".into()), ("bin.dat".into(), "blob".into()), ("src".into(), "tree".into())]);
    let sub = c.get(&format!("{repo}/files/tree?ref=feature%2Fx&path=src%2Fmain")).await;
    assert_eq!(sub.json[0]["path"], "src/main/a.txt");
    assert_eq!(sub.json[0]["size"], 4);
    let flat = c.get(&format!("{repo}/files/tree?ref=feature%2Fx&type=FLATTEN")).await;
    assert!(flat.json.as_array().unwrap().iter().any(|e| e["name"] == "src/main"), "{}", flat.text);
    let recursive = c.get(&format!("{repo}/files/tree?ref=feature%2Fx&type=RECURSIVE")).await;
    assert!(recursive.json.as_array().unwrap().iter().any(|e| e["path"] == "src/main/a.txt"), "{}", recursive.text);

    // Commits: newest first, filtered by path, paged; one commit with stats.
    let commits = c.get(&format!("{repo}/commits?refName=feature%2Fx&perPage=2")).await;
    assert_eq!(commits.status, 200, "{}", commits.text);
    assert_eq!(commits.header("x-total"), "4");
    assert_eq!(commits.json[0]["title"], "update a");
    assert_eq!(commits.json[1]["title"], "binary");
    let by_path = c.get(&format!("{repo}/commits?refName=feature%2Fx&path=src%2Fmain%2Fa.txt")).await;
    assert_eq!(by_path.header("x-total"), "2");
    assert_eq!(c.get(&format!("{repo}/commits?refName=feature%2Fx&since=2000-01-01T00%3A00%3A00Z")).await.header("x-total"), "4");
    assert_eq!(c.get(&format!("{repo}/commits?refName=feature%2Fx&since=2999-01-01T00%3A00%3A00Z")).await.header("x-total"), "0");
    assert_eq!(c.get(&format!("{repo}/commits?refName=feature%2Fx&until=2000-01-01T00%3A00%3A00Z")).await.header("x-total"), "0");
    assert_eq!(c.get(&format!("{repo}/commits?refName=feature%2Fx&search=UPDATE+A")).await.header("x-total"), "1", "search is case-insensitive");
    let bad_since = c.get(&format!("{repo}/commits?refName=feature%2Fx&since=yesterday")).await;
    assert_eq!((bad_since.status, bad_since.error_code()), (400, "BadRequest"));
    let one = c.get(&format!("{crepo}/commits/{}", &commits.json[0]["id"].as_str().unwrap()[..10])).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json["id"], commits.json[0]["id"]);
    assert_eq!((one.json["stats"]["additions"].as_u64(), one.json["stats"]["deletions"].as_u64()), (Some(1), Some(1)));
    assert_eq!(c.get(&format!("{crepo}/commits/0000000")).await.status, 404);
    assert_eq!(c.get(&format!("{repo}/commits?refName=nope")).await.status, 404);

    // Compare master..feature/x.
    let cmp = c.get(&format!("{repo}/compares?from=master&to=feature%2Fx")).await;
    assert_eq!(cmp.status, 200, "{}", cmp.text);
    assert_no_nulls(&cmp.json, "compare");
    assert_eq!((cmp.json["commits_count"].as_u64(), cmp.json["files_count"].as_u64()), (Some(3), Some(2)));
    let diff = cmp.json["diffs"].as_array().unwrap().iter().find(|d| d["newPath"] == "src/main/a.txt").expect("a diff for a.txt");
    assert_eq!(diff["newFile"], true);
    assert!(diff["diff"].as_str().unwrap().contains("+two"), "{diff}");

    // Delete the file with the message in the query (form-encoded).
    let del = delete(&c, &format!("{repo}/files/src%2Fmain%2Fa.txt?branch=feature%2Fx&commitMessage=remove+a")).await;
    assert_eq!(del.status, 200, "{}", del.text);
    assert_eq!((del.json["result"].as_bool(), del.json["commitMessage"].as_str()), (Some(true), Some("remove a")));
    assert_eq!(c.get(&format!("{repo}/files/src%2Fmain%2Fa.txt?ref=feature%2Fx")).await.status, 404);

    // Tags.
    let t = c.post(&format!("{repo}/tags?tagName=v1.0&ref=feature%2Fx&message=first+release"), &json!(null)).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!((t.json["name"].as_str(), t.json["message"].as_str()), (Some("v1.0"), Some("first release")));
    assert_eq!(c.get(&format!("{repo}/tags")).await.header("x-total"), "1");
    assert_eq!(c.get(&format!("{repo}/tags/v1.0")).await.json["commit"]["id"], del.json["commitId"]);
    assert_eq!(delete(&c, &format!("{repo}/tags/v1.0")).await.status, 200);
    assert_eq!(c.get(&format!("{repo}/tags/v1.0")).await.status, 404);

    // Deleting the feature branch works.
    assert_eq!(delete(&c, &format!("{repo}/branches/feature%2Fx")).await.json["branchName"], "feature/x");
    assert_eq!(c.get(&format!("{repo}/branches/feature%2Fx")).await.status, 404);
}

async fn bad_file_input_changes_nothing(s: TestServer) {
    let c = s.admin_token();
    let [_, region] = editions(&s);
    let r = create_repo(&c, &region, json!({"name": "Guarded", "path": "guarded", "readMeType": "EMPTY"})).await;
    let repo = format!("{region}/repositories/{}", r["id"]);
    let head = c.get(&format!("{repo}/branches/master")).await.json["commit"]["id"].clone();
    for (path, why) in [
        ("..%2Fescape.txt", "dot-dot"),
        ("a%2F..%2F..%2Fb", "dot-dot inside"),
        ("a%00b", "NUL"),
        (".git%2Fconfig", ".git"),
        ("a%2F%2Fb", "empty segment"),
    ] {
        let w = c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": path, "content": "x", "commitMessage": "m"})).await;
        assert_eq!((w.status, w.error_code()), (400, "BadRequest"), "{why}: {}", w.text);
    }
    let limit = s.state.config.max_file_bytes as usize;
    assert_eq!(limit, 10 * 1024 * 1024, "the default file limit is 10 MiB");
    let big = "x".repeat(limit + 1);
    let w = c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": "big.txt", "content": big, "commitMessage": "m"})).await;
    assert_eq!((w.status, w.error_code()), (400, "FileTooLarge"), "{}", w.text);
    let w = c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": "ok.txt", "content": "x", "commitMessage": "   "})).await;
    assert_eq!(w.status, 400, "an empty message: {}", w.text);
    let w = c.post(&format!("{repo}/files"), &json!({"branch": "nope", "filePath": "ok.txt", "content": "x", "commitMessage": "m"})).await;
    assert_eq!(w.status, 404, "a missing branch: {}", w.text);
    let w = c.post(&format!("{repo}/files"), &json!({"branch": "a..b", "filePath": "ok.txt", "content": "x", "commitMessage": "m"})).await;
    assert_eq!(w.status, 400, "an invalid branch name: {}", w.text);
    let w = c
        .post(
            &format!("{repo}/files"),
            &json!({"branch": "master", "filePath": "ok.txt", "content": "%%%", "encoding": "base64", "commitMessage": "m"}),
        )
        .await;
    assert_eq!(w.status, 400, "bad base64: {}", w.text);
    assert_eq!(c.get(&format!("{repo}/branches/master")).await.json["commit"]["id"], head, "nothing was committed");
    assert_eq!(c.get(&format!("{repo}/commits?refName=master")).await.header("x-total"), "1");
    // A body beyond the file API's limit is 413 in the Codeup format.
    let huge = "y".repeat(s.state.config.max_file_body_bytes() + 10);
    let w = c.post(&format!("{repo}/files"), &json!({"branch": "master", "filePath": "huge.txt", "content": huge, "commitMessage": "m"})).await;
    assert_eq!((w.status, w.error_code()), (413, "PayloadTooLarge"));
    // Repository paths and visibility.
    for body in [
        json!({"name": "x", "path": "a/../b"}),
        json!({"name": "x", "path": "x.git"}),
        json!({"name": "x", "path": "ok", "visibility": "public"}),
        json!({"path": "ok"}),
    ] {
        let w = c.post(&format!("{region}/repositories?createParentPath=true"), &body).await;
        assert_eq!(w.status, 400, "{body}: {}", w.text);
    }
    let dup = c.post(&format!("{region}/repositories"), &json!({"name": "again", "path": "GUARDED"})).await;
    assert_eq!((dup.status, dup.error_code()), (409, "Conflict"), "{}", dup.text);
}

async fn visibility_and_permissions_follow_groups(s: TestServer) {
    let org = s.organization_id();
    let admin = s.admin_token();
    let [central, region] = editions(&s);
    let (bob_id, bob) = s.token_user("bob", "").await;
    let (_, carol) = s.token_user("carol", "").await;
    let (_, reader) = s.token_user("reader", "repository:read").await;
    let secret = create_repo(&admin, &central, json!({"name": "Secret", "path": "team/secret", "readMeType": "EMPTY"})).await;
    let open = create_repo(&admin, &central, json!({"name": "Open", "path": "open", "visibility": "internal", "readMeType": "EMPTY"})).await;
    let sid = secret["id"].clone();
    // Carol sees the internal one only, may read but not write it.
    assert_eq!(carol.get(&format!("{region}/repositories/{sid}")).await.status, 404);
    let carols: Vec<_> = carol.get(&format!("{region}/repositories")).await.json.as_array().unwrap().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(carols, [open["id"].clone()]);
    let oid = open["id"].clone();
    assert_eq!(carol.get(&format!("{region}/repositories/{oid}/files/README.md?ref=")).await.status, 200);
    let w = carol
        .post(&format!("{region}/repositories/{oid}/files"), &json!({"branch": "master", "filePath": "c.txt", "content": "x", "commitMessage": "m"}))
        .await;
    assert_eq!((w.status, w.error_code()), (403, "Forbidden"), "{}", w.text);
    // Bob becomes a developer of the team group: he sees, reads and writes the secret one, but may not delete it.
    let team = admin.get(&format!("{central}/namespaces/{}", enc(&format!("{org}/team")))).await.json;
    let added = admin.post(&format!("{central}/groups/{}/members?accessLevel=30&userId={bob_id}", team["id"]), &json!(null)).await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(bob.get(&format!("{region}/repositories/{sid}")).await.json["accessLevel"], 30);
    let w = bob
        .post(
            &format!("{region}/repositories/{sid}/files"),
            &json!({"branch": "master", "filePath": "b.txt", "content": "x", "commitMessage": "by bob"}),
        )
        .await;
    assert_eq!(w.status, 200, "{}", w.text);
    let commit = bob.get(&format!("{region}/repositories/{sid}/commits/{}", w.json["commitId"].as_str().unwrap())).await;
    assert_eq!(commit.json["authorName"], "bob", "commits through the API are authored by the token's user");
    assert_eq!(delete(&bob, &format!("{region}/repositories/{sid}")).await.status, 403);
    // Bob may create repositories in the team group (developer) but carol may not see it to try.
    create_repo(&bob, &region, json!({"name": "Bobs", "path": "team/bobs"})).await;
    assert_eq!(carol.post(&format!("{region}/repositories"), &json!({"name": "x", "path": "team/x"})).await.status, 400);
    // A read-only token reads but never writes.
    assert_eq!(reader.get(&format!("{region}/repositories/{oid}")).await.status, 200);
    let w = reader.post(&format!("{region}/repositories/{oid}/branches?branch=z&ref=master"), &json!(null)).await;
    assert_eq!(w.status, 403, "{}", w.text);
    // No token at all.
    let anon = CodeupClient::new(&s.base_url, None);
    assert_eq!(anon.get(&format!("{region}/repositories/{oid}")).await.status, 401);
}

async fn groups_with_repositories_rename_and_delete_with_them(s: TestServer) {
    let org = s.organization_id();
    let c = s.admin_token();
    let [central, _] = editions(&s);
    let r = create_repo(&c, &central, json!({"name": "Svc", "path": "dept/svc", "readMeType": "EMPTY"})).await;
    let dept = c.get(&format!("{central}/namespaces/{}", enc(&format!("{org}/dept")))).await.json;
    // A group path a repository holds is refused, and the other way round.
    let clash = c.post(&format!("{central}/groups"), &json!({"name": "svc", "path": "svc", "parentId": dept["id"]})).await;
    assert_eq!(clash.status, 409, "{}", clash.text);
    // Renaming the group moves the repository.
    let moved = put(&c, &format!("{central}/groups/{}", dept["id"]), &json!({"path": "division"})).await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let again = c.get(&format!("{central}/repositories/{}", r["id"])).await;
    assert_eq!(again.json["pathWithNamespace"], format!("{org}/division/svc"));
    // Deleting a group that holds repositories: 409 unless cascade; cascade removes the data.
    let refused = delete(&c, &format!("{central}/groups/{}", dept["id"])).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.json["errorMessage"].as_str().unwrap().contains("repositor"), "{}", refused.text);
    let data = s.data_dir().join("repositories").join(format!("{}.git", r["id"]));
    assert!(data.is_dir());
    let gone = delete(&c, &format!("{central}/groups/{}?cascade=true", dept["id"])).await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    assert_eq!(c.get(&format!("{central}/repositories/{}", r["id"])).await.status, 404);
    assert!(!data.exists(), "the repository's data went with the group");
}

both_backends!(
    repositories_are_created_read_listed_updated_and_deleted,
    branches_tags_files_commits_and_compare,
    bad_file_input_changes_nothing,
    visibility_and_permissions_follow_groups,
    groups_with_repositories_rename_and_delete_with_them,
);
