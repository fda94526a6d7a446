//! Git smart HTTP against the stock `git` CLI and raw requests: clone (protocol v2 and v0),
//! push, fetch, a first push into an empty repository, large pushes, gzip-encoded
//! negotiation, `.git`-less URLs, and authentication/authorization answers (401 with a Basic
//! challenge, 404 for what the caller may not see, 403 for read-only callers).

use codeport_testkit::git::Scratch;
use codeport_testkit::{both_backends, CodeupClient, TestServer};
use serde_json::{json, Value};

const UPLOAD_ADV: &str = "application/x-git-upload-pack-advertisement";
const RECEIVE_ADV: &str = "application/x-git-receive-pack-advertisement";
const UPLOAD_RESULT: &str = "application/x-git-upload-pack-result";
const RECEIVE_RESULT: &str = "application/x-git-receive-pack-result";

fn central(s: &TestServer) -> String {
    format!("/oapi/v1/codeup/organizations/{}", s.organization_id())
}

async fn create_repo(s: &TestServer, c: &CodeupClient, path: &str, visibility: &str, readme: bool) -> Value {
    let mut body = json!({"name": path, "path": path, "visibility": visibility});
    if readme {
        body["readMeType"] = json!("USER_GUIDE");
    }
    let r = c.post(&format!("{}/repositories?createParentPath=true", central(s)), &body).await;
    assert_eq!(r.status, 200, "create repository {path}: {}", r.text);
    r.json
}

fn token_of(c: &CodeupClient) -> String {
    c.token.clone().expect("client with a token")
}

/// `http://x:TOKEN@host/FULL_PATH.git` (or without `.git`).
fn clone_url(s: &TestServer, token: Option<&str>, full_path: &str, dot_git: bool) -> String {
    let creds = token.map(|t| format!("x:{t}@")).unwrap_or_default();
    format!("http://{creds}{}/{full_path}{}", s.endpoint, if dot_git { ".git" } else { "" })
}

fn full_path(repo: &Value) -> String {
    repo["pathWithNamespace"].as_str().expect("pathWithNamespace").to_string()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn assert_no_cache(r: &reqwest::Response) {
    assert_eq!(header(r, "cache-control"), "no-cache, max-age=0, must-revalidate");
    assert_eq!(header(r, "pragma"), "no-cache");
    assert_eq!(header(r, "expires"), "Fri, 01 Jan 1980 00:00:00 GMT");
}

/// pkt-line encoding of one line.
fn pkt(line: &str) -> String {
    format!("{:04x}{line}", line.len() + 4)
}

async fn gzip(data: &[u8]) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut enc = async_compression::tokio::bufread::GzipEncoder::new(data);
    let mut out = Vec::new();
    enc.read_to_end(&mut out).await.unwrap();
    out
}

async fn clone_push_fetch_over_both_protocols(s: TestServer) {
    let c = s.admin_token();
    let token = token_of(&c);
    let repo = create_repo(&s, &c, "demo", "private", true).await;
    let fp = full_path(&repo);
    let url = clone_url(&s, Some(&token), &fp, true);
    let bare_url = clone_url(&s, Some(&token), &fp, false);
    let x = Scratch::new();
    let root = x.dir.path().to_path_buf();

    // Clone with protocol v2 and, through the .git-less URL, with v0.
    x.ok(&root, &["-c", "protocol.version=2", "clone", &url, "a"]).await;
    let a = x.path("a");
    let readme = std::fs::read_to_string(a.join("README.md")).expect("README.md was cloned");
    assert!(readme.starts_with("# demo"), "{readme}");
    assert_eq!(x.ok(&a, &["rev-parse", "--abbrev-ref", "HEAD"]).await, "master");
    x.ok(&root, &["-c", "protocol.version=0", "clone", &bare_url, "b"]).await;
    let b = x.path("b");
    assert_eq!(x.ok(&a, &["rev-parse", "HEAD"]).await, x.ok(&b, &["rev-parse", "HEAD"]).await);

    // Commit and push a new branch, then master.
    x.ok(&a, &["checkout", "-b", "feature"]).await;
    x.write(&a, "feature.txt", b"feature\n");
    x.ok(&a, &["add", "."]).await;
    x.ok(&a, &["commit", "-m", "feature work"]).await;
    x.ok(&a, &["-c", "protocol.version=2", "push", "origin", "feature"]).await;
    x.ok(&a, &["checkout", "master"]).await;
    x.write(&a, "main.txt", b"on master\n");
    x.ok(&a, &["add", "."]).await;
    x.ok(&a, &["commit", "-m", "master work"]).await;
    x.ok(&a, &["push", "origin", "master"]).await;
    let master = x.ok(&a, &["rev-parse", "master"]).await;
    let feature = x.ok(&a, &["rev-parse", "feature"]).await;

    // A second clone sees both pushes; the API sees the branch too.
    x.ok(&root, &["-c", "protocol.version=2", "clone", &url, "c"]).await;
    let cdir = x.path("c");
    assert_eq!(x.ok(&cdir, &["rev-parse", "HEAD"]).await, master);
    assert_eq!(x.ok(&cdir, &["rev-parse", "origin/feature"]).await, feature);
    let branch = c.get(&format!("{}/repositories/{}/branches/feature", central(&s), repo["id"])).await;
    assert_eq!(branch.status, 200, "{}", branch.text);

    // The v0 clone fetches the later push.
    x.ok(&b, &["-c", "protocol.version=0", "fetch", "origin"]).await;
    assert_eq!(x.ok(&b, &["rev-parse", "origin/master"]).await, master);
    assert_eq!(x.ok(&b, &["rev-parse", "origin/feature"]).await, feature);

    // A large push (5 MB of incompressible data: chunked request body), fetched back.
    let big: Vec<u8> = (0..5 * 1024 * 1024).map(|_| rand::random::<u8>()).collect();
    x.write(&a, "big.bin", &big);
    x.ok(&a, &["add", "."]).await;
    x.ok(&a, &["commit", "-m", "big file"]).await;
    x.ok(&a, &["push", "origin", "master"]).await;
    x.ok(&b, &["-c", "protocol.version=2", "pull", "--ff-only", "origin", "master"]).await;
    assert_eq!(std::fs::read(b.join("big.bin")).unwrap(), big, "the large file round-trips");

    // Raw discovery: exact content types, cache headers, v0 preamble, v2 without it.
    let http = reqwest::Client::new();
    let refs = format!("{}/{fp}.git/info/refs", s.base_url);
    let r = http.get(format!("{refs}?service=git-upload-pack")).basic_auth("anyone", Some(&token)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), UPLOAD_ADV);
    assert_no_cache(&r);
    let body = r.text().await.unwrap();
    assert!(body.starts_with("001e# service=git-upload-pack\n0000"), "{body}");
    assert!(body.contains("refs/heads/feature"), "{body}");
    let r = http
        .get(format!("{refs}?service=git-upload-pack"))
        .basic_auth("anyone", Some(&token))
        .header("git-protocol", "version=2")
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "content-type")), (200, UPLOAD_ADV));
    let body = r.text().await.unwrap();
    assert!(body.starts_with("000eversion 2\n"), "{body}");
    let r = http.get(format!("{refs}?service=git-receive-pack")).header("x-yunxiao-token", &token).send().await.unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "content-type")), (200, RECEIVE_ADV));
    assert_no_cache(&r);
    assert!(r.text().await.unwrap().starts_with("001f# service=git-receive-pack\n0000"));

    // A gzip-encoded v2 ls-refs request, and the same request plain.
    let ls_refs = format!("{}0001{}0000", pkt("command=ls-refs\n"), pkt("ref-prefix refs/heads/\n"));
    for gz in [true, false] {
        let mut rb = http
            .post(format!("{}/{fp}/git-upload-pack", s.base_url))
            .basic_auth("x", Some(&token))
            .header("content-type", "application/x-git-upload-pack-request")
            .header("accept", UPLOAD_RESULT)
            .header("git-protocol", "version=2");
        rb = if gz { rb.header("content-encoding", "gzip").body(gzip(ls_refs.as_bytes()).await) } else { rb.body(ls_refs.clone()) };
        let r = rb.send().await.unwrap();
        assert_eq!((r.status().as_u16(), header(&r, "content-type")), (200, UPLOAD_RESULT), "gzip={gz}");
        assert_no_cache(&r);
        let body = r.text().await.unwrap();
        assert!(body.contains(&format!("{} refs/heads/feature", feature)), "gzip={gz}: {body}");
        assert!(body.ends_with("0000"), "gzip={gz}: {body}");
    }

    // git's probe POST (body `0000`) to receive-pack: 200, empty result.
    let r = http
        .post(format!("{}/{fp}.git/git-receive-pack", s.base_url))
        .basic_auth("x", Some(&token))
        .header("content-type", "application/x-git-receive-pack-request")
        .body("0000")
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "content-type")), (200, RECEIVE_RESULT));
    assert_eq!(r.text().await.unwrap(), "");

    // A wrong request content type is refused before git runs.
    let r = http
        .post(format!("{}/{fp}.git/git-upload-pack", s.base_url))
        .basic_auth("x", Some(&token))
        .header("content-type", "text/plain")
        .body("0000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

async fn a_first_push_into_an_empty_repository_sets_the_default_branch(s: TestServer) {
    let c = s.admin_token();
    let token = token_of(&c);
    let repo = create_repo(&s, &c, "empty", "private", false).await;
    let url = clone_url(&s, Some(&token), &full_path(&repo), true);
    let x = Scratch::new();
    let root = x.dir.path().to_path_buf();

    // Cloning an empty repository works (both protocols) and yields no commits.
    x.ok(&root, &["-c", "protocol.version=0", "clone", &url, "e0"]).await;
    x.ok(&root, &["-c", "protocol.version=2", "clone", &url, "e"]).await;
    let e = x.path("e");
    x.ok(&e, &["checkout", "-b", "main"]).await;
    x.write(&e, "hello.txt", b"hello\n");
    x.ok(&e, &["add", "."]).await;
    x.ok(&e, &["commit", "-m", "first"]).await;
    x.ok(&e, &["push", "origin", "main"]).await;
    let head = x.ok(&e, &["rev-parse", "HEAD"]).await;

    let got = c.get(&format!("{}/repositories/{}", central(&s), repo["id"])).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["defaultBranch"], "main", "{}", got.text);

    // A fresh clone checks out main (HEAD follows the first pushed branch).
    x.ok(&root, &["clone", &url, "f"]).await;
    let f = x.path("f");
    assert_eq!(x.ok(&f, &["rev-parse", "--abbrev-ref", "HEAD"]).await, "main");
    assert_eq!(x.ok(&f, &["rev-parse", "HEAD"]).await, head);
}

async fn authentication_and_access_answers(s: TestServer) {
    let c = s.admin_token();
    let admin_token = token_of(&c);
    let private = create_repo(&s, &c, "secret", "private", true).await;
    let internal = create_repo(&s, &c, "shared", "internal", true).await;
    let private_fp = full_path(&private);
    let internal_fp = full_path(&internal);
    let http = reqwest::Client::new();
    let x = Scratch::new();
    let root = x.dir.path().to_path_buf();
    let org = s.organization_id();

    // No credentials: 401 with a Basic challenge on discovery and both RPCs.
    for (method, path) in [
        ("GET", format!("{private_fp}.git/info/refs?service=git-upload-pack")),
        ("GET", format!("{private_fp}.git/info/refs?service=git-receive-pack")),
        ("POST", format!("{private_fp}.git/git-upload-pack")),
        ("POST", format!("{private_fp}/git-receive-pack")),
        ("GET", format!("{org}/does-not-exist.git/info/refs?service=git-upload-pack")),
    ] {
        let url = format!("{}/{path}", s.base_url);
        let r =
            if method == "GET" { http.get(url) } else { http.post(url).header("content-type", "application/x-git-upload-pack-request").body("0000") }
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        assert_eq!(header(&r, "www-authenticate"), "Basic realm=\"codeport\"", "{method} {path}");
        assert!(header(&r, "content-type").starts_with("text/plain"), "{method} {path}");
    }
    let err = x.fails(&root, &["clone", &clone_url(&s, None, &private_fp, true), "anon"]).await;
    assert!(err.contains("could not read Username") || err.contains("Authentication failed"), "{err}");

    // Wrong token: 401 again, and git reports an authentication failure.
    let bogus = "pt-0000000000000000000000000000000000000000";
    let r = http.get(format!("{}/{private_fp}.git/info/refs?service=git-upload-pack", s.base_url)).basic_auth("x", Some(bogus)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "www-authenticate"), "Basic realm=\"codeport\"");
    assert!(!r.text().await.unwrap().contains(bogus), "the token is never echoed");
    let err = x.fails(&root, &["clone", &clone_url(&s, Some(bogus), &private_fp, true), "bogus"]).await;
    assert!(err.contains("Authentication failed"), "{err}");

    // Valid token, nonexistent repository: 404.
    let r = http
        .get(format!("{}/{org}/does-not-exist.git/info/refs?service=git-upload-pack", s.base_url))
        .basic_auth("x", Some(&admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Dumb protocol and unknown services: 403.
    let r = http.get(format!("{}/{private_fp}.git/info/refs", s.base_url)).basic_auth("x", Some(&admin_token)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .get(format!("{}/{private_fp}.git/info/refs?service=git-upload-archive", s.base_url))
        .basic_auth("x", Some(&admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // An organization member outside a private repository: 404 for both services.
    let (_, member) = s.token_user("member", "").await;
    let member_token = token_of(&member);
    for service in ["git-upload-pack", "git-receive-pack"] {
        let r = http
            .get(format!("{}/{private_fp}.git/info/refs?service={service}", s.base_url))
            .basic_auth("member", Some(&member_token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{service}");
    }
    let err = x.fails(&root, &["clone", &clone_url(&s, Some(&member_token), &private_fp, true), "m"]).await;
    assert!(err.contains("not found") || err.contains("404"), "{err}");

    // The same member may read an internal repository but not push to it: 403.
    x.ok(&root, &["clone", &clone_url(&s, Some(&member_token), &internal_fp, true), "shared"]).await;
    let r = http
        .get(format!("{}/{internal_fp}.git/info/refs?service=git-receive-pack", s.base_url))
        .basic_auth("member", Some(&member_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .post(format!("{}/{internal_fp}.git/git-receive-pack", s.base_url))
        .basic_auth("member", Some(&member_token))
        .header("content-type", "application/x-git-receive-pack-request")
        .body("0000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let shared = x.path("shared");
    x.write(&shared, "x.txt", b"x\n");
    x.ok(&shared, &["add", "."]).await;
    x.ok(&shared, &["commit", "-m", "not allowed"]).await;
    let err = x.fails(&shared, &["push", "origin", "master"]).await;
    assert!(err.contains("403"), "{err}");

    // A token limited to reading repositories clones (even the owner's private repository)
    // but cannot push.
    let scopes = codeport_core::values::TokenScopes::parse("repository:read").unwrap();
    let reader = s.state.identities().create_token("admin", None, &scopes).await.expect("read-only token");
    let reader_token = reader.token.expose().to_string();
    x.ok(&root, &["-c", "protocol.version=2", "clone", &clone_url(&s, Some(&reader_token), &private_fp, false), "ro"]).await;
    let r = http
        .get(format!("{}/{private_fp}/info/refs?service=git-receive-pack", s.base_url))
        .basic_auth("x", Some(&reader_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let ro = x.path("ro");
    x.write(&ro, "y.txt", b"y\n");
    x.ok(&ro, &["add", "."]).await;
    x.ok(&ro, &["commit", "-m", "read-only"]).await;
    let err = x.fails(&ro, &["push", "origin", "master"]).await;
    assert!(err.contains("403"), "{err}");

    // Wrong methods, and unknown paths keep their family's 404.
    let r = http.get(format!("{}/{private_fp}.git/git-upload-pack", s.base_url)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = http.get(format!("{}/api/v1/no/such/path", s.base_url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = http.get(format!("{}/oapi/v1/codeup/nothing/info/refs", s.base_url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["errorCode"], "NotFound");
}

async fn pushes_to_a_deleted_repository_are_refused_and_write_nothing(s: TestServer) {
    let c = s.admin_token();
    let token = token_of(&c);
    let scratch = Scratch::new();
    let repo = create_repo(&s, &c, "doomed", "private", true).await;
    let url = clone_url(&s, Some(&token), &full_path(&repo), true);
    let work = scratch.path("doomed");
    scratch.ok(scratch.dir.path(), &["clone", "-q", &url, work.to_str().unwrap()]).await;
    scratch.write(&work, "late.txt", b"too late\n");
    scratch.ok(&work, &["add", "late.txt"]).await;
    scratch.ok(&work, &["commit", "-q", "-m", "late"]).await;
    let data = s.data_dir().join("repositories").join(format!("{}.git", repo["id"]));
    assert!(data.is_dir());

    // A push racing the deletion: whichever finishes first, the repository ends up gone,
    // data and all, and the push either completed before or was refused.
    scratch.write(&work, "big.bin", &vec![7u8; 3 * 1024 * 1024]);
    scratch.ok(&work, &["add", "big.bin"]).await;
    scratch.ok(&work, &["commit", "-q", "-m", "big"]).await;
    let push = scratch.git(&work, &["push", "-q", "origin", "master"]);
    let repo_url = format!("{}/repositories/{}", central(&s), repo["id"]);
    let del = c.call(reqwest::Method::DELETE, &repo_url, None);
    let (_, deleted) = tokio::join!(push, del);
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert!(!data.exists(), "the data is gone after the deletion");

    // Afterwards every push is a clean 404 and nothing is recreated on disk.
    let err = scratch.fails(&work, &["push", "-q", "origin", "master"]).await;
    assert!(err.contains("not found") || err.contains("404"), "{}", err.replace(&token, "***"));
    let raw = reqwest::get(format!("{}/info/refs?service=git-receive-pack", clone_url(&s, Some(&token), &full_path(&repo), true))).await.unwrap();
    assert_eq!(raw.status().as_u16(), 404);
    assert!(!data.exists(), "a refused push writes nothing");
}

both_backends!(
    clone_push_fetch_over_both_protocols,
    a_first_push_into_an_empty_repository_sets_the_default_branch,
    authentication_and_access_answers,
    pushes_to_a_deleted_repository_are_refused_and_write_nothing,
);
