//! The request examples of the official Yunxiao developer-reference pages for repositories,
//! run with the stock `curl` against a live codeport, changing only the domain (and https to
//! http), the organization id and the token, plus the few documented substitutions below.
//!
//! Pages (help.aliyun.com, "适用版本: 中心版、Region版" versions, each with one example per edition):
//! - CreateRepository - 创建代码库   https://help.aliyun.com/zh/yunxiao/developer-reference/createreposition-creates-a-code-base
//! - GetRepository - 查询代码库      https://help.aliyun.com/zh/yunxiao/developer-reference/getrepository-query-the-code-base
//! - ListRepositories - 查询代码库列表 https://help.aliyun.com/zh/yunxiao/developer-reference/listrepositories-query-code-base-list
//! - CreateBranch - 创建分支         https://help.aliyun.com/zh/yunxiao/developer-reference/createbranch-create-branch
//!
//! and the CreateFile page (https://help.aliyun.com/zh/yunxiao/developer-reference/createfile),
//! whose stored copy is the older single-edition version: its example URL is the template
//! `…/organizations/{organizationId}/repositories/{repositoryId}/files`, with a literal body.
//!
//! The pages name two organization ids (60d54f3daccf2bbd6659f3ad in URLs and
//! 60de7a6852743a5162b5f957 inside full repository paths); both become the test organization.
//!
//! Substitutions beyond domain, organization and token, and why:
//! 1. CreateRepository's body says `"namespaceId": 2813489`, a group that cannot exist on a
//!    fresh server (2813489 is also the pages' repository id). It becomes `1`, the
//!    organization's root namespace, which is what the page's own note asks for when the
//!    parent path is to be created ("若需要创建父路径，那么namespaceId需要设置为组织的空间ID").
//! 2. GetRepository and CreateBranch write the repository as `2813489或者60de7a…%2FDemoRepo`
//!    ("2813489 or <org>%2FDemoRepo"): the URL cannot be sent as printed, so each alternative is
//!    run on its own. Repository `DemoRepo` is created first through the API (the pages'
//!    CreateRepository response shows id 2813489 with pathWithNamespace `…/DemoRepo`), and
//!    2813489 becomes its id.
//! 3. ListRepositories searches for `TestRepo`; a repository with that path is created first
//!    through the API so that the search has something to find.
//! 4. CreateFile's `{organizationId}` and `{repositoryId}` placeholders are filled with the
//!    organization and DemoRepo's id; the region edition uses the region form of the same path
//!    (`/oapi/v1/codeup/repositories/{repositoryId}/files`), like every other region page.
//!
//! The CreateRepository example also carries `templateProject` (custom template repository
//! id 1); codeport creates the repository without a template (it does not read that field), so
//! the test asserts only what the page's other fields ask for.

use codeport_testkit::{both_backends, TestServer};
use serde_json::Value;

/// The organization ids the pages use.
const ORGS_IN_DOCS: [&str; 2] = ["60d54f3daccf2bbd6659f3ad", "60de7a6852743a5162b5f957"];
/// The pages' repository id, and the pages' "id or full path" alternative.
const REPO_ID_IN_DOCS: &str = "2813489";
const OR: &str = "或者";

const CREATE_REPOSITORY_BODY: &str = r#"
    {
        "avatarUrl": "https://example/example/w/100/h/100",
        "description": "描述内容",
        "name": "demo-repo",
        "namespaceId": 2813489,
        "path": "demo-repo",
        "readMeType": "USER_GUIDE",
        "templateProject": {
            "syncAllBranches": true,
            "templateProjectId": 1,
            "templateType": 1
        },
        "visibility": "private"
    }"#;

const CREATE_FILE_BODY: &str = r#"
    {
        "branch": "master",
        "commitMessage": "创建xxx文件",
        "content": "file content",
        "encoding": "text",
        "filePath": "src%2Fmain%2Ftest1.java"
    }"#;

struct Examples {
    create_repository: &'static str,
    get_repository: &'static str,
    list_repositories: &'static str,
    create_branch: &'static str,
    create_file: &'static str,
    /// The edition's base, for the setup calls and checks that are not examples.
    base: &'static str,
}

const CENTRAL: Examples = Examples {
    create_repository: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/repositories?createParentPath=true",
    get_repository: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/repositories/2813489或者60de7a6852743a5162b5f957%2FDemoRepo",
    list_repositories: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/repositories?page=1&perPage=20&orderBy=created_at&sort=desc&search=TestRepo&archived=false",
    create_branch: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/repositories/2813489或者60de7a6852743a5162b5f957%2FDemoRepo/branches?branch=demo-branch&ref=master",
    create_file: "https://{domain}/oapi/v1/codeup/organizations/{organizationId}/repositories/{repositoryId}/files",
    base: "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad",
};

const REGION: Examples = Examples {
    create_repository: "https://{domain}/oapi/v1/codeup/repositories?createParentPath=true",
    get_repository: "https://{domain}/oapi/v1/codeup/repositories/2813489或者60de7a6852743a5162b5f957%2FDemoRepo",
    list_repositories: "https://{domain}/oapi/v1/codeup/repositories?page=1&perPage=20&orderBy=created_at&sort=desc&search=TestRepo&archived=false",
    create_branch:
        "https://{domain}/oapi/v1/codeup/repositories/2813489或者60de7a6852743a5162b5f957%2FDemoRepo/branches?branch=demo-branch&ref=master",
    create_file: "https://{domain}/oapi/v1/codeup/repositories/{repositoryId}/files",
    base: "https://{domain}/oapi/v1/codeup",
};

/// One answer: status, lower-cased headers, JSON body (Null when not JSON).
struct Answer {
    status: u16,
    headers: String,
    json: Value,
}

/// Substitutes the domain and organization ids (the only edits every example gets).
fn localize(s: &TestServer, url: &str) -> String {
    let org = s.organization_id();
    ORGS_IN_DOCS.iter().fold(url.replace("https://{domain}", &s.base_url), |u, docs| u.replace(docs, &org))
}

/// Picks one side of the pages' `A或者B` ("A or B") repository placeholder.
fn alternative(url: &str, first: bool) -> String {
    let (before, rest) = url.split_once(OR).expect("an A或者B example");
    let a_start = before.rfind('/').unwrap() + 1;
    let b_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let chosen = if first { &before[a_start..] } else { &rest[..b_end] };
    format!("{}{}{}", &before[..a_start], chosen, &rest[b_end..])
}

/// Runs one request with curl, exactly as the pages do: `-X`, the URL, the two headers and
/// `--data` when there is a body.
fn curl(s: &TestServer, method: &str, url: &str, body: Option<&str>) -> Answer {
    let token = s.bootstrap["personalAccessToken"].as_str().unwrap();
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "-i", "-X", method, url, "-H", "Content-Type: application/json", "-H"]);
    // The pages' placeholder token (pt-0fh3****0fbG_35af****0484), replaced by the bootstrap token.
    cmd.arg(format!("x-yunxiao-token: {token}"));
    if let Some(b) = body {
        cmd.args(["--data", b]);
    }
    let out = cmd.output().expect("curl runs");
    assert!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer { status, headers: head.to_lowercase(), json: serde_json::from_str(body).unwrap_or(Value::Null) }
}

fn assert_json(a: &Answer, what: &str) {
    assert!(a.headers.contains("content-type: application/json"), "{what}: JSON content type in {}", a.headers);
}

fn check_examples(s: &TestServer, e: &Examples) {
    let org = s.organization_id();
    let base = localize(s, e.base);

    // --- CreateRepository, the example itself (substitution 1: namespaceId 2813489 -> 1).
    let body = CREATE_REPOSITORY_BODY.replace("\"namespaceId\": 2813489", "\"namespaceId\": 1");
    let created = curl(s, "POST", &localize(s, e.create_repository), Some(&body));
    assert_eq!(created.status, 200, "CreateRepository example: {}", created.json);
    assert_json(&created, "CreateRepository");
    let r = &created.json;
    assert!(r["id"].is_i64(), "an integer id: {r}");
    assert_eq!((r["name"].as_str(), r["path"].as_str()), (Some("demo-repo"), Some("demo-repo")));
    assert_eq!(r["pathWithNamespace"], format!("{org}/demo-repo"));
    assert_eq!(r["nameWithNamespace"], format!("{org} / demo-repo"));
    assert_eq!((r["namespaceId"].as_i64(), r["visibility"].as_str()), (Some(1), Some("private")));
    assert_eq!((r["description"].as_str(), r["avatarUrl"].as_str()), (Some("描述内容"), Some("https://example/example/w/100/h/100")));
    assert_eq!((r["accessLevel"].as_i64(), r["archived"].as_bool()), (Some(40), Some(false)));
    assert!(r["repositorySize"].is_string(), "repositorySize is a string on the page: {r}");
    // readMeType USER_GUIDE: the new repository has a first commit on master.
    let readme_branch = curl(s, "GET", &format!("{base}/repositories/{}/branches/master", r["id"]), None);
    assert_eq!(readme_branch.status, 200, "USER_GUIDE gives master a commit: {}", readme_branch.json);
    let again = curl(s, "POST", &localize(s, e.create_repository), Some(&body));
    assert_eq!((again.status, again.json["errorCode"].as_str().is_some()), (409, true), "the same path twice: {}", again.json);

    // Setup (substitutions 2 and 3): the repositories the other examples name.
    let demo = curl(s, "POST", &format!("{base}/repositories"), Some(r#"{"name": "DemoRepo", "path": "DemoRepo", "readMeType": "USER_GUIDE"}"#));
    assert_eq!(demo.status, 200, "creating DemoRepo: {}", demo.json);
    let demo_id = demo.json["id"].as_i64().unwrap().to_string();
    let test_repo = curl(s, "POST", &format!("{base}/repositories"), Some(r#"{"name": "TestRepo", "path": "TestRepo"}"#));
    assert_eq!(test_repo.status, 200, "creating TestRepo: {}", test_repo.json);
    let with_id = |url: &str, first: bool| localize(s, &alternative(url, first)).replace(REPO_ID_IN_DOCS, &demo_id);

    // --- GetRepository, both alternatives of the printed URL.
    for first in [true, false] {
        let got = curl(s, "GET", &with_id(e.get_repository, first), None);
        assert_eq!(got.status, 200, "GetRepository example ({}): {}", if first { "id" } else { "full path" }, got.json);
        assert_json(&got, "GetRepository");
        let g = &got.json;
        assert_eq!(g["id"].to_string(), demo_id);
        assert_eq!((g["path"].as_str(), g["defaultBranch"].as_str()), (Some("DemoRepo"), Some("master")));
        assert_eq!(g["pathWithNamespace"], format!("{org}/DemoRepo"));
        assert_eq!(g["nameWithNamespace"], format!("{org} / DemoRepo"));
        assert_eq!(g["namespace"]["id"], 1, "the organization root is the parent: {g}");
        assert!(g["webUrl"].as_str().is_some_and(|u| u.ends_with(&format!("/{org}/DemoRepo"))), "{g}");
    }

    // --- ListRepositories.
    let list = curl(s, "GET", &localize(s, e.list_repositories), None);
    assert_eq!(list.status, 200, "ListRepositories example: {}", list.json);
    assert_json(&list, "ListRepositories");
    let paths: Vec<_> =
        list.json.as_array().expect("a bare array").iter().map(|r| r["pathWithNamespace"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(paths, [format!("{org}/TestRepo")], "search=TestRepo matches only TestRepo");
    for h in ["x-total: 1", "x-page: 1", "x-per-page: 20", "x-total-pages: 1"] {
        assert!(list.headers.contains(h), "{h} in {}", list.headers);
    }

    // --- CreateBranch: the id alternative creates demo-branch from master; the full-path
    // alternative then names the same repository, so the branch exists already.
    let master = curl(s, "GET", &format!("{base}/repositories/{demo_id}/branches/master"), None);
    let master_sha = master.json["commit"]["id"].as_str().expect("master has a commit").to_string();
    let branch = curl(s, "POST", &with_id(e.create_branch, true), None);
    assert_eq!(branch.status, 200, "CreateBranch example (id): {}", branch.json);
    assert_json(&branch, "CreateBranch");
    let b = &branch.json;
    assert_eq!((b["name"].as_str(), b["defaultBranch"].as_bool(), b["protected"].as_bool()), (Some("demo-branch"), Some(false), Some(false)));
    assert_eq!(b["commit"]["id"], master_sha.as_str(), "demo-branch starts at master: {b}");
    assert_eq!(b["commit"]["shortId"], &master_sha[..8]);
    assert!(b["commit"]["parentIds"].is_array(), "{b}");
    let twice = curl(s, "POST", &with_id(e.create_branch, false), None);
    assert_eq!(
        (twice.status, twice.json["errorCode"].as_str().is_some()),
        (409, true),
        "CreateBranch example (full path), branch exists: {}",
        twice.json
    );
    let listed = curl(s, "GET", &format!("{base}/repositories/{demo_id}/branches"), None);
    let names: Vec<_> = listed.json.as_array().expect("a bare array").iter().filter_map(|b| b["name"].as_str()).collect();
    assert!(names.contains(&"demo-branch") && names.contains(&"master"), "{names:?}");

    // --- CreateFile (substitution 4): the page's body verbatim; filePath arrives URL-encoded.
    let url = localize(s, e.create_file).replace("{organizationId}", &org).replace("{repositoryId}", &demo_id);
    let file = curl(s, "POST", &url, Some(CREATE_FILE_BODY));
    assert_eq!(file.status, 200, "CreateFile example: {}", file.json);
    assert_json(&file, "CreateFile");
    assert_eq!(file.json["branch"], "master");
    let file_path = file.json["filePath"].as_str().unwrap_or_default();
    assert_eq!(file_path.trim_start_matches('/'), "src/main/test1.java", "the encoded filePath is decoded once: {}", file.json);
    let blob = curl(s, "GET", &format!("{base}/repositories/{demo_id}/files/src%2Fmain%2Ftest1.java?ref=master"), None);
    assert_eq!(blob.status, 200, "the file is there: {}", blob.json);
    assert_eq!(blob.json["content"], "file content", "{}", blob.json);
    let head = curl(s, "GET", &format!("{base}/repositories/{demo_id}/branches/master"), None);
    assert_eq!(head.json["commit"]["title"], "创建xxx文件", "the page's commitMessage is master's new commit: {}", head.json);
    let again = curl(s, "POST", &url, Some(CREATE_FILE_BODY));
    assert!(matches!(again.status, 400 | 409), "creating the same file twice is refused: {} {}", again.status, again.json);
}

async fn the_central_edition_examples_run_unchanged(s: TestServer) {
    tokio::task::spawn_blocking(move || check_examples(&s, &CENTRAL)).await.unwrap();
}

async fn the_region_edition_examples_run_unchanged(s: TestServer) {
    tokio::task::spawn_blocking(move || check_examples(&s, &REGION)).await.unwrap();
}

#[test]
fn the_or_placeholder_splits_into_two_runnable_urls() {
    let url = CENTRAL.create_branch;
    assert_eq!(
        alternative(url, true),
        "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/repositories/2813489/branches?branch=demo-branch&ref=master"
    );
    assert_eq!(
        alternative(url, false),
        "https://{domain}/oapi/v1/codeup/organizations/60d54f3daccf2bbd6659f3ad/repositories/60de7a6852743a5162b5f957%2FDemoRepo/branches?branch=demo-branch&ref=master"
    );
    assert_eq!(alternative(REGION.get_repository, false), "https://{domain}/oapi/v1/codeup/repositories/60de7a6852743a5162b5f957%2FDemoRepo");
}

both_backends!(the_central_edition_examples_run_unchanged, the_region_edition_examples_run_unchanged);
